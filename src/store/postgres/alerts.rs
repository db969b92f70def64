//! Alert state, the notification outbox and its delivery attempts in PostgreSQL (see
//! `store::alerts`; tables in `schema/alerts.sql`).
//!
//! Alert state is this host's (`host` column): every playbook is every-host for now, whose
//! alerts are per host. The outbox is the fleet's: a message is queued once (by idempotency
//! key) and claimed by one deliverer at a time with a lease, `claimed_host` + `claimed_until`
//! (the claimant's pid beside them), taken by one `UPDATE … WHERE id IN (SELECT … FOR UPDATE
//! SKIP LOCKED) RETURNING`: two daemons (or two processes of one host) never both take a
//! message. A claim of another host is live until its lease ends; one of this host whose
//! process is dead is free at once, as in SQLite.

use postgres::{GenericClient, Row, Transaction};

use super::PostgresStore;
use crate::alert::outbox::Outcome;
use crate::alert::policy::AlertState;
use crate::error::Error;
use crate::outcome::{RunRecord, Status};
use crate::store::alerts::{
    AlertStore, AttemptRow, NewMessage, OutboxMessage, OutboxStore, StateRow, Undeliverable, process_alive,
};
use crate::store::now_ms;

/// An outbox row's columns, in the order [`message`] reads them.
pub(super) const MESSAGE_COLUMNS: &str = "id, idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, \
     attempts, last_error, delivered_ms, dropped";

pub(super) fn message(row: &Row) -> Result<OutboxMessage, postgres::Error> {
    Ok(OutboxMessage {
        id: row.try_get(0)?,
        idempotency: row.try_get(1)?,
        playbook: row.try_get(2)?,
        file: row.try_get(3)?,
        channel: row.try_get(4)?,
        kind: row.try_get(5)?,
        summary: row.try_get(6)?,
        body: row.try_get(7)?,
        created_ms: row.try_get(8)?,
        due_ms: row.try_get(9)?,
        attempts: row.try_get(10)?,
        last_error: row.try_get(11)?,
        delivered_ms: row.try_get(12)?,
        dropped: row.try_get(13)?,
    })
}

fn messages_of(rows: &[Row]) -> Result<Vec<OutboxMessage>, postgres::Error> {
    rows.iter().map(message).collect()
}

fn state_row(row: &Row) -> Result<StateRow, postgres::Error> {
    let status: String = row.try_get(4)?;
    let notified: Option<String> = row.try_get(5)?;
    let streak: i64 = row.try_get(3)?;
    Ok(StateRow {
        playbook: row.try_get(0)?,
        channel: row.try_get(1)?,
        stream: row.try_get(2)?,
        state: AlertState {
            streak: u32::try_from(streak).unwrap_or(u32::MAX),
            status: Status::from_name(&status),
            notified: notified.as_deref().and_then(Status::from_name),
            notified_ms: row.try_get(6)?,
            since_ms: row.try_get(7)?,
            flap: row.try_get::<_, Option<String>>(8)?.and_then(|json| serde_json::from_str(&json).ok()),
        },
    })
}

const STATE_COLUMNS: &str = "playbook, channel, stream, streak, status, notified, notified_ms, since_ms, flap";

/// Queues `messages` in one statement (each once: the idempotency key is unique), those
/// found in `sent` (idempotency key, when) as delivered then (sent before the store could
/// take them). Ids follow the order of `messages`.
pub(super) fn queue(
    client: &mut impl GenericClient,
    messages: &[NewMessage],
    now: i64,
    sent: &[(String, i64)],
) -> Result<(), postgres::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&NewMessage) -> &str| messages.iter().map(f).collect::<Vec<&str>>();
    let delivered: Vec<Option<i64>> =
        messages.iter().map(|m| sent.iter().find(|(key, _)| *key == m.idempotency).map(|(_, at)| *at)).collect();
    let group_key: Vec<Option<&str>> = messages.iter().map(|m| m.group.as_ref().map(|g| g.key.as_str())).collect();
    let window: Vec<Option<i64>> = messages.iter().map(|m| m.group.as_ref().map(|g| g.window_ms)).collect();
    let max_per_hour: Vec<Option<i64>> =
        messages.iter().map(|m| m.group.as_ref().and_then(|g| g.max_per_hour)).collect();
    let alert: Vec<Option<&str>> = messages.iter().map(|m| m.group.as_ref().map(|g| g.alert.as_str())).collect();
    client.execute(
        "INSERT INTO outbox (idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, attempts,
           delivered_ms, group_key, group_window_ms, group_max_per_hour, alert)
         SELECT m.idempotency, m.playbook, m.file, m.channel, m.kind, m.summary, m.body,
           COALESCE(m.delivered, $13), COALESCE(m.delivered, $13), CASE WHEN m.delivered IS NULL THEN 0 ELSE 1 END,
           m.delivered, m.group_key, m.window_ms, m.max_per_hour, m.alert
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                     $9::text[], $10::bigint[], $11::bigint[], $12::text[]) WITH ORDINALITY
           AS m(idempotency, playbook, file, channel, kind, summary, body, delivered, group_key, window_ms, max_per_hour,
                alert, n)
         ORDER BY m.n
         ON CONFLICT (idempotency) DO NOTHING",
        &[
            &text(|m| &m.idempotency),
            &text(|m| &m.playbook),
            &text(|m| &m.file),
            &text(|m| &m.channel),
            &text(|m| &m.kind),
            &text(|m| &m.summary),
            &text(|m| &m.body),
            &delivered,
            &group_key,
            &window,
            &max_per_hour,
            &alert,
            &now,
        ],
    )?;
    Ok(())
}

/// Writes the states of this host's streams (the last of a stream's rows wins, as when they
/// were written one by one).
fn upsert_states(tx: &mut Transaction<'_>, host: &str, states: &[StateRow], now: i64) -> Result<(), postgres::Error> {
    let mut latest: Vec<&StateRow> = Vec::with_capacity(states.len());
    for row in states {
        let same = |r: &&StateRow| r.playbook == row.playbook && r.channel == row.channel && r.stream == row.stream;
        match latest.iter().position(same) {
            Some(at) => latest[at] = row,
            None => latest.push(row),
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&StateRow) -> &str| latest.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let streak: Vec<i64> = latest.iter().map(|r| i64::from(r.state.streak)).collect();
    let status: Vec<&str> = latest.iter().map(|r| r.state.status.map_or("ok", Status::name)).collect();
    let notified: Vec<Option<&str>> = latest.iter().map(|r| r.state.notified.map(Status::name)).collect();
    let notified_ms: Vec<Option<i64>> = latest.iter().map(|r| r.state.notified_ms).collect();
    let since_ms: Vec<Option<i64>> = latest.iter().map(|r| r.state.since_ms).collect();
    let flap: Vec<Option<String>> =
        latest.iter().map(|r| r.state.flap.as_ref().and_then(|f| serde_json::to_string(f).ok())).collect();
    tx.execute(
        "INSERT INTO alert_state (host, playbook, channel, stream, streak, status, notified, notified_ms, since_ms,
           updated_ms, flap)
         SELECT $1, s.playbook, s.channel, s.stream, s.streak, s.status, s.notified, s.notified_ms, s.since_ms, $11, s.flap
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
                     $10::text[]) AS s(playbook, channel, stream, streak, status, notified, notified_ms, since_ms, flap)
         ON CONFLICT (host, playbook, channel, stream) DO UPDATE SET streak = EXCLUDED.streak, status = EXCLUDED.status,
           notified = EXCLUDED.notified, notified_ms = EXCLUDED.notified_ms, since_ms = EXCLUDED.since_ms,
           updated_ms = EXCLUDED.updated_ms, flap = EXCLUDED.flap",
        &[
            &host,
            &text(|r| &r.playbook),
            &text(|r| &r.channel),
            &text(|r| &r.stream),
            &streak,
            &status,
            &notified,
            &notified_ms,
            &since_ms,
            &flap,
            &now,
        ],
    )?;
    Ok(())
}

impl AlertStore for PostgresStore {
    fn alert_states(&self, playbook: &str) -> Result<Vec<StateRow>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!("SELECT {STATE_COLUMNS} FROM alert_state WHERE host = $1 AND playbook = $2"),
                &[&self.host, &playbook],
            )?;
            rows.iter().map(state_row).collect()
        })
    }

    fn all_alert_states(&self, playbook: Option<&str>) -> Result<Vec<StateRow>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {STATE_COLUMNS} FROM alert_state WHERE host = $1 AND ($2::text IS NULL OR playbook = $2)
                     ORDER BY playbook, channel, stream"
                ),
                &[&self.host, &playbook],
            )?;
            rows.iter().map(state_row).collect()
        })
    }

    fn commit_run_after_sending(
        &self,
        record: &RunRecord,
        states: &[StateRow],
        messages: &[NewMessage],
        sent: &[(String, i64)],
    ) -> Result<(), Error> {
        self.with_prepared(|c, prepared| {
            let mut tx = c.transaction()?;
            if !record.dry_run {
                // Under the lock the playbook's runs are recorded under (their roll-ups
                // read the tails the previous run left).
                super::runs::lock_playbooks(&mut tx, prepared, &self.host, &[record.playbook.as_str()])?;
                super::runs::insert_run(&mut tx, prepared, &self.host, record)?;
            }
            let now = now_ms();
            upsert_states(&mut tx, &self.host, states, now)?;
            queue(&mut tx, messages, now, sent)?;
            tx.commit()
        })
    }
}

/// Claims the due messages of `playbooks` (`None`: of every playbook): those unclaimed, whose
/// lease ended, or claimed by a dead process of this host (`$4`). A grouped decision travels
/// in its group's message, never on its own. An attempt still open on a message taken so lost
/// its deliverer; it was an attempt all the same (the request may have gone out): it is
/// marked `abandoned` and counted, in the same statement.
const CLAIM: &str = "
WITH taken AS (
    SELECT id FROM outbox
    WHERE delivered_ms IS NULL AND dropped IS NULL AND due_ms <= $1 AND alert IS NULL
      AND ($2::text[] IS NULL OR playbook = ANY($2))
      AND (claimed_host IS NULL OR claimed_until < $1 OR (claimed_host = $3 AND claimed_pid = ANY($4)))
    ORDER BY id
    FOR UPDATE SKIP LOCKED
), abandoned AS (
    UPDATE delivery_attempts SET outcome = 'abandoned',
      error = 'the deliverer stopped before the attempt ended (killed or crashed)'
    WHERE message_id IN (SELECT id FROM taken) AND outcome IS NULL
    RETURNING message_id
)
UPDATE outbox o SET claimed_host = $3, claimed_pid = $5, claimed_until = $1 + $6,
  attempts = o.attempts + (SELECT count(*) FROM abandoned a WHERE a.message_id = o.id)
WHERE o.id IN (SELECT id FROM taken)
RETURNING o.id, o.idempotency, o.playbook, o.file, o.channel, o.kind, o.summary, o.body, o.created_ms, o.due_ms,
  o.attempts, o.last_error, o.delivered_ms, o.dropped";

impl PostgresStore {
    /// See [`OutboxStore::claim_due`] and [`CLAIM`].
    fn claim(&self, playbooks: Option<&[String]>, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        let own = i64::from(std::process::id());
        self.with(|c| {
            // Pids are this machine's: only this host's live claims of other processes are
            // asked about, and only a dead one's is taken before its lease ends.
            let holders = c.query(
                "SELECT DISTINCT claimed_pid FROM outbox
                 WHERE claimed_host = $1 AND claimed_until >= $2 AND claimed_pid <> $3
                   AND delivered_ms IS NULL AND dropped IS NULL",
                &[&self.host, &now, &own],
            )?;
            let mut dead = Vec::new();
            for row in &holders {
                let pid: i64 = row.try_get(0)?;
                if !process_alive(pid) {
                    dead.push(pid);
                }
            }
            let rows = c.query(CLAIM, &[&now, &playbooks, &self.host, &dead, &own, &lease_ms])?;
            let mut claimed = messages_of(&rows)?;
            claimed.sort_by_key(|m| m.id);
            Ok(claimed)
        })
    }
}

/// The statement that records how an attempt ended, all in one (atomic, one round trip): the
/// message's new state (`set`; it counts as an attempt and its claim ends), the attempt's
/// row, how the members it carries settle (`members`, of `groups_outbox`; a retry leaves them
/// waiting with it), and which hosts' "cannot deliver" go (`forget`).
fn finish_statement(set: &str, members: Option<&str>, forget: &str) -> String {
    let members = members.map(|m| format!(", {m}")).unwrap_or_default();
    format!(
        "WITH message AS (
            UPDATE outbox SET {set}, attempts = attempts + 1, claimed_host = NULL, claimed_pid = NULL, claimed_until = NULL
            WHERE id = $1
         ), attempt AS (
            UPDATE delivery_attempts SET finished_ms = $2, outcome = $3, http_status = $4, error = $5 WHERE id = $6
         ){members}
         DELETE FROM outbox_undeliverable WHERE {forget}"
    )
}

impl OutboxStore for PostgresStore {
    fn enqueue(&self, messages: &[NewMessage]) -> Result<Vec<i64>, Error> {
        let keys: Vec<&str> = messages.iter().map(|m| m.idempotency.as_str()).collect();
        self.with(|c| {
            let mut tx = c.transaction()?;
            queue(&mut tx, messages, now_ms(), &[])?;
            let rows = tx.query("SELECT idempotency, id FROM outbox WHERE idempotency = ANY($1)", &[&keys])?;
            tx.commit()?;
            let mut ids = std::collections::HashMap::new();
            for row in &rows {
                ids.insert(row.try_get::<_, String>(0)?, row.try_get::<_, i64>(1)?);
            }
            Ok(keys.iter().filter_map(|key| ids.get(*key).copied()).collect())
        })
    }

    fn due_messages(&self, playbook: Option<&str>, now: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox
                     WHERE delivered_ms IS NULL AND dropped IS NULL AND due_ms <= $1 AND ($2::text IS NULL OR playbook = $2)
                     ORDER BY id"
                ),
                &[&now, &playbook],
            )?;
            messages_of(&rows)
        })
    }

    fn claim_due(&self, playbooks: &[String], now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.claim(Some(playbooks), now, lease_ms)
    }

    fn claim_every_due(&self, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.claim(None, now, lease_ms)
    }

    fn begin_attempt(&self, message: &OutboxMessage, host: &str) -> Result<i64, Error> {
        let pid = i64::from(std::process::id());
        self.with(|c| {
            c.query_one(
                "INSERT INTO delivery_attempts (message_id, idempotency, attempt, host_id, pid, started_ms, carried)
                 VALUES ($1, $2, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM delivery_attempts WHERE message_id = $1),
                         $3, $4, $5, (SELECT NULLIF(count(*), 0) FROM outbox WHERE carried_by = $1))
                 RETURNING id",
                &[&message.id, &message.idempotency, &host, &pid, &now_ms()],
            )?
            .try_get(0)
        })
    }

    fn finish_attempt(
        &self,
        message_id: i64,
        attempt: Option<i64>,
        http_status: Option<u16>,
        outcome: &Outcome,
        host: &str,
    ) -> Result<(), Error> {
        let now = now_ms();
        let http = http_status.map(i32::from);
        self.with(|c| {
            match outcome {
                Outcome::Delivered => {
                    let error: Option<&str> = None;
                    let delivered = finish_statement(
                        "delivered_ms = $2, last_error = NULL",
                        Some(super::groups_outbox::SETTLE_DELIVERED),
                        "message_id = $1",
                    );
                    c.execute(&delivered, &[&message_id, &now, &"delivered", &http, &error, &attempt])?
                }
                Outcome::Dropped { reason } => {
                    let dropped = finish_statement(
                        "dropped = $5, last_error = $5",
                        Some(super::groups_outbox::SETTLE_DROPPED),
                        "message_id = $1",
                    );
                    c.execute(&dropped, &[&message_id, &now, &"dropped", &http, reason, &attempt])?
                }
                Outcome::Retry { due_ms, error } => c.execute(
                    // Only this host's "cannot deliver" goes: another may still be unable.
                    &finish_statement("due_ms = $7, last_error = $5", None, "message_id = $1 AND host_id = $8"),
                    &[&message_id, &now, &"retry", &http, error, &attempt, due_ms, &host],
                )?,
                Outcome::Undeliverable { reason } => {
                    // Still queued (due as before) for a process that can deliver it.
                    c.execute(
                        "WITH message AS (
                            UPDATE outbox SET claimed_host = NULL, claimed_pid = NULL, claimed_until = NULL WHERE id = $1
                         )
                         INSERT INTO outbox_undeliverable (message_id, host_id, reason, noted_ms) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (message_id, host_id) DO UPDATE SET reason = EXCLUDED.reason, noted_ms = EXCLUDED.noted_ms",
                        &[&message_id, &host, reason, &now],
                    )?
                }
            };
            Ok(())
        })
    }

    fn attempts(&self, message_id: i64) -> Result<Vec<AttemptRow>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT attempt, host_id, started_ms, finished_ms, outcome, http_status, error
                 FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt",
                &[&message_id],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(AttemptRow {
                        attempt: r.try_get(0)?,
                        host: r.try_get(1)?,
                        started_ms: r.try_get(2)?,
                        finished_ms: r.try_get(3)?,
                        outcome: r.try_get(4)?,
                        http_status: r.try_get::<_, Option<i32>>(5)?.and_then(|s| u16::try_from(s).ok()),
                        error: r.try_get(6)?,
                    })
                })
                .collect()
        })
    }

    fn undeliverable(&self, playbook: Option<&str>) -> Result<Vec<Undeliverable>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT o.id, o.playbook, o.channel, o.summary, u.host_id, u.reason, u.noted_ms
                 FROM outbox_undeliverable u JOIN outbox o ON o.id = u.message_id
                 WHERE o.delivered_ms IS NULL AND o.dropped IS NULL AND ($1::text IS NULL OR o.playbook = $1)
                 ORDER BY o.id, u.host_id",
                &[&playbook],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(Undeliverable {
                        message_id: r.try_get(0)?,
                        playbook: r.try_get(1)?,
                        channel: r.try_get(2)?,
                        summary: r.try_get(3)?,
                        host: r.try_get(4)?,
                        reason: r.try_get(5)?,
                        noted_ms: r.try_get(6)?,
                    })
                })
                .collect()
        })
    }

    fn messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE $1::text IS NULL OR playbook = $1 ORDER BY id DESC LIMIT $2"
                ),
                &[&playbook, &limit],
            )?;
            messages_of(&rows)
        })
    }

    fn message(&self, id: i64) -> Result<Option<OutboxMessage>, Error> {
        self.with(|c| {
            let row = c.query_opt(&format!("SELECT {MESSAGE_COLUMNS} FROM outbox WHERE id = $1"), &[&id])?;
            row.as_ref().map(message).transpose()
        })
    }

    fn release(&self, ids: &[i64]) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET claimed_host = NULL, claimed_pid = NULL, claimed_until = NULL WHERE id = ANY($1)",
                &[&ids],
            )
            .map(|_| ())
        })
    }

    fn waiting_messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE delivered_ms IS NULL AND dropped IS NULL AND carried_by IS NULL
                       AND ($1::text IS NULL OR playbook = $1) ORDER BY due_ms, id LIMIT $2"
                ),
                // A negative limit is none, as in SQLite (NULL: PostgreSQL's "no limit").
                &[&playbook, &(limit >= 0).then_some(limit)],
            )?;
            messages_of(&rows)
        })
    }

    fn pending_count(&self, playbook: Option<&str>) -> Result<i64, Error> {
        self.with(|c| {
            c.query_one(
                "SELECT count(*) FROM outbox WHERE delivered_ms IS NULL AND dropped IS NULL AND carried_by IS NULL
                   AND ($1::text IS NULL OR playbook = $1)",
                &[&playbook],
            )?
            .try_get(0)
        })
    }
}
