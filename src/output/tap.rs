//! `--format tap`: TAP version 13, one test point per check. WARNING, CRITICAL and UNKNOWN
//! are `not ok` (failing, as in PLAYBOOK.md); SKIPPED is `# SKIP`, MANUAL is `# TODO`.
//! Each point carries a YAML block with status, message, duration and metrics (every
//! digit); the run's notes are `# note:` diagnostics.

use super::Format;
use crate::outcome::{RunRecord, Status, exact_number};

pub struct Tap;

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

impl Format for Tap {
    fn render(&self, record: &RunRecord) -> String {
        let mut out = String::from("TAP version 13\n");
        out.push_str(&format!("1..{}\n", record.checks.len()));
        for (i, check) in record.checks.iter().enumerate() {
            let n = i + 1;
            let label = match &check.phase {
                Some(phase) => format!("{phase}/{}", check.id),
                None => check.id.clone(),
            };
            let description = format!("{label} - {}", check.name).replace('#', "\\#");
            let line = match check.status {
                Status::Ok => format!("ok {n} {description}"),
                Status::Skipped => format!("ok {n} {description} # SKIP {}", check.message.replace('#', "\\#")),
                Status::Manual => {
                    format!("not ok {n} {description} # TODO manual: {}", check.message.replace('#', "\\#"))
                }
                _ => format!("not ok {n} {description}"),
            };
            out.push_str(&line.replace('\n', " "));
            out.push('\n');
            out.push_str("  ---\n");
            out.push_str(&format!("  status: {}\n", check.status.label()));
            out.push_str(&format!("  message: {}\n", yaml_string(&check.message)));
            out.push_str(&format!("  duration_ms: {}\n", check.duration_ms));
            out.push_str(&format!("  attempts: {}\n", check.attempts));
            if !check.metrics.is_empty() {
                out.push_str("  metrics:\n");
                for (name, value) in &check.metrics {
                    out.push_str(&format!("    {}: {}\n", yaml_string(name), exact_number(*value)));
                }
            }
            out.push_str("  ...\n");
        }
        // The run's notes (a store that could not be written) as diagnostics: TAP readers
        // show them and count nothing.
        for note in &record.notes {
            out.push_str(&format!("# note: {}\n", note.replace('\n', " ")));
        }
        out.push_str(&format!("# {}: {}\n", record.status.label(), record.summary.sentence()));
        out
    }
}
