//! The report ledger in PostgreSQL (`reports`; see `report::retention::Ledger`): the
//! reports this host wrote, since their paths are on its own disk.

use std::path::{Path, PathBuf};

use super::PostgresStore;
use crate::report::retention::Ledger;
use crate::store::now_ms;

impl Ledger for PostgresStore {
    fn remember(&self, playbook: &str, path: &Path) {
        let path = path.to_string_lossy().into_owned();
        let remembered = self.with(|c| {
            c.execute(
                "INSERT INTO reports (host, playbook, path, written_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (host, playbook, path) DO UPDATE SET written_ms = EXCLUDED.written_ms",
                &[&self.host, &playbook, &path, &now_ms()],
            )
        });
        if let Err(error) = remembered {
            tracing::warn!(target: "runner::store", %error, "cannot remember a written report");
        }
    }

    fn reports(&self, playbook: &str) -> Vec<(PathBuf, i64)> {
        self.with(|c| {
            let rows = c.query(
                "SELECT path, written_ms FROM reports WHERE host = $1 AND playbook = $2 ORDER BY written_ms DESC",
                &[&self.host, &playbook],
            )?;
            rows.iter().map(|r| Ok((PathBuf::from(r.try_get::<_, String>(0)?), r.try_get(1)?))).collect()
        })
        .unwrap_or_else(|error| {
            tracing::warn!(target: "runner::store", %error, "cannot read the written reports");
            Vec::new()
        })
    }

    fn forget(&self, playbook: &str, path: &Path) {
        let path = path.to_string_lossy().into_owned();
        let forgotten = self.with(|c| {
            c.execute(
                "DELETE FROM reports WHERE host = $1 AND playbook = $2 AND path = $3",
                &[&self.host, &playbook, &path],
            )
        });
        if let Err(error) = forgotten {
            tracing::warn!(target: "runner::store", %error, "cannot forget a removed report");
        }
    }
}
