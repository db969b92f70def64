//! The remediation audit and runner's own actions in SQLite (`remediations`,
//! `runner_actions`; see `store::remediations`).

use rusqlite::params;

use super::SqliteStore;
use crate::engine::journal::Journal;
use crate::error::Error;
use crate::store::remediations::{RemediationRow, RemediationStore, rfc3339};

impl SqliteStore {
    /// Records a remediation that ran ([`Journal::record_remediation`] says when it cannot).
    fn insert_remediation(&self, row: &RemediationRow) -> Result<(), Error> {
        let actions = serde_json::to_string(&row.actions).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            c.execute(
                "INSERT INTO remediations (playbook, check_id, run_id, started_ms, finished_ms, trigger, result, attempt,
                   max_attempts, origin, actions, verify, guard)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    row.playbook,
                    row.check,
                    row.run_id,
                    row.started_ms(),
                    row.finished_ms(),
                    row.trigger,
                    row.result,
                    row.attempt,
                    row.max_attempts,
                    row.origin,
                    actions,
                    row.verify,
                    row.guard
                ],
            )
            .map(|_| ())
        })
    }

    /// Start times (Unix ms) of a check's remediations since `since_ms`, oldest first (for
    /// the guard).
    fn remediation_starts(&self, playbook: &str, check: &str, since_ms: i64) -> Result<Vec<i64>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT started_ms FROM remediations WHERE playbook = ?1 AND check_id = ?2 AND started_ms >= ?3 ORDER BY started_ms",
            )?;
            let rows = statement.query_map(params![playbook, check, since_ms], |r| r.get(0))?;
            rows.collect()
        })
    }
}

impl RemediationStore for SqliteStore {
    fn last_remediation(&self, playbook: &str, check: &str) -> Result<Option<i64>, Error> {
        self.with(|c| {
            c.query_row(
                "SELECT max(started_ms) FROM remediations WHERE playbook = ?1 AND check_id = ?2",
                params![playbook, check],
                |r| r.get(0),
            )
        })
    }

    fn remediations(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<RemediationRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT playbook, check_id, run_id, started_ms, finished_ms, trigger, result, attempt, max_attempts, origin,
                   actions, verify, guard
                 FROM remediations
                 WHERE started_ms >= ?1 AND (?2 IS NULL OR playbook = ?2) AND (?3 IS NULL OR check_id = ?3)
                 ORDER BY started_ms DESC",
            )?;
            let rows = statement.query_map(params![since_ms, playbook, check], |r| {
                let actions: String = r.get(10)?;
                Ok(RemediationRow {
                    playbook: r.get(0)?,
                    check: r.get(1)?,
                    run_id: r.get(2)?,
                    started_at: rfc3339(r.get(3)?),
                    finished_at: rfc3339(r.get(4)?),
                    trigger: r.get(5)?,
                    result: r.get(6)?,
                    attempt: r.get(7)?,
                    max_attempts: r.get(8)?,
                    origin: r.get(9)?,
                    actions: serde_json::from_str(&actions).unwrap_or_default(),
                    verify: r.get(11)?,
                    guard: r.get(12)?,
                })
            })?;
            rows.collect()
        })
    }
}

impl Journal for SqliteStore {
    fn runner_intervals(&self, since_ms: i64) -> Vec<(i64, i64)> {
        self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT started_ms, finished_ms FROM runner_actions WHERE finished_ms >= ?1")?;
            let rows = statement.query_map([since_ms], |r| {
                let (start, end): (i64, i64) = (r.get(0)?, r.get(1)?);
                // Seconds, widened by a second each way: process start times are whole seconds.
                Ok((start / 1000 - 1, end / 1000 + 1))
            })?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    fn record_action(&self, playbook: &str, what: &str, started_ms: i64, finished_ms: i64) {
        let result = self.with(|c| {
            c.execute(
                "INSERT INTO runner_actions (playbook, what, started_ms, finished_ms) VALUES (?1, ?2, ?3, ?4)",
                params![playbook, what, started_ms, finished_ms],
            )
        });
        if let Err(error) = result {
            tracing::warn!(target: "runner::store", %error, "cannot record runner's action");
        }
    }

    fn remediation_times(&self, playbook: &str, check: &str, since_ms: i64) -> Vec<i64> {
        self.remediation_starts(playbook, check, since_ms).unwrap_or_default()
    }

    fn record_remediation(&self, row: &RemediationRow) {
        if let Err(error) = self.insert_remediation(row) {
            tracing::error!(target: "runner::store", %error, "cannot record the remediation");
        }
    }
}
