//! What one probe attempt sees: the shared services, the check, and its limits.

use std::path::Path;
use std::time::Duration;

use super::services::ProbeServices;
use super::state::StateKey;
use crate::playbook::Check;

/// What one probe attempt sees.
pub struct ProbeContext<'a> {
    pub services: &'a ProbeServices,
    /// The playbook's name (state and history are kept per playbook).
    pub playbook: &'a str,
    pub check: &'a Check,
    /// The playbook's folder.
    pub base_dir: &'a Path,
    /// This attempt's time limit (the engine enforces it; probes pass it to libraries
    /// so that their own errors say what happened).
    pub timeout: Duration,
    /// Metrics that thresholds ask for: probes with costly optional metrics read them
    /// only when wanted.
    pub wanted: Vec<String>,
    /// When runner itself restarted things (its actions and remediations), so that
    /// `restarts` does not count them: (start, end) in Unix seconds.
    pub runner_intervals: Vec<crate::checks::restarts::Interval>,
}

impl ProbeContext<'_> {
    pub fn state_key(&self, name: &str) -> StateKey {
        StateKey::new(self.playbook, self.check.id.as_str(), name)
    }

    pub fn wants(&self, metric: &str) -> bool {
        self.wanted.iter().any(|m| m == metric)
    }

    pub fn runner_restarts(&self) -> Vec<crate::checks::restarts::Interval> {
        self.runner_intervals.clone()
    }
}
