//! Reports: the builtin markdown, html and json (snapshotted, times redacted), a custom
//! template with the documented context, templated paths, retention that deletes only
//! this playbook's reports, and an unwritable folder that loses nothing.

use crate::support::Test;

fn playbook(template: &str, path: &str, retention: &str) -> String {
    format!(
        r#"version: 1
name: reported
description: A report of every kind of result.
schedule: {{cron: "0 * * * *", timezone: Europe/Berlin}}
vars:
  team: ops
phases:
  - id: checks
    name: The checks
    checks:
      - id: fine
        name: Fine <b>check</b>
        command:
          shell: 'echo "used=42"'
          metrics: {{used: 'used=(\d+)'}}
      - id: broken
        command: {{shell: "echo 'disk full' >&2; exit 2"}}
        runbook: Free some space.
      - id: review
        manual: {{instructions: Read the graphs.}}
report:
  path: "{path}"
  template: {template}
{retention}"#
    )
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[time]"),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (CET|CEST|UTC)", "[time]"),
        (r"\b[A-Z][a-z]+day \d{2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} (CET|CEST)", "[time]"),
        (r"\d{8}T\d{9}Z-[0-9a-f]{10}", "[run-id]"),
        (r"\b\d+(\.\d+)? ?ms\b", "[ms]"),
        (r#""duration_ms": \d+(\.\d+)?"#, r#""duration_ms": [ms]"#),
        (r"`duration_ms` = \d+(\.\d+)?", "`duration_ms` = [ms]"),
        (r"duration_ms = \d+(\.\d+)?", "duration_ms = [ms]"),
        (r#""file": "[^"]*""#, r#""file": "[file]""#),
    ]
}

/// Runs the playbook and returns the one report it wrote.
fn report(template: &str) -> String {
    let test = Test::new().file("p.yaml", &playbook(template, "out/report.txt", ""));
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stdout);
    std::fs::read_to_string(test.path("out/report.txt")).unwrap_or_else(|e| panic!("{e}: {}", output.stdout))
}

#[test]
fn builtin_markdown() {
    let text = report("builtin:markdown");
    assert!(text.contains("# reported — ❌ CRITICAL"));
    assert!(text.contains("- **Runbook:** Free some space."));
    assert!(text.contains("🔴 **CRITICAL ISSUES DETECTED**"));
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(text) });
}

#[test]
fn builtin_html_is_self_contained_and_escaped() {
    let text = report("builtin:html");
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.contains("<style>"), "inline styles, no external assets");
    assert!(!text.contains("<link") && !text.contains("<script"));
    assert!(text.contains("Fine &lt;b&gt;check&lt;&#x2f;b&gt;"), "names are escaped");
    assert!(text.contains("class=\"badge critical\""));
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(text) });
}

#[test]
fn builtin_json_is_the_run_record() {
    let text = report("builtin:json");
    let record: runner::outcome::RunRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(record.checks.len(), 3);
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!(text) });
}

#[test]
fn a_custom_template_sees_the_documented_context() {
    let template = r#"{{ playbook.name }} ({{ playbook.description }}) in {{ playbook.timezone }}, team {{ vars.team }}
run {{ run.status }} exit {{ run.exit_code }} at {{ run.started_at | strftime('%Y') }}
{% for phase in phases %}phase {{ phase.id }} {{ phase.status }}
{% endfor %}{% for check in checks %}{{ check.id }} {{ check.status }} {{ check.kind }} [{{ check.metrics | items | map(attribute=0) | join(",") }}] {{ check.attempts }}
{% endfor %}summary {{ summary.total }}/{{ summary.ok }}/{{ summary.critical }}/{{ summary.manual }}
home {% if env.HOME %}set{% endif %}
"#;
    let test = Test::new().file("templates/mine.txt.j2", template).file(
        "p.yaml",
        &playbook("templates/mine.txt.j2", "out/{{ playbook.name }}-{{ run.started_at | strftime('%Y') }}.txt", ""),
    );
    let output = test.run_args(&["run", "p.yaml"]);
    let year = jiff::Zoned::now().year();
    let path = test.path(&format!("out/reported-{year}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {}", output.stdout));
    assert_eq!(
        text,
        format!(
            "reported (A report of every kind of result.) in Europe/Berlin, team ops\nrun critical exit 2 at {year}\nphase checks critical\nfine ok command [duration_ms,exit_code,used] 1\nbroken critical command [duration_ms,exit_code] 1\nreview manual manual [] 1\nsummary 3/1/1/1\nhome set\n"
        )
    );
}

#[test]
fn retention_deletes_only_this_playbooks_reports() {
    let test = Test::new()
        .file("out/someone-elses.md", "not ours")
        .file("p.yaml", &playbook("builtin:markdown", "out/r-{{ run.id }}.md", "  keep_last: 2\n"));
    for _ in 0..4 {
        test.run_args(&["run", "p.yaml"]);
    }
    let mut names: Vec<String> = std::fs::read_dir(test.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"someone-elses.md".to_string()));
    // keep: by age. Everything older than 1s goes, except the newest report.
    let test = Test::new()
        .file("out/keep.md", "x")
        .file("p.yaml", &playbook("builtin:markdown", "out/a-{{ run.id }}.md", "  keep: 1s\n"));
    test.run_args(&["run", "p.yaml"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(output.stdout.contains("deleted 1 old report"), "{}", output.stdout);
    let names: Vec<String> = std::fs::read_dir(test.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn an_unwritable_report_folder_loses_nothing() {
    let test = Test::new()
        .file("blocked", "a file where the folder should be")
        .file("p.yaml", &playbook("builtin:markdown", "blocked/report.md", ""));
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(output.code, 2, "the run's status, not an I/O error");
    assert!(output.stdout.contains("✗ cannot write the report blocked/report.md: File exists"), "{}", output.stdout);
    // The run is stored anyway.
    let history = test.run_args(&["history", "reported", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn a_write_to_a_full_disk_leaves_no_temporary_file() {
    use crate::support::mount::{Mounted, can_mount};
    if !can_mount("a_write_to_a_full_disk_leaves_no_temporary_file") {
        return;
    }
    let test = Test::new().file("p.yaml", &playbook("builtin:markdown", "full/report.md", ""));
    let full = Mounted::tmpfs(&test.path("full"), "64k");
    // Fill it: every later write fails with ENOSPC, though files can still be created.
    let _ = std::fs::write(full.point.join("filler"), vec![0u8; 128 << 10]);
    let report = test.run_args(&["run", "p.yaml"]);
    let output = test.run_args(&["run", "--output", "full/out.json", "--format", "json", "p.yaml"]);
    let leftovers: Vec<String> = std::fs::read_dir(&full.point)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "filler")
        .collect();
    // Both writes really failed, and said so.
    let said = "cannot write the report full/report.md: No space left on device";
    assert!(report.stdout.contains(said), "{}", report.stdout);
    assert_eq!(report.code, 2, "the run's status, not an I/O error");
    assert_eq!(output.code, 74, "--output failing is an I/O error: {}", output.stderr);
    assert!(output.stderr.contains("cannot write full/out.json: No space left on device"), "{}", output.stderr);
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_dry_run_says_where_the_report_would_go() {
    let test = Test::new().file("p.yaml", &playbook("builtin:markdown", "out/{{ playbook.name }}.md", "  keep: 7d\n"));
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert!(output.stdout.contains("would write out/reported.md"), "{}", output.stdout);
    assert!(output.stdout.contains("would delete this playbook's reports older than 7d"));
    assert!(!test.path("out").exists());
}
