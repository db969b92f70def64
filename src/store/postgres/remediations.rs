//! The remediation audit and runner's own actions in PostgreSQL (`remediations`,
//! `runner_actions`; see `store::remediations`). Both are this host's: a guard counts the
//! remediations made here, and `restarts` discounts the restarts runner made here.

use postgres::Row;

use super::PostgresStore;
use crate::engine::journal::Journal;
use crate::error::Error;
use crate::store::remediations::{RemediationRow, RemediationStore, rfc3339};

fn remediation(r: &Row) -> Result<RemediationRow, postgres::Error> {
    let actions: String = r.try_get(10)?;
    let count = |i: usize| r.try_get::<_, i64>(i).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(RemediationRow {
        playbook: r.try_get(0)?,
        check: r.try_get(1)?,
        run_id: r.try_get(2)?,
        started_at: rfc3339(r.try_get(3)?),
        finished_at: rfc3339(r.try_get(4)?),
        trigger: r.try_get(5)?,
        result: r.try_get(6)?,
        attempt: count(7)?,
        max_attempts: count(8)?,
        origin: r.try_get(9)?,
        actions: serde_json::from_str(&actions).unwrap_or_default(),
        verify: r.try_get(11)?,
        guard: r.try_get(12)?,
    })
}

impl PostgresStore {
    /// Records a remediation that ran ([`Journal::record_remediation`] says when it cannot).
    fn insert_remediation(&self, row: &RemediationRow) -> Result<(), Error> {
        let actions = serde_json::to_string(&row.actions).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            c.execute(
                "INSERT INTO remediations (host, playbook, check_id, run_id, started_ms, finished_ms, trigger, result,
                   attempt, max_attempts, origin, actions, verify, guard)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &self.host,
                    &row.playbook,
                    &row.check,
                    &row.run_id,
                    &row.started_ms(),
                    &row.finished_ms(),
                    &row.trigger,
                    &row.result,
                    &i64::from(row.attempt),
                    &i64::from(row.max_attempts),
                    &row.origin,
                    &actions,
                    &row.verify,
                    &row.guard,
                ],
            )
            .map(|_| ())
        })
    }

    /// Start times (Unix ms) of a check's remediations here since `since_ms`, oldest first
    /// (for the guard).
    fn remediation_starts(&self, playbook: &str, check: &str, since_ms: i64) -> Result<Vec<i64>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT started_ms FROM remediations
                 WHERE host = $1 AND playbook = $2 AND check_id = $3 AND started_ms >= $4 ORDER BY started_ms",
                &[&self.host, &playbook, &check, &since_ms],
            )?;
            rows.iter().map(|r| r.try_get(0)).collect()
        })
    }
}

impl RemediationStore for PostgresStore {
    fn last_remediation(&self, playbook: &str, check: &str) -> Result<Option<i64>, Error> {
        self.with(|c| {
            c.query_one(
                "SELECT max(started_ms) FROM remediations WHERE host = $1 AND playbook = $2 AND check_id = $3",
                &[&self.host, &playbook, &check],
            )?
            .try_get(0)
        })
    }

    fn remediations(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<RemediationRow>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT playbook, check_id, run_id, started_ms, finished_ms, trigger, result, attempt, max_attempts, origin,
                   actions, verify, guard
                 FROM remediations
                 WHERE host = $1 AND started_ms >= $2 AND ($3::text IS NULL OR playbook = $3)
                   AND ($4::text IS NULL OR check_id = $4)
                 ORDER BY started_ms DESC",
                &[&self.host, &since_ms, &playbook, &check],
            )?;
            rows.iter().map(remediation).collect()
        })
    }
}

impl Journal for PostgresStore {
    fn runner_intervals(&self, since_ms: i64) -> Vec<(i64, i64)> {
        self.with(|c| {
            let rows = c.query(
                "SELECT started_ms, finished_ms FROM runner_actions WHERE host = $1 AND finished_ms >= $2",
                &[&self.host, &since_ms],
            )?;
            rows.iter()
                .map(|r| {
                    let (start, end): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    // Seconds, widened by a second each way: process start times are whole seconds.
                    Ok((start / 1000 - 1, end / 1000 + 1))
                })
                .collect()
        })
        .unwrap_or_else(|error| {
            tracing::error!(target: "runner::store", %error, "cannot read runner's own actions");
            Vec::new()
        })
    }

    fn record_action(&self, playbook: &str, what: &str, started_ms: i64, finished_ms: i64) {
        let result = self.with(|c| {
            c.execute(
                "INSERT INTO runner_actions (host, playbook, what, started_ms, finished_ms) VALUES ($1, $2, $3, $4, $5)",
                &[&self.host, &playbook, &what, &started_ms, &finished_ms],
            )
        });
        if let Err(error) = result {
            tracing::warn!(target: "runner::store", %error, "cannot record runner's action");
        }
    }

    fn remediation_times(&self, playbook: &str, check: &str, since_ms: i64) -> Vec<i64> {
        self.remediation_starts(playbook, check, since_ms).unwrap_or_else(|error| {
            tracing::error!(target: "runner::store", %error, "cannot read the remediations for the guard");
            Vec::new()
        })
    }

    fn record_remediation(&self, row: &RemediationRow) {
        if let Err(error) = self.insert_remediation(row) {
            tracing::error!(target: "runner::store", %error, "cannot record the remediation");
        }
    }
}
