//! What probes share within a process: HTTP clients (with their connection pools), the
//! system reader, the state kept between runs, stored metrics, and where commands'
//! process groups are recorded. Built once per `runner run` or daemon, handed to every
//! probe through its [`ProbeContext`](super::context::ProbeContext).

use std::sync::Arc;

use super::http_clients::HttpClients;
use super::state::ProbeState;
use crate::checks::system::SystemReader;
use crate::process_group::{GroupJournal, Owner};

/// Shared services for probes.
pub struct ProbeServices {
    pub http: HttpClients,
    pub system: Arc<SystemReader>,
    pub state: Arc<dyn ProbeState>,
    /// Reads stored metrics for `history` checks (none without a store).
    pub history: Option<Arc<dyn crate::checks::history::MetricHistory>>,
    /// Where commands' process groups are recorded while they run (none without a store,
    /// and in a dry run).
    pub groups: Option<Arc<dyn GroupJournal>>,
}

impl ProbeServices {
    pub fn new(state: Arc<dyn ProbeState>) -> Self {
        ProbeServices {
            http: HttpClients::default(),
            system: Arc::new(SystemReader::default()),
            state,
            history: None,
            groups: None,
        }
    }

    /// Whom a command of `playbook` runs for: its process group is recorded.
    pub fn owner(&self, playbook: &str) -> Option<Owner> {
        let journal = self.groups.clone()?;
        Some(Owner { journal, playbook: playbook.to_string() })
    }
}
