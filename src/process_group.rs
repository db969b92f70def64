//! Running a command with a hard time limit: its own process group, bounded capture of
//! stdout and stderr, and the whole group killed on timeout or cancellation.
//!
//! Why a process group: `sh -c "…"` forks grandchildren that keep the output pipes open;
//! killing only the direct child (what `kill_on_drop` and duct do) leaves them running and
//! the reader waiting. The command is spawned with `process_group(0)`, so its pgid is its
//! pid, and `killpg` reaches every descendant that did not deliberately leave the group.
//!
//! Why only on timeout or cancellation: an action that starts a daemon on purpose
//! (`nohup server &`, `pm2 restart`) must leave it running when it exits normally.
//!
//! Why a record: a runner killed with `kill -9` cannot end its groups. With an [`Owner`],
//! a group is recorded (playbook, pgid, the leader's start time) when its command starts
//! and forgotten when its leader exits, normally or at its timeout; what is still
//! recorded at the next start belonged to an interrupted run, and [`reap_orphans`] ends
//! it, after checking the leader's start time so that a recycled pid is never hit.
//!
//! This module owns process lifetime and capture, for checks (`command`, `service`) and
//! the engine's actions alike. It does not decide what an exit code means.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// How much of each stream is kept; the rest is read and counted, so the child never
/// blocks on a full pipe.
pub const CAPTURE_LIMIT: usize = 64 * 1024;

/// Between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(500);

/// After the command exits, how long its output may still arrive before capture stops
/// (a background process it started may hold the pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// What to run.
#[derive(Clone, Debug)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

impl CommandSpec {
    /// `sh -c line`.
    pub fn shell(line: &str, cwd: PathBuf) -> Self {
        CommandSpec { program: "sh".into(), args: vec!["-c".into(), line.into()], cwd, env: Vec::new() }
    }

    /// The command line for people.
    pub fn display(&self) -> String {
        if self.program == "sh" && self.args.len() == 2 && self.args[0] == "-c" {
            return self.args[1].clone();
        }
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(|a| if a.contains(' ') || a.is_empty() { format!("'{a}'") } else { a.to_string() })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The first [`CAPTURE_LIMIT`] bytes of a stream, and how many there were in all.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub total: u64,
}

impl Captured {
    /// The kept text (lossy UTF-8), with a note when output was cut.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.total > self.bytes.len() as u64 {
            // The cut may fall inside a secret: the part kept would slip past the scrubber.
            text = crate::secret::mask_cut_end(&text).into_owned();
            text.push_str(&format!("\n… ({} more bytes not kept)", self.total - self.bytes.len() as u64));
        }
        text
    }
}

/// How a command ended.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The exit code, when it exited (not killed by a signal).
    pub exit_code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
    /// It ran past its time limit and its process group was killed.
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Finished {
    /// stdout then stderr, for details.
    pub fn combined_output(&self) -> String {
        let mut out = self.stdout.text();
        let err = self.stderr.text();
        if !err.trim().is_empty() {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&err);
        }
        out
    }
}

/// A process group as recorded while its leader runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    pub playbook: String,
    pub pgid: i32,
    /// The leader's start time, in clock ticks after boot (`/proc/PID/stat` field 22).
    pub leader_start: u64,
    /// The command line, for the log when it is reaped (scrubbed).
    pub command: String,
}

/// Where process groups are recorded (the store); this host's records only.
pub trait GroupJournal: Send + Sync {
    fn group_started(&self, group: &GroupRecord);
    fn group_ended(&self, playbook: &str, pgid: i32);
    /// The groups still recorded for a playbook.
    fn recorded_groups(&self, playbook: &str) -> Vec<GroupRecord>;
}

/// Who the commands run for: their groups are recorded under this playbook.
#[derive(Clone)]
pub struct Owner {
    pub journal: Arc<dyn GroupJournal>,
    pub playbook: String,
}

impl Owner {
    fn forget(&self, pgid: i32) {
        self.journal.group_ended(&self.playbook, pgid);
    }
}

/// Kills the process group when dropped, unless disarmed: a run that is cancelled (the
/// playbook's timeout, Ctrl-C) drops its futures, and this is what ends their processes
/// (and then forgets their record).
struct GroupGuard {
    pgid: i32,
    armed: bool,
    owner: Option<Owner>,
}

impl GroupGuard {
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            signal_group(self.pgid, libc::SIGTERM);
            let pgid = self.pgid;
            let due = Instant::now() + KILL_GRACE;
            let owner = self.owner.take();
            PENDING_KILLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((pgid, due, owner.clone()));
            // Drop cannot wait; a short-lived thread finishes the job while the process
            // lives on, and `finish_pending_kills` when it is about to exit.
            std::thread::spawn(move || {
                std::thread::sleep(KILL_GRACE);
                signal_group(pgid, libc::SIGKILL);
                if let Some(owner) = owner {
                    owner.forget(pgid);
                }
            });
        }
    }
}

/// Groups sent SIGTERM by a dropped guard, with the time their SIGKILL is due and whose
/// record to forget then.
type PendingKill = (i32, Instant, Option<Owner>);
static PENDING_KILLS: Mutex<Vec<PendingKill>> = Mutex::new(Vec::new());

/// Before the process exits: waits out the grace of every group that was sent SIGTERM
/// and SIGKILLs what is left. Without it, a `runner run` ended by its timeout could exit
/// before the killing thread wakes, and a command that ignores SIGTERM would outlive it.
pub fn finish_pending_kills() {
    let pending = std::mem::take(&mut *PENDING_KILLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    for (pgid, due, owner) in pending {
        if group_exists(pgid) {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            signal_group(pgid, libc::SIGKILL);
        }
        if let Some(owner) = owner {
            owner.forget(pgid);
        }
    }
}

/// The start time of process `pid` in clock ticks after boot (`/proc/PID/stat` field
/// 22), or `None` when there is no such process.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// A group ended at the start of a run because an interrupted run left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaped {
    pub group: GroupRecord,
    /// It was still running and was killed (else its leader was gone or its pid reused,
    /// and only the record was dropped).
    pub killed: bool,
}

/// Ends the process groups still recorded for `playbook`: they belong to a run that was
/// interrupted (the caller holds the playbook's lock, so no run of it is live). A group
/// is killed (SIGTERM, [`KILL_GRACE`], SIGKILL) only when its leader still runs with the
/// recorded start time; a recycled pid is left alone. Every record is forgotten.
/// Blocking (it waits out the grace): call it off the async runtime.
pub fn reap_orphans(journal: &dyn GroupJournal, playbook: &str) -> Vec<Reaped> {
    let mut reaped = Vec::new();
    for group in journal.recorded_groups(playbook) {
        let killed = start_time(group.pgid) == Some(group.leader_start);
        if killed {
            signal_group(group.pgid, libc::SIGTERM);
            let due = Instant::now() + KILL_GRACE;
            while group_exists(group.pgid) && Instant::now() < due {
                std::thread::sleep(Duration::from_millis(20));
            }
            signal_group(group.pgid, libc::SIGKILL);
        }
        tracing::warn!(
            target: "runner::process",
            playbook,
            pgid = group.pgid,
            command = %group.command,
            killed,
            "a process group left by an interrupted run"
        );
        journal.group_ended(playbook, group.pgid);
        reaped.push(Reaped { group, killed });
    }
    reaped
}

fn group_exists(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists and may be signalled.
    pgid > 0 && unsafe { libc::killpg(pgid, 0) } == 0
}

fn signal_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: killpg only sends a signal; a stale pgid at worst returns ESRCH.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// Runs `spec` for at most `limit`. `Err` only when it could not be started.
pub async fn run(spec: &CommandSpec, limit: Duration) -> std::io::Result<Finished> {
    run_owned(spec, limit, None).await
}

/// [`run`], with the process group recorded for `owner` while its leader runs.
pub async fn run_owned(spec: &CommandSpec, limit: Duration, owner: Option<&Owner>) -> std::io::Result<Finished> {
    let started = Instant::now();
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    let pgid = child.id().map(|id| id as i32).unwrap_or(0);
    let owner = owner.filter(|_| pgid > 0).cloned();
    // The guard first: a run cancelled while the record is written still ends the group.
    let mut guard = GroupGuard { pgid, armed: true, owner: owner.clone() };
    if let Some(owner) = &owner {
        record_start(owner, pgid, spec).await;
    }

    let stdout = Arc::new(Mutex::new(Captured::default()));
    let stderr = Arc::new(Mutex::new(Captured::default()));
    let mut readers = Vec::new();
    if let Some(pipe) = child.stdout.take() {
        readers.push(tokio::spawn(capture(pipe, stdout.clone())));
    }
    if let Some(pipe) = child.stderr.take() {
        readers.push(tokio::spawn(capture(pipe, stderr.clone())));
    }

    let (status, timed_out) = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => {
            // A normal exit: what it started in the background stays.
            guard.disarm();
            (status.ok(), false)
        }
        Err(_) => {
            signal_group(pgid, libc::SIGTERM);
            let status = match tokio::time::timeout(KILL_GRACE, child.wait()).await {
                Ok(status) => {
                    // The leader left; its group may not have. Finish them.
                    signal_group(pgid, libc::SIGKILL);
                    status.ok()
                }
                Err(_) => {
                    signal_group(pgid, libc::SIGKILL);
                    child.wait().await.ok()
                }
            };
            guard.disarm();
            (status, true)
        }
    };
    // The leader is gone (and, at a timeout, its group): nothing left to reap.
    if let Some(owner) = owner {
        let _ = tokio::task::spawn_blocking(move || owner.forget(pgid)).await;
    }

    // Output still in the pipes arrives quickly; a pipe held open by a background
    // process (or one that left the group) does not, and is abandoned.
    let deadline = tokio::time::Instant::now() + DRAIN_GRACE;
    for reader in readers {
        let abort = reader.abort_handle();
        if tokio::time::timeout_at(deadline, reader).await.is_err() {
            abort.abort();
        }
    }

    use std::os::unix::process::ExitStatusExt;
    let take = |c: &Arc<Mutex<Captured>>| c.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(Finished {
        exit_code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        stdout: take(&stdout),
        stderr: take(&stderr),
        timed_out,
        elapsed: started.elapsed(),
    })
}

/// Records a group that just started (its leader's start time read from /proc).
async fn record_start(owner: &Owner, pgid: i32, spec: &CommandSpec) {
    let Some(leader_start) = start_time(pgid) else { return };
    let group = GroupRecord {
        playbook: owner.playbook.clone(),
        pgid,
        leader_start,
        command: crate::secret::scrub_owned(spec.display()).chars().take(200).collect(),
    };
    let journal = owner.journal.clone();
    let _ = tokio::task::spawn_blocking(move || journal.group_started(&group)).await;
}

/// Reads a pipe to its end, keeping the first [`CAPTURE_LIMIT`] bytes.
async fn capture(mut pipe: impl tokio::io::AsyncRead + Unpin, into: Arc<Mutex<Captured>>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut captured) = into.lock() {
                    captured.total += n as u64;
                    let room = CAPTURE_LIMIT.saturating_sub(captured.bytes.len());
                    let keep = room.min(n);
                    captured.bytes.extend_from_slice(&buffer[..keep]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(line: &str) -> CommandSpec {
        CommandSpec::shell(line, std::env::temp_dir())
    }

    #[tokio::test]
    async fn captures_output_and_exit_code() {
        let done = run(&sh("echo out; echo err >&2; exit 3"), Duration::from_secs(5)).await.unwrap();
        assert_eq!(done.exit_code, Some(3));
        assert_eq!(done.stdout.text(), "out\n");
        assert_eq!(done.stderr.text(), "err\n");
        assert!(!done.timed_out);
    }

    #[tokio::test]
    async fn keeps_64_kib_and_counts_the_rest() {
        let done = run(&sh("head -c 10000000 /dev/zero"), Duration::from_secs(10)).await.unwrap();
        assert_eq!(done.stdout.bytes.len(), CAPTURE_LIMIT);
        assert_eq!(done.stdout.total, 10_000_000);
        assert!(done.stdout.text().contains("more bytes not kept"));
    }

    #[test]
    fn start_time_reads_field_22_after_the_command_name() {
        let own = std::process::id() as i32;
        let first = start_time(own).expect("this process has a start time");
        assert_eq!(start_time(own), Some(first), "it does not change");
        assert_eq!(start_time(i32::MAX), None, "no such process");
    }

    #[tokio::test]
    async fn timeout_kills_a_group_that_ignores_sigterm() {
        // The shell and its grandchildren ignore SIGTERM and keep stdout open.
        let line = "trap '' TERM; (sleep 30; echo late) & sleep 30 & sleep 30; wait";
        let started = Instant::now();
        let done = run(&sh(line), Duration::from_millis(500)).await.unwrap();
        let elapsed = started.elapsed();
        assert!(done.timed_out);
        assert!(elapsed < Duration::from_millis(500) + Duration::from_secs(1), "took {elapsed:?}");
        assert_eq!(done.signal, Some(libc::SIGKILL));
    }
}
