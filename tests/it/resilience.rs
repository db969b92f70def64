//! A full or read-only state disk blinds nothing; a daemon says when it is blind. Real
//! tmpfs mounts stand for the state disk (the tests run as root; elsewhere they say why
//! they skip), real receivers take the notifications, real daemons serve `/healthz`.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, every_second, wait_until};
use crate::support::http::{Reply, Server};
use crate::support::tmpfs::Tmpfs;
use crate::support::{Test, runner_bin};

/// A playbook whose one check fails (CRITICAL), notifying `url`.
fn failing(name: &str, schedule: &str, url: &str) -> String {
    format!(
        "version: 1\nname: {name}\n{schedule}checks:\n  - id: down\n    command: {{shell: \"exit 2\"}}\nnotify:\n  - id: hook\n    webhook: {{url: \"{url}\"}}\n"
    )
}

/// runner in the background, its state in the test's `.state`, its stderr kept.
fn spawn(test: &Test, args: &[&str]) -> std::process::Child {
    Command::new(runner_bin())
        .args(args)
        .current_dir(test.root())
        .env("RUNNER_STATE", test.path(".state"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `/healthz` is 503 and says each of `words`; says what it answered when not.
fn assert_unhealthy(daemon: &Daemon, words: &[&str]) {
    let said = wait_until(Duration::from_secs(10), || {
        daemon.get("/healthz").is_some_and(|(code, body)| code == 503 && words.iter().all(|w| body.contains(w)))
    });
    assert!(said, "not 503 with {words:?}: {:?}", daemon.get("/healthz"));
}

/// Waits until `/healthz` is 200 (the daemon looks again at least every 15 s).
fn assert_healthy_again(daemon: &Daemon) {
    let healthy = wait_until(Duration::from_secs(20), || daemon.get("/healthz").is_some_and(|(code, _)| code == 200));
    assert!(healthy, "{:?}", daemon.get("/healthz"));
}

fn problems(receiver: &Server) -> usize {
    receiver.requests().iter().filter(|r| r.body.contains("\"kind\":\"problem\"")).count()
}

#[test]
fn a_full_state_disk_still_runs_reports_and_notifies_and_says_so() {
    let receiver = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &failing("full", "", &receiver.url("/hook")));
    let Some(disk) = Tmpfs::mount(&test.path(".state"), "512k") else { return };

    // Full before the store was ever created.
    disk.fill();
    let run = test.run_args(&["run", "p.yaml", "--format", "json"]);
    assert_eq!(run.code, 2, "the run's own status stands: {}", run.stderr);
    assert!(
        run.stderr.contains("the run could not be stored: ") && run.stderr.contains("no space left on device"),
        "{}",
        run.stderr
    );
    let record: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let notes = record["notes"].to_string();
    assert!(notes.contains("no space left on device"), "{notes}");
    assert_eq!(problems(&receiver), 1, "the notification is sent directly");

    // Full after the store was created: SQLite's own failure, in the OS's words.
    disk.free();
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 2);
    disk.fill();
    let run = test.run_args(&["run", "p.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no space left on device"), "{}", run.stderr);
    assert!(
        run.stdout.contains("note: the run could not be stored: ") && run.stdout.contains("no space left on device"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_read_only_state_disk_still_runs_and_says_so() {
    let test = Test::new().file(
        "p.yaml",
        "version: 1\nname: ro\nchecks:\n  - id: warn\n    severity: warning\n    command: {shell: \"exit 1\"}\n",
    );
    let Some(disk) = Tmpfs::mount(&test.path(".state"), "1m") else { return };
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 1);
    disk.remount("ro");
    let run = test.run_args(&["run", "p.yaml", "--format", "json"]);
    assert_eq!(run.code, 1, "the lock and the store are no reason to stop: {}", run.stderr);
    assert!(run.stderr.contains("read-only file system"), "{}", run.stderr);
    let record: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(record["notes"].to_string().contains("read-only file system"), "{}", record["notes"]);
}

#[test]
fn two_runs_on_a_read_only_state_disk_still_cannot_overlap() {
    let test = Test::new()
        .file("p.yaml", "version: 1\nname: slowro\nchecks:\n  - id: slow\n    command: {shell: \"sleep 3\"}\n");
    let Some(disk) = Tmpfs::mount(&test.path(".state"), "1m") else { return };
    // Never written: no lock file can be made, nor found.
    disk.remount("ro");
    let mut first = spawn(&test, &["run", "p.yaml"]);
    std::thread::sleep(Duration::from_millis(1000));
    let second = test.run_args(&["run", "p.yaml"]);
    assert_eq!(second.code, 75, "{}", second.stderr);
    assert_eq!(first.wait().unwrap().code(), Some(0));
}

#[test]
fn a_daemon_on_a_full_disk_is_unhealthy_then_stores_its_runs_once_without_sending_twice() {
    let receiver = Server::with(|_| Reply::status(200, "ok"));
    let schedule = "schedule: {cron: \"* * * * * *\", timezone: UTC}\n";
    let test = Test::new().file("p/full.yaml", &failing("full", schedule, &receiver.url("/hook")));
    let Some(disk) = Tmpfs::mount(&test.path(".state"), "1m") else { return };
    disk.fill();
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert_unhealthy(&daemon, &["the store cannot be written: ", "no space left on device"]);
    assert!(wait_until(Duration::from_secs(10), || problems(&receiver) == 1), "the problem is sent directly");
    std::thread::sleep(Duration::from_secs(2));
    let (_, metrics) = daemon.get("/metrics").unwrap();
    let failures: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("runner_store_write_failures_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no store failure metric:\n{metrics}"));
    assert!(failures >= 2, "{failures} failures");
    let freed = jiff::Timestamp::now().as_millisecond();
    disk.free();
    assert_healthy_again(&daemon);
    // Full again, now with the store open: SQLite's own failure, in the OS's words.
    disk.fill();
    assert_unhealthy(&daemon, &["no space left on device"]);
    disk.free();
    assert_healthy_again(&daemon);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(daemon.stop(), Some(0));
    // The runs of the blind spells are stored, with their own times, each once.
    let blind: i64 = daemon.query(&format!("SELECT count(*) FROM runs WHERE started_ms < {freed}")).parse().unwrap();
    assert!(blind >= 3, "{blind} runs from before the disk was freed");
    assert_eq!(daemon.query("SELECT count(*) - count(DISTINCT run_id) FROM runs"), "0");
    // The problem was sent once, and is in the outbox as delivered: not sent again.
    assert_eq!(problems(&receiver), 1);
    assert_eq!(daemon.query("SELECT count(*) FROM outbox WHERE kind = 'problem' AND delivered_ms IS NOT NULL"), "1");
    assert_eq!(daemon.query("SELECT count(*) FROM outbox WHERE delivered_ms IS NULL AND dropped IS NULL"), "0");
}

#[test]
fn a_daemon_on_a_read_only_disk_is_unhealthy_until_it_takes_writes_again() {
    let test = Test::new().file("p/ro.yaml", &every_second("ro", "true", ""));
    let Some(disk) = Tmpfs::mount(&test.path(".state"), "1m") else { return };
    assert_eq!(test.run_args(&["run", "p/ro.yaml"]).code, 0);
    disk.remount("ro");
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert_unhealthy(&daemon, &["read-only file system"]);
    std::thread::sleep(Duration::from_secs(2));
    let writable = jiff::Timestamp::now().as_millisecond();
    disk.remount("rw");
    assert_healthy_again(&daemon);
    assert_eq!(daemon.stop(), Some(0));
    let kept: i64 = daemon
        .query(&format!("SELECT count(*) FROM runs WHERE origin = 'daemon' AND started_ms < {writable}"))
        .parse()
        .unwrap();
    assert!(kept >= 2, "{kept} runs of the read-only spell stored");
}

#[test]
fn a_daemon_with_nothing_to_watch_is_unhealthy_and_says_why() {
    let test = Test::new().file("empty/README", "no playbooks here\n");
    let mut daemon = Daemon::start(&test, "empty", &[]);
    assert_unhealthy(&daemon, &["nothing to watch: no playbook file (*.yaml, *.yml) in empty"]);
    // Something to watch arrives: healthy (files are looked for at least every 15 s).
    std::fs::write(test.path("empty/tick.yaml"), every_second("tick", "true", "")).unwrap();
    assert_healthy_again(&daemon);
    assert_eq!(daemon.stop(), Some(0));
    let log = std::fs::read_to_string(test.path("daemon.log")).unwrap();
    assert!(log.contains("nothing to watch"), "{log}");

    let test = Test::new().file("bad/x.yaml", "version: 1\nname: x\nchecks: [{id: c, timout: 1s}]\n");
    let mut daemon = Daemon::start(&test, "bad", &[]);
    assert_unhealthy(&daemon, &["nothing to watch: no valid playbook (1 invalid)"]);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_daemon_given_a_path_that_does_not_exist_exits_74() {
    let test = Test::new();
    let mut child = spawn(&test, &["daemon", "nowhere"]);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere"));
}

#[test]
fn a_restarted_daemon_remembers_each_playbooks_last_run_and_its_series() {
    let weekly = "version: 1\nname: weekly\nschedule: {cron: \"0 3 * * 0\", timezone: UTC}\nchecks:\n  - id: c\n    command: {shell: 'echo queue=7'}\n";
    let test = Test::new().file("p/weekly.yaml", weekly);
    assert_eq!(test.run_args(&["run", "p/weekly.yaml"]).code, 0);
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(5), || daemon.get("/status").is_some_and(|(_, s)| s.contains("weekly"))));
    let status: serde_json::Value = serde_json::from_str(&daemon.get("/status").unwrap().1).unwrap();
    let playbook = &status["playbooks"][0];
    assert_eq!(playbook["name"], "weekly");
    assert_eq!(playbook["last_status"], "ok", "{playbook}");
    assert!(playbook["last_run"].is_string() && playbook["last_success"] == playbook["last_run"], "{playbook}");
    let (_, metrics) = daemon.get("/metrics").unwrap();
    for series in [
        "runner_daemon_last_success_timestamp_seconds{playbook=\"weekly\"}",
        "runner_check_status{playbook=\"weekly\",phase=\"\",check=\"c\",status=\"ok\"} 1",
        "runner_check_success{playbook=\"weekly\",phase=\"\",check=\"c\"} 1",
        "runner_check_exit_code{playbook=\"weekly\",phase=\"\",check=\"c\"} 0",
    ] {
        assert!(metrics.contains(series), "{series} missing:\n{metrics}");
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_restarted_daemon_names_and_scales_a_plugins_metrics_as_before() {
    // Units a plugin gives (`0.5%`, `1KB`) are not in the metric's name: the store keeps
    // them with the series, or a restart would start series of another name and scale.
    let plugin = "version: 1\nname: plugged\nschedule: {cron: \"0 3 * * 0\", timezone: UTC}\nchecks:\n  - id: c\n    command: {shell: 'echo \"OK | ratio=0.5% y=1KB\"', nagios: true}\n";
    let test = Test::new().file("p/plugged.yaml", plugin);
    let expected = [
        "runner_metric_ratio_ratio{playbook=\"plugged\",phase=\"\",check=\"c\"} 0.005",
        "runner_metric_y_bytes{playbook=\"plugged\",phase=\"\",check=\"c\"} 1024",
    ];
    let ran = test.run_args(&["run", "--format", "prometheus", "p/plugged.yaml"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for series in expected {
        assert!(ran.stdout.contains(series), "{series} missing from the run:\n{}", ran.stdout);
    }
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(5), || daemon.get("/status").is_some_and(|(_, s)| s.contains("plugged"))));
    let (_, metrics) = daemon.get("/metrics").unwrap();
    for series in expected {
        assert!(metrics.contains(series), "{series} missing after the restart:\n{metrics}");
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn the_state_folder_is_private_and_an_open_one_is_named() {
    let test =
        Test::new().file("p.yaml", "version: 1\nname: private\nchecks:\n  - id: ok\n    command: {shell: \"true\"}\n");
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    let mode = |name: &str| std::fs::metadata(test.path(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(".state"), 0o700);
    assert_eq!(mode(".state/runner.db"), 0o600);
    let open = test.path("open-state");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = test.run_args(&["--state", open.to_str().unwrap(), "run", "p.yaml"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains(&format!("the state folder {} is open to others", open.display())), "{}", run.stderr);
    let db_mode = std::fs::metadata(open.join("runner.db")).unwrap().permissions().mode() & 0o777;
    assert_eq!(db_mode, 0o600);
}

#[test]
fn a_database_file_open_to_others_is_made_private_and_named_once() {
    let test =
        Test::new().file("p.yaml", "version: 1\nname: shared\nchecks:\n  - id: ok\n    command: {shell: \"true\"}\n");
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    let db = test.path(".state/runner.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = test.run_args(&["run", "p.yaml"]);
    assert_eq!(run.code, 0);
    let warning = format!("the database file {} was open to others (mode 644); it is now 0600", db.display());
    assert_eq!(run.stderr.matches(&warning).count(), 1, "{}", run.stderr);
    assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    let again = test.run_args(&["run", "p.yaml"]);
    assert!(!again.stderr.contains("open to others"), "{}", again.stderr);
}
