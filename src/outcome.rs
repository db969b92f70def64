//! Results: the [`Status`] of a check, what a probe observed ([`Observation`]), a check's
//! result ([`CheckResult`]) and the one result shape of a run ([`RunRecord`]).
//!
//! `RunRecord` is the contract between the engine and everything after it: the JSON
//! output, the stored rows, the report context and the webhook payload are all views of
//! it. This module owns the shapes and the status arithmetic, not how they are produced.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// How a check ended. Ordered by how bad it is for the run's status:
/// OK < WARNING < UNKNOWN < CRITICAL. SKIPPED and MANUAL do not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Unknown,
    Skipped,
    Manual,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Ok, Status::Warning, Status::Critical, Status::Unknown, Status::Skipped, Status::Manual];

    /// The lowercase name, as in playbooks and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Critical => "critical",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
            Status::Manual => "manual",
        }
    }

    /// The uppercase label for people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
            Status::Skipped => "SKIPPED",
            Status::Manual => "MANUAL",
        }
    }

    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// WARNING, CRITICAL or UNKNOWN.
    pub fn is_failing(self) -> bool {
        matches!(self, Status::Warning | Status::Critical | Status::Unknown)
    }

    /// SKIPPED and MANUAL leave the run status and alert streaks alone.
    pub fn counts(self) -> bool {
        !matches!(self, Status::Skipped | Status::Manual)
    }

    /// Rank for "worst of": OK 0, WARNING 1, UNKNOWN 2, CRITICAL 3.
    pub fn rank(self) -> u8 {
        match self {
            Status::Ok | Status::Skipped | Status::Manual => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }

    /// The worse of two statuses (ignoring SKIPPED and MANUAL).
    pub fn worst(self, other: Status) -> Status {
        match (self.counts(), other.counts()) {
            (false, false) => Status::Ok,
            (true, false) => self,
            (false, true) => other,
            (true, true) => {
                if other.rank() > self.rank() {
                    other
                } else {
                    self
                }
            }
        }
    }

    /// The exit code of `runner run` for a run with this status.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok | Status::Skipped | Status::Manual => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// The Nagios plugin exit code meaning this status.
    pub fn from_nagios_code(code: i32) -> Status {
        match code {
            0 => Status::Ok,
            1 => Status::Warning,
            2 => Status::Critical,
            _ => Status::Unknown,
        }
    }

    /// One character for terminals and reports.
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Warning => "!",
            Status::Critical => "✗",
            Status::Unknown => "?",
            Status::Skipped => "-",
            Status::Manual => "☐",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The worst status among `statuses`; OK when none counts.
pub fn worst_of(statuses: impl IntoIterator<Item = Status>) -> Status {
    statuses.into_iter().fold(Status::Ok, Status::worst)
}

/// Formats a metric value for a message, without noise and never rounded to 0: `3`, `0.25`,
/// `1234.5`, `0.000381`.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    // Three decimals for numbers from 1 up; three significant digits below 1, so a small
    // non-zero value (0.000381) never reads as 0.
    let decimals = if value.abs() >= 1.0 || !value.is_finite() {
        3
    } else {
        (2 - value.abs().log10().floor() as i64).clamp(3, 340) as usize
    };
    let text = format!("{value:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Formats a metric value with every digit it has (`0.000381`, `1234.5678`), never in
/// exponent form: the machine-read outputs (perfdata, Prometheus, CSV) must not round.
pub fn exact_number(value: f64) -> String {
    if value == 0.0 { "0".to_string() } else { format!("{value}") }
}

/// What a probe concluded before thresholds and severity are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every expectation was met.
    Pass,
    /// The check's own failure (expectation not met, timeout, refused connection): it
    /// becomes the check's `severity`.
    Fail,
    /// Could not be evaluated (a manager that is not there, bad config found at run time).
    Unknown,
    /// The probe knows the status itself (a Nagios plugin's exit code, a manual item).
    Is(Status),
}

/// What a metric means beyond its number, for the outputs that carry it (Nagios perfdata,
/// Prometheus family names): a unit and the ranges that make it warn or crit. Filled from a
/// Nagios plugin's perfdata and from the playbook's thresholds; absent for most metrics, whose
/// name already says their unit (`latency_ms`, `size_bytes`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricMeta {
    /// A Nagios unit of measure: `s`, `ms`, `us`, `%`, `B`, `KB`, `MB`, `GB`, `TB` or `c`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unit: Option<String>,
    /// The warning range, in the Nagios plugin range syntax (`~:10`, `5:`, `@0:3`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub warn: Option<String>,
    /// The critical range, in the same syntax.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<f64>,
}

/// What one probe attempt saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub verdict: Verdict,
    pub message: String,
    pub metrics: IndexMap<String, f64>,
    /// Units and ranges of some metrics (a plugin's perfdata says them).
    pub meta: IndexMap<String, MetricMeta>,
    /// Extra lines for reports (matching log lines, command output, …).
    pub details: Vec<String>,
}

impl Observation {
    fn new(verdict: Verdict, message: String) -> Self {
        Observation { verdict, message, metrics: IndexMap::new(), meta: IndexMap::new(), details: Vec::new() }
    }
    pub fn pass(message: impl Into<String>) -> Self {
        Observation::new(Verdict::Pass, message.into())
    }
    pub fn fail(message: impl Into<String>) -> Self {
        Observation::new(Verdict::Fail, message.into())
    }
    pub fn unknown(message: impl Into<String>) -> Self {
        Observation::new(Verdict::Unknown, message.into())
    }
    pub fn with_status(status: Status, message: impl Into<String>) -> Self {
        Observation::new(Verdict::Is(status), message.into())
    }
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }
    pub fn is_pass(&self) -> bool {
        self.verdict == Verdict::Pass || self.verdict == Verdict::Is(Status::Ok)
    }
}

/// What a remediation did for a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationOutcome {
    /// `fixed` (verified), `failed` (an action failed, or verify still fails),
    /// `exhausted` (the guard is spent), `unverified` (`verify: false`), `cooldown`,
    /// `busy` (another process is remediating this check), `skipped` (no store to
    /// keep the guard in), `not_started` (a maintenance window is open), `held` (a
    /// `depends_on` dependency is failing), or `planned` in a dry run.
    pub result: String,
    /// Which attempt this was within the guard window (1-based).
    pub attempt: u32,
    pub max_attempts: u32,
    /// Human summary: "remediation exhausted (3 of 3 within 1h)".
    pub message: String,
}

/// The result of one check in one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phase: Option<String>,
    pub kind: String,
    pub status: Status,
    pub message: String,
    pub metrics: IndexMap<String, f64>,
    /// Units and warn/crit ranges of metrics, where known (see [`MetricMeta`]).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub meta: IndexMap<String, MetricMeta>,
    #[serde(default)]
    pub details: Vec<String>,
    pub attempts: u32,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remediation: Option<RemediationOutcome>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub runbook: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// What held this result's messages back (maintenance, silences, dependencies), in
    /// order of precedence. Never changes `status`: quiet times hold messages, not state.
    #[serde(default, skip_serializing_if = "crate::quiet::Holds::is_empty")]
    pub holds: crate::quiet::Holds,
}

/// The result of one phase: its actions and whether it failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    pub id: String,
    pub name: String,
    pub status: Status,
    #[serde(default)]
    pub actions: Vec<ActionResult>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Ok,
    Failed,
    /// Not run: a dry run prints it instead.
    Planned,
    /// Not run: an earlier action of its phase failed.
    Skipped,
}

/// The result of one action (in a phase or a remediation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// What ran, for people: `pm2 restart all`, `sleep 10s`, `POST http://…`.
    pub action: String,
    pub status: ActionStatus,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exit_code: Option<i32>,
    pub message: String,
    /// Bounded output (stdout then stderr).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    pub duration_ms: u64,
    /// When it ran (Unix seconds), for telling runner's own restarts from crashes.
    #[serde(default)]
    pub started_at_s: i64,
}

impl ActionResult {
    pub fn failed(&self) -> bool {
        self.status == ActionStatus::Failed
    }
}

/// Counts per status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: u32,
    pub ok: u32,
    pub warning: u32,
    pub critical: u32,
    pub unknown: u32,
    pub skipped: u32,
    pub manual: u32,
}

impl Summary {
    pub fn of(results: &[CheckResult]) -> Summary {
        let mut s = Summary::default();
        for r in results {
            s.total += 1;
            match r.status {
                Status::Ok => s.ok += 1,
                Status::Warning => s.warning += 1,
                Status::Critical => s.critical += 1,
                Status::Unknown => s.unknown += 1,
                Status::Skipped => s.skipped += 1,
                Status::Manual => s.manual += 1,
            }
        }
        s
    }

    /// "5 checks: 3 ok, 1 warning, 1 critical".
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        for (n, word) in [
            (self.ok, "ok"),
            (self.warning, "warning"),
            (self.critical, "critical"),
            (self.unknown, "unknown"),
            (self.skipped, "skipped"),
            (self.manual, "manual"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        let noun = if self.total == 1 { "check" } else { "checks" };
        if parts.is_empty() {
            format!("{} {noun}", self.total)
        } else {
            format!("{} {noun}: {}", self.total, parts.join(", "))
        }
    }
}

/// How a stage after the phases (report, notify) went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    Done,
    Failed,
    /// A dry run says what it would do.
    Planned,
    /// Not configured, or switched off (an empty webhook URL).
    Off,
}

/// The report or notify stage of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// `report` or `notify`.
    pub name: String,
    pub status: StageStatus,
    /// What happened, one line each: the report path, each notification.
    pub lines: Vec<String>,
}

/// Who started a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `runner run` by hand.
    Manual,
    /// The daemon, on schedule.
    Daemon,
}

/// Everything about one run of one playbook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique per run; also the idempotency key's base for notifications.
    pub id: String,
    pub playbook: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The playbook file.
    pub file: String,
    pub origin: Origin,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub status: Status,
    pub exit_code: i32,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub phases: Vec<PhaseResult>,
    pub checks: Vec<CheckResult>,
    pub summary: Summary,
    /// The stages after the checks: report and notify (filled in by the pipeline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageResult>,
    /// Things said once per run that are not failures ("channel ops-discord is off").
    #[serde(default)]
    pub notes: Vec<String>,
    /// For a catch-up run of the daemon: how many scheduled fires it stands for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stands_for: Option<u32>,
    /// For a run of the daemon: the fire it is for (RFC 3339), so lateness can be told.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scheduled_for: Option<String>,
    /// The playbook's schedule period (ms) when it has a schedule: how long a result
    /// counts for uptime (CLI.md: at most twice the period). Stored with the run, not
    /// part of the run's JSON (the outputs and the report stay as they were).
    #[serde(skip_serializing, default)]
    pub period_ms: Option<u64>,
    /// What alerting decided, per result and channel: the message sent (or none) and
    /// every reason that held it back (filled in by the pipeline; stored with the run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<crate::store::decisions::DecisionRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_orders_unknown_between_warning_and_critical() {
        assert_eq!(worst_of([Status::Ok, Status::Warning]), Status::Warning);
        assert_eq!(worst_of([Status::Unknown, Status::Warning]), Status::Unknown);
        assert_eq!(worst_of([Status::Unknown, Status::Critical]), Status::Critical);
        assert_eq!(worst_of([Status::Skipped, Status::Manual]), Status::Ok);
        assert_eq!(worst_of([Status::Skipped, Status::Warning]), Status::Warning);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Status::Ok.exit_code(), 0);
        assert_eq!(Status::Warning.exit_code(), 1);
        assert_eq!(Status::Critical.exit_code(), 2);
        assert_eq!(Status::Unknown.exit_code(), 3);
        assert_eq!(Status::Manual.exit_code(), 0);
    }

    #[test]
    fn numbers_print_plainly() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(12.3456), "12.346");
        assert_eq!(format_number(0.000381), "0.000381");
        assert_eq!(format_number(0.0001), "0.0001");
        assert_eq!(format_number(0.00012345), "0.000123");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(1e-20), "0.00000000000000000001");
        assert_eq!(exact_number(0.000381), "0.000381");
        assert_eq!(exact_number(-0.0), "0");
        assert_eq!(exact_number(1e21), "1000000000000000000000");
        assert_eq!(exact_number(12.0), "12");
    }
}
