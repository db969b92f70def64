//! `--format prometheus`: the text exposition format, for node_exporter's textfile
//! collector (write it with `--output /var/lib/node_exporter/textfile/runner.prom`); the
//! daemon's `/metrics` renders its checks with the same [`check_samples`].
//!
//! Names follow the Prometheus naming guide: base units in the name (`_seconds`, `_bytes`,
//! `_ratio`), one meaning per name, `_total` only on counters. Per check: `runner_check_success`
//! (0/1), `runner_check_status` (one series per status, 1 for the current one, so alert rules
//! match on names, not magic numbers), `runner_check_duration_seconds`, `runner_check_attempts`.
//! Each measured metric gets a family of its own whose name carries its unit: the kinds'
//! metrics as `runner_check_<name>` (`latency_ms` → `runner_check_latency_seconds`,
//! `cert_days_left` → `runner_check_cert_expiry_timestamp_seconds`), the ones a playbook or
//! a plugin named as `runner_metric_<name>` (a plugin's `time=0.2s` → `runner_metric_time_seconds`).
//! Values keep every digit.

use indexmap::IndexMap;

use super::Format;
use super::units::{BaseUnit, Scale, base_unit, without_abbreviations};
use crate::outcome::{CheckResult, MetricMeta, RunRecord, Status, exact_number};

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

/// A sample value: every digit, and the exposition format's spellings of NaN and infinity.
pub fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        exact_number(value)
    }
}

struct Family {
    help: String,
    kind: &'static str,
    /// (label set, value); a label set seen twice keeps its first value.
    samples: IndexMap<String, f64>,
}

/// Samples collected by family and printed family by family, as the exposition format
/// wants (all samples of a name together, after its HELP and TYPE).
#[derive(Default)]
pub struct Exposition {
    families: IndexMap<String, Family>,
}

impl Exposition {
    /// Adds a sample (`labels` without braces, already escaped; empty for none).
    pub fn sample(&mut self, name: &str, help: &str, kind: &'static str, labels: &str, value: f64) {
        let family = self.families.entry(name.to_string()).or_insert_with(|| Family {
            help: help.to_string(),
            kind,
            samples: IndexMap::new(),
        });
        family.samples.entry(labels.to_string()).or_insert(value);
    }

    /// Declares a family that may have no sample (its HELP and TYPE still say it exists).
    pub fn declare(&mut self, name: &str, help: &str, kind: &'static str) {
        self.families.entry(name.to_string()).or_insert_with(|| Family {
            help: help.to_string(),
            kind,
            samples: IndexMap::new(),
        });
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, family) in &self.families {
            out.push_str(&format!("# HELP {name} {}\n# TYPE {name} {}\n", help_text(&family.help), family.kind));
            for (labels, value) in &family.samples {
                let labels = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
                out.push_str(&format!("{name}{labels} {}\n", number(*value)));
            }
        }
        out
    }
}

/// `runner_build_info` (the daemon's `/metrics`): which runner this is, as a constant 1.
pub fn build_info(out: &mut Exposition) {
    out.sample(
        "runner_build_info",
        "The runner version that produced these metrics (always 1).",
        "gauge",
        &format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        1.0,
    );
}

/// How one measured metric reads in Prometheus: its family (`base` then the unit's
/// `suffix`), help and type, and the scale that brings its value to the base unit.
struct Mapping {
    base: String,
    suffix: &'static str,
    help: String,
    kind: &'static str,
    scale: Scale,
}

impl Mapping {
    fn family(&self) -> String {
        format!("{}{}", self.base, self.suffix)
    }
}

/// The metrics the check kinds produce (PLAYBOOK.md); others were named by a playbook or
/// a plugin and live under `runner_metric_`, so they can never take a kind's family.
const KIND_METRICS: &[&str] = &[
    "latency_ms",
    "duration_ms",
    "status_code",
    "body_bytes",
    "exit_code",
    "value",
    "rows",
    "count",
    "rss_mb",
    "cpu_percent",
    "restarts",
    "active",
    "age_s",
    "size_bytes",
    "matches",
    "lines",
    "samples",
    "memory_used_percent",
    "swap_used_percent",
    "disk_used_percent",
    "disk_free_bytes",
    "inodes_used_percent",
    "load_1m",
    "load_5m",
    "load_15m",
    "uptime_s",
    "server_version_num",
    "replication_lag_s",
    "answers",
    "messages",
    "consumers",
    "pending",
];

/// Kind metrics whose plain name would mean something else among the check families (a
/// command's run time is not the check's duration) or across kinds (processes are not
/// files), or would end in a suffix the exposition format reserves (`_count`).
const KIND_RENAMES: &[(&str, &str, &str)] = &[
    ("command", "duration_ms", "command_duration_ms"),
    ("http", "status_code", "http_status_code"),
    ("process", "count", "processes"),
    ("file", "count", "files"),
];

/// Suffixes the exposition format gives a meaning (histograms, summaries, counters); a
/// gauge named so gets `_value` after it.
const RESERVED_SUFFIXES: &[&str] = &["_count", "_sum", "_bucket", "_total", "_created", "_info"];

fn mapping(kind: &str, metric: &str, unit: Option<&str>) -> Mapping {
    let kind_metric = KIND_METRICS.contains(&metric);
    let prefix = if kind_metric { "runner_check_" } else { "runner_metric_" };
    let renamed = KIND_RENAMES.iter().find(|(k, from, _)| *k == kind && *from == metric).map(|(_, _, to)| *to);
    let name = renamed.unwrap_or(metric);
    // The unit: the plugin's, else the name's suffix (`latency_ms`, `age_s`, `uptime_h`);
    // a unit suffix leaves the name either way (a plugin's `wait_ms=3ms` is not `…_ms_seconds`),
    // and a name that is only a unit (`ms`) measures a `value`.
    let (stem, suffix) = match name.rsplit_once('_') {
        Some((stem, suffix)) if base_unit(suffix).is_some() => (stem, Some(suffix)),
        None if base_unit(name).is_some() => ("value", Some(name)),
        _ => (name, None),
    };
    let stem = without_abbreviations(&metric_name(stem));
    match unit.or(suffix).and_then(base_unit) {
        Some(BaseUnit { suffix, scale, counter, .. }) => {
            let stem = stem.strip_suffix(suffix).unwrap_or(&stem);
            Mapping {
                base: format!("{prefix}{stem}"),
                suffix,
                help: format!("The checks' `{metric}` in base units."),
                kind: if counter { "counter" } else { "gauge" },
                scale,
            }
        }
        None => {
            let reserved = RESERVED_SUFFIXES.iter().any(|suffix| format!("_{stem}").ends_with(suffix));
            Mapping {
                base: format!("{prefix}{stem}"),
                suffix: if reserved { "_value" } else { "" },
                help: format!("The checks' `{metric}`."),
                kind: "gauge",
                scale: Scale::Times(1.0),
            }
        }
    }
}

/// A HELP text as the exposition format wants it: backslash and line break escaped.
fn help_text(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A state set: one series per status, 1 for the current one, so alert rules match on
/// names, not magic numbers.
fn status_set(out: &mut Exposition, name: &str, help: &str, labels: &str, statuses: &[Status], current: Status) {
    for status in statuses {
        let labels = format!("{labels},status=\"{}\"", status.name());
        out.sample(name, help, "gauge", &labels, f64::from(u8::from(current == *status)));
    }
}

/// A check's samples: success, status, duration, attempts and every measured metric,
/// labelled with `playbook`, `phase` and `check`. `measured_at` is when it ran (Unix
/// seconds), which turns days left on a certificate into its expiry time.
pub fn check_samples(out: &mut Exposition, playbook: &str, check: &CheckResult, measured_at: f64) {
    let labels = format!(
        "playbook=\"{}\",phase=\"{}\",check=\"{}\"",
        label(playbook),
        label(check.phase.as_deref().unwrap_or("")),
        label(&check.id)
    );
    let labels = labels.as_str();
    if check.status.counts() {
        out.sample(
            "runner_check_success",
            "1 when the check ended OK, 0 when it failed (SKIPPED and MANUAL checks have no sample).",
            "gauge",
            labels,
            f64::from(u8::from(check.status == Status::Ok)),
        );
    }
    let help = "A check's status: 1 for the status it ended with, 0 for the others.";
    status_set(out, "runner_check_status", help, labels, &Status::ALL, check.status);
    out.sample(
        "runner_check_duration_seconds",
        "How long the check took, all attempts included.",
        "gauge",
        labels,
        check.duration_ms as f64 / 1000.0,
    );
    out.sample("runner_check_attempts", "Attempts the check took.", "gauge", labels, f64::from(check.attempts));
    if let Some(days) = check.metrics.get("cert_days_left") {
        out.sample(
            "runner_check_cert_expiry_timestamp_seconds",
            "When the certificate the check saw expires (Unix time).",
            "gauge",
            labels,
            measured_at + days * 86_400.0,
        );
    }
    for named in named_metrics(&check.kind, &check.metrics, &check.meta) {
        let help = match named.first {
            None => named.mapping.help.clone(),
            Some(first) => {
                format!("{} Numbered: the check's `{first}` has the name without the number.", named.mapping.help)
            }
        };
        let value = named.mapping.scale.apply(check.metrics[named.metric]);
        out.sample(&named.family, &help, named.mapping.kind, labels, value);
    }
}

/// One measured metric of a check with the family it is rendered in.
struct NamedMetric<'a> {
    metric: &'a str,
    mapping: Mapping,
    family: String,
    /// The check's metric that kept the plain name, when this one met it and was numbered.
    first: Option<&'a str>,
}

/// The families of one check's measured metrics, in order. Metrics whose names meet
/// (`lag_ms` and `lag_s`, a plugin's `x-y` and `x_y`) all stay: the first keeps the name,
/// the next get `_2`, `_3`… before the unit.
fn named_metrics<'a>(
    kind: &str,
    metrics: &'a IndexMap<String, f64>,
    meta: &'a IndexMap<String, MetricMeta>,
) -> Vec<NamedMetric<'a>> {
    let mut taken: IndexMap<String, &str> = IndexMap::new();
    let mut named = Vec::new();
    for metric in metrics.keys().filter(|name| *name != "cert_days_left") {
        let mapping = mapping(kind, metric, meta.get(metric).and_then(|m| m.unit.as_deref()));
        let first = taken.get(&mapping.family()).copied();
        let family = match first {
            None => mapping.family(),
            Some(_) => (2..)
                .map(|n| format!("{}_{n}{}", mapping.base, mapping.suffix))
                .find(|family| !taken.contains_key(family))
                .unwrap_or_default(),
        };
        taken.insert(family.clone(), metric);
        named.push(NamedMetric { metric, mapping, family, first });
    }
    named
}

/// For a check's details: the metrics whose Prometheus names met, and the names they got.
pub fn shared_name_notes(
    kind: &str,
    metrics: &IndexMap<String, f64>,
    meta: &IndexMap<String, MetricMeta>,
) -> Vec<String> {
    named_metrics(kind, metrics, meta)
        .into_iter()
        .filter_map(|named| {
            named.first.map(|first| {
                format!(
                    "metrics `{first}` and `{}` meet in one Prometheus name: `{}` is `{}`",
                    named.metric, named.metric, named.family
                )
            })
        })
        .collect()
}

/// Unix seconds of an RFC 3339 time, with milliseconds.
pub fn unix_seconds(time: &str) -> Option<f64> {
    time.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond() as f64 / 1000.0)
}

impl Format for Prometheus {
    fn render(&self, record: &RunRecord) -> String {
        let pb = label(&record.playbook);
        // No `runner_build_info` here: node_exporter's textfile collector refuses one series
        // found in two files, and every playbook's run writes a file of its own.
        let mut out = Exposition::default();
        let statuses = [Status::Ok, Status::Warning, Status::Critical, Status::Unknown];
        let help = "The run's status: 1 for the status it ended with, 0 for the others.";
        status_set(&mut out, "runner_run_status", help, &format!("playbook=\"{pb}\""), &statuses, record.status);
        let started = unix_seconds(&record.started_at).unwrap_or(0.0);
        let playbook = format!("playbook=\"{pb}\"");
        out.sample("runner_run_timestamp_seconds", "When the run started (Unix time).", "gauge", &playbook, started);
        out.sample(
            "runner_run_duration_seconds",
            "How long the run took.",
            "gauge",
            &playbook,
            record.duration_ms as f64 / 1000.0,
        );
        out.sample(
            "runner_run_exit_code",
            "The exit code of the run (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
            "gauge",
            &playbook,
            f64::from(record.exit_code),
        );
        for check in &record.checks {
            check_samples(&mut out, &record.playbook, check, started);
        }
        let mut text = out.render();
        // The run's notes (a store that could not be written) as comments: scrapers skip
        // them, people reading the file see them.
        for note in &record.notes {
            text.push_str(&format!("# note: {}\n", note.replace('\n', " ")));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(metric: &str, unit: Option<&str>) -> (String, f64) {
        let kind = if metric == "duration_ms" { "command" } else { "http" };
        let m = mapping(kind, metric, unit);
        (m.family(), m.scale.apply(381.0))
    }

    #[test]
    fn units_go_into_the_name_in_base_units() {
        assert_eq!(family("latency_ms", None), ("runner_check_latency_seconds".into(), 0.381));
        assert_eq!(family("cpu_percent", None), ("runner_check_cpu_ratio".into(), 3.81));
        assert_eq!(family("rss_mb", None), ("runner_check_rss_bytes".into(), 381.0 * 1024.0 * 1024.0));
        assert_eq!(family("age_s", None), ("runner_check_age_seconds".into(), 381.0));
        assert_eq!(family("size_bytes", None), ("runner_check_size_bytes".into(), 381.0));
        assert_eq!(family("rows", None), ("runner_check_rows".into(), 381.0));
        assert_eq!(family("duration_ms", None).0, "runner_check_command_duration_seconds");
        assert_eq!(family("status_code", None).0, "runner_check_http_status_code");
        assert_eq!(family("queue", None), ("runner_metric_queue".into(), 381.0));
        assert_eq!(family("time", Some("us")), ("runner_metric_time_seconds".into(), 0.000381));
        assert_eq!(family("time_seconds", Some("s")), ("runner_metric_time_seconds".into(), 381.0));
        assert_eq!(family("/boot", Some("MB")).0, "runner_metric__boot_bytes");
        assert_eq!(family("wait_ms", Some("ms")), ("runner_metric_wait_seconds".into(), 0.381));
        assert_eq!(mapping("command", "sent", Some("c")).kind, "counter");
        assert_eq!(mapping("process", "count", None).family(), "runner_check_processes");
        assert_eq!(mapping("file", "count", None).family(), "runner_check_files");
        assert_eq!(mapping("command", "count", None).family(), "runner_check_count_value");
        assert_eq!(mapping("command", "jobs_total", None).family(), "runner_metric_jobs_total_value");
        assert_eq!(family("sent", Some("c")).0, "runner_metric_sent_total");
        // A playbook's own `success` cannot take the check family's name.
        assert_eq!(family("success", None).0, "runner_metric_success");
    }

    #[test]
    fn abbreviated_units_become_base_units_or_leave_the_name() {
        assert_eq!(family("uptime_h", None), ("runner_metric_uptime_seconds".into(), 381.0 * 3600.0));
        assert_eq!(family("age_d", None), ("runner_metric_age_seconds".into(), 381.0 * 86_400.0));
        assert_eq!(family("time_sec", None), ("runner_metric_time_seconds".into(), 381.0));
        assert_eq!(family("a|b", None).0, "runner_metric_ab");
        assert_eq!(family("it's", Some("B")).0, "runner_metric_its_bytes");
        assert_eq!(family("k", Some("Gb")), ("runner_metric_k_bytes".into(), 381.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(family("m", Some("ns")), ("runner_metric_mvalue_seconds".into(), 0.000000381));
        assert_eq!(family("ms", None), ("runner_metric_value_seconds".into(), 0.381));
    }

    #[test]
    fn help_text_escapes_backslash_and_line_break() {
        let mut out = Exposition::default();
        out.sample("a", "The checks' `c:\\ U`\nsplit.", "gauge", "", 1.0);
        assert_eq!(out.render(), "# HELP a The checks' `c:\\\\ U`\\nsplit.\n# TYPE a gauge\na 1\n");
    }

    #[test]
    fn families_print_together_and_keep_every_digit() {
        let mut out = Exposition::default();
        out.sample("a", "A.", "gauge", "x=\"1\"", 0.000381);
        out.sample("b", "B.", "gauge", "", 1.0);
        out.sample("a", "A.", "gauge", "x=\"2\"", 2.5);
        out.sample("a", "A.", "gauge", "x=\"2\"", 9.0);
        assert_eq!(
            out.render(),
            "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 0.000381\na{x=\"2\"} 2.5\n# HELP b B.\n# TYPE b gauge\nb 1\n"
        );
    }
}
