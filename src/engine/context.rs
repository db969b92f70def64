//! What the engine shares within a process: the probes' services, plus what only the
//! engine uses (its journal of runner's own actions, and the remediation locks' folder).
//! Built once per `runner run` or daemon.

use std::path::PathBuf;
use std::sync::Arc;

use crate::probe::services::ProbeServices;
use crate::probe::state::ProbeState;

/// Shared services for runs.
pub struct Engine {
    /// What checks and actions use (HTTP clients, system reader, state, history, groups).
    pub probes: ProbeServices,
    /// Runner's own actions and the remediation audit (none without a store).
    pub journal: Option<Arc<dyn super::journal::Journal>>,
    /// The state folder, whose `locks/` holds the per-check remediation locks, if any.
    pub lock_dir: Option<PathBuf>,
    /// Where silences are kept (none without a store: nothing is silenced).
    pub silences: Option<Arc<dyn crate::store::silences::SilenceStore>>,
    /// Latest stored results, for `depends_on` (none without a store).
    pub results: Option<Arc<dyn crate::quiet::dependency::LatestResults>>,
}

impl Engine {
    pub fn new(state: Arc<dyn ProbeState>) -> Self {
        Engine { probes: ProbeServices::new(state), journal: None, lock_dir: None, silences: None, results: None }
    }
}
