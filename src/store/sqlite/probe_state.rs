//! Probe state (log offsets, process and service samples) in SQLite's `probe_state`
//! table: the store's side of `probe::state::ProbeState`.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::probe::state::{ProbeState, StateKey};
use crate::store::now_ms;

impl ProbeState for SqliteStore {
    fn load(&self, key: &StateKey) -> Option<String> {
        self.with(|c| {
            c.query_row(
                "SELECT value FROM probe_state WHERE playbook = ?1 AND check_id = ?2 AND name = ?3",
                params![key.playbook, key.check, key.name],
                |row| row.get(0),
            )
            .optional()
        })
        .ok()
        .flatten()
    }

    fn save(&self, key: &StateKey, value: &str) {
        let result = self.with(|c| {
            c.execute(
                "INSERT INTO probe_state (playbook, check_id, name, value, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (playbook, check_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                params![key.playbook, key.check, key.name, value, now_ms()],
            )
        });
        if let Err(error) = result {
            tracing::warn!(target: "runner::store", %error, "cannot save probe state");
        }
    }
}
