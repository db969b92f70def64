//! Grouped messages in the outbox (see `alert::group`): a grouped decision is queued as a
//! *member* (its alert as JSON, its destination's key, its channel's window and hourly
//! limit) and is never delivered on its own; when its group is due it is bound to a
//! *carrier*, an ordinary outbox message, in one transaction, before the carrier's first
//! attempt. A member is delivered or dropped when its carrier is, in the transaction that
//! records the carrier's attempt. The destination is kept as a hash, never as its URL.

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

/// The grouped outbox.
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
