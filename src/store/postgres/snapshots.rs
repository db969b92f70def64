//! Playbook snapshots in PostgreSQL: one JSON row per playbook and host (fleet-wide: any
//! host's `runner serve` shows every playbook the fleet loaded).

use super::PostgresStore;
use crate::error::Error;
use crate::store::now_ms;
use crate::store::snapshots::{PlaybookSnapshot, SnapshotStore};

impl SnapshotStore for PostgresStore {
    fn save_playbook_snapshot(&self, snapshot: &PlaybookSnapshot) -> Result<(), Error> {
        let body = serde_json::to_string(snapshot).map_err(|e| Error::Internal(e.to_string()))?;
        self.with_prepared(|client, prepared| {
            let upsert = prepared.get(
                client,
                "INSERT INTO playbook_snapshots (playbook, host_id, body, saved_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (playbook, host_id) DO UPDATE SET body = excluded.body, saved_ms = excluded.saved_ms",
            )?;
            client.execute(&upsert, &[&snapshot.name, &snapshot.host, &body, &now_ms()])
        })?;
        Ok(())
    }

    fn playbook_snapshots(&self) -> Result<Vec<PlaybookSnapshot>, Error> {
        // The newest snapshot of each playbook, whichever host wrote it.
        let bodies: Vec<String> = self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT DISTINCT ON (playbook COLLATE \"C\") body FROM playbook_snapshots
                 ORDER BY playbook COLLATE \"C\", saved_ms DESC, host_id COLLATE \"C\"",
            )?;
            Ok(client.query(&statement, &[])?.iter().map(|r| r.get(0)).collect())
        })?;
        // A row this runner cannot read (written by a newer one) is left out, not an error.
        Ok(bodies.iter().filter_map(|body| serde_json::from_str(body).ok()).collect())
    }
}
