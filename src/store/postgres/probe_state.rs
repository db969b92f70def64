//! Probe state (log offsets, process and service samples) in PostgreSQL's `probe_state`
//! table, this host's: the store's side of `probe::state::ProbeState`.

use super::PostgresStore;
use crate::probe::state::{ProbeState, StateKey};
use crate::store::now_ms;

impl ProbeState for PostgresStore {
    fn load(&self, key: &StateKey) -> Option<String> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let select = prepared.get(
                client,
                "SELECT value FROM probe_state WHERE host = $1 AND playbook = $2 AND check_id = $3 AND name = $4",
            )?;
            Ok(client.query_opt(&select, &[&host, &key.playbook, &key.check, &key.name])?.map(|r| r.get(0)))
        })
        .ok()
        .flatten()
    }

    fn save(&self, key: &StateKey, value: &str) {
        let host = self.host();
        let result = self.with_prepared(|client, prepared| {
            let upsert = prepared.get(
                client,
                "INSERT INTO probe_state (host, playbook, check_id, name, value, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (host, playbook, check_id, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
            )?;
            client.execute(&upsert, &[&host, &key.playbook, &key.check, &key.name, &value, &now_ms()])
        });
        if let Err(error) = result {
            tracing::warn!(target: "runner::store", %error, "cannot save probe state");
        }
    }
}
