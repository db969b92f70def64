//! Reading this host's history back from PostgreSQL: metric samples for `history` checks,
//! runs and per-check trends for `runner history`, and pruning. Text is ordered byte-wise
//! (`COLLATE "C"`), as SQLite orders it, whatever the database's collation.

use super::PostgresStore;
use crate::checks::history::MetricHistory;
use crate::error::Error;
use crate::store::history::{HistoryStore, MetricTrend, RunRow};

impl MetricHistory for PostgresStore {
    fn samples(&self, playbook: &str, check: &str, metric: &str, since: i64) -> Result<Vec<(i64, f64)>, String> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT m.at / 1000, m.value FROM metrics m
                 JOIN series s ON s.id = m.series
                 JOIN checks k ON k.id = s.check_ref
                 JOIN playbooks p ON p.id = k.playbook_id
                 WHERE m.host = $1 AND p.name = $2 AND k.check_id = $3 AND s.metric = $4 AND m.at >= $5
                 ORDER BY m.at",
            )?;
            let rows = client.query(&statement, &[&host, &playbook, &check, &metric, &since.saturating_mul(1000)])?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
        .map_err(|e: Error| e.to_string())
    }
}

impl HistoryStore for PostgresStore {
    /// The checks with results on this host (their uptime roll-ups have a tail).
    fn check_ids(&self, playbook: Option<&str>) -> Result<Vec<String>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT DISTINCT k.check_id COLLATE \"C\" FROM checks k JOIN playbooks p ON p.id = k.playbook_id
                 WHERE ($2::text IS NULL OR p.name = $2)
                   AND EXISTS (SELECT 1 FROM uptime_tails t WHERE t.host = $1 AND t.playbook_id = k.playbook_id
                     AND t.check_ref = k.id)
                 ORDER BY 1",
            )?;
            Ok(client.query(&statement, &[&host, &playbook])?.iter().map(|r| r.get(0)).collect())
        })
    }

    fn runs(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<RunRow>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT r.run_id, p.name, r.started_ms, r.duration_ms, r.status, r.origin, r.interrupted, r.stands_for
                 FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.host = $1 AND r.started_ms >= $2 AND ($3::text IS NULL OR p.name = $3)
                   AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM results x JOIN checks k ON k.id = x.check_ref
                     WHERE x.run = r.id AND k.check_id = $4))
                 ORDER BY r.started_ms DESC, r.id DESC LIMIT $5",
            )?;
            let rows = client.query(&statement, &[&host, &since_ms, &playbook, &check, &limit.max(0)])?;
            Ok(rows
                .iter()
                .map(|r| {
                    let started: i64 = r.get(2);
                    RunRow {
                        run_id: r.get(0),
                        playbook: r.get(1),
                        started_at: jiff::Timestamp::from_millisecond(started)
                            .map(|t| t.to_string())
                            .unwrap_or_default(),
                        duration_ms: r.get(3),
                        status: r.get(4),
                        origin: r.get(5),
                        interrupted: r.get(6),
                        stands_for: r.get(7),
                    }
                })
                .collect())
        })
    }

    fn run_counts(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT r.status COLLATE \"C\" AS status, count(*) FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.host = $1 AND r.started_ms >= $2 AND ($3::text IS NULL OR p.name = $3)
                   AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM results x JOIN checks k ON k.id = x.check_ref
                     WHERE x.run = r.id AND k.check_id = $4))
                 GROUP BY 1 ORDER BY 1",
            )?;
            let rows = client.query(&statement, &[&host, &since_ms, &playbook, &check])?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn trends(&self, playbook: Option<&str>, check: Option<&str>, since: i64) -> Result<Vec<MetricTrend>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            // One range scan per series (the metrics key is (host, series, at, run)).
            let statement = prepared.get(
                client,
                "SELECT p.name, k.check_id, s.metric, a.samples, a.min, a.avg, a.max, a.last
                 FROM series s JOIN checks k ON k.id = s.check_ref JOIN playbooks p ON p.id = k.playbook_id
                 CROSS JOIN LATERAL (
                   SELECT count(*) AS samples, min(m.value) AS min, avg(m.value) AS avg, max(m.value) AS max,
                          (array_agg(m.value ORDER BY m.at DESC))[1] AS last
                   FROM metrics m WHERE m.host = $1 AND m.series = s.id AND m.at >= $2) a
                 WHERE ($3::text IS NULL OR p.name = $3) AND ($4::text IS NULL OR k.check_id = $4) AND a.samples > 0
                 ORDER BY p.name COLLATE \"C\", k.check_id COLLATE \"C\", s.metric COLLATE \"C\"",
            )?;
            let rows = client.query(&statement, &[&host, &since, &playbook, &check])?;
            Ok(rows
                .iter()
                .map(|r| MetricTrend {
                    playbook: r.get(0),
                    check: r.get(1),
                    metric: r.get(2),
                    samples: r.get(3),
                    min: r.get::<_, Option<f64>>(4).unwrap_or(0.0),
                    avg: r.get::<_, Option<f64>>(5).unwrap_or(0.0),
                    max: r.get::<_, Option<f64>>(6).unwrap_or(0.0),
                    last: r.get::<_, Option<f64>>(7).unwrap_or(0.0),
                })
                .collect())
        })
    }

    /// This host's runs and metrics, remediation audit and misses older than the cutoff,
    /// with the uptime roll-ups of the runs that went; and the fleet's delivered or dropped
    /// messages older than it (as SQLite prunes them).
    fn prune(&self, playbook: Option<&str>, cutoff_ms: i64) -> Result<u64, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let mut tx = client.transaction()?;
            // The roll-ups are fixed up under the lock their runs are recorded under.
            let uptime = super::uptime::Pruning::begin(&mut tx, prepared, host, playbook)?;
            let metrics = prepared.get(
                &mut tx,
                "DELETE FROM metrics WHERE host = $1 AND at < $2 AND ($3::text IS NULL OR series IN (
                   SELECT s.id FROM series s JOIN checks k ON k.id = s.check_ref JOIN playbooks p ON p.id = k.playbook_id
                   WHERE p.name = $3))",
            )?;
            tx.execute(&metrics, &[&host, &cutoff_ms, &playbook])?;
            let runs = prepared.get(
                &mut tx,
                "DELETE FROM runs WHERE host = $1 AND started_ms < $2
                   AND ($3::text IS NULL OR playbook_id IN (SELECT id FROM playbooks WHERE name = $3))",
            )?;
            let pruned = tx.execute(&runs, &[&host, &cutoff_ms, &playbook])?;
            // The uptime roll-ups of what went go with it (in this transaction).
            if pruned > 0 {
                uptime.finish(&mut tx, prepared, host)?;
            }
            let outbox = prepared.get(
                &mut tx,
                "DELETE FROM outbox WHERE created_ms < $1 AND (delivered_ms IS NOT NULL OR dropped IS NOT NULL)
                   AND ($2::text IS NULL OR playbook = $2)",
            )?;
            tx.execute(&outbox, &[&cutoff_ms, &playbook])?;
            let remediations = prepared.get(
                &mut tx,
                "DELETE FROM remediations WHERE host = $1 AND started_ms < $2 AND ($3::text IS NULL OR playbook = $3)",
            )?;
            tx.execute(&remediations, &[&host, &cutoff_ms, &playbook])?;
            let misses = prepared.get(
                &mut tx,
                "DELETE FROM misses WHERE host = $1 AND fire_ms < $2 AND ($3::text IS NULL OR playbook = $3)",
            )?;
            tx.execute(&misses, &[&host, &cutoff_ms, &playbook])?;
            tx.commit()?;
            Ok(pruned)
        })
    }

    /// Gives the space of a large prune back: PostgreSQL's autovacuum reclaims it for reuse
    /// anyway; this makes it happen now, for the tables a prune shrinks.
    fn vacuum(&self) -> Result<(), Error> {
        self.with(|client| client.batch_execute("VACUUM (ANALYZE) runs, results, metrics"))
    }
}
