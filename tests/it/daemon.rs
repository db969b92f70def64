//! `runner daemon` in real time: a per-second playbook for a minute, a kill -9 in the
//! middle of a run, reloads, liveness endpoints, systemd's notify socket and shutdown
//! (the exports are in export.rs).
//! (DST, suspends and clock steps are tested on a clock the test controls, in
//! src/schedule/plan.rs.)

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::http::{Reply, Server};
use crate::support::{Test, runner_bin};

/// A daemon process, stopped (SIGKILL) when dropped.
pub(crate) struct Daemon {
    child: Option<Child>,
    port: u16,
    state: PathBuf,
}

impl Daemon {
    pub(crate) fn start(test: &Test, folder: &str, extra: &[&str]) -> Daemon {
        Daemon::start_with_env(test, folder, extra, &[])
    }

    /// [`Daemon::start`] with these environment variables added.
    pub(crate) fn start_with_env(test: &Test, folder: &str, extra: &[&str], env: &[(&str, &str)]) -> Daemon {
        let port = crate::support::redis::free_port();
        let state = test.path(".state");
        let mut command = Command::new(runner_bin());
        command
            .args([
                "daemon",
                folder,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
                "--log-file",
                "daemon.log",
            ])
            .args(extra)
            .current_dir(test.root())
            .env("RUNNER_STATE", &state)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().unwrap();
        let daemon = Daemon { child: Some(child), port, state };
        let started = Instant::now();
        while daemon.get("/healthz").is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        let code = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((code, text.split_once("\r\n\r\n")?.1.to_string()))
    }

    pub(crate) fn signal(&self, signal: i32) {
        if let Some(child) = &self.child {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, signal) };
        }
    }

    /// SIGTERM, then the exit code.
    pub(crate) fn stop(&mut self) -> Option<i32> {
        self.signal(libc::SIGTERM);
        let mut child = self.child.take()?;
        let status = child.wait().ok()?;
        status.code()
    }

    pub(crate) fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn query(&self, sql: &str) -> String {
        let output = Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(self.state.join("runner.db"))
            .arg(sql)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub(crate) fn every_second(name: &str, command: &str, extra: &str) -> String {
    format!(
        "version: 1\nname: {name}\nschedule: {{cron: \"* * * * * *\", timezone: UTC{extra}}}\nchecks:\n  - id: c\n    command: {{shell: '{command}'}}\n"
    )
}

pub(crate) fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_playbook_every_second_for_a_minute_runs_60_times_without_overlap() {
    let _alone = crate::support::one_realtime_test_at_a_time();
    let test = Test::new().file("p/tick.yaml", &every_second("tick", "true", ""));
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(10), || daemon.query("SELECT count(*) FROM runs") != "0"), "no run started");
    std::thread::sleep(Duration::from_secs(62));
    assert_eq!(daemon.stop(), Some(0));
    // The 60 fires of a minute that lies wholly inside the daemon's life.
    let first: i64 = daemon.query("SELECT min(scheduled_ms) FROM runs").parse().unwrap();
    let window = (first + 1000, first + 61_000);
    let runs: i64 = daemon
        .query(&format!("SELECT count(*) FROM runs WHERE scheduled_ms >= {} AND scheduled_ms < {}", window.0, window.1))
        .parse()
        .unwrap();
    assert!((59..=61).contains(&runs), "{runs} runs in 60 s");
    let distinct: i64 = daemon
        .query(&format!(
            "SELECT count(DISTINCT scheduled_ms) FROM runs WHERE scheduled_ms >= {} AND scheduled_ms < {}",
            window.0, window.1
        ))
        .parse()
        .unwrap();
    assert_eq!(distinct, runs, "a fire ran twice");
    // No overlap: each run ended before the next started.
    let overlaps = daemon.query(
        "SELECT count(*) FROM runs a JOIN runs b ON b.started_ms > a.started_ms AND b.started_ms < a.started_ms + a.duration_ms",
    );
    assert_eq!(overlaps, "0");
    // Every fire is accounted for: a run, or a recorded miss.
    let misses = daemon.query("SELECT count(*) FROM misses");
    assert_eq!(misses, "0", "missed fires: {}", daemon.query("SELECT * FROM misses"));
    let late: i64 =
        daemon.query("SELECT max(started_ms - scheduled_ms) FROM runs WHERE status != 'running'").parse().unwrap();
    assert!(late < 1000, "a run started {late} ms after its fire");
}

#[test]
fn kill_9_mid_run_is_recorded_as_interrupted_and_catch_up_follows_the_policy() {
    let receiver = Server::with(|_| Reply::status(200, "ok"));
    let alerting = format!(
        "version: 1\nname: alerting\nschedule: {{cron: \"* * * * * *\", timezone: UTC}}\nchecks:\n  - id: down\n    command: {{shell: \"exit 2\"}}\nnotify:\n  - id: hook\n    webhook: {{url: \"{}\"}}\n",
        receiver.url("/hook")
    );
    let test = Test::new()
        .file("p/slow.yaml", &every_second("slow", "sleep 30", ""))
        .file("p/catchup.yaml", &every_second("catchup", "true", ", misfire: run_once"))
        .file("p/skipper.yaml", &every_second("skipper", "true", ", misfire: skip"))
        .file("p/alerting.yaml", &alerting);
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(10), || {
        daemon.query("SELECT count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'slow' AND status = 'running'") == "1"
    }));
    assert!(wait_until(Duration::from_secs(10), || receiver.requests().len() == 1), "the first alert");
    std::thread::sleep(Duration::from_millis(300));
    daemon.kill9();
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    let mut daemon = Daemon::start(&test, "p", &[]);
    let downtime = down.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(daemon.stop(), Some(0));
    // The run killed with the daemon is recorded as interrupted.
    let interrupted = daemon.query("SELECT count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'slow' AND interrupted = 1");
    assert!(interrupted.parse::<i64>().unwrap() >= 1, "interrupted runs: {interrupted}");
    // run_once: one catch-up run standing for the fires missed while it was down.
    let stands_for: i64 = daemon
        .query("SELECT coalesce(max(stands_for), 0) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'catchup'")
        .parse()
        .unwrap();
    assert!(
        stands_for >= 3 && stands_for <= downtime.as_secs() as i64 + 1,
        "catch-up stood for {stands_for} fires after {downtime:?}"
    );
    // skip: the missed fires are recorded, with their reason.
    let late: i64 =
        daemon.query("SELECT count(*) FROM misses WHERE playbook = 'skipper' AND reason = 'late'").parse().unwrap();
    assert!(late >= 3, "{late} late misses");
    // The alert was not sent again: its state survived the crash.
    let problems = receiver.requests().iter().filter(|r| r.body.contains("\"kind\":\"problem\"")).count();
    assert_eq!(problems, 1);
}

#[test]
fn reload_on_change_keeps_the_last_good_version_and_stops_removed_playbooks() {
    let test = Test::new()
        .file("p/a.yaml", &every_second("a", "echo v1 > version", ""))
        .file("p/b.yaml", &every_second("b", "true", ""))
        .file("p/bad.yaml", "version: 1\nname: bad\nschedule: \"* * * * * *\"\nchecks:\n  - id: x\n    timout: 1s\n");
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(test.path("p/version"))
        .is_ok_and(|v| v == "v1\n")));
    // Invalid at start: reported, not scheduled; the others run.
    let (code, body) = daemon.get("/healthz").unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("invalid, not scheduled: p/bad.yaml (1 error)"), "{body}");
    let status: serde_json::Value = serde_json::from_str(&daemon.get("/status").unwrap().1).unwrap();
    assert_eq!(status["invalid"][0]["file"], "p/bad.yaml");
    assert!(status["invalid"][0]["errors"][0].as_str().unwrap().contains("unknown key `timout`"));
    // A changed file is picked up.
    std::fs::write(test.path("p/a.yaml"), every_second("a", "echo v2 > version", "")).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || std::fs::read_to_string(test.path("p/version"))
            .is_ok_and(|v| v == "v2\n")),
        "the edit was not loaded"
    );
    // An invalid edit keeps the last good version running.
    std::fs::write(test.path("p/a.yaml"), "version: 1\nname: a\nschedule: \"* * * * * *\"\nchecks: [{id: c, command: {shell: 'echo v3 > version'}, timout: 1s}]\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::remove_file(test.path("p/version")).unwrap();
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(test.path("p/version"))
        .is_ok_and(|v| v == "v2\n")));
    let status: serde_json::Value = serde_json::from_str(&daemon.get("/status").unwrap().1).unwrap();
    let a = status["playbooks"].as_array().unwrap().iter().find(|p| p["name"] == "a").unwrap().clone();
    assert!(a["reload_problem"].as_str().unwrap().contains("unknown key `timout`"), "{a}");
    // A fixed file via SIGHUP; a removed file stops.
    std::fs::write(test.path("p/bad.yaml"), every_second("bad", "true", "")).unwrap();
    daemon.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(5), || daemon
        .query("SELECT count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'bad'")
        != "0"));
    std::fs::remove_file(test.path("p/b.yaml")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let before =
        daemon.query("SELECT count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'b'");
    std::thread::sleep(Duration::from_millis(2500));
    let after = daemon.query("SELECT count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id WHERE p.name = 'b'");
    assert_eq!(before, after, "a removed playbook still runs");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn liveness_endpoints_and_metrics() {
    let test = Test::new().file("p/tick.yaml", &every_second("tick", "echo queue=7", ""));
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(5), || daemon
        .get("/metrics")
        .is_some_and(|(_, m)| m.contains("runner_check_status{playbook=\"tick\""))));
    let (code, body) = daemon.get("/healthz").unwrap();
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    let (_, metrics) = daemon.get("/metrics").unwrap();
    for family in [
        "runner_daemon_last_run_timestamp_seconds{playbook=\"tick\"}",
        "runner_daemon_last_success_timestamp_seconds{playbook=\"tick\"}",
        "runner_daemon_next_fire_timestamp_seconds{playbook=\"tick\"}",
        "runner_daemon_runs_total{playbook=\"tick\",status=\"ok\"}",
        "runner_daemon_missed_fires_total{playbook=\"tick\",reason=\"late\"} 0",
        "runner_daemon_clock_jumps_total{direction=\"forward\"} 0",
        // Renamed by the naming guide: one family per metric, its unit in the name.
        "runner_check_exit_code{playbook=\"tick\",phase=\"\",check=\"c\"} 0",
        "runner_check_success{playbook=\"tick\",phase=\"\",check=\"c\"} 1",
        "runner_build_info{version=",
        "process_resident_memory_bytes ",
    ] {
        assert!(metrics.contains(family), "{family} missing:\n{metrics}");
    }
    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut promtool = promtool.expect("promtool is installed");
    promtool.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let status: serde_json::Value = serde_json::from_str(&daemon.get("/status").unwrap().1).unwrap();
    assert_eq!(status["playbooks"][0]["name"], "tick");
    assert!(status["last_tick"].is_string());
    assert_eq!(daemon.get("/nope").unwrap().0, 404);
    assert_eq!(daemon.stop(), Some(0));
    // JSON logs, one object per line, in the log file.
    let log = std::fs::read_to_string(test.path("daemon.log")).unwrap();
    for line in log.lines().filter(|l| !l.is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(entry["target"].as_str().unwrap().starts_with("runner"));
    }
    assert!(log.contains("\"message\":\"daemon started\""));
}

#[test]
fn systemd_notify_ready_and_watchdog_from_the_loop() {
    let test = Test::new().file("p/tick.yaml", &every_second("tick", "true", ""));
    let socket_path = test.path("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut child = Command::new(runner_bin())
        .args(["daemon", "p"])
        .current_dir(test.root())
        .env("RUNNER_STATE", test.path(".state"))
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "2000000")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 256];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10)
        && seen.iter().filter(|m: &&String| m.as_str() == "WATCHDOG=1").count() < 3
    {
        if let Ok(n) = socket.recv(&mut buffer) {
            seen.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
        }
    }
    // SAFETY: our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    assert!(seen.contains(&"READY=1".to_string()), "{seen:?}");
    assert!(seen.iter().filter(|m| *m == "WATCHDOG=1").count() >= 3, "{seen:?}");
    if let Ok(n) = socket.recv(&mut buffer) {
        seen.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
    }
}

#[test]
fn sigterm_lets_runs_finish_within_the_grace_then_ends_them() {
    // A run may take longer than the period here (the default run timeout is the period).
    let slow = every_second("slow", "sleep 30.31", "")
        .replace("checks:", "timeout: 30s\nchecks:")
        .replace("command:", "timeout: 30s\n    command:");
    let test = Test::new().file("p/slow.yaml", &slow);
    let mut daemon = Daemon::start(&test, "p", &["--shutdown-grace", "1s"]);
    assert!(wait_until(Duration::from_secs(10), || daemon.query("SELECT count(*) FROM runs WHERE status = 'running'")
        == "1"));
    let stopping = Instant::now();
    assert_eq!(daemon.stop(), Some(0));
    assert!(stopping.elapsed() < Duration::from_secs(4), "took {:?}", stopping.elapsed());
    assert_eq!(daemon.query("SELECT count(*) FROM runs WHERE status = 'running'"), "0");
    assert_eq!(daemon.query("SELECT count(*) FROM runs WHERE interrupted = 1"), "1");
    // The sleep's process group went with it.
    std::thread::sleep(Duration::from_millis(200));
    let output = Command::new("pgrep").args(["-f", "^sleep 30.31$"]).output().unwrap();
    assert!(output.stdout.is_empty(), "the run's process outlived the daemon");
}
