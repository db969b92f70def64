//! What alerting decided, kept per result and channel: the message kind sent (or none)
//! and every reason that held it back, in order of precedence (`maintenance`,
//! `silenced`, `suppressed_by`, `flapping`). Written in the run's own transaction, so a
//! run and its decisions are stored together or not at all; pruned with the run.

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::Error;

/// One decision: a result (`check`, or `playbook` for a `scope: playbook` stream's own
/// row) on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub check: String,
    pub channel: String,
    /// `problem`, `escalation`, `reminder`, `recovery`; `None` when nothing was sent.
    pub kind: Option<String>,
    /// Every reason that held, in order; empty when nothing held.
    pub reasons: Vec<String>,
}

/// Reading decisions back (the lead folds this into the `Store` trait).
pub trait DecisionStore {
    /// The decisions of a stored run, by its id.
    fn decisions(&self, run_id: &str) -> Result<Vec<DecisionRow>, Error>;
    /// The latest decision per (playbook, check, channel), optionally of one playbook:
    /// (playbook, run id, decision).
    fn latest_decisions(&self, playbook: Option<&str>) -> Result<Vec<(String, String, DecisionRow)>, Error>;
}

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

impl DecisionStore for Store {
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
