//! A playbook's last run, read back from SQLite (see `store::last_run`).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::store::last_run::{CheckSnapshot, LastRun, LastRunStore};

impl LastRunStore for SqliteStore {
    fn last_run(&self, playbook: &str) -> Result<Option<LastRun>, Error> {
        self.with(|c| {
            let last = c
                .query_row(
                    "SELECT r.id, r.started_ms, r.status FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                     WHERE p.name = ?1 AND r.status != 'running' AND r.interrupted = 0 AND r.dry_run = 0
                     ORDER BY r.started_ms DESC, r.id DESC LIMIT 1",
                    [playbook],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?)),
                )
                .optional()?;
            let Some((run, started_ms, status)) = last else { return Ok(None) };
            let last_success_ms = c.query_row(
                "SELECT max(r.started_ms) FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE p.name = ?1 AND r.status = 'ok' AND r.dry_run = 0",
                [playbook],
                |row| row.get::<_, Option<i64>>(0),
            )?;
            let mut checks: Vec<CheckSnapshot> = {
                let mut statement = c.prepare_cached(
                    "SELECT k.check_id, res.status, res.message, res.duration_ms, res.attempts
                     FROM results res JOIN checks k ON k.id = res.check_ref
                     WHERE res.run = ?1 ORDER BY res.check_ref",
                )?;
                let rows = statement.query_map([run], |row| {
                    Ok(CheckSnapshot {
                        id: row.get(0)?,
                        status: row.get(1)?,
                        message: row.get(2)?,
                        duration_ms: row.get::<_, i64>(3)?.max(0) as u64,
                        attempts: row.get::<_, i64>(4)?.clamp(0, i64::from(u32::MAX)) as u32,
                        metrics: Vec::new(),
                        meta: Vec::new(),
                    })
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut statement = c.prepare_cached(
                // Metrics are keyed by (series, time): the run's start finds them by index.
                "SELECT k.check_id, s.metric, m.value, s.meta FROM playbooks p
                 JOIN checks k ON k.playbook_id = p.id JOIN series s ON s.check_ref = k.id
                 JOIN metrics m ON m.series = s.id AND m.at = ?2 AND m.run = ?3
                 WHERE p.name = ?1 ORDER BY s.metric",
            )?;
            let metrics = statement.query_map(params![playbook, started_ms, run], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get(2)?, row.get::<_, Option<String>>(3)?))
            })?;
            for metric in metrics {
                let (check, name, value, meta) = metric?;
                if let Some(entry) = checks.iter_mut().find(|c| c.id == check) {
                    if let Some(meta) = meta.and_then(|m| serde_json::from_str(&m).ok()) {
                        entry.meta.push((name.clone(), meta));
                    }
                    entry.metrics.push((name, value));
                }
            }
            Ok(Some(LastRun { started_ms, status, last_success_ms, checks }))
        })
    }
}
