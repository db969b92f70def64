//! Recording runs: a run, its check results and their metrics, kept together (one
//! transaction per run in SQLite) so that history never holds half a run.

use crate::error::Error;
use crate::outcome::{CheckResult, RunRecord, Status};

/// Where finished runs are kept.
pub trait RunStore {
    /// Stores a finished run. Dry runs are not recorded (they change nothing).
    fn record_run(&self, record: &RunRecord) -> Result<(), Error>;

    /// Stores many runs at once (benchmarks, imports).
    fn record_runs(&self, records: &[RunRecord]) -> Result<(), Error>;
}

/// Details are kept for failing checks only, and this long at most.
const DETAILS_LIMIT: usize = 4096;

/// A run's own columns, as every backend stores them.
pub(crate) struct RunColumns {
    pub started_ms: i64,
    pub origin: String,
    /// The summary as JSON.
    pub summary: String,
    /// The schedule's period, for uptime (`None` without a schedule).
    pub period_ms: Option<i64>,
    pub scheduled_ms: Option<i64>,
}

impl RunColumns {
    pub(crate) fn of(record: &RunRecord) -> RunColumns {
        let started: jiff::Timestamp = record.started_at.parse().unwrap_or_else(|_| crate::clock::now());
        RunColumns {
            started_ms: started.as_millisecond(),
            origin: serde_json::to_value(record.origin)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            summary: serde_json::to_string(&record.summary).unwrap_or_default(),
            period_ms: record.period_ms.and_then(|p| i64::try_from(p).ok()).filter(|p| *p > 0),
            scheduled_ms: record
                .scheduled_for
                .as_ref()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond()),
        }
    }
}

/// A check result's stored texts, and what it says for uptime.
pub(crate) struct ResultColumns {
    /// The details of a failing check, joined and cut to [`DETAILS_LIMIT`].
    pub details: Option<String>,
    /// The remediation outcome as JSON.
    pub remediation: Option<String>,
    /// The quiet time that made it "no data" (see `uptime::quiet_reason`).
    pub quiet: Option<&'static str>,
    /// Its check-level holds as JSON, when it has any.
    pub holds: Option<String>,
    pub mark: crate::uptime::Mark,
}

impl ResultColumns {
    pub(crate) fn of(check: &CheckResult) -> ResultColumns {
        let details = (check.status.is_failing() && !check.details.is_empty())
            .then(|| check.details.join("\n").chars().take(DETAILS_LIMIT).collect::<String>());
        let quiet = crate::uptime::quiet_reason(check);
        ResultColumns {
            details,
            remediation: check.remediation.as_ref().and_then(|r| serde_json::to_string(r).ok()),
            quiet,
            holds: (!check.holds.is_empty()).then(|| serde_json::to_string(&check.holds).ok()).flatten(),
            mark: crate::uptime::Mark::of(check.status, quiet),
        }
    }
}

/// The metrics of `check` that are stored: a measured check's finite values, each with its
/// unit and ranges as JSON (`series.meta`).
pub(crate) fn stored_metrics(check: &CheckResult) -> impl Iterator<Item = (&str, f64, Option<String>)> {
    let measured = !matches!(check.status, Status::Skipped | Status::Manual);
    check.metrics.iter().filter(move |(_, value)| measured && value.is_finite()).map(|(metric, value)| {
        (metric.as_str(), *value, check.meta.get(metric).and_then(|m| serde_json::to_string(m).ok()))
    })
}
