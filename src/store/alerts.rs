//! Alert state and the notification outbox (the report ledger, `report::retention::Ledger`,
//! is kept beside them by each backend).
//!
//! A run's record and its alert decisions (new states, queued messages) are committed
//! together (one transaction): a crash either loses both (the run never happened, as far
//! as alerting knows) or keeps both, and a queued message is delivered by whichever
//! process starts next. That is at-least-once delivery; the idempotency key lets receivers deduplicate.

use crate::alert::outbox::Outcome;
use crate::alert::policy::AlertState;
use crate::error::Error;
use crate::outcome::RunRecord;

/// A stream's state, keyed.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRow {
    pub playbook: String,
    pub channel: String,
    pub stream: String,
    pub state: AlertState,
}

/// A message waiting in (or delivered from) the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxMessage {
    pub id: i64,
    pub idempotency: String,
    pub playbook: String,
    /// The playbook file, so that a daemon can find the channel's URL at delivery.
    pub file: String,
    pub channel: String,
    pub kind: String,
    /// One line for people ("PROBLEM heartbeat/redis …").
    pub summary: String,
    pub body: String,
    pub created_ms: i64,
    pub due_ms: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
    pub dropped: Option<String>,
}

/// One delivery attempt of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRow {
    /// 1 for the first attempt.
    pub attempt: i64,
    pub host: String,
    pub started_ms: i64,
    /// `None` while in flight, or when its deliverer died (`outcome` is then
    /// `abandoned`).
    pub finished_ms: Option<i64>,
    /// `delivered`, `retry`, `dropped` or `abandoned`; `None` while in flight.
    pub outcome: Option<String>,
    pub http_status: Option<u16>,
    /// Scrubbed.
    pub error: Option<String>,
}

/// A queued message that a host cannot deliver, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Undeliverable {
    pub message_id: i64,
    pub playbook: String,
    pub channel: String,
    pub summary: String,
    pub host: String,
    pub reason: String,
    pub noted_ms: i64,
}

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub idempotency: String,
    pub playbook: String,
    pub file: String,
    pub channel: String,
    pub kind: String,
    pub summary: String,
    pub body: String,
    /// A decision of a grouped channel: it travels in its group's message.
    pub group: Option<super::groups_outbox::GroupMembership>,
}

/// Alert state, written with the run it was decided on.
pub trait AlertStore {
    /// The alert states of a playbook.
    fn alert_states(&self, playbook: &str) -> Result<Vec<StateRow>, Error>;

    /// Every alert state (for `runner alerts`), optionally of one playbook; sorted by
    /// playbook, channel and stream.
    fn all_alert_states(&self, playbook: Option<&str>) -> Result<Vec<StateRow>, Error>;

    /// Stores a run together with its alert decisions (new states, queued messages),
    /// all or nothing. A dry run's record is not stored; its decisions are.
    fn commit_run(&self, record: &RunRecord, states: &[StateRow], messages: &[NewMessage]) -> Result<(), Error> {
        self.commit_run_after_sending(record, states, messages, &[])
    }

    /// [`AlertStore::commit_run`] for a run whose messages in `sent` (idempotency key,
    /// when) were delivered before the store could take it: they are queued as delivered.
    fn commit_run_after_sending(
        &self,
        record: &RunRecord,
        states: &[StateRow],
        messages: &[NewMessage],
        sent: &[(String, i64)],
    ) -> Result<(), Error>;
}

/// The notification outbox: messages queued once (by idempotency key), claimed by one
/// deliverer at a time, and their delivery attempts.
pub trait OutboxStore {
    /// Queues messages outside a run (`runner notify test`); their ids, in order.
    fn enqueue(&self, messages: &[NewMessage]) -> Result<Vec<i64>, Error>;

    /// Messages due now (not delivered, not dropped), oldest first; of one playbook or all.
    fn due_messages(&self, playbook: Option<&str>, now: i64) -> Result<Vec<OutboxMessage>, Error>;

    /// Claims the messages due now (of these playbooks) for one delivery attempt by this
    /// process, so that a second deliverer (the daemon's drain while a run delivers,
    /// another process) does not send them too. A claim lasts until the attempt is
    /// recorded, or `lease_ms`, or the death of the process that holds it: a deliverer
    /// killed mid-attempt leaves its messages to whoever starts next, and its unfinished
    /// attempt is recorded as `abandoned` (and counted in the message's attempts).
    fn claim_due(&self, playbooks: &[String], now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error>;

    /// Claims every message due now, whichever playbook queued it (the daemon's drain).
    fn claim_every_due(&self, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error>;

    /// Records that an attempt to deliver `message` starts now (before the request goes
    /// out); returns the attempt's id, for [`OutboxStore::finish_attempt`].
    fn begin_attempt(&self, message: &OutboxMessage, host: &str) -> Result<i64, Error>;

    /// Records how a message's attempt ended (and the message's new state), all or
    /// nothing. `attempt` is `None` when nothing was sent (dropped before sending,
    /// undeliverable here).
    fn finish_attempt(
        &self,
        message_id: i64,
        attempt: Option<i64>,
        http_status: Option<u16>,
        outcome: &Outcome,
        host: &str,
    ) -> Result<(), Error>;

    /// The attempts made for a message, oldest first.
    fn attempts(&self, message_id: i64) -> Result<Vec<AttemptRow>, Error>;

    /// Queued messages that a host said it cannot deliver, with why; of one playbook or
    /// all.
    fn undeliverable(&self, playbook: Option<&str>) -> Result<Vec<Undeliverable>, Error>;

    /// The messages of a playbook or all (tests, `runner alerts`), newest first.
    fn messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error>;

    fn message(&self, id: i64) -> Result<Option<OutboxMessage>, Error>;

    /// Gives claimed messages back to the queue, due as they were.
    fn release(&self, ids: &[i64]) -> Result<(), Error>;

    /// How many messages wait (not delivered, not dropped, not carried by a group's
    /// digest: a grouped member goes out inside it); of one playbook or all.
    fn pending_count(&self, playbook: Option<&str>) -> Result<i64, Error>;

    /// The messages [`pending_count`](Self::pending_count) counts, the first due first, at
    /// most `limit` (`runner alerts` lists them under that count).
    fn waiting_messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error>;
}

/// Is the process with this pid alive (on this machine)? A claim held by a dead deliverer
/// of this host is free before its lease ends (every backend asks so).
pub(crate) fn process_alive(pid: i64) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    // SAFETY: signal 0 only checks for existence.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}
