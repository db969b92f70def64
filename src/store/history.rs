//! Reading history back: metric samples for `history` checks (the engine's
//! [`MetricHistory`]), runs and per-check trends for `runner history`, and forgetting it
//! (`retention`, `runner prune`).

use serde::Serialize;

use crate::checks::history::MetricHistory;
use crate::error::Error;

/// One stored run, for `runner history`.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub playbook: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub status: String,
    pub origin: String,
    pub interrupted: bool,
    pub stands_for: Option<i64>,
}

/// A metric's trend over a window.
#[derive(Clone, Debug, Serialize)]
pub struct MetricTrend {
    pub playbook: String,
    pub check: String,
    pub metric: String,
    pub samples: i64,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub last: f64,
}

/// The history of runs, as `runner history` and `history` checks read it.
pub trait HistoryStore: MetricHistory {
    /// The ids of the checks stored for one playbook or all, sorted.
    fn check_ids(&self, playbook: Option<&str>) -> Result<Vec<String>, Error>;

    /// Runs since `since_ms`, newest first, of one playbook or all; with `check`, only the
    /// runs that have a result of that check.
    fn runs(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<RunRow>, Error>;

    /// How many runs, per status (sorted by status), since `since_ms`; with `check`, of the
    /// runs that have a result of that check.
    fn run_counts(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, Error>;

    /// Per-check metric trends since `since` (Unix ms): min, avg, max, last; sorted by
    /// playbook, check and metric, and only of metrics with samples in the window.
    fn trends(&self, playbook: Option<&str>, check: Option<&str>, since: i64) -> Result<Vec<MetricTrend>, Error>;

    /// Deletes runs (with their results), metrics, delivered or dropped messages,
    /// remediation audit rows and missed fires older than `cutoff_ms`; of one playbook or
    /// all. Returns the number of runs deleted.
    fn prune(&self, playbook: Option<&str>, cutoff_ms: i64) -> Result<u64, Error>;

    /// Gives the space a large prune freed back (SQLite shrinks its file).
    fn vacuum(&self) -> Result<(), Error>;
}
