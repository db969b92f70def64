//! `--format prometheus`: the text exposition format, for node_exporter's textfile
//! collector (write it with `--output /var/lib/node_exporter/textfile/runner.prom`).
//! Statuses are gauges with a `status` label (one series per status, 1 for the current
//! one), so alert rules can match on names, not magic numbers.

use super::Format;
use crate::outcome::{RunRecord, Status, format_number};

pub struct Prometheus;

/// Escapes a label value (backslash, double quote, newline).
pub fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A metric name from a free-form one: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn metric_name(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format_number(value)
    }
}

impl Format for Prometheus {
    fn render(&self, record: &RunRecord) -> String {
        let pb = label(&record.playbook);
        let mut out = String::new();
        family(
            &mut out,
            "runner_run_status",
            "The run's status: 1 for the status it ended with, 0 for the others.",
            "gauge",
        );
        for status in [Status::Ok, Status::Warning, Status::Critical, Status::Unknown] {
            out.push_str(&format!(
                "runner_run_status{{playbook=\"{pb}\",status=\"{}\"}} {}\n",
                status.name(),
                u8::from(record.status == status)
            ));
        }
        let started: f64 =
            record.started_at.parse::<jiff::Timestamp>().map(|t| t.as_millisecond() as f64 / 1000.0).unwrap_or(0.0);
        family(&mut out, "runner_run_timestamp_seconds", "When the run started (Unix time).", "gauge");
        out.push_str(&format!("runner_run_timestamp_seconds{{playbook=\"{pb}\"}} {}\n", number(started)));
        family(&mut out, "runner_run_duration_seconds", "How long the run took.", "gauge");
        out.push_str(&format!(
            "runner_run_duration_seconds{{playbook=\"{pb}\"}} {}\n",
            number(record.duration_ms as f64 / 1000.0)
        ));
        family(
            &mut out,
            "runner_run_exit_code",
            "The exit code of the run (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
            "gauge",
        );
        out.push_str(&format!("runner_run_exit_code{{playbook=\"{pb}\"}} {}\n", record.exit_code));

        family(
            &mut out,
            "runner_check_status",
            "A check's status: 1 for the status it ended with, 0 for the others.",
            "gauge",
        );
        for check in &record.checks {
            for status in Status::ALL {
                out.push_str(&format!(
                    "runner_check_status{{playbook=\"{pb}\",phase=\"{}\",check=\"{}\",status=\"{}\"}} {}\n",
                    label(check.phase.as_deref().unwrap_or("")),
                    label(&check.id),
                    status.name(),
                    u8::from(check.status == status)
                ));
            }
        }
        family(&mut out, "runner_check_duration_seconds", "How long the check took, all attempts included.", "gauge");
        for check in &record.checks {
            out.push_str(&format!(
                "runner_check_duration_seconds{{playbook=\"{pb}\",phase=\"{}\",check=\"{}\"}} {}\n",
                label(check.phase.as_deref().unwrap_or("")),
                label(&check.id),
                number(check.duration_ms as f64 / 1000.0)
            ));
        }
        family(&mut out, "runner_check_attempts", "Attempts the check took.", "gauge");
        for check in &record.checks {
            out.push_str(&format!(
                "runner_check_attempts{{playbook=\"{pb}\",phase=\"{}\",check=\"{}\"}} {}\n",
                label(check.phase.as_deref().unwrap_or("")),
                label(&check.id),
                check.attempts
            ));
        }
        family(&mut out, "runner_check_metric", "A metric a check measured, by name.", "gauge");
        for check in &record.checks {
            for (name, value) in &check.metrics {
                out.push_str(&format!(
                    "runner_check_metric{{playbook=\"{pb}\",phase=\"{}\",check=\"{}\",metric=\"{}\"}} {}\n",
                    label(check.phase.as_deref().unwrap_or("")),
                    label(&check.id),
                    label(name),
                    number(*value)
                ));
            }
        }
        out
    }
}
