//! Check results over time, read from SQLite (see `store::results`).

use rusqlite::params;

use super::SqliteStore;
use crate::error::Error;
use crate::store::results::{ResultQuery, ResultRow, ResultStore};

impl ResultStore for SqliteStore {
    fn results(&self, query: &ResultQuery<'_>) -> Result<Vec<ResultRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT r.id, r.run_id, p.name, k.check_id, r.started_ms, res.status, res.duration_ms, res.message
                 FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 JOIN results res ON res.run = r.id JOIN checks k ON k.id = res.check_ref
                 WHERE (?1 IS NULL OR p.name = ?1) AND (?2 IS NULL OR k.check_id = ?2)
                   AND r.started_ms >= ?3 AND (?4 IS NULL OR r.id < ?4)
                   AND r.dry_run = 0 AND r.interrupted = 0 AND r.status != 'running'
                 ORDER BY r.id DESC, k.check_id LIMIT ?5",
            )?;
            let rows = statement
                .query_map(params![query.playbook, query.check, query.since_ms, query.before, query.limit], row)?;
            rows.collect()
        })
    }

    fn latest_results(&self, playbook: &str, check: &str, limit: i64) -> Result<Vec<ResultRow>, Error> {
        self.with(|c| {
            // CROSS JOIN fixes the order: the check first, then its results backwards along
            // `results_by_check` (check_ref, run), so no sort and no scan of other checks.
            let mut statement = c.prepare_cached(
                "SELECT r.id, r.run_id, p.name, k.check_id, r.started_ms, res.status, res.duration_ms, res.message
                 FROM playbooks p CROSS JOIN checks k CROSS JOIN results res CROSS JOIN runs r
                 WHERE p.name = ?1 AND k.playbook_id = p.id AND k.check_id = ?2 AND res.check_ref = k.id
                   AND r.id = res.run AND r.dry_run = 0 AND r.interrupted = 0 AND r.status != 'running'
                 ORDER BY res.run DESC LIMIT ?3",
            )?;
            let rows = statement.query_map(params![playbook, check, limit], row)?;
            rows.collect()
        })
    }
}

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ResultRow> {
    Ok(ResultRow {
        seq: row.get(0)?,
        run_id: row.get(1)?,
        playbook: row.get(2)?,
        check: row.get(3)?,
        started_ms: row.get(4)?,
        status: row.get(5)?,
        duration_ms: row.get(6)?,
        message: row.get(7)?,
    })
}
