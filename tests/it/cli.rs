//! The command surface: exit codes, formats and flags of `validate` and `list`.

use crate::support::Test;

const VALID: &str = "version: 1\nname: ok\nchecks:\n  - id: a\n    manual: {instructions: x}\n";

#[test]
fn usage_errors_exit_64_not_2() {
    Test::new()
        .args(["validate", "--no-such-flag"])
        .expect_stdout("")
        .expect_stderr(
            "error: unexpected argument '--no-such-flag' found

  tip: to pass '--no-such-flag' as a value, use '-- --no-such-flag'

Usage: runner validate [OPTIONS] [PATH]...

For more information, try '--help'.
",
        )
        .expect_status(64)
        .run();
    Test::new().args(["frobnicate"]).expect_status(64).run();
    Test::new().args(["run"]).expect_status(64).run();
    Test::new().args(["--help"]).expect_status(0).run();
    Test::new().args(["--version"]).expect_status(0).run();
}

#[test]
fn validate_defaults_to_playbooks_folder() {
    Test::new()
        .file("playbooks/a.yaml", VALID)
        .args(["validate"])
        .expect_stdout("1 file checked: 1 valid, 0 invalid (0 errors, 0 warnings)\n")
        .expect_status(0)
        .run();
    Test::new()
        .args(["validate"])
        .expect_stdout(
            "error: cannot read playbooks: No such file or directory (os error 2)
0 files checked: 0 valid, 0 invalid (0 errors, 0 warnings)
",
        )
        .expect_status(74)
        .run();
}

#[test]
fn validate_reports_every_file_and_every_error() {
    let bad_one = "version: 1\nname: one\nchecks:\n  - id: a\n    timeout: 0s\n    tcp: {address: nowhere}\n  - id: a\n    needs: [zz]\n    manual: {instructions: x}\n";
    let bad_two = "version: 1\nname: two\nchecks:\n  - id: b\n    retries: many\n";
    let output = Test::new()
        .file("p/1.yaml", bad_one)
        .file("p/2.yaml", bad_two)
        .file("p/3.yaml", VALID)
        .args(["validate", "p"])
        .expect_code(1);
    let stdout = output.stdout;
    assert!(stdout.contains("p/1.yaml:5:14: error: `timeout` must be more than zero"), "{stdout}");
    assert!(stdout.contains("p/1.yaml:6:20: error: `nowhere` is not `host:port`"), "{stdout}");
    assert!(stdout.contains("p/1.yaml:7:9: error: duplicate check id `a`"), "{stdout}");
    assert!(stdout.contains("p/1.yaml:8:13: error: `needs` names `zz`"), "{stdout}");
    assert!(stdout.contains("p/2.yaml:5:14: error: `retries` expects a whole number, found `many`"), "{stdout}");
    assert!(stdout.contains("3 files checked: 1 valid, 2 invalid (5 errors, 0 warnings)"), "{stdout}");
}

#[test]
fn validate_json_is_for_machines() {
    let bad = "version: 1\nname: bad\nchecks:\n  - id: a\n    timout: 3s\n    manual: {instructions: x}\n";
    let output = Test::new()
        .file("bad.yaml", bad)
        .file("good.yaml", VALID)
        .args(["validate", "--format", "json", "bad.yaml", "good.yaml"])
        .expect_code(1);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).expect("valid JSON");
    assert_eq!(json["valid"], false);
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], "bad.yaml");
    assert_eq!(files[0]["valid"], false);
    let d = &files[0]["diagnostics"][0];
    assert_eq!(d["level"], "error");
    assert_eq!(d["line"], 5);
    assert_eq!(d["col"], 5);
    assert_eq!(d["message"], "unknown key `timout`");
    assert_eq!(d["hint"], "did you mean `timeout`?");
    assert_eq!(files[1]["valid"], true);
    assert_eq!(files[1]["name"], "ok");
}

#[test]
fn strict_turns_warnings_into_errors() {
    // A fixed time inside Berlin's DST changes, and a check timeout longer than the period.
    let risky = "version: 1\nname: risky\nschedule:\n  cron: \"30 2 * * *\"\n  timezone: Europe/Berlin\ncheckss: []\n";
    let _ = risky;
    let risky = "version: 1\nname: risky\nschedule:\n  cron: \"30 2 * * *\"\n  timezone: Europe/Berlin\nchecks:\n  - id: a\n    timeout: 2d\n    tcp: {address: \"127.0.0.1:1\"}\n";
    let output = Test::new().file("risky.yaml", risky).args(["validate", "risky.yaml"]).expect_code(0);
    assert!(
        output.stdout.contains("warning: `30 2 * * *` fires at 02:30, which does not exist on"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("warning: `30 2 * * *` fires at 02:30, which happens twice on"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("warning: timeout 2d is longer than the schedule's period 1d"), "{}", output.stdout);
    let output = Test::new().file("risky.yaml", risky).args(["validate", "--strict", "risky.yaml"]).expect_code(1);
    assert!(output.stdout.contains("error: timeout 2d is longer"), "{}", output.stdout);
    assert!(output.stdout.contains("0 valid, 1 invalid (3 errors, 0 warnings)"), "{}", output.stdout);
}

#[test]
fn names_are_unique_within_a_folder() {
    Test::new()
        .file("p/a.yaml", VALID)
        .file("p/b.yaml", VALID)
        .file("q/c.yaml", VALID)
        .args(["validate", "p", "q"])
        .expect_stdout(
            "p/b.yaml:2:7: error: playbook name `ok` is already used by p/a.yaml
  |
2 | name: ok
  |       ^^
  = hint: names are unique in a folder: the store and `runner history` know playbooks by name

3 files checked: 2 valid, 1 invalid (1 error, 0 warnings)
",
        )
        .expect_status(1)
        .run();
}

#[test]
fn unset_environment_variables_name_variable_file_and_line() {
    let playbook =
        "version: 1\nname: env\nchecks:\n  - id: r\n    redis:\n      url: \"redis://${RUNNER_HOST}:6379\"\n";
    Test::new()
        .file("env.yaml", playbook)
        .args(["validate", "env.yaml"])
        .expect_stdout(
            "env.yaml:6:21: error: environment variable `RUNNER_HOST` is not set
  |
6 |       url: \"redis://${RUNNER_HOST}:6379\"
  |                     ^^^^^^^^^^^^^^
  = hint: set RUNNER_HOST, or give a default: `${RUNNER_HOST:-}`

1 file checked: 0 valid, 1 invalid (1 error, 0 warnings)
",
        )
        .expect_status(1)
        .run();
    Test::new()
        .file("env.yaml", playbook)
        .env("RUNNER_HOST", "127.0.0.1")
        .args(["validate", "env.yaml"])
        .expect_status(0)
        .run();
}

#[test]
fn list_shows_schedule_in_words_and_next_fires() {
    let playbook = "version: 1\nname: nightly\ndescription: The nightly job.\nschedule:\n  cron: \"30 2 * * *\"\n  timezone: America/New_York\nchecks:\n  - id: a\n    manual: {instructions: x}\n";
    let manual = "version: 1\nname: by-hand\nchecks:\n  - id: a\n    manual: {instructions: x}\n";
    let output = Test::new().file("p/n.yaml", playbook).file("p/m.yaml", manual).args(["list", "p"]).expect_code(0);
    let stdout = output.stdout;
    assert!(stdout.contains("nightly"), "{stdout}");
    assert!(stdout.contains("The nightly job."), "{stdout}");
    assert!(stdout.contains("schedule: At 02:30 (30 2 * * *, America/New_York)"), "{stdout}");
    let next = stdout.lines().find(|l| l.trim_start().starts_with("next:")).expect("a next line");
    let fires: Vec<&str> = next.trim_start().trim_start_matches("next: ").split(", ").collect();
    assert_eq!(fires.len(), 3, "{next}");
    let pattern = regex::Regex::new(r"^\d{4}-\d{2}-\d{2} 02:30[+-]0[45]:00$").unwrap();
    for fire in fires {
        assert!(pattern.is_match(fire), "{fire}");
    }
    assert!(stdout.contains("by-hand"), "{stdout}");
    assert!(stdout.contains("schedule: none"), "{stdout}");
}

#[test]
fn an_unknown_check_or_phase_is_a_usage_error_not_a_green_run() {
    let test = Test::new().file("p.yaml", VALID);
    let output = test.run_args(&["run", "--no-store", "--check", "b", "p.yaml"]);
    assert_eq!(output.code, 64, "{}{}", output.stdout, output.stderr);
    assert!(output.stderr.contains("--check b: playbook `ok` has no check `b`"), "{}", output.stderr);
    let output = test.run_args(&["run", "--no-store", "--check", "aa", "p.yaml"]);
    assert_eq!(output.code, 64);
    assert!(output.stderr.contains("did you mean `a`?"), "{}", output.stderr);
    let output = test.run_args(&["run", "--no-store", "--phase", "smoke", "p.yaml"]);
    assert_eq!(output.code, 64);
    assert!(output.stderr.contains("(it has no phases)"), "{}", output.stderr);
    // A known id runs.
    assert_eq!(test.run_args(&["run", "--no-store", "--check", "a", "p.yaml"]).code, 0);
}

#[test]
fn an_unusable_state_folder_or_log_file_is_an_io_error() {
    let test = Test::new().file("p.yaml", VALID).file("not-a-folder", "x");
    for command in [&["history"][..], &["alerts"][..]] {
        let mut args = vec!["--state", "not-a-folder"];
        args.extend_from_slice(command);
        let output = test.run_args(&args);
        assert_eq!(output.code, 74, "{command:?}: {}{}", output.stdout, output.stderr);
        assert!(output.stderr.contains("not a folder"), "{}", output.stderr);
    }
    let output = test.run_args(&["daemon", "--log-file", "no/such/folder/daemon.log", "p.yaml"]);
    assert_eq!(output.code, 74, "{}", output.stderr);
    assert!(output.stderr.contains("daemon.log"), "{}", output.stderr);
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `runner schema | true`: the reader is gone before runner writes.
    for args in [&["schema"][..], &["export", "systemd"][..]] {
        let mut child = std::process::Command::new(crate::support::runner_bin())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
    // A full disk is an I/O error (/dev/full: every write fails with ENOSPC).
    let dev_full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists");
    let full =
        std::process::Command::new(crate::support::runner_bin()).arg("schema").stdout(dev_full).output().unwrap();
    assert_eq!(full.status.code(), Some(74), "{}", String::from_utf8_lossy(&full.stderr));
}

#[test]
fn a_device_or_fifo_is_refused_without_reading_it() {
    // /dev/zero never ends and a FIFO without a writer blocks forever.
    let test = Test::new();
    let fifo = test.path("p.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for args in
        [&["validate", "/dev/zero"][..], &["run", "/dev/zero"][..], &["validate", "p.yaml"][..], &["run", "p.yaml"][..]]
    {
        let output = test.run_args(args);
        assert_eq!(output.code, 74, "{args:?}: {}{}", output.stdout, output.stderr);
        assert!(output.elapsed < std::time::Duration::from_secs(2), "{args:?} took {:?}", output.elapsed);
        assert!(format!("{}{}", output.stdout, output.stderr).contains("not a regular file"), "{args:?}");
    }
}
