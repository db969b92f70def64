//! `--format nagios` read as a Nagios plugin's output: real plugins from Debian's
//! `monitoring-plugins-basic` (check_tcp, check_dummy) run through `command` checks, and
//! runner's own status line checked against the plugin guidelines' perfdata grammar
//! (`'label'=value[UOM];[warn];[crit];[min];[max]`). Every exit, runner's own errors
//! included, is one `UNKNOWN - …` line and a code 0–3.

use regex::Regex;

use crate::support::Test;

const PLUGINS: &str = "/usr/lib/nagios/plugins";

/// One perfdata item of the plugin development guidelines: a label (quoted when it has
/// spaces; no `=`), a number or `U`, a unit of measure, then warn and crit ranges
/// (`[@][start:][end]`, `~` for minus infinity) and min and max numbers.
fn perfdata_item() -> Regex {
    let number = r"-?[0-9]+(\.[0-9]+)?";
    let range = format!(r"@?(~|{number})?(:({number})?)?");
    Regex::new(&format!(
        r"^('([^'=]|'')+'|[^'=\s]+)=({number}|U)(s|ms|us|%|B|KB|MB|GB|TB|c)?(;({range})?(;({range})?(;({number})?(;({number})?)?)?)?)?$"
    ))
    .unwrap()
}

/// The status line split into its text and its perfdata items; asserts the grammar.
fn status_line(stdout: &str) -> (String, Vec<String>) {
    let first = stdout.lines().next().expect("a status line");
    let (text, perf) = first.split_once(" | ").unwrap_or((first, ""));
    assert!(!text.contains('|'), "the text holds a |: {first}");
    let items: Vec<String> = perf.split(' ').filter(|i| !i.is_empty()).map(str::to_string).collect();
    let grammar = perfdata_item();
    for item in &items {
        assert!(grammar.is_match(item), "`{item}` is not perfdata by the guidelines' grammar in: {first}");
    }
    (text.to_string(), items)
}

fn plugin(name: &str) -> String {
    let path = format!("{PLUGINS}/{name}");
    assert!(std::path::Path::new(&path).exists(), "{path} is missing: tests/run installs monitoring-plugins-basic");
    path
}

#[test]
fn real_plugins_keep_their_units_ranges_and_every_digit() {
    let playbook = format!(
        r#"version: 1
name: plugins
checks:
  - id: redis-port
    command:
      run: ["{tcp}", "-H", "127.0.0.1", "-p", "6379", "-w", "1", "-c", "2"]
      nagios: true
    thresholds:
      time: {{warn: "> 0.5", crit: ">= 1.5"}}
  - id: dummy
    command: {{run: ["{dummy}", "1", "disk is filling up"], nagios: true}}
  - id: tiny
    command: {{shell: "echo 'OK - fast | time=0.000381s;;;0 used=51.25%;80;90 sent=1234c rss=12MB'", nagios: true}}
"#,
        tcp = plugin("check_tcp"),
        dummy = plugin("check_dummy"),
    );
    let test = Test::new().file("p.yaml", &playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "nagios", "p.yaml"]);
    assert_eq!(output.code, 1, "check_dummy 1 is a WARNING: {output:?}");
    let (text, items) = status_line(&output.stdout);
    assert!(text.starts_with("RUNNER WARNING - plugins: 1 warning (dummy); 2 ok"), "{text}");
    // check_tcp's own `time` in seconds, with the playbook's thresholds as ranges and the
    // plugin's min and max.
    let time = items.iter().find(|i| i.starts_with("redis-port.time=")).expect("check_tcp's time");
    assert!(Regex::new(r"^redis-port\.time=[0-9.]+s;~:0\.5;@1\.5:;0;10$").unwrap().is_match(time), "{time}");
    for expected in ["tiny.time=0.000381s;;;0", "tiny.used=51.25%;80;90;0;100", "tiny.sent=1234c", "tiny.rss=12MB"] {
        assert!(items.iter().any(|i| i == expected), "{expected} missing from {items:?}");
    }
    assert!(items.iter().any(|i| i.starts_with("dummy.duration_ms=") && i.ends_with("ms")), "{items:?}");
    assert!(output.stdout.lines().any(|l| l == "[WARNING] dummy: WARNING: disk is filling up"), "{}", output.stdout);
}

#[test]
fn a_plugin_label_never_overwrites_runners_own_metrics() {
    let playbook = r#"version: 1
name: clash
checks:
  - id: sneaky
    command: {shell: "echo 'OK | exit_code=5 duration_ms=999999ms other=1'", nagios: true}
"#;
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 0, "{output:?}");
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let check = &record["checks"][0];
    assert_eq!(check["metrics"]["exit_code"], 0.0, "runner's exit_code stands: {check}");
    assert_eq!(check["metrics"]["plugin.exit_code"], 5.0, "{check}");
    assert_eq!(check["metrics"]["plugin.duration_ms"], 999999.0, "{check}");
    assert!(check["metrics"]["duration_ms"].as_f64().unwrap() < 999999.0, "{check}");
    let details = check["details"].to_string();
    assert!(details.contains("perfdata label `exit_code` is one of runner's own metrics: kept as `plugin.exit_code`"));

    let output = test.run_args(&["run", "--no-store", "--format", "nagios", "p.yaml"]);
    let (_, items) = status_line(&output.stdout);
    assert!(items.contains(&"sneaky.exit_code=0".to_string()), "{items:?}");
    assert!(items.contains(&"sneaky.plugin.exit_code=5".to_string()), "{items:?}");
}

#[test]
fn notes_go_on_the_status_line_and_leave_the_code_alone() {
    let playbook = "version: 1\nname: noted\nchecks:\n  - id: a\n    command: {shell: \"echo 'x | y' >&2; exit 1\"}\n";
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "nagios", "p.yaml"]);
    assert_eq!(output.code, 2, "{output:?}");
    let first = output.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("RUNNER CRITICAL - noted: 1 critical (a); 0 ok; note: --no-store: no history"),
        "{first}"
    );
    // Check messages with a `|` do not start perfdata on any line.
    assert_eq!(first.matches('|').count(), 1, "{first}");
    assert!(output.stdout.lines().skip(1).all(|l| !l.contains('|')), "{}", output.stdout);
    assert!(output.stdout.contains("[CRITICAL] a: exit 1: x / y"), "{}", output.stdout);
}

/// Asserts one plugin exit: exactly one `UNKNOWN - <sentence>` line on stdout, exit 3.
fn assert_unknown(output: &crate::support::Output, sentence: &str) {
    assert_eq!(output.code, 3, "{output:?}");
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one status line: {output:?}");
    assert!(lines[0].starts_with("UNKNOWN - "), "{output:?}");
    assert!(lines[0].contains(sentence), "`{sentence}` missing: {output:?}");
    assert!(!lines[0].contains('|'), "{output:?}");
}

#[test]
fn every_error_exit_is_one_unknown_line_with_code_3() {
    let valid = "version: 1\nname: held\nchecks:\n  - id: a\n    command: {run: [\"true\"]}\n";
    let test = Test::new()
        .file("p.yaml", valid)
        .file("bad.yaml", "version: 1\nname: bad\nchecks:\n  - id: a\n    tcp: {adress: x}\n")
        .file("unreadable", "");
    let nagios = |args: &[&str]| {
        let mut all = vec!["run", "--format", "nagios"];
        all.extend_from_slice(args);
        test.run_args(&all)
    };
    // 65: invalid playbook; its diagnostics still go to stderr.
    let invalid = nagios(&["--no-store", "bad.yaml"]);
    assert_unknown(&invalid, "bad.yaml is not a valid playbook (1 error)");
    assert!(invalid.stderr.contains("adress"), "{}", invalid.stderr);
    // 74: a missing file, and a folder instead of a file.
    assert_unknown(&nagios(&["--no-store", "missing.yaml"]), "cannot read missing.yaml");
    std::fs::create_dir(test.path("folder.yaml")).unwrap();
    assert_unknown(&nagios(&["--no-store", "folder.yaml"]), "cannot read folder.yaml");
    // 64: a bad flag (clap's own error, with the flag after or before the format), a
    // missing argument, and an unknown --check id.
    assert_unknown(&nagios(&["--bogus", "p.yaml"]), "unexpected argument '--bogus' found");
    let before = test.run_args(&["run", "--bogus", "--format=nagios", "p.yaml"]);
    assert_unknown(&before, "unexpected argument '--bogus' found");
    assert_unknown(&nagios(&[]), "the following required arguments were not provided");
    assert_unknown(&nagios(&["--no-store", "--check", "b", "p.yaml"]), "playbook `held` has no check `b`");
    // 75: the lock is held (here by this test process).
    let state = test.path(".state");
    let _lock = runner::lock::acquire(&state, "held").unwrap();
    assert_unknown(&nagios(&["p.yaml"]), "playbook `held` is already running");
    // Without --format nagios the codes stay the sysexits ones.
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 75);
    assert_eq!(test.run_args(&["run", "--bogus", "p.yaml"]).code, 64);
}

#[test]
fn the_format_is_read_without_case_and_a_missing_argument_is_named() {
    let test =
        Test::new().file("p.yaml", "version: 1\nname: cased\nchecks:\n  - id: a\n    command: {run: [\"true\"]}\n");
    assert_unknown(
        &test.run_args(&["run", "--format", "nagios"]),
        "the following required arguments were not provided: <PLAYBOOK>",
    );
    for spelling in ["NAGIOS", "Nagios"] {
        let output = test.run_args(&["run", "--no-store", "--format", spelling, "p.yaml"]);
        assert_eq!(output.code, 0, "{output:?}");
        assert!(output.stdout.starts_with("RUNNER OK - cased: 1 of 1 checks ok"), "{output:?}");
        assert_unknown(
            &test.run_args(&["run", "--bogus", &format!("--format={spelling}"), "p.yaml"]),
            "unexpected argument '--bogus' found",
        );
    }
}
