//! Test support: a CLI test builder in the spirit of just's `Test` (files in, args and
//! environment, expected stdout/stderr/exit code out), and helpers that start real
//! servers on 127.0.0.1.

#![allow(dead_code)]

pub mod http;
pub mod mount;
pub mod redis;
pub mod tmpfs;

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

/// A CLI test: a temporary folder with files, a command line, an environment.
pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    stdin: Option<String>,
}

impl Test {
    pub fn new() -> Self {
        Test { dir: tempfile::tempdir().expect("tempdir"), args: Vec::new(), env: Vec::new(), cwd: None, stdin: None }
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
    /// folder, no colour) plus the test's variables.
    pub fn run(&self) -> Output {
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
        let output = command.output().expect("runner runs");
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
        let output = Command::new("sqlite3").arg(self.path(".state/runner.db")).arg(query).output().unwrap();
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
