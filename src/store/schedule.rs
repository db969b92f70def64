//! The daemon's memory: the last fire handled per playbook (so a restart catches up by
//! policy instead of forgetting), missed fires with their reason, and runs in progress
//! (a placeholder per run, so a run killed with the process is recorded as interrupted
//! when runner next starts).

use crate::error::Error;

/// What the schedulers (`runner tick`, the daemon) keep between fires.
pub trait ScheduleStore {
    /// The last fire handled for a playbook (Unix ms).
    fn last_fire(&self, playbook: &str) -> Result<Option<i64>, Error>;

    fn set_last_fire(&self, playbook: &str, fire_ms: i64) -> Result<(), Error>;

    /// Moves a playbook's last fire from `expected` (`None`: none recorded yet) to `to`,
    /// only if nobody moved it meanwhile (compare and set). Returns whether it moved:
    /// `runner tick` processes started by cron a minute apart never both handle the same
    /// fires.
    fn advance_last_fire(&self, playbook: &str, expected: Option<i64>, to: i64) -> Result<bool, Error>;

    /// Records fires that did not run (fire, Unix ms), with why.
    fn record_misses(&self, playbook: &str, misses: &[(i64, &str)]) -> Result<(), Error>;

    /// Missed fires since `since_ms`, counted per (playbook, reason), sorted.
    fn miss_counts(&self, playbook: Option<&str>, since_ms: i64) -> Result<Vec<(String, String, i64)>, Error>;

    /// Writes the placeholder of a run that starts now: `status = running`. The finished
    /// run replaces it; a placeholder still there when runner next starts was interrupted.
    fn begin_run(&self, run_id: &str, playbook: &str, origin: &str, scheduled_ms: Option<i64>) -> Result<(), Error>;

    /// Marks a playbook's runs still `running` as interrupted. Call only while holding the
    /// playbook's lock (so that no live run is marked). Returns how many were marked.
    fn mark_interrupted(&self, playbook: &str) -> Result<usize, Error>;
}
