//! This host's check results over time, read from PostgreSQL (see `store::results`).

use super::PostgresStore;
use crate::error::Error;
use crate::store::results::{ResultQuery, ResultRow, ResultStore};

impl ResultStore for PostgresStore {
    fn results(&self, query: &ResultQuery<'_>) -> Result<Vec<ResultRow>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT r.id, r.run_id, p.name, k.check_id, r.started_ms, x.status, x.duration_ms, x.message
                 FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 JOIN results x ON x.run = r.id JOIN checks k ON k.id = x.check_ref
                 WHERE r.host = $1 AND ($2::text IS NULL OR p.name = $2) AND ($3::text IS NULL OR k.check_id = $3)
                   AND r.started_ms >= $4 AND ($5::bigint IS NULL OR r.id < $5)
                   AND NOT r.dry_run AND NOT r.interrupted AND r.status <> 'running'
                 ORDER BY r.id DESC, k.check_id COLLATE \"C\" LIMIT $6",
            )?;
            let rows = client.query(
                &statement,
                &[&host, &query.playbook, &query.check, &query.since_ms, &query.before, &query.limit.max(0)],
            )?;
            Ok(rows.iter().map(result_row).collect())
        })
    }

    fn latest_results(&self, playbook: &str, check: &str, limit: i64) -> Result<Vec<ResultRow>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT r.id, r.run_id, p.name, k.check_id, r.started_ms, x.status, x.duration_ms, x.message
                 FROM playbooks p JOIN checks k ON k.playbook_id = p.id
                 JOIN results x ON x.check_ref = k.id JOIN runs r ON r.id = x.run
                 WHERE p.name = $2 AND k.check_id = $3 AND r.host = $1
                   AND NOT r.dry_run AND NOT r.interrupted AND r.status <> 'running'
                 ORDER BY r.id DESC LIMIT $4",
            )?;
            let rows = client.query(&statement, &[&host, &playbook, &check, &limit.max(0)])?;
            Ok(rows.iter().map(result_row).collect())
        })
    }
}

fn result_row(row: &postgres::Row) -> ResultRow {
    ResultRow {
        seq: row.get(0),
        run_id: row.get(1),
        playbook: row.get(2),
        check: row.get(3),
        started_ms: row.get(4),
        status: row.get(5),
        duration_ms: row.get(6),
        message: row.get(7),
    }
}
