//! The engine's behaviour through `runner run`: phases and actions, `on_failure`, dry
//! runs, selections, concurrency, the run timeout, locks and exit codes.

use std::time::Duration;

use crate::support::Test;

fn json_of(output: &crate::support::Output) -> serde_json::Value {
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr))
}

fn check<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}: {json}"))
}

const PHASED: &str = r#"version: 1
name: phased
phases:
  - id: prepare
    actions:
      - run: [sh, -c, "echo prepared > prepared.txt"]
      - sleep: 10ms
    checks:
      - id: prepared
        file: {path: prepared.txt, contains: prepared}
  - id: smoke
    on_failure: stop
    checks:
      - id: will-fail
        command: {shell: "exit 2"}
      - id: fine
        command: {run: ["true"]}
  - id: later
    actions:
      - run: [touch, later-action-ran]
    checks:
      - id: never
        command: {run: [touch, never-ran]}
"#;

#[test]
fn phases_run_in_order_and_on_failure_stop_skips_the_rest() {
    let test = Test::new().file("p.yaml", PHASED);
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 2);
    let json = json_of(&output);
    assert_eq!(check(&json, "prepared")["status"], "ok", "the action ran before the check");
    assert_eq!(check(&json, "will-fail")["status"], "critical");
    assert_eq!(check(&json, "never")["status"], "skipped");
    assert_eq!(check(&json, "never")["message"], "phase `smoke` failed and has on_failure: stop");
    assert!(!test.path("never-ran").exists());
    assert!(!test.path("later-action-ran").exists());
    let phases = json["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 3);
    assert_eq!(phases[0]["actions"][0]["status"], "ok");
    assert_eq!(phases[2]["status"], "skipped");
}

#[test]
fn a_failed_action_fails_its_phase_with_its_output() {
    let playbook = r#"version: 1
name: failing-action
phases:
  - id: restart
    actions:
      - run: [sh, -c, "echo 'restart failed: no such app' >&2; exit 1"]
      - run: [touch, second-action-ran]
    checks:
      - id: verify
        command: {run: ["true"]}
"#;
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 2, "a failed action makes the run CRITICAL");
    let json = json_of(&output);
    let phase = &json["phases"][0];
    assert_eq!(phase["status"], "critical");
    assert_eq!(phase["actions"][0]["status"], "failed");
    assert_eq!(phase["actions"][0]["exit_code"], 1);
    assert!(phase["actions"][0]["output"].as_str().unwrap().contains("restart failed: no such app"));
    assert_eq!(phase["actions"][1]["status"], "skipped");
    assert!(!test.path("second-action-ran").exists());
    // The phase's checks still verify.
    assert_eq!(check(&json, "verify")["status"], "ok");
    let human = test.run_args(&["run", "--no-store", "p.yaml"]);
    assert!(human.stdout.contains("▸ FAILED"), "{}", human.stdout);
    assert!(human.stdout.contains("restart failed: no such app"), "{}", human.stdout);
}

#[test]
fn an_action_that_hangs_is_killed_at_its_timeout_and_background_work_survives_a_normal_exit() {
    let playbook = r#"version: 1
name: actions
phases:
  - id: work
    actions:
      - shell: "nohup sh -c 'sleep 1; touch background-survived' >/dev/null 2>&1 &"
      - shell: "trap '' TERM; sleep 30"
        timeout: 500ms
    checks:
      - id: after
        command: {run: ["true"]}
"#;
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(output.elapsed < Duration::from_millis(500) + Duration::from_secs(1), "took {:?}", output.elapsed);
    let json = json_of(&output);
    assert_eq!(json["phases"][0]["actions"][0]["status"], "ok");
    assert_eq!(json["phases"][0]["actions"][1]["status"], "failed");
    assert!(json["phases"][0]["actions"][1]["message"].as_str().unwrap().contains("timed out after 500ms"));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(test.path("background-survived").exists(), "the background process of a normal exit was killed");
}

#[test]
fn dry_run_observes_and_runs_nothing_else() {
    let test = Test::new().file("p.yaml", PHASED);
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stdout);
    assert!(output.stdout.contains("DRY RUN"), "{}", output.stdout);
    assert!(output.stdout.contains("▸ would"), "{}", output.stdout);
    assert!(!output.stdout.contains("would would"), "{}", output.stdout);
    assert!(output.stdout.contains("sh -c 'echo prepared > prepared.txt'"), "{}", output.stdout);
    assert!(!test.path("prepared.txt").exists(), "a dry run ran an action");
    // No store was created: nothing was written.
    assert!(!test.path(".state").exists(), "a dry run created the state folder");
    // With a store that exists, a dry run adds nothing to it.
    let real = test.run_args(&["run", "p.yaml"]);
    assert_eq!(real.code, 2);
    let runs = || -> String {
        let out = std::process::Command::new("sqlite3")
            .arg(test.path(".state/runner.db"))
            .arg("SELECT count(*) FROM runs; SELECT count(*) FROM probe_state;")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = runs();
    assert!(before.starts_with("1\n"), "{before}");
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert_eq!(output.code, 2);
    assert_eq!(runs(), before, "a dry run wrote to the store");
}

#[test]
fn selections_pick_phases_checks_and_tags() {
    let playbook = r#"version: 1
name: picky
tags: [team]
phases:
  - id: one
    actions:
      - run: [touch, one-action]
    checks:
      - id: a
        tags: [db]
        command: {run: ["true"]}
      - id: b
        command: {run: ["true"]}
  - id: two
    checks:
      - id: c
        tags: [db]
        command: {run: ["true"]}
"#;
    let test = Test::new().file("p.yaml", playbook);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["run", "--no-store", "--format", "json"];
        all.extend_from_slice(args);
        all.push("p.yaml");
        let json = json_of(&test.run_args(&all));
        json["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(ids(&["--phase", "two"]), ["c"]);
    assert!(!test.path("one-action").exists());
    assert_eq!(ids(&["--check", "b"]), ["b"]);
    assert!(!test.path("one-action").exists(), "--check runs no actions");
    assert_eq!(ids(&["--tags", "db"]), ["a", "c"]);
    assert_eq!(ids(&["--tags", "team"]), ["a", "b", "c"], "checks inherit the playbook's tags");
    assert_eq!(ids(&["--phase", "one"]), ["a", "b"]);
    assert!(test.path("one-action").exists(), "--phase runs the phase's actions");
    // A check id that is not in the playbook is a usage error, not an empty green run.
    let output = test.run_args(&["run", "--no-store", "--format", "json", "--check", "nope", "p.yaml"]);
    assert_eq!(output.code, 64, "{}", output.stderr);
    assert!(output.stderr.contains("has no check `nope`"), "{}", output.stderr);
    // So are tags that no check carries, and the error lists the ones there are.
    let output = test.run_args(&["run", "--no-store", "--format", "json", "--tags", "nope", "p.yaml"]);
    assert_eq!(output.code, 64, "{}", output.stderr);
    assert!(
        output.stderr.contains("no check of playbook `picky` has this tag (its tags: db, team)"),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "nothing ran: {}", output.stdout);
    assert_eq!(ids(&["--tags", "nope,db"]), ["a", "c"], "one known tag is enough");
}

#[test]
fn concurrency_is_bounded() {
    let mut playbook = String::from("version: 1\nname: busy\nchecks:\n");
    for i in 0..8 {
        playbook.push_str(&format!(
            "  - id: c{i}\n    command: {{shell: \"echo start >> log; sleep 0.2; echo end >> log\"}}\n"
        ));
    }
    let test = Test::new().file("p.yaml", &playbook);
    let output = test.run_args(&["run", "--no-store", "--concurrency", "3", "p.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stdout);
    let log = std::fs::read_to_string(test.path("log")).unwrap();
    let (mut running, mut most) = (0i32, 0i32);
    for line in log.lines() {
        running += if line == "start" { 1 } else { -1 };
        most = most.max(running);
    }
    assert_eq!(log.lines().count(), 16);
    assert!(most <= 3, "{most} ran at once");
    assert!(most >= 2, "checks did not run concurrently");
}

#[test]
fn the_run_timeout_ends_everything_still_running() {
    let playbook = r#"version: 1
name: slow
timeout: 1s
checks:
  - id: quick
    command: {run: ["true"]}
  - id: stuck
    timeout: 30s
    command: {shell: "sleep 30"}
"#;
    let output = Test::new().file("p.yaml", playbook).run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(output.elapsed < Duration::from_secs(2) + Duration::from_millis(500), "took {:?}", output.elapsed);
    assert_eq!(output.code, 2);
    let json = json_of(&output);
    assert_eq!(check(&json, "quick")["status"], "ok");
    assert_eq!(check(&json, "stuck")["message"], "the run's timeout (1s) ended this check");
}

#[test]
fn exit_codes_for_invalid_unreadable_and_locked() {
    let output = Test::new()
        .file("bad.yaml", "version: 1\nname: bad\nchecks:\n  - id: a\n    timout: 1s\n")
        .run_args(&["run", "bad.yaml"]);
    assert_eq!(output.code, 65);
    assert!(output.stderr.contains("bad.yaml:5:5: error: unknown key `timout`"), "{}", output.stderr);
    let output = Test::new().run_args(&["run", "missing.yaml"]);
    assert_eq!(output.code, 74);
    assert!(output.stderr.contains("cannot read missing.yaml"), "{}", output.stderr);
    let output = Test::new()
        .file("p.yaml", "version: 1\nname: p\nchecks: [{id: a, manual: {instructions: x}}]\n")
        .env("RUNNER_STATE", "/proc/forbidden")
        .run_args(&["run", "p.yaml"]);
    // A state folder that cannot be made does not change the run's code (CLI.md, "A store
    // that cannot be opened or written"): the run stands, and stderr says why.
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stderr.contains("the run could not be stored: no such file or directory"), "{}", output.stderr);
}

#[test]
fn a_playbook_already_running_exits_75_and_runs_nothing() {
    let slow =
        "version: 1\nname: locked\nchecks:\n  - id: wait\n    command: {shell: \"sleep 2; echo ran >> runs.log\"}\n";
    let test = Test::new().file("p.yaml", slow);
    let root = test.root().to_path_buf();
    let first = std::thread::spawn(move || {
        std::process::Command::new(crate::support::runner_bin())
            .args(["run", "p.yaml"])
            .current_dir(&root)
            .env("RUNNER_STATE", root.join(".state"))
            .output()
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(700));
    let second = test.run_args(&["run", "p.yaml"]);
    assert_eq!(second.code, 75, "{}", second.stderr);
    assert!(second.stderr.contains("already running"), "{}", second.stderr);
    let first = first.join().unwrap();
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(test.path("runs.log")).unwrap(), "ran\n", "only the first run ran");
}

#[test]
fn a_metric_that_is_not_a_number_is_unknown_not_ok() {
    // NaN compares false with every condition, so it would pass any threshold.
    let playbook = r#"version: 1
name: nan
checks:
  - id: value
    command:
      shell: "echo value=nan"
      metrics:
        value: 'value=(\S+)'
    thresholds:
      value: {warn: "> 50", crit: "> 100"}
"#;
    let output = Test::new().file("p.yaml", playbook).run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    let json = json_of(&output);
    assert_eq!(check(&json, "value")["status"], "unknown", "{json}");
    assert!(check(&json, "value")["message"].as_str().unwrap().contains("not a number"), "{json}");
    assert_eq!(output.code, 3);
}

#[test]
fn no_process_outlives_runner_after_a_timeout_or_sigterm() {
    // A command that ignores SIGTERM, ended by its timeout as the last thing in the run:
    // its SIGKILL must come before runner exits.
    let stubborn = "version: 1\nname: stubborn\nchecks:\n  - id: s\n    timeout: 1s\n    command: {shell: \"trap '' TERM; sleep 93.71\"}\n";
    let test = Test::new().file("s.yaml", stubborn);
    let output = test.run_args(&["run", "--no-store", "s.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stdout);
    std::thread::sleep(Duration::from_millis(200));
    let left = std::process::Command::new("pgrep").args(["-f", "sleep 93.71"]).output().unwrap();
    assert!(left.stdout.is_empty(), "a timed-out command outlived runner: {}", String::from_utf8_lossy(&left.stdout));

    // SIGTERM to `runner run`: exit 143 and the check's process group goes with it.
    let slow = "version: 1\nname: slow\nchecks:\n  - id: s\n    timeout: 60s\n    command: {shell: \"sleep 94.71\"}\n";
    let test = Test::new().file("slow.yaml", slow);
    let child = std::process::Command::new(crate::support::runner_bin())
        .args(["run", "--no-store", "slow.yaml"])
        .current_dir(test.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::process::Command::new("pgrep").args(["-f", "sleep 94.71"]).output().unwrap().stdout.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "the check never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill only sends a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143), "{}", String::from_utf8_lossy(&output.stderr));
    std::thread::sleep(Duration::from_millis(200));
    let left = std::process::Command::new("pgrep").args(["-f", "sleep 94.71"]).output().unwrap();
    assert!(left.stdout.is_empty(), "the check outlived a SIGTERMed runner");
}

#[test]
fn terminal_control_sequences_in_check_output_are_neutralised() {
    let playbook = "version: 1\nname: esc\nchecks:\n  - id: e\n    command: {shell: \"printf '\\\\033]0;pwned\\\\007\\\\033[2Jhello'; exit 1\"}\n";
    let test = Test::new().file("p.yaml", playbook);
    // The human view is the one a terminal renders (JSON escapes control characters anyway).
    let output = test.run_args(&["run", "--no-store", "p.yaml"]);
    assert!(output.stdout.contains("hello"), "{}", output.stdout);
    assert!(!output.stdout.contains('\u{1b}') && !output.stdout.contains('\u{7}'), "{:?}", output.stdout);
}

#[test]
fn a_var_builds_on_the_vars_above_it() {
    let playbook = "version: 1\nname: vars\nvars:\n  base: \"http://127.0.0.1\"\n  api: \"{{ vars.base }}:4000\"\nchecks:\n  - id: echo\n    command: {shell: \"echo {{ vars.api }}/health\"}\n";
    let output = Test::new().file("p.yaml", playbook).run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    let json = json_of(&output);
    assert!(check(&json, "echo")["message"].as_str().unwrap().contains("http://127.0.0.1:4000/health"), "{json}");
}
