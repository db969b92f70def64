//! SQLite's grouped outbox (the interface: `store::groups_outbox`).

use rusqlite::{Transaction, params};

use super::SqliteStore;
use crate::alert::outbox::Outcome;
use crate::error::Error;
use crate::store::groups_outbox::{Carrier, GroupMembership, GroupedOutboxStore, PendingMember};

const WAITING: &str = "alert IS NOT NULL AND carried_by IS NULL AND delivered_ms IS NULL AND dropped IS NULL";

impl GroupedOutboxStore for SqliteStore {
    fn pending_members(&self, playbooks: Option<&[String]>) -> Result<Vec<PendingMember>, Error> {
        let names = playbooks.map(|names| serde_json::to_string(names).unwrap_or_else(|_| "[]".into()));
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT id, idempotency, playbook, file, channel, summary, alert, created_ms, group_window_ms,
                        group_max_per_hour, group_key
                 FROM outbox WHERE {WAITING}
                   AND (?1 IS NULL OR group_key IN
                        (SELECT group_key FROM outbox WHERE {WAITING} AND playbook IN (SELECT value FROM json_each(?1))))
                 ORDER BY created_ms, id"
            ))?;
            let rows = statement.query_map([names], |r| {
                Ok(PendingMember {
                    id: r.get(0)?,
                    idempotency: r.get(1)?,
                    playbook: r.get(2)?,
                    file: r.get(3)?,
                    channel: r.get(4)?,
                    summary: r.get(5)?,
                    alert: r.get(6)?,
                    created_ms: r.get(7)?,
                    window_ms: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
                    max_per_hour: r.get(9)?,
                    group_key: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    fn carriers_in(&self, group_key: &str, from_ms: i64, to_ms: i64) -> Result<i64, Error> {
        self.with(|c| {
            c.query_row(
                "SELECT count(*) FROM outbox WHERE group_key = ?1 AND alert IS NULL AND created_ms >= ?2 AND created_ms < ?3",
                params![group_key, from_ms, to_ms],
                |r| r.get(0),
            )
        })
    }

    fn record_group(&self, group_key: &str, carriers: &[Carrier], now_ms: i64) -> Result<usize, Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for carrier in carriers {
                for member in &carrier.members {
                    let waiting: bool = tx.query_row(
                        &format!("SELECT count(*) FROM outbox WHERE id = ?1 AND {WAITING}"),
                        [member],
                        |r| r.get::<_, i64>(0).map(|n| n == 1),
                    )?;
                    if !waiting {
                        // Another deliverer formed this group first.
                        return Ok(0);
                    }
                }
            }
            for carrier in carriers {
                tx.execute(
                    "INSERT OR IGNORE INTO outbox (idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, group_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
                    params![
                        carrier.idempotency,
                        carrier.playbook,
                        carrier.file,
                        carrier.channel,
                        carrier.kind,
                        carrier.summary,
                        carrier.body,
                        now_ms,
                        group_key
                    ],
                )?;
                let id: i64 =
                    tx.query_row("SELECT id FROM outbox WHERE idempotency = ?1", [&carrier.idempotency], |r| r.get(0))?;
                for member in &carrier.members {
                    tx.execute("UPDATE outbox SET carried_by = ?2 WHERE id = ?1", params![member, id])?;
                }
            }
            tx.commit()?;
            Ok(carriers.len())
        })
    }

    fn carried_by(&self, carrier_id: i64) -> Result<Vec<(i64, String)>, Error> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT id, idempotency FROM outbox WHERE carried_by = ?1 ORDER BY id")?;
            let rows = statement.query_map([carrier_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}

/// Settles the members of a carrier with it (inside the transaction that records the
/// carrier's outcome): delivered with it, or dropped with its reason. A retry or an
/// undeliverable carrier leaves them waiting with it.
pub(super) fn settle_members(
    tx: &Transaction<'_>,
    carrier_id: i64,
    outcome: &Outcome,
    now_ms: i64,
) -> rusqlite::Result<()> {
    match outcome {
        Outcome::Delivered => {
            tx.execute(
                "UPDATE outbox SET delivered_ms = ?2 WHERE carried_by = ?1 AND delivered_ms IS NULL AND dropped IS NULL",
                params![carrier_id, now_ms],
            )?;
        }
        Outcome::Dropped { reason } => {
            tx.execute(
                "UPDATE outbox SET dropped = ?2 WHERE carried_by = ?1 AND delivered_ms IS NULL AND dropped IS NULL",
                params![carrier_id, format!("its group message was dropped: {reason}")],
            )?;
        }
        Outcome::Retry { .. } | Outcome::Undeliverable { .. } => {}
    }
    Ok(())
}

/// The columns a queued message adds when it is a member (`None`: an ordinary message).
pub(super) fn member_columns(
    group: Option<&GroupMembership>,
) -> (Option<&str>, Option<i64>, Option<i64>, Option<&str>) {
    match group {
        Some(g) => (Some(g.key.as_str()), Some(g.window_ms), g.max_per_hour, Some(g.alert.as_str())),
        None => (None, None, None, None),
    }
}
