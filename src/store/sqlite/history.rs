//! Reading history back from SQLite: metric samples for `history` checks, runs and
//! per-check trends for `runner history`, and pruning.

use rusqlite::params;

use super::SqliteStore;
use crate::checks::history::MetricHistory;
use crate::error::Error;
use crate::store::history::{HistoryStore, MetricTrend, RunRow};

impl MetricHistory for SqliteStore {
    fn samples(&self, playbook: &str, check: &str, metric: &str, since: i64) -> Result<Vec<(i64, f64)>, String> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT m.at, m.value FROM metrics m
                 JOIN series s ON s.id = m.series
                 JOIN checks k ON k.id = s.check_ref
                 JOIN playbooks p ON p.id = k.playbook_id
                 WHERE p.name = ?1 AND k.check_id = ?2 AND s.metric = ?3 AND m.at >= ?4
                 ORDER BY m.at",
            )?;
            let rows = statement.query_map(params![playbook, check, metric, since * 1000], |r| {
                Ok((r.get::<_, i64>(0)? / 1000, r.get(1)?))
            })?;
            rows.collect()
        })
        .map_err(|e: Error| e.to_string())
    }
}

/// SQL condition on a run `r`: parameter 4 is NULL, or the run has a result of the check it
/// names.
const HAS_CHECK: &str = "(?4 IS NULL OR EXISTS (SELECT 1 FROM results x JOIN checks k ON k.id = x.check_ref
                          WHERE x.run = r.id AND k.check_id = ?4))";

impl HistoryStore for SqliteStore {
    fn check_ids(&self, playbook: Option<&str>) -> Result<Vec<String>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT DISTINCT k.check_id FROM checks k JOIN playbooks p ON p.id = k.playbook_id
                 WHERE ?1 IS NULL OR p.name = ?1 ORDER BY 1",
            )?;
            let rows = statement.query_map(params![playbook], |r| r.get(0))?;
            rows.collect()
        })
    }

    fn runs(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<RunRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT r.run_id, p.name, r.started_ms, r.duration_ms, r.status, r.origin, r.interrupted, r.stands_for
                 FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.started_ms >= ?1 AND (?2 IS NULL OR p.name = ?2) AND {HAS_CHECK}
                 ORDER BY r.started_ms DESC LIMIT ?3"
            ))?;
            let rows = statement.query_map(params![since_ms, playbook, limit, check], |r| {
                let started: i64 = r.get(2)?;
                Ok(RunRow {
                    run_id: r.get(0)?,
                    playbook: r.get(1)?,
                    started_at: jiff::Timestamp::from_millisecond(started).map(|t| t.to_string()).unwrap_or_default(),
                    duration_ms: r.get(3)?,
                    status: r.get(4)?,
                    origin: r.get(5)?,
                    interrupted: r.get::<_, i64>(6)? != 0,
                    stands_for: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    fn run_counts(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT r.status, count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.started_ms >= ?1 AND (?2 IS NULL OR p.name = ?2) AND {HAS_CHECK}
                 GROUP BY r.status ORDER BY r.status"
            ))?;
            let rows =
                statement.query_map(params![since_ms, playbook, None::<i64>, check], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    fn trends(&self, playbook: Option<&str>, check: Option<&str>, since: i64) -> Result<Vec<MetricTrend>, Error> {
        self.with(|c| {
            // One range scan per series (the metrics key is (series, at, run)).
            let mut series = c.prepare_cached(
                "SELECT s.id, p.name, k.check_id, s.metric FROM series s
                 JOIN checks k ON k.id = s.check_ref JOIN playbooks p ON p.id = k.playbook_id
                 WHERE (?1 IS NULL OR p.name = ?1) AND (?2 IS NULL OR k.check_id = ?2)
                 ORDER BY p.name, k.check_id, s.metric",
            )?;
            let list: Vec<(i64, String, String, String)> = series
                .query_map(params![playbook, check], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            let mut aggregate = c.prepare_cached(
                "SELECT count(*), min(value), avg(value), max(value) FROM metrics WHERE series = ?1 AND at >= ?2",
            )?;
            let mut last =
                c.prepare_cached("SELECT value FROM metrics WHERE series = ?1 AND at >= ?2 ORDER BY at DESC LIMIT 1")?;
            let mut trends = Vec::new();
            for (id, playbook, check, metric) in list {
                let (samples, min, avg, max): (i64, Option<f64>, Option<f64>, Option<f64>) =
                    aggregate.query_row(params![id, since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                if samples == 0 {
                    continue;
                }
                let last_value: f64 = last.query_row(params![id, since], |r| r.get(0))?;
                trends.push(MetricTrend {
                    playbook,
                    check,
                    metric,
                    samples,
                    min: min.unwrap_or(0.0),
                    avg: avg.unwrap_or(0.0),
                    max: max.unwrap_or(0.0),
                    last: last_value,
                });
            }
            Ok(trends)
        })
    }

    fn prune(&self, playbook: Option<&str>, cutoff_ms: i64) -> Result<u64, Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // Metrics by series, so each delete is a range on the primary key.
            let series: Vec<i64> = {
                let mut statement = tx.prepare(
                    "SELECT s.id FROM series s JOIN checks k ON k.id = s.check_ref JOIN playbooks p ON p.id = k.playbook_id
                     WHERE ?1 IS NULL OR p.name = ?1",
                )?;
                statement.query_map([playbook], |r| r.get(0))?.collect::<Result<_, _>>()?
            };
            for id in series {
                tx.execute("DELETE FROM metrics WHERE series = ?1 AND at < ?2", params![id, cutoff_ms])?;
            }
            let runs = tx.execute(
                "DELETE FROM runs WHERE started_ms < ?1 AND (?2 IS NULL OR playbook_id IN (SELECT id FROM playbooks WHERE name = ?2))",
                params![cutoff_ms, playbook],
            )?;
            // The uptime roll-ups of what went go with it (in this transaction).
            if runs > 0 {
                super::uptime::prune(&tx, playbook)?;
            }
            tx.execute(
                "DELETE FROM outbox WHERE created_ms < ?1 AND (delivered_ms IS NOT NULL OR dropped IS NOT NULL) AND (?2 IS NULL OR playbook = ?2)",
                params![cutoff_ms, playbook],
            )?;
            tx.execute("DELETE FROM remediations WHERE started_ms < ?1 AND (?2 IS NULL OR playbook = ?2)", params![cutoff_ms, playbook])?;
            tx.execute("DELETE FROM misses WHERE fire_ms < ?1 AND (?2 IS NULL OR playbook = ?2)", params![cutoff_ms, playbook])?;
            tx.commit()?;
            Ok(runs as u64)
        })
    }

    /// Shrinks the file after a large prune.
    fn vacuum(&self) -> Result<(), Error> {
        self.with(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;"))
    }
}
