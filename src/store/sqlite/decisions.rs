//! Decisions in SQLite (`decisions`; see `store::decisions`): written inside the run's
//! transaction by `runs::insert_run`.

use rusqlite::{Transaction, params};

use super::SqliteStore;
use crate::error::Error;
use crate::store::decisions::{DecisionRow, DecisionStore};

/// Writes a run's decisions (inside its transaction, after the run row).
pub(crate) fn insert(tx: &Transaction<'_>, run_id: &str, rows: &[DecisionRow]) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT OR REPLACE INTO decisions (run_id, check_id, channel, kind, reasons) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for row in rows {
        let reasons = serde_json::to_string(&row.reasons).unwrap_or_else(|_| "[]".into());
        statement.execute(params![run_id, row.check, row.channel, row.kind, reasons])?;
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<DecisionRow> {
    let reasons: String = r.get(first + 3)?;
    Ok(DecisionRow {
        check: r.get(first)?,
        channel: r.get(first + 1)?,
        kind: r.get(first + 2)?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
    })
}

impl DecisionStore for SqliteStore {
    fn decisions(&self, run_id: &str) -> Result<Vec<DecisionRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT check_id, channel, kind, reasons FROM decisions WHERE run_id = ?1 ORDER BY check_id, channel",
            )?;
            let rows = statement.query_map([run_id], |r| row(r, 0))?;
            rows.collect()
        })
    }

    fn latest_decisions(&self, playbook: Option<&str>) -> Result<Vec<(String, String, DecisionRow)>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT p.name, r.run_id, d.check_id, d.channel, d.kind, d.reasons
                 FROM decisions d JOIN runs r ON r.run_id = d.run_id JOIN playbooks p ON p.id = r.playbook_id
                 WHERE (?1 IS NULL OR p.name = ?1)
                   AND r.started_ms = (SELECT MAX(r2.started_ms) FROM decisions d2 JOIN runs r2 ON r2.run_id = d2.run_id
                                       WHERE r2.playbook_id = r.playbook_id AND d2.check_id = d.check_id AND d2.channel = d.channel)
                 ORDER BY p.name, d.channel, d.check_id",
            )?;
            let rows = statement.query_map([playbook], |r| Ok((r.get(0)?, r.get(1)?, row(r, 2)?)))?;
            rows.collect()
        })
    }
}
