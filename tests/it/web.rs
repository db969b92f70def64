//! The HTTP server (`runner daemon --listen`, `runner serve`) against clients that do not
//! play nice: slow, many, hostile. The scheduler shares the process with it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, every_second, wait_until};
use crate::support::Test;

/// A connection that sends a request head one byte at a time and never finishes it.
struct Dribbler {
    stream: TcpStream,
    sent: usize,
    closed: bool,
}

const HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

impl Dribbler {
    /// Sends the next byte; notes when the server has closed the connection.
    fn dribble(&mut self) {
        if self.closed {
            return;
        }
        let mut peek = [0u8; 256];
        match self.stream.read(&mut peek) {
            Ok(0) => self.closed = true,
            Ok(_) => {} // an answer (408 or 503): the close follows
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.closed = true,
        }
        if !self.closed {
            let byte = HEAD[self.sent % HEAD.len()];
            if self.stream.write_all(&[byte]).is_err() {
                self.closed = true;
            }
            self.sent += 1;
        }
    }
}

#[test]
fn a_slowloris_neither_stalls_the_scheduler_nor_holds_its_connections() {
    let test = Test::new().file("p/beat.yaml", &every_second("beat", "true", ""));
    let daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(10), || daemon.query("SELECT count(*) FROM runs") != "0"), "no run started");
    let runs_before: i64 = daemon.query("SELECT count(*) FROM runs").parse().unwrap();
    // More connections than the server's cap (512), each dribbling a byte every 200 ms.
    let mut dribblers: Vec<Dribbler> = (0..530)
        .map(|_| {
            let stream = TcpStream::connect(("127.0.0.1", daemon.port())).unwrap();
            stream.set_nonblocking(true).unwrap();
            Dribbler { stream, sent: 0, closed: false }
        })
        .collect();
    let started = Instant::now();
    let mut refused_health_quickly = false;
    while started.elapsed() < Duration::from_secs(12) {
        for dribbler in &mut dribblers {
            dribbler.dribble();
        }
        if started.elapsed() > Duration::from_secs(1) && started.elapsed() < Duration::from_secs(3) {
            // While every slot is held, a new client hears 503 at once instead of hanging.
            let asked = Instant::now();
            if let Some((code, body)) = daemon.get("/healthz") {
                refused_health_quickly |= code == 503 && body.contains("too many connections");
                assert!(asked.elapsed() < Duration::from_secs(2), "the answer took {:?}", asked.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(refused_health_quickly, "past the connection cap a new client was not told 503");
    // The header-read deadline (5 s) cut every dribbler off, whatever it kept sending.
    let open = dribblers.iter().filter(|d| !d.closed).count();
    assert_eq!(open, 0, "{open} slow connections still open after 12 s");
    // The daemon answers again, and the scheduler never missed a fire meanwhile.
    let (code, body) = daemon.get("/healthz").unwrap();
    assert_eq!(code, 200, "{body}");
    let runs_after: i64 = daemon.query("SELECT count(*) FROM runs").parse().unwrap();
    assert!(runs_after - runs_before >= 11, "{} runs in 12 s", runs_after - runs_before);
    assert_eq!(daemon.query("SELECT count(*) FROM misses"), "0", "fires were missed under the slowloris");
}
