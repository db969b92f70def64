//! `--format nagios`: what a Nagios/Icinga check command reads (the plugin development
//! guidelines): one status line — status, a summary naming the failing checks and the run's
//! notes, then `|` and perfdata — and one line per check as long output. The exit code
//! (0/1/2/3) is already the plugin one; the exits of runner's own errors are in
//! [`super::plugin_exit`].
//!
//! Perfdata follow the guidelines' grammar, `'label'=value[UOM];[warn];[crit];[min];[max]`:
//! values keep every digit, units come from the plugin that measured them or from the
//! metric's name (`_ms`, `_s`, `_percent`, `_bytes`, `_mb`), and warn/crit are the
//! playbook's thresholds as Nagios ranges (a plugin's own ranges when the playbook has none).

use super::Format;
use super::units::{Scale, base_unit, nagios_value};
use crate::outcome::{CheckResult, MetricMeta, RunRecord, Status, exact_number};

pub struct Nagios;

/// Text for a plugin line: no `|` (it would start perfdata) and no line break.
pub fn plugin_text(text: &str) -> String {
    text.replace('|', "/").replace(['\n', '\r'], " ")
}

/// A perfdata label: `=` is not allowed in one (guidelines), so it becomes `_`; quoted
/// with `'` when it has spaces or a quote, which is doubled.
fn perf_label(label: &str) -> String {
    let label = plugin_text(label).replace('=', "_");
    if label.chars().any(|c| c.is_whitespace() || c == '\'') {
        format!("'{}'", label.replace('\'', "''"))
    } else {
        label
    }
}

/// A unit of measure from a metric's name, for metrics whose probe did not give one.
fn unit_from_name(metric: &str) -> Option<&'static str> {
    [("_ms", "ms"), ("_percent", "%"), ("_bytes", "B"), ("_mb", "MB"), ("_s", "s")]
        .into_iter()
        .find(|(suffix, _)| metric.ends_with(suffix))
        .map(|(_, unit)| unit)
}

/// A Nagios range (`[@][start:][end]`, `~` for minus infinity) with its numbers scaled;
/// `None` when a part is not a number.
fn scaled_range(range: &str, scale: Scale) -> Option<String> {
    let (at, body) = range.strip_prefix('@').map_or(("", range), |rest| ("@", rest));
    let parts: Option<Vec<String>> = body
        .split(':')
        .map(|part| match part {
            "" | "~" => Some(part.to_string()),
            number => number.parse().ok().map(|n| exact_number(scale.apply(n))),
        })
        .collect();
    parts.map(|parts| format!("{at}{}", parts.join(":")))
}

/// One perfdata item, trailing empty fields dropped. A unit outside the guidelines is
/// converted to its guideline base unit, ranges and bounds with it (the check's details say so).
fn perf_item(check: &CheckResult, name: &str, value: f64) -> String {
    let meta = check.meta.get(name).cloned().unwrap_or_default();
    let plugin_unit = meta.unit.clone().or_else(|| unit_from_name(name).map(str::to_string)).unwrap_or_default();
    let (value, unit, converted) = nagios_value(value, &plugin_unit);
    let scale = match base_unit(&plugin_unit) {
        Some(base) if converted => base.scale,
        _ => Scale::Times(1.0),
    };
    let value = if value.is_finite() { exact_number(value) } else { "U".to_string() };
    let MetricMeta { warn, crit, min, max, .. } = meta;
    let (warn, crit) = (warn.and_then(|r| scaled_range(&r, scale)), crit.and_then(|r| scaled_range(&r, scale)));
    let (min, max) = (min.map(|n| scale.apply(n)), max.map(|n| scale.apply(n)));
    let (min, max) = match (unit, min, max) {
        ("%", None, None) => (Some(0.0), Some(100.0)),
        _ => (min, max),
    };
    let number = |n: Option<f64>| n.map(exact_number).unwrap_or_default();
    let fields = [
        format!("{value}{unit}"),
        warn.as_deref().map(plugin_text).unwrap_or_default(),
        crit.as_deref().map(plugin_text).unwrap_or_default(),
        number(min),
        number(max),
    ];
    let item = fields.join(";");
    format!("{}={}", perf_label(&format!("{}.{name}", check.id)), item.trim_end_matches(';'))
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
        let mut summary = if failing.is_empty() {
            format!("{} of {} checks ok", record.summary.ok, record.summary.total)
        } else {
            format!("{}; {} ok", failing.join(", "), record.summary.ok)
        };
        // Notes (a store that could not be written) ride on the status line: a plugin's
        // reader sees only that line, and the exit code stays the run's.
        for note in &record.notes {
            summary.push_str(&format!("; note: {note}"));
        }
        let perf: Vec<String> = record
            .checks
            .iter()
            .flat_map(|check| check.metrics.iter().map(move |(name, value)| perf_item(check, name, *value)))
            .collect();
        let first = plugin_text(&format!("RUNNER {} - {}: {summary}", record.status.label(), record.playbook));
        let mut out = if perf.is_empty() { first } else { format!("{first} | {}", perf.join(" ")) };
        out.push('\n');
        for check in &record.checks {
            out.push_str(&plugin_text(&format!("[{}] {}: {}", check.status.label(), check.id, check.message)));
            out.push('\n');
        }
        out
    }
}
