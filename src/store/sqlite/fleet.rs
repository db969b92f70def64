//! Heartbeats and one-host claims in SQLite (see `store::fleet`): `fleet_hosts` and
//! `fire_claims`, each decision in one immediate transaction (the file's write lock is
//! the claim's lock).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::store::fleet::{
    Beat, Claim, ClaimWrite, FireClaim, FleetStore, Heartbeat, SettleWrite, decide_claim, decide_settle,
};

const CLAIM_COLUMNS: &str = "playbook, fire_ms, host, lease_until_ms, finished_ms, takeovers";

fn claim_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FireClaim> {
    Ok(FireClaim {
        playbook: row.get(0)?,
        fire_ms: row.get(1)?,
        host: row.get(2)?,
        lease_until_ms: row.get(3)?,
        finished_ms: row.get(4)?,
        takeovers: row.get(5)?,
    })
}

fn heartbeat_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Heartbeat> {
    let playbooks: String = row.get(6)?;
    Ok(Heartbeat {
        host: row.get(0)?,
        instance: row.get(1)?,
        pid: row.get(2)?,
        started_ms: row.get(3)?,
        seen_ms: row.get(4)?,
        grace_ms: row.get(5)?,
        playbooks: serde_json::from_str(&playbooks).unwrap_or_default(),
        silent_since_ms: row.get(7)?,
    })
}

const HOST_COLUMNS: &str = "host, instance, pid, started_ms, seen_ms, grace_ms, playbooks, silent_since_ms";

impl FleetStore for SqliteStore {
    fn heartbeat(&self, beat: &Heartbeat, live_since_ms: i64) -> Result<Beat, Error> {
        let playbooks = serde_json::to_string(&beat.playbooks).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current = tx
                .query_row(&format!("SELECT {HOST_COLUMNS} FROM fleet_hosts WHERE host = ?1"), [&beat.host], heartbeat_row)
                .optional()?;
            if let Some(other) = current.as_ref().filter(|o| o.instance != beat.instance && o.seen_ms >= live_since_ms) {
                return Ok(Beat::HostTaken(other.clone()));
            }
            tx.execute(
                "INSERT INTO fleet_hosts (host, instance, pid, started_ms, seen_ms, grace_ms, playbooks, silent_since_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
                 ON CONFLICT (host) DO UPDATE SET instance = excluded.instance, pid = excluded.pid,
                   started_ms = excluded.started_ms, seen_ms = excluded.seen_ms, grace_ms = excluded.grace_ms,
                   playbooks = excluded.playbooks, silent_since_ms = NULL",
                params![beat.host, beat.instance, beat.pid, beat.started_ms, beat.seen_ms, beat.grace_ms, playbooks],
            )?;
            tx.commit()?;
            Ok(Beat::Recorded { was_silent: current.and_then(|c| c.silent_since_ms) })
        })
    }

    fn fleet_hosts(&self) -> Result<Vec<Heartbeat>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(&format!("SELECT {HOST_COLUMNS} FROM fleet_hosts ORDER BY host"))?;
            statement.query_map([], heartbeat_row)?.collect()
        })
    }

    fn mark_silent(&self, host: &str, seen_ms: i64, now_ms: i64) -> Result<bool, Error> {
        self.with(|c| {
            c.execute(
                "UPDATE fleet_hosts SET silent_since_ms = ?3
                 WHERE host = ?1 AND seen_ms = ?2 AND silent_since_ms IS NULL",
                params![host, seen_ms, now_ms],
            )
            .map(|changed| changed == 1)
        })
    }

    fn claim_fire(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64, lease_ms: i64) -> Result<Claim, Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let existing = tx
                .query_row(
                    &format!("SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = ?1 AND fire_ms = ?2"),
                    params![playbook, fire_ms],
                    claim_row,
                )
                .optional()?;
            let earlier = tx
                .query_row(
                    &format!(
                        "SELECT {CLAIM_COLUMNS} FROM fire_claims
                         WHERE playbook = ?1 AND fire_ms < ?2 AND finished_ms IS NULL AND lease_until_ms > ?3
                         ORDER BY fire_ms LIMIT 1"
                    ),
                    params![playbook, fire_ms, now_ms],
                    claim_row,
                )
                .optional()?;
            let (claim, write) = decide_claim(existing.as_ref(), earlier.as_ref(), host, now_ms);
            let until = now_ms + lease_ms;
            match write {
                ClaimWrite::Insert => {
                    tx.execute(
                        "INSERT INTO fire_claims (playbook, fire_ms, host, lease_until_ms, claimed_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![playbook, fire_ms, host, until, now_ms],
                    )?;
                }
                ClaimWrite::Take { takeover } => {
                    tx.execute(
                        "UPDATE fire_claims SET host = ?3, lease_until_ms = ?4, claimed_ms = ?5, takeovers = takeovers + ?6
                         WHERE playbook = ?1 AND fire_ms = ?2",
                        params![playbook, fire_ms, host, until, now_ms, i64::from(takeover)],
                    )?;
                }
                ClaimWrite::Nothing => {}
            }
            tx.commit()?;
            Ok(claim)
        })
    }

    fn renew_claim(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64, lease_ms: i64) -> Result<bool, Error> {
        self.with(|c| {
            c.execute(
                "UPDATE fire_claims SET lease_until_ms = ?4
                 WHERE playbook = ?1 AND fire_ms = ?2 AND host = ?3 AND finished_ms IS NULL",
                params![playbook, fire_ms, host, now_ms + lease_ms],
            )
            .map(|changed| changed == 1)
        })
    }

    fn finish_claim(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "UPDATE fire_claims SET finished_ms = ?4, lease_until_ms = ?4
                 WHERE playbook = ?1 AND fire_ms = ?2 AND host = ?3 AND finished_ms IS NULL",
                params![playbook, fire_ms, host, now_ms],
            )
            .map(|_| ())
        })
    }

    fn settle_fire(&self, playbook: &str, fire_ms: i64, now_ms: i64) -> Result<Option<String>, Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let existing = tx
                .query_row(
                    &format!("SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = ?1 AND fire_ms = ?2"),
                    params![playbook, fire_ms],
                    claim_row,
                )
                .optional()?;
            let (settled, write) = decide_settle(existing.as_ref(), now_ms);
            match write {
                SettleWrite::InsertFinished => {
                    tx.execute(
                        "INSERT INTO fire_claims (playbook, fire_ms, host, lease_until_ms, claimed_ms, finished_ms)
                         VALUES (?1, ?2, '', ?3, ?3, ?3)",
                        params![playbook, fire_ms, now_ms],
                    )?;
                }
                SettleWrite::Finish => {
                    tx.execute(
                        "UPDATE fire_claims SET finished_ms = ?3 WHERE playbook = ?1 AND fire_ms = ?2",
                        params![playbook, fire_ms, now_ms],
                    )?;
                }
                SettleWrite::Nothing => {}
            }
            tx.commit()?;
            Ok(settled)
        })
    }

    fn fire_claims(&self, playbook: &str, since_ms: i64) -> Result<Vec<FireClaim>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = ?1 AND fire_ms >= ?2 ORDER BY fire_ms"
            ))?;
            statement.query_map(params![playbook, since_ms], claim_row)?.collect()
        })
    }
}
