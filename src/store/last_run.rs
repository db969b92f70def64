//! What a restarted daemon needs to say about a playbook before it runs again: its last
//! run, its last success, and that run's checks with their statuses and metrics. A weekly
//! playbook's `/status` and `/metrics` come back from here instead of going blank for a
//! week.

use crate::error::Error;

/// A check of a run, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSnapshot {
    pub id: String,
    pub status: String,
    pub message: String,
    pub duration_ms: u64,
    pub attempts: u32,
    pub metrics: Vec<(String, f64)>,
    /// The unit and ranges each metric was measured with, where known.
    pub meta: Vec<(String, crate::outcome::MetricMeta)>,
}

/// A playbook's last finished run, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct LastRun {
    pub started_ms: i64,
    pub status: String,
    /// When the playbook last ran OK (this run or an earlier one).
    pub last_success_ms: Option<i64>,
    /// The run's checks, in the order they were first stored.
    pub checks: Vec<CheckSnapshot>,
}

/// Where a restarted daemon finds what it said before.
pub trait LastRunStore {
    /// The last finished (not interrupted, not dry) run of `playbook`, if any.
    fn last_run(&self, playbook: &str) -> Result<Option<LastRun>, Error>;
}
