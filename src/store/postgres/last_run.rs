//! A playbook's last run on this host, read back from PostgreSQL (see `store::last_run`).

use super::PostgresStore;
use crate::error::Error;
use crate::store::last_run::{CheckSnapshot, LastRun, LastRunStore};

impl LastRunStore for PostgresStore {
    fn last_run(&self, playbook: &str) -> Result<Option<LastRun>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let last = prepared.get(
                client,
                "SELECT r.id, r.started_ms, r.status,
                   (SELECT max(o.started_ms) FROM runs o WHERE o.host = r.host AND o.playbook_id = r.playbook_id
                      AND o.status = 'ok' AND NOT o.dry_run)
                 FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.host = $1 AND p.name = $2 AND r.status <> 'running' AND NOT r.interrupted AND NOT r.dry_run
                 ORDER BY r.started_ms DESC, r.id DESC LIMIT 1",
            )?;
            let Some(row) = client.query_opt(&last, &[&host, &playbook])? else { return Ok(None) };
            let (run, started_ms, status, last_success_ms): (i64, i64, String, Option<i64>) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let results = prepared.get(
                client,
                "SELECT k.check_id, x.status, x.message, x.duration_ms, x.attempts
                 FROM results x JOIN checks k ON k.id = x.check_ref WHERE x.run = $1 ORDER BY x.check_ref",
            )?;
            let mut checks: Vec<CheckSnapshot> = client
                .query(&results, &[&run])?
                .iter()
                .map(|row| CheckSnapshot {
                    id: row.get(0),
                    status: row.get(1),
                    message: row.get(2),
                    duration_ms: row.get::<_, i64>(3).max(0) as u64,
                    attempts: row.get::<_, i64>(4).clamp(0, i64::from(u32::MAX)) as u32,
                    metrics: Vec::new(),
                    meta: Vec::new(),
                })
                .collect();
            let metrics = prepared.get(
                client,
                // Metrics are keyed by (host, series, time): the run's start finds them by index.
                "SELECT k.check_id, s.metric, m.value, s.meta FROM playbooks p
                 JOIN checks k ON k.playbook_id = p.id JOIN series s ON s.check_ref = k.id
                 JOIN metrics m ON m.host = $1 AND m.series = s.id AND m.at = $3 AND m.run = $4
                 WHERE p.name = $2 ORDER BY s.metric COLLATE \"C\"",
            )?;
            for row in client.query(&metrics, &[&host, &playbook, &started_ms, &run])? {
                let (check, name, value, meta): (String, String, f64, Option<String>) =
                    (row.get(0), row.get(1), row.get(2), row.get(3));
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
