//! Test support: a CLI test builder in the spirit of just's `Test` (files in, args, stdin
//! and environment; expected stdout, stderr and exit status out, shown as a diff when they
//! differ), and helpers that start real servers on 127.0.0.1.

#![allow(dead_code, reason = "each test module uses a part of the support, none uses all of it")]

pub mod checks;
pub mod http;
pub mod mount;
pub mod nats;
pub mod one_check;
pub mod redis;
pub mod server;
pub mod tmpfs;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The runner binary under test.
pub fn runner_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("runner")
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `runner ARGS` in `test`'s folder with its state (`.state`) and nothing else of the
/// caller's environment but `PATH`, its clock started at `clock` when given
/// (`RUNNER_TEST_CLOCK`), plus `env`. A panic in runner fails the test.
pub fn runner_at(test: &Test, clock: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(runner_bin());
    command
        .args(args)
        .current_dir(test.root())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", test.root())
        .env("RUNNER_STATE", test.path(".state"))
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    if let Some(clock) = clock {
        command.env("RUNNER_TEST_CLOCK", clock);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = command.output().unwrap();
    let output = Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    output
}

/// A CLI test: a temporary folder with files, a command line, an environment.
pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    stdin: Option<String>,
    expected: Expected,
}

/// What a test expects of a run; `None` is "anything".
#[derive(Clone, Default)]
struct Expected {
    stdout: Option<String>,
    stderr: Option<String>,
    status: Option<i32>,
}

impl Expected {
    fn is_set(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some() || self.status.is_some()
    }

    /// Panics with every difference at once: a diff per stream, the status, and the
    /// streams in full when only the status is off.
    fn assert_met_by(&self, output: &Output) {
        let mut failures = Vec::new();
        for (name, expected, actual) in
            [("stdout", &self.stdout, &output.stdout), ("stderr", &self.stderr, &output.stderr)]
        {
            if let Some(expected) = expected.as_deref().filter(|expected| expected != actual) {
                failures.push(format!("{name} differs (- expected, + actual):\n{}", diff(expected, actual)));
            }
        }
        if let Some(status) = self.status.filter(|status| *status != output.code) {
            failures.push(format!(
                "exit status {} (expected {status})\n--- stdout\n{}\n--- stderr\n{}",
                output.code, output.stdout, output.stderr
            ));
        }
        if self.is_set() && output.stderr.contains("panicked") {
            failures.push(format!("the binary panicked:\n{}", output.stderr));
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}

/// A line diff of two texts, with a visible mark where a final newline is missing.
fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .to_string()
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().expect("tempdir"),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            stdin: None,
            expected: Expected::default(),
        }
    }

    /// Writes a file under the test folder (creating parent folders).
    pub fn file(self, name: &str, contents: &str) -> Self {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn bytes(self, name: &str, contents: &[u8]) -> Self {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Feeds this text to the binary's standard input (otherwise it reads nothing).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// `run` asserts that standard output is exactly this.
    pub fn expect_stdout(mut self, text: &str) -> Self {
        self.expected.stdout = Some(text.into());
        self
    }

    /// `run` asserts that standard error is exactly this.
    pub fn expect_stderr(mut self, text: &str) -> Self {
        self.expected.stderr = Some(text.into());
        self
    }

    /// `run` asserts that the binary exits with this status.
    pub fn expect_status(mut self, code: i32) -> Self {
        self.expected.status = Some(code);
        self
    }

    /// Runs in this folder instead of the test folder.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the binary with a clean environment (PATH and HOME only, state in the test
    /// folder, no colour) plus the test's variables, and asserts what the test expects
    /// (with none set, it asserts nothing).
    pub fn run(&self) -> Output {
        let output = self.execute();
        self.expected.assert_met_by(&output);
        output
    }

    fn execute(&self) -> Output {
        let mut command = Command::new(runner_bin());
        command
            .args(&self.args)
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("RUNNER_STATE", self.dir.path().join(".state"))
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let started = Instant::now();
        let mut child = command.spawn().expect("runner starts");
        if let Some(text) = &self.stdin {
            // Written from a thread: a child that answers before reading all of its input
            // must not block on a full stdout pipe while we block on its stdin.
            let mut stdin = child.stdin.take().expect("piped stdin");
            let text = text.clone();
            std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        }
        let output = child.wait_with_output().expect("runner runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    /// Runs with these arguments instead of the builder's (to run one setup several
    /// times).
    pub fn run_args(&self, args: &[&str]) -> Output {
        let mut copy = Test {
            dir: tempfile::tempdir().unwrap(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: self.env.clone(),
            cwd: Some(self.cwd.clone().unwrap_or_else(|| self.dir.path().to_path_buf())),
            stdin: None,
            expected: Expected::default(),
        };
        // Keep the original folder's state: HOME and RUNNER_STATE point into it (unless
        // the test set them).
        let has = |key: &str| self.env.iter().any(|(k, _)| k == key);
        if !has("HOME") {
            copy.env.insert(0, ("HOME".into(), self.dir.path().display().to_string()));
        }
        if !has("RUNNER_STATE") {
            let state = self.dir.path().join(".state").display().to_string();
            copy.env.insert(0, ("RUNNER_STATE".into(), state));
        }
        copy.run()
    }

    /// Starts the binary in the background with these arguments, in the test folder, with
    /// its state there and the test's variables (output discarded).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        Command::new(runner_bin())
            .args(args)
            .current_dir(self.root())
            .env("RUNNER_STATE", self.path(".state"))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runner starts")
    }

    /// Runs SQL on the test's store (`.state/runner.db`) with the sqlite3 tool: one line
    /// per row, columns separated by `|`.
    pub fn sql(&self, query: &str) -> String {
        let output = Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(self.path(".state/runner.db"))
            .arg(query)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Runs and asserts the exit code, returning the output.
    pub fn expect_code(&self, code: i32) -> Output {
        let output = self.run();
        assert_eq!(
            output.code, code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            output.code, output.stdout, output.stderr
        );
        assert!(!output.stderr.contains("panicked"), "panic:\n{}", output.stderr);
        output
    }
}

/// The builder's own promises: a mismatch fails with a diff of it; and what it feeds
/// to stdin does not reach the checks of a run.
mod builder {
    use super::Test;

    const VALID: &str = "version: 1\nname: ok\nchecks:\n  - id: a\n    manual: {instructions: x}\n";

    /// The message of the panic `run` raises.
    fn failure_of(test: Test) -> String {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.run())).expect_err("run fails");
        panic.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_differing_stdout_fails_with_a_line_diff_of_it() {
        let test = Test::new()
            .file("p.yaml", VALID)
            .args(["validate", "p.yaml"])
            .expect_stdout("1 file checked: 9 valid, 0 invalid (0 errors, 0 warnings)\n")
            .expect_status(0);
        let message = failure_of(test);
        assert!(message.starts_with("stdout differs (- expected, + actual):\n"), "{message}");
        assert!(message.contains("\n-1 file checked: 9 valid,"), "{message}");
        assert!(message.contains("\n+1 file checked: 1 valid,"), "{message}");
        assert!(!message.contains("exit status"), "{message}");
    }

    #[test]
    fn a_wrong_status_fails_with_both_streams() {
        let test = Test::new().args(["validate", "--no-such-flag"]).expect_status(0);
        let message = failure_of(test);
        assert!(message.starts_with("exit status 64 (expected 0)\n--- stdout\n\n--- stderr\n"), "{message}");
        assert!(message.contains("unexpected argument '--no-such-flag'"), "{message}");
    }

    /// Checks get no stdin: a `cat` check sees nothing of what runner was given, and
    /// does not hang waiting for it.
    #[test]
    fn checks_do_not_read_the_stdin_runner_is_given() {
        let playbook = "version: 1\nname: stdin\nchecks:\n  - id: reads\n    command:\n      shell: cat\n      expect:\n        stdout_contains: hello\n";
        let output = Test::new()
            .file("p.yaml", playbook)
            .args(["run", "--no-store", "p.yaml"])
            .stdin("hello\n")
            .expect_status(2)
            .run();
        assert!(output.stdout.contains("stdout does not contain \"hello\""), "{}", output.stdout);
    }
}

/// Held by the tests that judge a daemon's timing in real time for a minute (every fire a
/// run, none late): two of them at once on a 2-core machine starve each other's fires,
/// which says nothing about either. The other tests still run beside them.
pub fn one_realtime_test_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static REALTIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    REALTIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
