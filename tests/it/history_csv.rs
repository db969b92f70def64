//! `runner history --format csv` read by a real CSV reader (Python's `csv` module, the
//! dialect spreadsheets write and read): one table with one header, every row as wide as
//! the header, numbers with every digit, text that never reads as a formula.

use crate::support::Test;

/// Parses CSV with Python's csv module; returns the rows as JSON arrays of strings.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let reader = "import csv, json, sys\nprint(json.dumps(list(csv.reader(sys.stdin))))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", reader])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is installed (tests/run installs it)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python's csv reader failed on:\n{text}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// One table: a header, then rows exactly as wide, and no blank line.
fn assert_one_table(rows: &[Vec<String>], header: &[&str]) {
    assert_eq!(rows[0], header, "{rows:?}");
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "a row of another width: {row:?} in {rows:?}");
        assert_ne!(row.as_slice(), header, "a second header: {rows:?}");
    }
}

#[test]
fn history_csv_is_one_table_of_runs_or_of_metrics() {
    // A plugin label with a comma, a quote and a leading `=` tests quoting and formulas.
    let playbook = r#"version: 1
name: sheet
checks:
  - id: probe
    command:
      run: ["printf", "OK | time=0.000381s '=SUM(A1,A2) \"x\"'=2\\n"]
      nagios: true
"#;
    let test = Test::new().file("p.yaml", playbook);
    for _ in 0..2 {
        assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    }
    let runs = test.run_args(&["history", "sheet", "--format", "csv"]);
    assert_eq!(runs.code, 0, "{runs:?}");
    let rows = read_csv(&runs.stdout);
    assert_one_table(
        &rows,
        &["run_id", "playbook", "started_at", "duration_ms", "status", "origin", "interrupted", "stands_for"],
    );
    assert_eq!(rows.len(), 3, "two runs: {rows:?}");
    assert!(rows[1..].iter().all(|r| r[1] == "sheet" && r[4] == "ok"), "{rows:?}");

    let metrics = test.run_args(&["history", "sheet", "--format", "csv", "--metrics"]);
    assert_eq!(metrics.code, 0, "{metrics:?}");
    let rows = read_csv(&metrics.stdout);
    assert_one_table(&rows, &["playbook", "check", "metric", "samples", "min", "avg", "max", "last"]);
    let time = rows.iter().find(|r| r[2] == "time").expect("the time metric");
    assert_eq!(time[4..], ["0.000381", "0.000381", "0.000381", "0.000381"], "every digit: {time:?}");
    let formula = rows.iter().find(|r| r[2].contains("SUM")).expect("the odd label");
    assert_eq!(formula[2], "'=SUM(A1,A2) \"x\"", "quoted, and not a formula: {formula:?}");

    // --metrics picks a CSV table; elsewhere it is a usage error, not silently ignored.
    assert_eq!(test.run_args(&["history", "sheet", "--metrics"]).code, 64);
}

#[test]
fn history_check_filter_refuses_unknown_checks_and_filters_runs() {
    let test = Test::new()
        .file("a.yaml", "version: 1\nname: csvpb\nchecks:\n  - id: alpha\n    command: {run: [\"true\"]}\n")
        .file("b.yaml", "version: 1\nname: csvpb\nchecks:\n  - id: beta\n    command: {run: [\"true\"]}\n");
    // With no store at all, CSV is still a table: its header.
    let empty = test.run_args(&["history", "csvpb", "--format", "csv"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert_eq!(empty.stdout, "run_id,playbook,started_at,duration_ms,status,origin,interrupted,stands_for\n");
    let empty = test.run_args(&["history", "--format", "csv", "--metrics"]);
    assert_eq!(empty.stdout, "playbook,check,metric,samples,min,avg,max,last\n");

    assert_eq!(test.run_args(&["run", "a.yaml"]).code, 0);
    assert_eq!(test.run_args(&["run", "b.yaml"]).code, 0);
    assert_eq!(test.run_args(&["run", "b.yaml"]).code, 0);
    let unknown = test.run_args(&["history", "csvpb", "--check", "alpah", "--format", "csv"]);
    assert_eq!(unknown.code, 64, "{unknown:?}");
    assert!(unknown.stderr.contains("did you mean `alpha`?"), "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty(), "{}", unknown.stdout);
    assert_eq!(test.run_args(&["history", "csvpb", "--check", "nosuch", "--format", "csv"]).code, 64);

    let rows =
        |check: &str| read_csv(&test.run_args(&["history", "csvpb", "--check", check, "--format", "csv"]).stdout);
    assert_eq!(rows("alpha").len(), 2, "one run has alpha: {:?}", rows("alpha"));
    assert_eq!(rows("beta").len(), 3, "two runs have beta: {:?}", rows("beta"));
}

#[test]
fn csv_fields_starting_with_tab_or_carriage_return_are_not_formulas() {
    let playbook = "version: 1\nname: tabs\nchecks:\n  - id: probe\n    command:\n      run: [\"printf\", \"OK | '\\t=1+1'=1 '\\r=2'=2\\n\"]\n      nagios: true\n";
    let test = Test::new().file("p.yaml", playbook);
    assert_eq!(test.run_args(&["run", "p.yaml"]).code, 0);
    let metrics = test.run_args(&["history", "tabs", "--format", "csv", "--metrics"]);
    let rows = read_csv(&metrics.stdout);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert!(names.contains(&"'\t=1+1"), "{names:?}");
    assert!(names.contains(&"'\r=2"), "{names:?}");
}
