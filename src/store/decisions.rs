//! What alerting decided, kept per result and channel: the message kind sent (or none)
//! and every reason that held it back, in order of precedence (`maintenance`,
//! `silenced`, `suppressed_by`, `flapping`). Written in the run's own transaction, so a
//! run and its decisions are stored together or not at all; pruned with the run.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One decision: a result (`check`, or `playbook` for a `scope: playbook` stream's own
/// row) on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub check: String,
    pub channel: String,
    /// `problem`, `escalation`, `reminder`, `recovery`; `None` when nothing was sent.
    pub kind: Option<String>,
    /// Every reason that held, in order; empty when nothing held.
    pub reasons: Vec<String>,
}

/// Reading decisions back.
pub trait DecisionStore {
    /// The decisions of a stored run, by its id.
    fn decisions(&self, run_id: &str) -> Result<Vec<DecisionRow>, Error>;
    /// The latest decision per (playbook, check, channel), optionally of one playbook:
    /// (playbook, run id, decision).
    fn latest_decisions(&self, playbook: Option<&str>) -> Result<Vec<(String, String, DecisionRow)>, Error>;
}
