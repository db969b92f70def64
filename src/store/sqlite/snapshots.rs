//! Playbook snapshots in SQLite: one JSON row per playbook and host.

use rusqlite::params;

use super::SqliteStore;
use crate::error::Error;
use crate::store::now_ms;
use crate::store::snapshots::{PlaybookSnapshot, SnapshotStore};

impl SnapshotStore for SqliteStore {
    fn save_playbook_snapshot(&self, snapshot: &PlaybookSnapshot) -> Result<(), Error> {
        let body = serde_json::to_string(snapshot).map_err(|e| Error::Internal(e.to_string()))?;
        self.with(|c| {
            c.execute(
                "INSERT INTO playbook_snapshots (playbook, host_id, body, saved_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (playbook, host_id) DO UPDATE SET body = excluded.body, saved_ms = excluded.saved_ms",
                params![snapshot.name, snapshot.host, body, now_ms()],
            )
        })?;
        Ok(())
    }

    fn playbook_snapshots(&self) -> Result<Vec<PlaybookSnapshot>, Error> {
        // The newest snapshot of each playbook, whichever host wrote it.
        let bodies = self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT body FROM playbook_snapshots s
                 WHERE saved_ms = (SELECT max(saved_ms) FROM playbook_snapshots t WHERE t.playbook = s.playbook)
                 GROUP BY playbook ORDER BY playbook",
            )?;
            statement.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<String>>>()
        })?;
        // A row this runner cannot read (written by a newer one) is left out, not an error.
        Ok(bodies.iter().filter_map(|body| serde_json::from_str(body).ok()).collect())
    }
}
