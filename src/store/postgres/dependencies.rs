//! What `depends_on` reads from PostgreSQL (see `quiet::dependency::LatestResults`): a
//! check's latest result stored by this host (status, when, and whether it was itself held
//! back), for dependencies across playbooks and for those not run in this run.

use super::PostgresStore;
use crate::outcome::Status;
use crate::quiet::dependency::{LatestResults, StoredResult};

impl LatestResults for PostgresStore {
    fn latest_result(&self, playbook: &str, check: &str) -> Option<StoredResult> {
        let host = self.host();
        let found = self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT x.status, r.started_ms, x.holds FROM results x
                 JOIN runs r ON r.id = x.run JOIN checks k ON k.id = x.check_ref
                 JOIN playbooks p ON p.id = k.playbook_id
                 WHERE r.host = $1 AND p.name = $2 AND k.check_id = $3 AND r.status <> 'running' AND NOT r.interrupted
                   AND NOT r.dry_run
                 ORDER BY r.started_ms DESC, r.id DESC LIMIT 1",
            )?;
            let row = client.query_opt(&statement, &[&host, &playbook, &check])?;
            Ok(row.map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1), r.get::<_, Option<String>>(2))))
        });
        let (status, at_ms, holds) = found.ok()??;
        Some(StoredResult { status: Status::from_name(&status)?, at_ms, held: holds.is_some_and(|h| h != "[]") })
    }
}
