//! The snapshot a daemon leaves in the store for each playbook it loads
//! (`store::snapshots`), so that `runner serve` shows the playbook without its file.
//! Texts go through their `Display`, which masks a secret-bearing value.

use crate::playbook::Loaded;
use crate::store::snapshots::{CheckOutline, PlaybookSnapshot};

/// What `loaded` is, as the page needs it.
pub fn of(loaded: &Loaded, timezone: Option<String>) -> PlaybookSnapshot {
    let playbook = &loaded.playbook;
    let checks = playbook
        .all_checks()
        .into_iter()
        .map(|(phase, check)| CheckOutline {
            id: check.id.to_string(),
            name: check.display_name(),
            kind: check.kind_name().to_string(),
            phase: phase.map(|p| p.id.to_string()),
            runbook: check.runbook.as_ref().map(ToString::to_string),
        })
        .collect();
    PlaybookSnapshot {
        name: playbook.name.to_string(),
        file: loaded.path.display().to_string(),
        description: playbook.description.as_ref().map(ToString::to_string),
        schedule: playbook.schedule.as_ref().map(|s| s.cron.to_string()),
        timezone,
        // The playbook-wide windows, as written (secret-bearing values masked), for the
        // page to work out the open and next ones at its own time (`web::windows`).
        windows: playbook.maintenance.iter().flatten().filter_map(|w| serde_json::to_value(w).ok()).collect(),
        checks,
        host: crate::host::id(),
        loaded_at: crate::clock::now().to_string(),
    }
}
