//! Every output format of `runner run`, snapshotted (times and ids redacted) and checked
//! by the tool that consumes it: `promtool check metrics` for Prometheus, an XML parser
//! for JUnit, a JSON parser for JSON, the TAP grammar for TAP.

use crate::support::{Test, repo};

/// A deterministic playbook: one check of each status, with metrics and a phase.
const PLAYBOOK: &str = r#"version: 1
name: formats
description: One check of each status.
phases:
  - id: first
    name: First phase
    checks:
      - id: fine
        name: A fine check
        command:
          shell: 'echo "queue=3"'
          metrics: {queue: 'queue=(\d+)'}
        thresholds:
          queue: {warn: "> 10"}
      - id: slow-ish
        name: "Warning & <escapes> \"quoted\""
        command: {shell: 'echo "WARN - load 9 | load1=9;8;12"; exit 1', nagios: true}
      - id: broken
        command: {shell: "echo 'it broke' >&2; exit 2"}
        runbook: https://runbooks.example/broken
  - id: second
    checks:
      - id: unsure
        command: {shell: "exit 3", nagios: true}
      - id: skipped
        needs: [broken]
        command: {run: ["true"]}
      - id: review
        manual: {instructions: Look at the graphs.}
"#;

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[time]"),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", "[time]"),
        (r"\d{8}T\d{9}Z-[0-9a-f]{10}", "[run-id]"),
        (r" *\b\d+(\.\d+)?ms\b", " [ms]"),
        (r#"(name="[^"]*duration_ms" value=")\d+(\.\d+)?"#, "${1}[ms]"),
        (r#"(metric="duration_ms"\}) \d+(\.\d+)?"#, "$1 [ms]"),
        (r"\b\d+\.\d+s\b", "[s]"),
        (r#"time="\d+\.\d+""#, r#"time="[s]""#),
        (r"(duration_seconds\{[^}]*\}) [0-9.e-]+", "$1 [s]"),
        (r"(timestamp_seconds\{[^}]*\}) [0-9.e+-]+", "$1 [time]"),
        (r#"("?duration_ms"?[=:\s]+)\d+(\.\d+)?"#, "${1}[ms]"),
        (r"duration_ms=\d+(\.\d+)?ms", "duration_ms=[ms]"),
    ]
}

fn run(format: &str) -> (i32, String) {
    let test = Test::new().file("p.yaml", PLAYBOOK);
    let output = test.run_args(&["run", "--no-store", "--format", format, "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    (output.code, output.stdout)
}

#[test]
fn human() {
    let (code, stdout) = run("human");
    assert_eq!(code, 2);
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(stdout) });
}

#[test]
fn json_is_the_run_record() {
    let (code, stdout) = run("json");
    assert_eq!(code, 2);
    let record: runner::outcome::RunRecord = serde_json::from_str(&stdout).expect("the JSON output is a RunRecord");
    assert_eq!(record.checks.len(), 6);
    assert_eq!(record.exit_code, 2);
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(stdout) });
}

#[test]
fn junit_parses_as_xml_with_the_right_counts() {
    let (_, stdout) = run("junit");
    let document = roxmltree::Document::parse(&stdout).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("6"));
    assert_eq!(root.attribute("failures"), Some("2"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 2);
    // `skipped` is counted per suite: the schema has no such attribute on `testsuites`.
    let skipped: u32 = suites.iter().map(|s| s.attribute("skipped").unwrap().parse::<u32>().unwrap()).sum();
    assert_eq!(skipped, 2);
    let warning = document
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name").unwrap().contains("slow-ish"))
        .unwrap();
    assert!(warning.attribute("name").unwrap().contains("Warning & <escapes> \"quoted\""));
    let failure = warning.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("WARNING"));
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(stdout) });
}

/// Validates a JUnit document with xmllint against the common junit-4 schema (the shape
/// Jenkins' JUnit and xUnit plugins use, tests/fixtures/junit-4.xsd).
fn assert_valid_junit(path: &std::path::Path) {
    let schema = crate::support::repo().join("tests/fixtures/junit-4.xsd");
    let check = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(path)
        .output()
        .expect("xmllint is installed (tests/run installs libxml2-utils)");
    assert!(
        check.status.success(),
        "xmllint: {}{}\n{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr),
        std::fs::read_to_string(path).unwrap()
    );
}

#[test]
fn junit_validates_against_the_junit_4_schema_with_undoubled_names() {
    let test = Test::new().file("p.yaml", PLAYBOOK);
    let output = test.run_args(&["run", "--no-store", "--format", "junit", "--output", "junit.xml", "p.yaml"]);
    assert_eq!(output.code, 2, "{output:?}");
    assert_valid_junit(&test.path("junit.xml"));
    let text = std::fs::read_to_string(test.path("junit.xml")).unwrap();
    let document = roxmltree::Document::parse(&text).unwrap();
    let names: Vec<&str> =
        document.descendants().filter(|n| n.has_tag_name("testcase")).map(|n| n.attribute("name").unwrap()).collect();
    assert_eq!(names[0], "A fine check (fine)");
    assert_eq!(names[2], "broken", "a check without a name is not `broken (broken)`");
    // Metrics are properties of the suite, with every digit; the run's notes its system-out.
    let suite = document.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    let properties = suite.children().find(|n| n.has_tag_name("properties")).expect("suite properties");
    assert!(
        properties.children().any(|p| p.attribute("name") == Some("fine.queue") && p.attribute("value") == Some("3"))
    );
    let out = suite.children().find(|n| n.has_tag_name("system-out")).expect("notes in system-out");
    assert!(out.text().unwrap().contains("note: --no-store"), "{text}");

    // A run that selects nothing is still valid, with one empty suite. (A tag that no check
    // carries is a usage error, exit 64; one outside the selected phase selects nothing.)
    let playbook = "version: 1\nname: none\nphases:\n  - id: one\n    checks:\n      - id: a\n        tags: [x]\n        command: {run: [\"true\"]}\n  - id: two\n    checks:\n      - id: b\n        command: {run: [\"true\"]}\n";
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&[
        "run",
        "--no-store",
        "--phase",
        "two",
        "--tags",
        "x",
        "--format",
        "junit",
        "--output",
        "j.xml",
        "p.yaml",
    ]);
    assert_eq!(output.code, 0, "{output:?}");
    assert_valid_junit(&test.path("j.xml"));
}

#[test]
fn tap_follows_the_grammar() {
    let (_, stdout) = run("tap");
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("TAP version 13"));
    assert_eq!(lines.next(), Some("1..6"));
    let points: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok ") || l.starts_with("not ok ")).collect();
    assert_eq!(points.len(), 6);
    for (i, point) in points.iter().enumerate() {
        let number = point.trim_start_matches("not ").trim_start_matches("ok ").split(' ').next().unwrap();
        assert_eq!(number, (i + 1).to_string(), "{point}");
    }
    assert!(points.iter().any(|p| p.contains("# SKIP")));
    assert!(points.iter().any(|p| p.contains("# TODO")));
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(stdout) });
}

#[test]
fn prometheus_passes_promtool() {
    let test = Test::new().file("p.yaml", PLAYBOOK);
    let output = test.run_args(&["run", "--no-store", "--format", "prometheus", "--output", "metrics.prom", "p.yaml"]);
    assert_eq!(output.code, 2);
    // --output writes the format to the file and the human view to the terminal.
    assert!(output.stdout.contains("CRITICAL · 6 checks"), "{}", output.stdout);
    let text = std::fs::read_to_string(test.path("metrics.prom")).unwrap();
    let check = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(test.path("metrics.prom")).unwrap())
        .output()
        .expect("promtool is installed (tests/run installs the prometheus package)");
    assert!(
        check.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        text.contains(
            "runner_check_status{playbook=\"formats\",phase=\"first\",check=\"broken\",status=\"critical\"} 1"
        )
    );
    assert!(text.contains("runner_metric_queue{playbook=\"formats\",phase=\"first\",check=\"fine\"} 3"));
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(text) });
}

#[test]
fn nagios_is_one_line_with_perfdata() {
    let (code, stdout) = run("nagios");
    assert_eq!(code, 2);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "RUNNER CRITICAL - formats: 1 critical (broken), 1 unknown (unsure), 1 warning (slow-ish); 1 ok; \
             note: --no-store: no history or alert state is kept and no alert is sent | "
        ),
        "{first}"
    );
    assert!(first.contains("fine.queue=3"));
    // The playbook's threshold travels as a Nagios range; the plugin's own ranges pass through.
    assert!(first.contains(" fine.queue=3;~:10 "), "{first}");
    assert!(first.contains(" slow-ish.load1=9;8;12 "), "{first}");
    assert_eq!(first.matches('|').count(), 1);
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(stdout) });
}

#[test]
fn the_heartbeat_runs_on_a_fresh_machine_and_says_what_is_missing() {
    let output = Test::new().cwd(repo()).args(["run", "playbooks/heartbeat.yaml"]).run();
    assert!([0, 1, 2, 3].contains(&output.code), "{output:?}");
    for id in ["redis", "database", "api", "agents"] {
        assert!(output.stdout.contains(&format!("  {id} ")), "{id} missing:\n{}", output.stdout);
    }
    // The machine's Redis answers; the shipped database path does not exist here.
    assert!(output.stdout.contains("PONG"), "{}", output.stdout);
    assert!(output.stdout.contains("database file not found: /var/lib/app/app.db"), "{}", output.stdout);
}

#[test]
fn output_writes_through_symlinks_and_fifos_instead_of_replacing_them() {
    let playbook = "version: 1\nname: out\nchecks:\n  - id: a\n    manual: {instructions: x}\n";
    let test = Test::new().file("p.yaml", playbook).file("real/target.json", "old");
    std::os::unix::fs::symlink("real/target.json", test.path("link.json")).unwrap();
    let output = test.run_args(&["run", "--no-store", "--format", "json", "--output", "link.json", "p.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        std::fs::symlink_metadata(test.path("link.json")).unwrap().file_type().is_symlink(),
        "the link was replaced"
    );
    assert!(std::fs::read_to_string(test.path("real/target.json")).unwrap().contains("\"checks\""));

    // A FIFO stays a FIFO, and its reader gets the output.
    let fifo = test.path("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = std::process::Command::new("cat").arg(&fifo).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let output = test.run_args(&["run", "--no-store", "--format", "json", "--output", "pipe", "p.yaml"]);
    let read = reader.wait_with_output().unwrap();
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(String::from_utf8_lossy(&read.stdout).contains("\"checks\""), "the reader got nothing");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
}

#[test]
fn every_format_keeps_every_digit_and_says_the_runs_notes() {
    let playbook = "version: 1\nname: digits\nchecks:\n  - id: p\n    command: {run: [printf, \"OK | time=0.000381s\"], nagios: true}\n";
    let test = Test::new().file("p.yaml", playbook);
    for (format, digits) in [
        ("nagios", "p.time=0.000381s"),
        ("prometheus", "runner_metric_time_seconds{playbook=\"digits\",phase=\"\",check=\"p\"} 0.000381"),
        ("junit", "<property name=\"p.time\" value=\"0.000381\"/>"),
        ("tap", "\"time\": 0.000381"),
        ("json", "\"time\": 0.000381"),
        ("human", ""),
    ] {
        let output = test.run_args(&["run", "--no-store", "--format", format, "p.yaml"]);
        assert_eq!(output.code, 0, "{format}: {output:?}");
        assert!(output.stdout.contains(digits), "{format} lost digits:\n{}", output.stdout);
        assert!(output.stdout.contains("--no-store: no history"), "{format} has no note:\n{}", output.stdout);
    }
}

#[test]
fn prometheus_families_carry_base_units_and_pass_promtools_lint() {
    let playbook = r#"version: 1
name: units
checks:
  - id: sys
    system: {metrics: [cpu_percent, load_1m, uptime_s]}
  - id: procs
    process: {pattern: "."}
  - id: conf
    file: {path: p.yaml}
  - id: redis
    redis: {url: "redis://127.0.0.1:6379", info: [used_memory]}
  - id: plugin
    command:
      shell: "echo 'OK | /=2643MB;5948;5958;0;5968 rta=0.123ms pl=0% bytes_in=123c count=4'"
      nagios: true
"#;
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "prometheus", "--output", "m.prom", "p.yaml"]);
    assert!([0, 1, 2].contains(&output.code), "{output:?}");
    let check = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(test.path("m.prom")).unwrap())
        .output()
        .expect("promtool is installed");
    let text = std::fs::read_to_string(test.path("m.prom")).unwrap();
    assert!(check.status.success(), "promtool: {}\n{text}", String::from_utf8_lossy(&check.stderr));
    let labels = |check: &str| format!("{{playbook=\"units\",phase=\"\",check=\"{check}\"}}");
    for (family, check) in [
        ("runner_check_cpu_ratio", "sys"),
        ("runner_check_uptime_seconds", "sys"),
        ("runner_check_processes", "procs"),
        ("runner_check_rss_bytes", "procs"),
        ("runner_check_files", "conf"),
        ("runner_check_size_bytes", "conf"),
        ("runner_check_latency_seconds", "redis"),
        ("runner_metric_used_memory", "redis"),
    ] {
        assert!(text.contains(&format!("\n{family}{} ", labels(check))), "{family} missing:\n{text}");
    }
    for sample in [
        "runner_metric___bytes{playbook=\"units\",phase=\"\",check=\"plugin\"} 2771386368",
        "runner_metric_rta_seconds{playbook=\"units\",phase=\"\",check=\"plugin\"} 0.000123",
        "runner_metric_pl_ratio{playbook=\"units\",phase=\"\",check=\"plugin\"} 0",
        "runner_metric_bytes_in_total{playbook=\"units\",phase=\"\",check=\"plugin\"} 123",
        "# TYPE runner_metric_bytes_in_total counter",
        "runner_check_count_value{playbook=\"units\",phase=\"\",check=\"plugin\"} 4",
    ] {
        assert!(text.contains(sample), "{sample} missing:\n{text}");
    }
    assert!(!text.contains("_ms{") && !text.contains("_percent{"), "a unit that is not a base unit:\n{text}");
}

#[test]
fn prometheus_says_when_a_certificate_expires_to_the_second() {
    let server = crate::support::http::Server::tls(30, crate::support::http::default_routes);
    let playbook = format!(
        "version: 1\nname: certs\nchecks:\n  - id: site\n    http: {{url: \"{}\", tls_verify: false}}\n",
        server.url("/ok")
    );
    let test = Test::new().file("p.yaml", &playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "prometheus", "p.yaml"]);
    assert_eq!(output.code, 0, "{output:?}");
    // The test certificate expires at midnight UTC, 30 days from today.
    let expiry = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(30))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second() as f64;
    let prefix = "runner_check_cert_expiry_timestamp_seconds{playbook=\"certs\",phase=\"\",check=\"site\"} ";
    let line = output.stdout.lines().find(|l| l.starts_with(prefix)).expect("the expiry series");
    let seen: f64 = line[prefix.len()..].parse().unwrap();
    assert!((seen - expiry).abs() < 5.0, "expiry {seen}, certificate says {expiry}: {line}");
}

/// `promtool check metrics` (syntax and lint) on a file, with its complaint on failure.
fn promtool_accepts(path: &std::path::Path) {
    let check = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).unwrap())
        .output()
        .expect("promtool is installed");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        check.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn hostile_metric_names_and_units_pass_promtool_and_keep_every_value() {
    let plugin = r#"printf '%s\n' "OK | 'c:\\ Used Space'=50.00Gb;80.00;90.00;0.00;100.00 a|b=1 it's=2B x-y=1 x_y=2 x.y=3 k=11Gb l=12kB m=13ns n=14MiB r=300rpm""#;
    let playbook = r#"version: 1
name: hostile
checks:
  - id: plugin
    command: {run: [sh, plugin.sh], nagios: true}
  - id: declared
    command:
      shell: "echo 'lag1 5 lag2 7 up 2 age 3 ts 4 d 0.7 ms 0.018'"
      metrics:
        lag_ms: 'lag1 (\S+)'
        lag_s: 'lag2 (\S+)'
        uptime_h: 'up (\S+)'
        age_d: 'age (\S+)'
        time_sec: 'ts (\S+)'
        d_percent: 'd (\S+)'
        a_ms: 'ms (\S+)'
"#;
    let test = Test::new().file("p.yaml", playbook).file("plugin.sh", plugin);
    let output = test.run_args(&["run", "--no-store", "--format", "prometheus", "--output", "m.prom", "p.yaml"]);
    assert_eq!(output.code, 0, "{output:?}");
    promtool_accepts(&test.path("m.prom"));
    let text = std::fs::read_to_string(test.path("m.prom")).unwrap();
    assert!(
        text.contains("# HELP runner_metric_c___Used_Space_bytes The checks' `c:\\\\ Used Space` in base units.\n"),
        "{text}"
    );
    let sample = |check: &str, family: &str, value: &str| {
        let line = format!("\n{family}{{playbook=\"hostile\",phase=\"\",check=\"{check}\"}} {value}\n");
        assert!(text.contains(&line), "{line} missing:\n{text}");
    };
    for (family, value) in [
        ("runner_metric_c___Used_Space_bytes", "53687091200"),
        ("runner_metric_ab", "1"),
        ("runner_metric_its_bytes", "2"),
        ("runner_metric_x_y", "1"),
        ("runner_metric_x_y_2", "2"),
        ("runner_metric_x_y_3", "3"),
        ("runner_metric_k_bytes", "11811160064"),
        ("runner_metric_l_bytes", "12288"),
        ("runner_metric_mvalue_seconds", "0.000000013"),
        ("runner_metric_n_bytes", "14680064"),
        ("runner_metric_r", "300"),
    ] {
        sample("plugin", family, value);
    }
    for (family, value) in [
        ("runner_metric_lag_seconds", "0.005"),
        ("runner_metric_lag_2_seconds", "7"),
        ("runner_metric_uptime_seconds", "7200"),
        ("runner_metric_age_seconds", "259200"),
        ("runner_metric_time_seconds", "4"),
        ("runner_metric_dvalue_ratio", "0.007"),
        ("runner_metric_a_seconds", "0.000018"),
    ] {
        sample("declared", family, value);
    }
    assert!(text.contains("Numbered: the check's `lag_ms` has the name without the number."), "{text}");

    // Nagios keeps guideline units, converts the others with their ranges, and says so.
    let output = test.run_args(&["run", "--no-store", "--format", "nagios", "p.yaml"]);
    let first = output.stdout.lines().next().unwrap_or_default().to_string();
    for item in [
        " 'plugin.c:\\ Used Space'=53687091200B;85899345920;96636764160;0;107374182400 ",
        " plugin.k=11811160064B ",
        " plugin.l=12288B ",
        " plugin.m=0.000000013s ",
        " plugin.n=14680064B ",
        " plugin.r=300 ",
        " 'plugin.it''s'=2B ",
    ] {
        assert!(first.contains(item), "{item} missing:\n{first}");
    }
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(
        output.stdout.contains("perfdata `k` is in `Gb`, not a Nagios guideline unit: the outputs convert it to B"),
        "{}",
        output.stdout
    );
    // The check's details say which metrics met in one name, and what they became.
    for note in [
        "metrics `x-y` and `x_y` meet in one Prometheus name: `x_y` is `runner_metric_x_y_2`",
        "metrics `x-y` and `x.y` meet in one Prometheus name: `x.y` is `runner_metric_x_y_3`",
        "metrics `lag_ms` and `lag_s` meet in one Prometheus name: `lag_s` is `runner_metric_lag_2_seconds`",
    ] {
        assert!(output.stdout.contains(note), "{note} missing:\n{}", output.stdout);
    }
}

#[test]
fn declared_metric_names_that_would_break_outputs_or_overwrite_runners_own_are_refused() {
    let playbook = "version: 1\nname: v\nchecks:\n  - id: c\n    command:\n      shell: \"echo x\"\n      metrics:\n        \"a\\nb\": \"v (\\\\S+)\"\n        exit_code: \"x (\\\\S+)\"\n        \"ok\\tname\": \"v (\\\\S+)\"\n        duration_ms: \"x (\\\\S+)\"\n";
    let test = Test::new().file("v.yaml", playbook);
    let output = test.run_args(&["validate", "v.yaml"]);
    assert_ne!(output.code, 0, "{output:?}");
    let all = format!("{}{}", output.stdout, output.stderr);
    for error in [
        "metric name \"a\\nb\" has a control character (\\n)",
        "metric name \"ok\\tname\" has a control character (\\t)",
        "`exit_code` is runner's own metric for command checks; choose another name",
        "`duration_ms` is runner's own metric for command checks; choose another name",
    ] {
        assert!(all.contains(error), "{error} missing:\n{all}");
    }
}

#[test]
fn check_messages_keep_small_numbers_and_large_integers_are_numbers() {
    let playbook = r#"version: 1
name: small
checks:
  - id: c
    command:
      shell: "echo 'md 0.000381 f 123456789012345678901234567890'"
      metrics: {md_ms: 'md (\S+)', bigint: 'f (\S+)'}
    thresholds:
      md_ms: {warn: "> 0.0001"}
"#;
    let test = Test::new().file("p.yaml", playbook);
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 1, "{output:?}");
    assert!(output.stdout.contains("md_ms = 0.000381 (warn > 0.0001)"), "{}", output.stdout);
    assert!(output.stdout.contains("\"bigint\": 1.2345678901234568e+29"), "{}", output.stdout);
    assert!(!output.stdout.contains("not found in the output"), "{}", output.stdout);
}

#[test]
fn output_write_failures_are_said_and_never_create_folders() {
    let test =
        Test::new().file("p.yaml", "version: 1\nname: full\nchecks:\n  - id: a\n    command: {run: [\"true\"]}\n");
    // stdout on a full device: said on stderr; the code stays the run's.
    let full = std::fs::File::create("/dev/full").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(["run", "--no-store", "--format", "prometheus", "p.yaml"])
        .current_dir(test.path(""))
        .env("RUNNER_STATE", test.path(".state"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write the output to stdout: No space left on device"), "{stderr}");

    // --output that cannot be written under --format nagios: the status line, with the
    // failure as a note, and the run's code.
    let output = test.run_args(&["run", "--no-store", "--format", "nagios", "--output", "/dev/full", "p.yaml"]);
    assert_eq!(output.code, 0, "{output:?}");
    assert!(output.stdout.starts_with("RUNNER OK - full: 1 of 1 checks ok"), "{}", output.stdout);
    assert!(output.stdout.contains("; note: cannot write /dev/full: No space left on device"), "{}", output.stdout);

    // A missing folder is an error, not created.
    let output = test.run_args(&["run", "--no-store", "--format", "json", "--output", "no/such/dir/x.json", "p.yaml"]);
    assert_eq!(output.code, 74, "{output:?}");
    assert!(output.stderr.contains("the folder no/such/dir does not exist"), "{}", output.stderr);
    assert!(!test.path("no").exists(), "the folders were created");
}
