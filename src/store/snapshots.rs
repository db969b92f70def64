//! What a daemon loaded, kept so that `runner serve` can show a playbook without its file:
//! on every load or reload a daemon writes a snapshot of the playbook (schedule, time
//! zone, maintenance windows, checks with their names and runbooks), one per playbook and
//! host, replacing the one before. The page and the API read these; nothing schedules from
//! them.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One check of a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckOutline {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// The phase it runs in, for playbooks with phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

/// A loaded playbook, as a daemon saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaybookSnapshot {
    pub name: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The cron text, when the playbook has a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Its maintenance windows, as the quiet-time module describes them (empty until
    /// playbooks have windows).
    #[serde(default)]
    pub windows: Vec<serde_json::Value>,
    pub checks: Vec<CheckOutline>,
    /// The host whose daemon loaded it.
    pub host: String,
    /// When it was loaded (RFC 3339).
    pub loaded_at: String,
}

/// Where daemons leave what they loaded.
pub trait SnapshotStore {
    /// Keeps `snapshot`, replacing the one of the same playbook and host.
    fn save_playbook_snapshot(&self, snapshot: &PlaybookSnapshot) -> Result<(), Error>;

    /// Every playbook's latest snapshot (of any host), sorted by name.
    fn playbook_snapshots(&self) -> Result<Vec<PlaybookSnapshot>, Error>;
}
