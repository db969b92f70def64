//! Grouped messages in the outbox (see `alert::group`): a grouped decision is queued as a
//! *member* (its alert as JSON, its destination's key, its channel's window and hourly
//! limit) and is never delivered on its own; when its group is due it is bound to a
//! *carrier*, an ordinary outbox message, in one transaction, before the carrier's first
//! attempt. A member is delivered or dropped when its carrier is, in the transaction that
//! records the carrier's attempt. The destination is kept as a hash, never as its URL.

use rusqlite::{Transaction, params};

use super::Store;
use crate::alert::outbox::Outcome;
use crate::error::Error;

/// What a grouped decision carries into the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMembership {
    /// The destination's key (`alert::group::destination_key`).
    pub key: String,
    pub window_ms: i64,
    pub max_per_hour: Option<i64>,
    /// The alert, as JSON (scrubbed when it was decided).
    pub alert: String,
}

/// A member waiting for its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMember {
    pub id: i64,
    pub idempotency: String,
    pub playbook: String,
    pub file: String,
    pub channel: String,
    pub summary: String,
    pub alert: String,
    pub created_ms: i64,
    pub window_ms: i64,
    pub max_per_hour: Option<i64>,
    pub group_key: String,
}

/// A message that carries members, to record.
#[derive(Clone, Debug)]
pub struct Carrier {
    pub idempotency: String,
    pub playbook: String,
    pub file: String,
    pub channel: String,
    /// `group` or `summary`.
    pub kind: String,
    pub summary: String,
    pub body: String,
    /// The outbox ids of its members.
    pub members: Vec<i64>,
}

/// The grouped outbox, by concern (folded into the `Store` trait at merge).
pub trait GroupedOutboxStore {
    /// The members waiting for their group: every one of the destinations that have a
    /// waiting member of these playbooks (all destinations when `None`), oldest first.
    fn pending_members(&self, playbooks: Option<&[String]>) -> Result<Vec<PendingMember>, Error>;
    /// How many carriers were formed for a destination in `[from_ms, to_ms)`.
    fn carriers_in(&self, group_key: &str, from_ms: i64, to_ms: i64) -> Result<i64, Error>;
    /// Records the carriers of one group and binds their members to them, in one
    /// transaction; nothing when another process bound any of them first. How many
    /// carriers were recorded.
    fn record_group(&self, group_key: &str, carriers: &[Carrier], now_ms: i64) -> Result<usize, Error>;
    /// The members a carrier carries, as (outbox id, idempotency key), oldest first.
    fn carried_by(&self, carrier_id: i64) -> Result<Vec<(i64, String)>, Error>;
}

const WAITING: &str = "alert IS NOT NULL AND carried_by IS NULL AND delivered_ms IS NULL AND dropped IS NULL";

impl GroupedOutboxStore for Store {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::NewMessage;

    fn member(n: usize, playbook: &str, key: &str) -> NewMessage {
        NewMessage {
            idempotency: format!("{playbook}:hook:c{n}:problem:run"),
            playbook: playbook.into(),
            file: format!("/{playbook}.yaml"),
            channel: "hook".into(),
            kind: "problem".into(),
            summary: format!("PROBLEM c{n}"),
            body: "{}".into(),
            group: Some(GroupMembership {
                key: key.into(),
                window_ms: 60_000,
                max_per_hour: Some(30),
                alert: format!(r#"{{"kind":"problem","stream":"c{n}"}}"#),
            }),
        }
    }

    fn carrier(members: Vec<i64>, key: &str) -> Carrier {
        Carrier {
            idempotency: key.into(),
            playbook: "a".into(),
            file: "/a.yaml".into(),
            channel: "hook".into(),
            kind: "group".into(),
            summary: "GROUP".into(),
            body: "{}".into(),
            members,
        }
    }

    #[test]
    fn members_wait_unclaimed_until_their_carrier_is_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ids = store.enqueue(&[member(1, "a", "k1"), member(2, "b", "k1"), member(3, "c", "k2")]).unwrap();
        let now = crate::store::now_ms();
        assert!(store.claim_every_due(now + 1, 60_000).unwrap().is_empty(), "a member is never sent on its own");
        let of_a = store.pending_members(Some(&["a".to_string()])).unwrap();
        assert_eq!(of_a.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..2], "b shares a's destination");
        assert_eq!(store.pending_members(None).unwrap().len(), 3);

        assert_eq!(store.record_group("k1", &[carrier(ids[..2].to_vec(), "group:x")], now).unwrap(), 1);
        assert_eq!(store.record_group("k1", &[carrier(ids[..2].to_vec(), "group:y")], now).unwrap(), 0, "bound once");
        assert_eq!(store.carriers_in("k1", now, now + 1).unwrap(), 1);
        let claimed = store.claim_every_due(now + 1, 60_000).unwrap();
        assert_eq!(claimed.len(), 1);
        let carrier = &claimed[0];
        assert_eq!(store.carried_by(carrier.id).unwrap().len(), 2);

        store
            .finish_attempt(carrier.id, None, Some(503), &Outcome::Retry { due_ms: now, error: "busy".into() }, "h")
            .unwrap();
        assert_eq!(store.pending_count(None).unwrap(), 2, "the carrier and c's member still wait");
        store.finish_attempt(carrier.id, None, Some(200), &Outcome::Delivered, "h").unwrap();
        for id in &ids[..2] {
            assert!(store.message(*id).unwrap().unwrap().delivered_ms.is_some());
        }
        assert!(store.message(ids[2]).unwrap().unwrap().delivered_ms.is_none());
    }
}
