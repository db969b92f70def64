//! No orphans, against real processes: the process groups of a run killed with `kill -9`
//! are ended at the next start of its playbook or of the daemon, after their leader's
//! start time is matched (a recycled pid is never hit); what an action started in the
//! background on purpose survives; SIGINT and SIGTERM record the run as interrupted at
//! once.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::daemon::{Daemon, wait_until};
use crate::support::Test;

const HOST: &str = "orphans-test-host";

/// The live (not zombie) processes of a process group.
fn members(pgid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(close) = stat.rfind(')') else { continue };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            found.push(pid);
        }
    }
    found
}

/// Is this process alive (and not a zombie)?
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rfind(')').map(|close| stat[close + 1..].split_whitespace().next() != Some("Z")))
        .unwrap_or(false)
}

/// The leader start time as the kernel says (`/proc/PID/stat` field 22).
fn start_time(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat[stat.rfind(')').unwrap() + 1..].split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// Kills what a test started when it ends, whatever its assertions did.
struct Cleanup(Vec<i32>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pgid in &self.0 {
            // SAFETY: signalling process groups this test started.
            unsafe { libc::killpg(*pgid, libc::SIGKILL) };
        }
    }
}

/// Waits for a file holding a pid, written by a command the run started.
fn pid_in(test: &Test, file: &str) -> i32 {
    let path = test.path(file);
    let read = || std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<i32>().ok());
    assert!(wait_until(Duration::from_secs(20), || read().is_some()), "{file} was never written");
    read().unwrap()
}

/// An action that leaves a process running on purpose, then a check whose shell and two
/// sleeps run for five minutes. With a file `second`, both do nothing.
const ORPHANS: &str = r#"version: 1
name: orphans
phases:
  - id: start
    actions:
      - shell: 'test -f second || { nohup sleep 300 >/dev/null 2>&1 & echo $! > background.pid; }'
    checks:
      - id: long
        command: {shell: 'test -f second && exit 0; echo $$ > check.pgid; sleep 300 & sleep 300'}
        timeout: 10m
"#;

#[test]
fn the_groups_of_a_run_killed_with_kill_9_are_ended_at_the_next_start_and_a_background_action_survives() {
    let test = Test::new().file("p.yaml", ORPHANS).env("RUNNER_HOST_ID", HOST);
    let mut run = test.spawn(&["run", "p.yaml"]);
    let background = pid_in(&test, "background.pid");
    let pgid = pid_in(&test, "check.pgid");
    let _cleanup = Cleanup(vec![pgid, background]);
    assert!(wait_until(Duration::from_secs(10), || members(pgid).len() == 3), "{:?}", members(pgid));
    // The action's leader exited normally: its group is forgotten; the check's is recorded.
    let recorded = format!("orphans|{pgid}|{}", start_time(pgid));
    let groups = || test.sql("SELECT playbook, pgid, leader_start FROM process_groups");
    assert!(wait_until(Duration::from_secs(5), || groups() == recorded), "{}", groups());
    run.kill().unwrap();
    let _ = run.wait();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(members(pgid).len(), 3, "kill -9 of runner leaves its check's processes behind");

    std::fs::write(test.path("second"), "").unwrap();
    let output = test.run_args(&["run", "-v", "p.yaml"]);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    assert!(wait_until(Duration::from_secs(2), || members(pgid).is_empty()), "left running: {:?}", members(pgid));
    assert!(output.stderr.contains("a process group left by an interrupted run"), "{}", output.stderr);
    assert!(alive(background), "what the action started on purpose survives");
    assert_eq!(test.sql("SELECT count(*) FROM process_groups"), "0");
    assert_eq!(test.sql("SELECT count(*) FROM runs WHERE interrupted = 1"), "1");
}

/// A `sleep 300` in a process group of its own, started by the test.
fn sleeper() -> Child {
    Command::new("sleep").arg("300").process_group(0).stdout(Stdio::null()).spawn().unwrap()
}

/// Records `child`'s group for `playbook` as if a run had started it, with this leader
/// start time.
fn record_group(test: &Test, playbook: &str, child: &Child, leader_start: u64) {
    test.sql(&format!(
        "INSERT INTO process_groups (playbook, pgid, leader_start, host_id, command, started_ms)
             VALUES ('{playbook}', {}, {leader_start}, '{HOST}', 'sleep 300', 0)",
        child.id()
    ));
}

fn exited(child: &mut Child) -> bool {
    wait_until(Duration::from_secs(3), || child.try_wait().unwrap().is_some())
}

#[test]
fn a_recorded_group_is_killed_only_when_its_leader_start_time_matches() {
    let test = Test::new()
        .file("p.yaml", "version: 1\nname: orphans\nchecks:\n  - id: ok\n    command: {shell: 'true'}\n")
        .env("RUNNER_HOST_ID", HOST);
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    let mut recycled = sleeper();
    let mut left = sleeper();
    let _cleanup = Cleanup(vec![recycled.id() as i32, left.id() as i32]);
    // The same pid, but started at another time: the pid was reused by someone else.
    record_group(&test, "orphans", &recycled, start_time(recycled.id() as i32) - 1);
    record_group(&test, "orphans", &left, start_time(left.id() as i32));
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(exited(&mut left), "the group left by an interrupted run is ended");
    assert!(recycled.try_wait().unwrap().is_none(), "a recycled pid is never hit");
    assert_eq!(test.sql("SELECT count(*) FROM process_groups"), "0", "both records are forgotten");
}

#[test]
fn the_daemon_ends_the_groups_left_by_any_playbook_at_its_start() {
    let test = Test::new()
        .file("daemon/hourly.yaml", "version: 1\nname: hourly\nschedule: {cron: '0 * * * *', timezone: UTC}\nchecks:\n  - id: ok\n    command: {shell: 'true'}\n")
        .file("p.yaml", "version: 1\nname: elsewhere\nchecks:\n  - id: ok\n    command: {shell: 'true'}\n");
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    let mut left = sleeper();
    let _cleanup = Cleanup(vec![left.id() as i32]);
    record_group(&test, "elsewhere", &left, start_time(left.id() as i32));
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("RUNNER_HOST_ID", HOST)]);
    assert!(exited(&mut left), "the daemon ended the group of a playbook it does not schedule");
    daemon.stop();
    assert_eq!(test.sql("SELECT count(*) FROM process_groups"), "0");
}

#[test]
fn sigint_and_sigterm_record_the_run_as_interrupted_at_once() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let test = Test::new().file(
            "p.yaml",
            "version: 1\nname: stopped\nchecks:\n  - id: long\n    command: {shell: 'echo $$ > check.pgid; sleep 300 & sleep 300'}\n    timeout: 10m\n",
        );
        let mut run = test.spawn(&["run", "p.yaml"]);
        let pgid = pid_in(&test, "check.pgid");
        let _cleanup = Cleanup(vec![pgid]);
        assert!(wait_until(Duration::from_secs(5), || test.sql("SELECT count(*) FROM process_groups") == "1"));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(run.id() as i32, signal) };
        assert_eq!(run.wait().unwrap().code(), Some(code));
        assert_eq!(test.sql("SELECT status, interrupted FROM runs"), "unknown|1", "signal {signal}");
        assert!(members(pgid).is_empty(), "signal {signal}: its processes are ended: {:?}", members(pgid));
        assert_eq!(test.sql("SELECT count(*) FROM process_groups"), "0", "signal {signal}");
    }
}
