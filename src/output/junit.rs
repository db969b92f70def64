//! `--format junit`: JUnit XML as Jenkins (junit and xunit plugins) and GitLab read it: only
//! what the common junit-4 schema allows (the shape of Jenkins' `junit-4.xsd`, kept in
//! tests/fixtures/junit-4.xsd and checked with xmllint). One `testsuite` per phase (or one for a
//! checks-only playbook), one `testcase` per check. WARNING and CRITICAL are `failure`s,
//! UNKNOWN an `error`, SKIPPED and MANUAL `skipped`. Metrics are `properties` of the suite
//! (`check.metric`), the schema's only place for them; the run's notes are its `system-out`.

use super::Format;
use crate::outcome::{CheckResult, RunRecord, Status, exact_number};

pub struct Junit;

/// Escapes text for XML content and attributes, dropping characters XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

impl Format for Junit {
    fn render(&self, record: &RunRecord) -> String {
        // Group checks by phase, in order of appearance.
        let mut groups: Vec<(Option<String>, Vec<&CheckResult>)> = Vec::new();
        for check in &record.checks {
            match groups.iter_mut().find(|(p, _)| *p == check.phase) {
                Some((_, list)) => list.push(check),
                None => groups.push((check.phase.clone(), vec![check])),
            }
        }
        let count =
            |list: &[&CheckResult], pred: &dyn Fn(Status) -> bool| list.iter().filter(|c| pred(c.status)).count();
        let failures = |s: Status| matches!(s, Status::Warning | Status::Critical);
        let errors = |s: Status| s == Status::Unknown;
        let skipped = |s: Status| matches!(s, Status::Skipped | Status::Manual);
        let all: Vec<&CheckResult> = record.checks.iter().collect();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n",
            escape(&record.playbook),
            all.len(),
            count(&all, &failures),
            count(&all, &errors),
            seconds(record.duration_ms),
        ));
        // A run that selected no check is still one (empty) suite, so its notes are said.
        if groups.is_empty() {
            groups.push((None, Vec::new()));
        }
        for (phase, list) in &groups {
            let suite = match phase {
                Some(phase) => format!("{}.{phase}", record.playbook),
                None => record.playbook.clone(),
            };
            let time: u64 = list.iter().map(|c| c.duration_ms).max().unwrap_or(0);
            out.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">\n",
                escape(&suite),
                list.len(),
                count(list, &failures),
                count(list, &errors),
                count(list, &skipped),
                seconds(time),
                escape(&record.started_at),
            ));
            out.push_str(&properties(list));
            for check in list {
                out.push_str(&testcase(check, &suite));
            }
            if !record.notes.is_empty() {
                let notes: Vec<String> = record.notes.iter().map(|n| format!("note: {n}")).collect();
                out.push_str(&format!("    <system-out>{}</system-out>\n", escape(&notes.join("\n"))));
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// The test name: the check's name, with its id only when the two differ.
fn test_name(check: &CheckResult) -> String {
    if check.name == check.id { check.id.clone() } else { format!("{} ({})", check.name, check.id) }
}

fn testcase(check: &CheckResult, suite: &str) -> String {
    let mut out = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n",
        escape(&test_name(check)),
        escape(suite),
        seconds(check.duration_ms)
    );
    let body = details(check);
    match check.status {
        Status::Ok => {}
        Status::Warning | Status::Critical => out.push_str(&format!(
            "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
            escape(&check.message),
            check.status.label(),
            escape(&body)
        )),
        Status::Unknown => out.push_str(&format!(
            "      <error message=\"{}\" type=\"UNKNOWN\">{}</error>\n",
            escape(&check.message),
            escape(&body)
        )),
        Status::Skipped | Status::Manual => out.push_str(&format!(
            "      <skipped message=\"{}\"/>\n",
            escape(&format!("{}: {}", check.status.label(), check.message))
        )),
    }
    out.push_str("    </testcase>\n");
    out
}

/// The suite's `properties`: each check's metrics as `check.metric`, every digit kept.
fn properties(list: &[&CheckResult]) -> String {
    let items: Vec<String> = list
        .iter()
        .flat_map(|check| {
            check.metrics.iter().map(move |(name, value)| {
                format!(
                    "      <property name=\"{}\" value=\"{}\"/>\n",
                    escape(&format!("{}.{name}", check.id)),
                    exact_number(*value)
                )
            })
        })
        .collect();
    if items.is_empty() { String::new() } else { format!("    <properties>\n{}    </properties>\n", items.concat()) }
}

fn details(check: &CheckResult) -> String {
    let mut text = check.message.clone();
    for line in &check.details {
        text.push('\n');
        text.push_str(line);
    }
    if let Some(runbook) = &check.runbook {
        text.push_str("\nrunbook: ");
        text.push_str(runbook);
    }
    text
}
