//! The remediation audit: one row per remediation that ran (time, playbook, check,
//! trigger, actions with exit codes and bounded output, verify result, guard state,
//! origin), and the guard's view of it (attempts within a window, the last one).

use serde::{Deserialize, Serialize};

use crate::engine::journal::Journal;
use crate::error::Error;
use crate::outcome::ActionResult;

/// A remediation to record, or one read back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RemediationRow {
    pub playbook: String,
    pub check: String,
    pub run_id: Option<String>,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    /// The status that triggered it.
    pub trigger: String,
    /// `fixed`, `failed` (the actions or the verify failed) or `unverified`.
    pub result: String,
    pub attempt: u32,
    pub max_attempts: u32,
    /// `manual` (`runner run`) or `daemon`.
    pub origin: String,
    pub actions: Vec<ActionResult>,
    /// The verify result: "OK: …" or "CRITICAL: …".
    pub verify: Option<String>,
    /// The guard at the time: "attempt 2 of 3 within 1h".
    pub guard: String,
}

impl RemediationRow {
    /// When it started, Unix ms (as every backend keeps it; 0 when the time does not parse).
    pub(crate) fn started_ms(&self) -> i64 {
        rfc3339_ms(&self.started_at)
    }

    /// When it finished, Unix ms.
    pub(crate) fn finished_ms(&self) -> i64 {
        rfc3339_ms(&self.finished_at)
    }

    pub fn actions_summary(&self) -> String {
        self.actions
            .iter()
            .map(|a| {
                format!(
                    "{} ({})",
                    a.action,
                    a.exit_code.map(|c| format!("exit {c}")).unwrap_or_else(|| a.message.clone())
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The remediation audit, as people read it; the engine writes it and its guard reads it
/// through the [`Journal`] (with runner's own actions).
pub trait RemediationStore: Journal {
    /// Remediations since `since_ms`, newest first; of one playbook or all, one check or
    /// all.
    fn remediations(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<RemediationRow>, Error>;

    /// The most recent remediation of a check (Unix ms), for `cooldown`.
    fn last_remediation(&self, playbook: &str, check: &str) -> Result<Option<i64>, Error>;
}

fn rfc3339_ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or(0)
}

/// A stored time (Unix ms) as the RFC 3339 text of [`RemediationRow`].
pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}
