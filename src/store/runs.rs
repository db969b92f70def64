//! Recording runs: a run, its check results and their metrics, kept together (one
//! transaction per run in SQLite) so that history never holds half a run.

use crate::error::Error;
use crate::outcome::RunRecord;

/// Where finished runs are kept.
pub trait RunStore {
    /// Stores a finished run. Dry runs are not recorded (they change nothing).
    fn record_run(&self, record: &RunRecord) -> Result<(), Error>;

    /// Stores many runs at once (benchmarks, imports).
    fn record_runs(&self, records: &[RunRecord]) -> Result<(), Error>;
}
