//! What `depends_on` reads from SQLite (see `quiet::dependency::LatestResults`): a
//! check's latest stored result (status, when, and whether it was itself held back), for
//! dependencies across playbooks and for those not run in this run.

use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::outcome::Status;
use crate::quiet::dependency::{LatestResults, StoredResult};

impl LatestResults for SqliteStore {
    fn latest_result(&self, playbook: &str, check: &str) -> Option<StoredResult> {
        let found = self.with(|c| {
            c.prepare_cached(
                "SELECT res.status, r.started_ms, res.holds FROM results res
                 JOIN runs r ON r.id = res.run JOIN checks k ON k.id = res.check_ref
                 JOIN playbooks p ON p.id = k.playbook_id
                 WHERE p.name = ?1 AND k.check_id = ?2 AND r.status != 'running' AND r.interrupted = 0
                   AND r.dry_run = 0
                 ORDER BY r.started_ms DESC, r.id DESC LIMIT 1",
            )?
            .query_row([playbook, check], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, Option<String>>(2)?))
            })
            .optional()
        });
        let (status, at_ms, holds) = found.ok()??;
        Some(StoredResult { status: Status::from_name(&status)?, at_ms, held: holds.is_some_and(|h| h != "[]") })
    }
}
