//! The daemon's memory in PostgreSQL (see `store::schedule`): `schedule_state`, `misses`, and
//! the placeholder rows of runs in progress in `runs`, all this host's (every playbook is
//! every-host for now: each daemon fires it on its own schedule).
//!
//! The last fire moves by compare and set in one statement: `INSERT … ON CONFLICT DO NOTHING`
//! when none was recorded, `UPDATE … WHERE last_fire_ms = <what the mover saw>` after; of
//! two `runner tick`s that saw the same fire, the second changes no row.

use super::PostgresStore;
use crate::error::Error;
use crate::store::now_ms;
use crate::store::schedule::ScheduleStore;

impl ScheduleStore for PostgresStore {
    fn last_fire(&self, playbook: &str) -> Result<Option<i64>, Error> {
        self.with(|c| {
            let row = c.query_opt(
                "SELECT last_fire_ms FROM schedule_state WHERE host = $1 AND playbook = $2",
                &[&self.host, &playbook],
            )?;
            row.map(|r| r.try_get(0)).transpose()
        })
    }

    fn set_last_fire(&self, playbook: &str, fire_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO schedule_state (host, playbook, last_fire_ms, updated_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (host, playbook) DO UPDATE SET last_fire_ms = EXCLUDED.last_fire_ms,
                   updated_ms = EXCLUDED.updated_ms",
                &[&self.host, &playbook, &fire_ms, &now_ms()],
            )
            .map(|_| ())
        })
    }

    fn advance_last_fire(&self, playbook: &str, expected: Option<i64>, to: i64) -> Result<bool, Error> {
        self.with(|c| {
            let changed = match expected {
                None => c.execute(
                    "INSERT INTO schedule_state (host, playbook, last_fire_ms, updated_ms) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (host, playbook) DO NOTHING",
                    &[&self.host, &playbook, &to, &now_ms()],
                )?,
                Some(expected) => c.execute(
                    "UPDATE schedule_state SET last_fire_ms = $3, updated_ms = $4
                     WHERE host = $1 AND playbook = $2 AND last_fire_ms = $5",
                    &[&self.host, &playbook, &to, &now_ms(), &expected],
                )?,
            };
            Ok(changed == 1)
        })
    }

    fn record_misses(&self, playbook: &str, misses: &[(i64, &str)]) -> Result<(), Error> {
        if misses.is_empty() {
            return Ok(());
        }
        let fires: Vec<i64> = misses.iter().map(|(fire, _)| *fire).collect();
        let reasons: Vec<&str> = misses.iter().map(|(_, reason)| *reason).collect();
        self.with(|c| {
            c.execute(
                "INSERT INTO misses (host, playbook, fire_ms, reason, noted_ms)
                 SELECT $1, $2, m.fire_ms, m.reason, $5 FROM UNNEST($3::bigint[], $4::text[]) AS m(fire_ms, reason)",
                &[&self.host, &playbook, &fires, &reasons, &now_ms()],
            )
            .map(|_| ())
        })
    }

    fn miss_counts(&self, playbook: Option<&str>, since_ms: i64) -> Result<Vec<(String, String, i64)>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT playbook, reason, count(*) FROM misses
                 WHERE host = $1 AND fire_ms >= $2 AND ($3::text IS NULL OR playbook = $3)
                 GROUP BY playbook, reason ORDER BY playbook, reason",
                &[&self.host, &since_ms, &playbook],
            )?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
        })
    }

    fn begin_run(&self, run_id: &str, playbook: &str, origin: &str, scheduled_ms: Option<i64>) -> Result<(), Error> {
        self.with(|c| {
            // The playbook's name is interned fleet-wide (a no-op update returns the id of a
            // name that exists); a run id begun twice keeps its first placeholder.
            c.execute(
                "WITH playbook AS (
                    INSERT INTO playbooks (name) VALUES ($3) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
                    RETURNING id
                 )
                 INSERT INTO runs (run_id, host, playbook_id, started_ms, duration_ms, status, origin, scheduled_ms, summary)
                 SELECT $1, $2, playbook.id, $4, 0, 'running', $5, $6, '{}' FROM playbook
                 ON CONFLICT (run_id) DO NOTHING",
                &[&run_id, &self.host, &playbook, &now_ms(), &origin, &scheduled_ms],
            )
            .map(|_| ())
        })
    }

    fn mark_interrupted(&self, playbook: &str) -> Result<usize, Error> {
        self.with(|c| {
            let marked = c.execute(
                "UPDATE runs SET status = 'unknown', interrupted = TRUE, duration_ms = GREATEST(0, $3 - started_ms)
                 WHERE host = $1 AND status = 'running' AND playbook_id IN (SELECT id FROM playbooks WHERE name = $2)",
                &[&self.host, &playbook, &now_ms()],
            )?;
            Ok(usize::try_from(marked).unwrap_or(usize::MAX))
        })
    }
}
