//! The daemon's memory in SQLite (see `store::schedule`): `schedule_state`, `misses`, and
//! the placeholder rows of runs in progress in `runs`.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::store::now_ms;
use crate::store::schedule::ScheduleStore;

impl ScheduleStore for SqliteStore {
    fn last_fire(&self, playbook: &str) -> Result<Option<i64>, Error> {
        self.with(|c| {
            c.query_row("SELECT last_fire_ms FROM schedule_state WHERE playbook = ?1", [playbook], |r| r.get(0))
                .optional()
        })
    }

    fn set_last_fire(&self, playbook: &str, fire_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO schedule_state (playbook, last_fire_ms, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (playbook) DO UPDATE SET last_fire_ms = excluded.last_fire_ms, updated_ms = excluded.updated_ms",
                params![playbook, fire_ms, now_ms()],
            )
            .map(|_| ())
        })
    }

    fn advance_last_fire(&self, playbook: &str, expected: Option<i64>, to: i64) -> Result<bool, Error> {
        self.with(|c| {
            let changed = match expected {
                None => c.execute(
                    "INSERT INTO schedule_state (playbook, last_fire_ms, updated_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (playbook) DO NOTHING",
                    params![playbook, to, now_ms()],
                )?,
                Some(expected) => c.execute(
                    "UPDATE schedule_state SET last_fire_ms = ?2, updated_ms = ?3
                     WHERE playbook = ?1 AND last_fire_ms = ?4",
                    params![playbook, to, now_ms(), expected],
                )?,
            };
            Ok(changed == 1)
        })
    }

    fn record_misses(&self, playbook: &str, misses: &[(i64, &str)]) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_ms();
            for (fire, reason) in misses {
                tx.execute(
                    "INSERT INTO misses (playbook, fire_ms, reason, noted_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![playbook, fire, reason, now],
                )?;
            }
            tx.commit()
        })
    }

    fn miss_counts(&self, playbook: Option<&str>, since_ms: i64) -> Result<Vec<(String, String, i64)>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT playbook, reason, count(*) FROM misses WHERE fire_ms >= ?1 AND (?2 IS NULL OR playbook = ?2)
                 GROUP BY playbook, reason ORDER BY playbook, reason",
            )?;
            let rows = statement.query_map(params![since_ms, playbook], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
    }

    fn begin_run(&self, run_id: &str, playbook: &str, origin: &str, scheduled_ms: Option<i64>) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let playbook_id = super::runs::intern_playbook(&tx, playbook)?;
            tx.execute(
                "INSERT OR IGNORE INTO runs (run_id, playbook_id, started_ms, duration_ms, status, origin, scheduled_ms, summary)
                 VALUES (?1, ?2, ?3, 0, 'running', ?4, ?5, '{}')",
                params![run_id, playbook_id, now_ms(), origin, scheduled_ms],
            )?;
            tx.commit()
        })
    }

    fn mark_interrupted(&self, playbook: &str) -> Result<usize, Error> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET status = 'unknown', interrupted = 1,
                   duration_ms = max(0, ?2 - started_ms)
                 WHERE status = 'running' AND playbook_id IN (SELECT id FROM playbooks WHERE name = ?1)",
                params![playbook, now_ms()],
            )
        })
    }
}
