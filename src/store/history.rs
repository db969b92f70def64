//! Reading history back: metric samples for `history` checks, runs and per-check trends
//! for `runner history`.

use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::checks::history::MetricHistory;
use crate::error::Error;

impl MetricHistory for Store {
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
            let rows = statement.query_map(params![playbook, check, metric, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .map_err(|e: Error| e.to_string())
    }
}

/// One stored run, for `runner history`.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub playbook: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub status: String,
    pub origin: String,
    pub interrupted: bool,
    pub stands_for: Option<i64>,
}

/// A metric's trend over a window.
#[derive(Clone, Debug, Serialize)]
pub struct MetricTrend {
    pub playbook: String,
    pub check: String,
    pub metric: String,
    pub samples: i64,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub last: f64,
}
