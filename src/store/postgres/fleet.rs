//! Heartbeats and one-host claims in PostgreSQL (see `store::fleet`): `fleet_hosts` and
//! `fire_claims`. A claim is decided in one transaction under an advisory lock on the
//! playbook (so that the overlap rule sees every earlier fire), the host's beat under a
//! row lock of its host id.

use postgres::Row;

use super::PostgresStore;
use crate::error::Error;
use crate::store::fleet::{
    Beat, Claim, ClaimWrite, FireClaim, FleetStore, Heartbeat, SettleWrite, decide_claim, decide_settle,
};

/// The first key of the claims' advisory locks (the second is the playbook's hash).
const CLAIM_LOCK: i32 = 0x666c_6565; // "flee"

const CLAIM_COLUMNS: &str = "playbook, fire_ms, host, lease_until_ms, finished_ms, takeovers";
const HOST_COLUMNS: &str = "host, instance, pid, started_ms, seen_ms, grace_ms, playbooks, silent_since_ms";

fn claim_row(row: &Row) -> FireClaim {
    FireClaim {
        playbook: row.get(0),
        fire_ms: row.get(1),
        host: row.get(2),
        lease_until_ms: row.get(3),
        finished_ms: row.get(4),
        takeovers: row.get(5),
    }
}

fn heartbeat_row(row: &Row) -> Heartbeat {
    let pid: i64 = row.get(2);
    let playbooks: String = row.get(6);
    Heartbeat {
        host: row.get(0),
        instance: row.get(1),
        pid: u32::try_from(pid).unwrap_or_default(),
        started_ms: row.get(3),
        seen_ms: row.get(4),
        grace_ms: row.get(5),
        playbooks: serde_json::from_str(&playbooks).unwrap_or_default(),
        silent_since_ms: row.get(7),
    }
}

impl FleetStore for PostgresStore {
    fn heartbeat(&self, beat: &Heartbeat, live_since_ms: i64) -> Result<Beat, Error> {
        let playbooks = serde_json::to_string(&beat.playbooks).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            let mut tx = c.transaction()?;
            // A first beat has no row to lock: insert a placeholder that the update below fills.
            tx.execute(
                "INSERT INTO fleet_hosts (host, instance, pid, started_ms, seen_ms, grace_ms, playbooks)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (host) DO NOTHING",
                &[
                    &beat.host,
                    &beat.instance,
                    &i64::from(beat.pid),
                    &beat.started_ms,
                    &i64::MIN,
                    &beat.grace_ms,
                    &playbooks,
                ],
            )?;
            let current = tx.query_one(
                &format!("SELECT {HOST_COLUMNS} FROM fleet_hosts WHERE host = $1 FOR UPDATE"),
                &[&beat.host],
            )?;
            let current = heartbeat_row(&current);
            if current.instance != beat.instance && current.seen_ms >= live_since_ms {
                tx.rollback()?;
                return Ok(Beat::HostTaken(current));
            }
            tx.execute(
                "UPDATE fleet_hosts SET instance = $2, pid = $3, started_ms = $4, seen_ms = $5, grace_ms = $6,
                   playbooks = $7, silent_since_ms = NULL WHERE host = $1",
                &[
                    &beat.host,
                    &beat.instance,
                    &i64::from(beat.pid),
                    &beat.started_ms,
                    &beat.seen_ms,
                    &beat.grace_ms,
                    &playbooks,
                ],
            )?;
            tx.commit()?;
            Ok(Beat::Recorded { was_silent: current.silent_since_ms })
        })
    }

    fn fleet_hosts(&self) -> Result<Vec<Heartbeat>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!("SELECT {HOST_COLUMNS} FROM fleet_hosts WHERE seen_ms > $1 ORDER BY host"),
                &[&i64::MIN],
            )?;
            Ok(rows.iter().map(heartbeat_row).collect())
        })
    }

    fn mark_silent(&self, host: &str, seen_ms: i64, now_ms: i64) -> Result<bool, Error> {
        self.with(|c| {
            c.execute(
                "UPDATE fleet_hosts SET silent_since_ms = $3 WHERE host = $1 AND seen_ms = $2 AND silent_since_ms IS NULL",
                &[&host, &seen_ms, &now_ms],
            )
            .map(|changed| changed == 1)
        })
    }

    fn claim_fire(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64, lease_ms: i64) -> Result<Claim, Error> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&CLAIM_LOCK, &playbook])?;
            let existing = tx
                .query_opt(
                    &format!("SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = $1 AND fire_ms = $2"),
                    &[&playbook, &fire_ms],
                )?
                .map(|row| claim_row(&row));
            let earlier = tx
                .query_opt(
                    &format!(
                        "SELECT {CLAIM_COLUMNS} FROM fire_claims
                         WHERE playbook = $1 AND fire_ms < $2 AND finished_ms IS NULL AND lease_until_ms > $3
                         ORDER BY fire_ms LIMIT 1"
                    ),
                    &[&playbook, &fire_ms, &now_ms],
                )?
                .map(|row| claim_row(&row));
            let (claim, write) = decide_claim(existing.as_ref(), earlier.as_ref(), host, now_ms);
            let until = now_ms + lease_ms;
            match write {
                ClaimWrite::Insert => {
                    tx.execute(
                        "INSERT INTO fire_claims (playbook, fire_ms, host, lease_until_ms, claimed_ms) VALUES ($1, $2, $3, $4, $5)",
                        &[&playbook, &fire_ms, &host, &until, &now_ms],
                    )?;
                }
                ClaimWrite::Take { takeover } => {
                    tx.execute(
                        "UPDATE fire_claims SET host = $3, lease_until_ms = $4, claimed_ms = $5, takeovers = takeovers + $6
                         WHERE playbook = $1 AND fire_ms = $2",
                        &[&playbook, &fire_ms, &host, &until, &now_ms, &i64::from(takeover)],
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
                "UPDATE fire_claims SET lease_until_ms = $4
                 WHERE playbook = $1 AND fire_ms = $2 AND host = $3 AND finished_ms IS NULL",
                &[&playbook, &fire_ms, &host, &(now_ms + lease_ms)],
            )
            .map(|changed| changed == 1)
        })
    }

    fn finish_claim(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "UPDATE fire_claims SET finished_ms = $4, lease_until_ms = $4
                 WHERE playbook = $1 AND fire_ms = $2 AND host = $3 AND finished_ms IS NULL",
                &[&playbook, &fire_ms, &host, &now_ms],
            )
            .map(|_| ())
        })
    }

    fn settle_fire(&self, playbook: &str, fire_ms: i64, now_ms: i64) -> Result<Option<String>, Error> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&CLAIM_LOCK, &playbook])?;
            let existing = tx
                .query_opt(
                    &format!("SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = $1 AND fire_ms = $2"),
                    &[&playbook, &fire_ms],
                )?
                .map(|row| claim_row(&row));
            let (settled, write) = decide_settle(existing.as_ref(), now_ms);
            match write {
                SettleWrite::InsertFinished => {
                    tx.execute(
                        "INSERT INTO fire_claims (playbook, fire_ms, host, lease_until_ms, claimed_ms, finished_ms)
                         VALUES ($1, $2, '', $3, $3, $3)",
                        &[&playbook, &fire_ms, &now_ms],
                    )?;
                }
                SettleWrite::Finish => {
                    tx.execute(
                        "UPDATE fire_claims SET finished_ms = $3 WHERE playbook = $1 AND fire_ms = $2",
                        &[&playbook, &fire_ms, &now_ms],
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
            let rows = c.query(
                &format!(
                    "SELECT {CLAIM_COLUMNS} FROM fire_claims WHERE playbook = $1 AND fire_ms >= $2 ORDER BY fire_ms"
                ),
                &[&playbook, &since_ms],
            )?;
            Ok(rows.iter().map(claim_row).collect())
        })
    }
}
