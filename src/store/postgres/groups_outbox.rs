//! PostgreSQL's grouped outbox (the interface: `store::groups_outbox`). A group is formed
//! once across the fleet: `record_group` locks its members (`FOR UPDATE`) and binds them only
//! if every one still waits; a daemon that formed it first leaves the others nothing to bind.

use std::collections::BTreeSet;

use super::PostgresStore;
use crate::error::Error;
use crate::store::groups_outbox::{Carrier, GroupedOutboxStore, PendingMember};

const WAITING: &str = "alert IS NOT NULL AND carried_by IS NULL AND delivered_ms IS NULL AND dropped IS NULL";

/// Members settle with their carrier (a common table expression of the statement that
/// records the carrier's outcome, `$1` the carrier, `$2` now): delivered with it…
pub(super) const SETTLE_DELIVERED: &str = "members AS (
    UPDATE outbox SET delivered_ms = $2 WHERE carried_by = $1 AND delivered_ms IS NULL AND dropped IS NULL
)";

/// … or dropped with its reason (`$5`). A retry or an undeliverable carrier leaves them
/// waiting with it.
pub(super) const SETTLE_DROPPED: &str = "members AS (
    UPDATE outbox SET dropped = 'its group message was dropped: ' || $5
    WHERE carried_by = $1 AND delivered_ms IS NULL AND dropped IS NULL
)";

impl GroupedOutboxStore for PostgresStore {
    fn pending_members(&self, playbooks: Option<&[String]>) -> Result<Vec<PendingMember>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT id, idempotency, playbook, file, channel, summary, alert, created_ms, group_window_ms,
                            group_max_per_hour, group_key
                     FROM outbox WHERE {WAITING}
                       AND ($1::text[] IS NULL OR group_key IN
                            (SELECT group_key FROM outbox WHERE {WAITING} AND playbook = ANY($1)))
                     ORDER BY created_ms, id"
                ),
                &[&playbooks],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(PendingMember {
                        id: r.try_get(0)?,
                        idempotency: r.try_get(1)?,
                        playbook: r.try_get(2)?,
                        file: r.try_get(3)?,
                        channel: r.try_get(4)?,
                        summary: r.try_get(5)?,
                        alert: r.try_get(6)?,
                        created_ms: r.try_get(7)?,
                        window_ms: r.try_get::<_, Option<i64>>(8)?.unwrap_or(0),
                        max_per_hour: r.try_get(9)?,
                        group_key: r.try_get::<_, Option<String>>(10)?.unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    fn carriers_in(&self, group_key: &str, from_ms: i64, to_ms: i64) -> Result<i64, Error> {
        self.with(|c| {
            c.query_one(
                "SELECT count(*) FROM outbox WHERE group_key = $1 AND alert IS NULL AND created_ms >= $2 AND created_ms < $3",
                &[&group_key, &from_ms, &to_ms],
            )?
            .try_get(0)
        })
    }

    fn record_group(&self, group_key: &str, carriers: &[Carrier], now_ms: i64) -> Result<usize, Error> {
        let members: BTreeSet<i64> = carriers.iter().flat_map(|c| c.members.iter().copied()).collect();
        let members: Vec<i64> = members.into_iter().collect();
        self.with(|c| {
            let mut tx = c.transaction()?;
            // Locked in id order (no deadlock between two daemons forming overlapping groups);
            // a member bound meanwhile no longer matches once its lock is ours.
            let waiting =
                tx.query(&format!("SELECT id FROM outbox WHERE id = ANY($1) AND {WAITING} ORDER BY id FOR UPDATE"), &[
                    &members,
                ])?;
            if waiting.len() != members.len() {
                // Another deliverer formed this group first (the transaction rolls back).
                return Ok(0);
            }
            for carrier in carriers {
                tx.execute(
                    "WITH inserted AS (
                        INSERT INTO outbox (idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, group_key)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
                        ON CONFLICT (idempotency) DO NOTHING
                        RETURNING id
                     ), carrier AS (
                        SELECT id FROM inserted UNION ALL SELECT id FROM outbox WHERE idempotency = $1
                     )
                     UPDATE outbox SET carried_by = (SELECT id FROM carrier LIMIT 1) WHERE id = ANY($10)",
                    &[
                        &carrier.idempotency,
                        &carrier.playbook,
                        &carrier.file,
                        &carrier.channel,
                        &carrier.kind,
                        &carrier.summary,
                        &carrier.body,
                        &now_ms,
                        &group_key,
                        &carrier.members,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(carriers.len())
        })
    }

    fn carried_by(&self, carrier_id: i64) -> Result<Vec<(i64, String)>, Error> {
        self.with(|c| {
            let rows =
                c.query("SELECT id, idempotency FROM outbox WHERE carried_by = $1 ORDER BY id", &[&carrier_id])?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }
}
