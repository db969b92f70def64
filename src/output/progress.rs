//! The live progress line of the human view: on a terminal, for runs longer than a
//! second, one line on stderr — checks done of total and what is running — redrawn every
//! 100 ms and erased when the run ends.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::observer::Observer;
use crate::outcome::CheckResult;

const DELAY: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

struct State {
    total: usize,
    done: AtomicUsize,
    running: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// The progress line; drop it (or call `finish`) to erase the line.
pub struct Progress {
    state: Arc<State>,
    painter: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts a progress line for `total` checks, drawn on stderr only when it is a terminal.
    pub fn start(total: usize) -> Arc<Progress> {
        use std::io::IsTerminal;
        let state = Arc::new(State {
            total,
            done: AtomicUsize::new(0),
            running: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let painter = std::io::stderr().is_terminal().then(|| {
            let state = state.clone();
            std::thread::spawn(move || paint(&state))
        });
        Arc::new(Progress { state, painter })
    }

    pub fn finish(&self) {
        self.state.stop.store(true, Ordering::SeqCst);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
        if let Some(painter) = self.painter.take() {
            let _ = painter.join();
        }
    }
}

fn paint(state: &State) {
    let started = Instant::now();
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut frame = 0;
    let mut drawn = false;
    while !state.stop.load(Ordering::SeqCst) {
        std::thread::sleep(TICK);
        if started.elapsed() < DELAY {
            continue;
        }
        let running = state.running.lock().map(|r| r.join(", ")).unwrap_or_default();
        let running: String = running.chars().take(60).collect();
        let line = format!(
            "{} {}/{} checks · {:.1}s{}",
            frames[frame % frames.len()],
            state.done.load(Ordering::SeqCst),
            state.total,
            started.elapsed().as_secs_f64(),
            if running.is_empty() { String::new() } else { format!(" · running {running}") }
        );
        frame += 1;
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
        drawn = true;
    }
    if drawn {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

impl Observer for Progress {
    fn check_started(&self, id: &str) {
        if let Ok(mut running) = self.state.running.lock() {
            running.push(id.to_string());
        }
    }
    fn check_finished(&self, result: &CheckResult) {
        self.state.done.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut running) = self.state.running.lock() {
            running.retain(|id| id != &result.id);
        }
    }
}
