//! `--format nagios`: one line a Nagios/Icinga check command understands — status, a
//! summary naming the failing checks, and perfdata — then one line per check as long
//! output. The exit code (0/1/2/3) is already the Nagios one.

use super::Format;
use crate::outcome::{RunRecord, Status, format_number};

pub struct Nagios;

/// A perfdata label: quoted with `'` when it has spaces or `=`; `'` doubled.
fn perf_label(label: &str) -> String {
    if label.chars().any(|c| c.is_whitespace() || c == '=' || c == '\'') {
        format!("'{}'", label.replace('\'', "''"))
    } else {
        label.to_string()
    }
}

/// A unit for perfdata from a metric's name.
fn unit(metric: &str) -> &'static str {
    if metric.ends_with("_ms") {
        "ms"
    } else if metric.ends_with("_percent") {
        "%"
    } else if metric.ends_with("_bytes") {
        "B"
    } else if metric.ends_with("_s") {
        "s"
    } else {
        ""
    }
}

impl Format for Nagios {
    fn render(&self, record: &RunRecord) -> String {
        let failing: Vec<String> = [Status::Critical, Status::Unknown, Status::Warning]
            .iter()
            .filter_map(|status| {
                let ids: Vec<&str> =
                    record.checks.iter().filter(|c| c.status == *status).map(|c| c.id.as_str()).collect();
                (!ids.is_empty()).then(|| format!("{} {} ({})", ids.len(), status.name(), ids.join(", ")))
            })
            .collect();
        let summary = if failing.is_empty() {
            format!("{} of {} checks ok", record.summary.ok, record.summary.total)
        } else {
            format!("{}; {} ok", failing.join(", "), record.summary.ok)
        };
        let mut perf: Vec<String> = Vec::new();
        for check in &record.checks {
            for (name, value) in &check.metrics {
                let label = perf_label(&format!("{}.{name}", check.id));
                perf.push(format!("{label}={}{}", format_number(*value), unit(name)));
            }
        }
        let first = format!("RUNNER {} - {}: {summary}", record.status.label(), record.playbook).replace('|', "/");
        let mut out = if perf.is_empty() { first } else { format!("{first} | {}", perf.join(" ")) };
        out.push('\n');
        for check in &record.checks {
            out.push_str(&format!("[{}] {}: {}\n", check.status.label(), check.id, check.message.replace('|', "/")));
        }
        out
    }
}
