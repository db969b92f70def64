//! What the engine remembers about its own actions, behind an interface the store backs:
//! when runner acted (so that `restarts` leaves runner's own restarts out), and the
//! remediation audit (so that guards count attempts across runs and processes).

use crate::checks::restarts::Interval;
use crate::store::remediations::RemediationRow;

pub trait Journal: Send + Sync {
    /// When runner acted (any playbook) since `since_ms`: (start, end) in Unix seconds.
    fn runner_intervals(&self, since_ms: i64) -> Vec<Interval>;
    /// Records that runner acted (an action of a phase or a remediation).
    fn record_action(&self, playbook: &str, what: &str, started_ms: i64, finished_ms: i64);
    /// Start times (Unix ms) of a check's remediations since `since_ms`.
    fn remediation_times(&self, playbook: &str, check: &str, since_ms: i64) -> Vec<i64>;
    /// Records a remediation that ran.
    fn record_remediation(&self, row: &RemediationRow);
}
