//! Alert state, the notification outbox and the report ledger in SQLite (see
//! `store::alerts`). A run's record and its alert decisions are one transaction; a claim
//! is taken in an immediate transaction, so two deliverers never claim the same message.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::alert::outbox::Outcome;
use crate::alert::policy::AlertState;
use crate::error::Error;
use crate::outcome::{RunRecord, Status};
use crate::store::alerts::{
    AlertStore, AttemptRow, NewMessage, OutboxMessage, OutboxStore, StateRow, Undeliverable, process_alive,
};
use crate::store::now_ms;

fn status_name(status: Option<Status>) -> Option<&'static str> {
    status.map(Status::name)
}

fn row_to_message(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: row.get(0)?,
        idempotency: row.get(1)?,
        playbook: row.get(2)?,
        file: row.get(3)?,
        channel: row.get(4)?,
        kind: row.get(5)?,
        summary: row.get(6)?,
        body: row.get(7)?,
        created_ms: row.get(8)?,
        due_ms: row.get(9)?,
        attempts: row.get(10)?,
        last_error: row.get(11)?,
        delivered_ms: row.get(12)?,
        dropped: row.get(13)?,
    })
}

/// Queues a message (once: the idempotency key is unique), or records it as delivered
/// at `delivered` (sent before the store could take it).
fn queue(
    tx: &rusqlite::Transaction<'_>,
    message: &NewMessage,
    now: i64,
    delivered: Option<i64>,
) -> rusqlite::Result<()> {
    let (group_key, window_ms, max_per_hour, alert) = super::groups_outbox::member_columns(message.group.as_ref());
    tx.execute(
        "INSERT OR IGNORE INTO outbox (idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, attempts, delivered_ms,
           group_key, group_window_ms, group_max_per_hour, alert)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9 IS NOT NULL, ?9, ?10, ?11, ?12, ?13)",
        params![
            message.idempotency,
            message.playbook,
            message.file,
            message.channel,
            message.kind,
            message.summary,
            message.body,
            delivered.unwrap_or(now),
            delivered,
            group_key,
            window_ms,
            max_per_hour,
            alert
        ],
    )?;
    Ok(())
}

const MESSAGE_COLUMNS: &str = "id, idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, attempts, last_error, delivered_ms, dropped";

impl AlertStore for SqliteStore {
    fn alert_states(&self, playbook: &str) -> Result<Vec<StateRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT playbook, channel, stream, streak, status, notified, notified_ms, since_ms, flap FROM alert_state WHERE playbook = ?1",
            )?;
            let rows = statement.query_map([playbook], state_row)?;
            rows.collect()
        })
    }

    fn all_alert_states(&self, playbook: Option<&str>) -> Result<Vec<StateRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT playbook, channel, stream, streak, status, notified, notified_ms, since_ms, flap FROM alert_state
                 WHERE ?1 IS NULL OR playbook = ?1 ORDER BY playbook, channel, stream",
            )?;
            let rows = statement.query_map([playbook], state_row)?;
            rows.collect()
        })
    }

    fn commit_run_after_sending(
        &self,
        record: &RunRecord,
        states: &[StateRow],
        messages: &[NewMessage],
        sent: &[(String, i64)],
    ) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if !record.dry_run {
                super::runs::insert_run(&tx, record)?;
            }
            let now = now_ms();
            for row in states {
                tx.execute(
                    "INSERT INTO alert_state (playbook, channel, stream, streak, status, notified, notified_ms, since_ms, updated_ms, flap)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (playbook, channel, stream) DO UPDATE SET streak = excluded.streak, status = excluded.status,
                       notified = excluded.notified, notified_ms = excluded.notified_ms, since_ms = excluded.since_ms,
                       updated_ms = excluded.updated_ms, flap = excluded.flap",
                    params![
                        row.playbook,
                        row.channel,
                        row.stream,
                        row.state.streak,
                        status_name(row.state.status).unwrap_or("ok"),
                        status_name(row.state.notified),
                        row.state.notified_ms,
                        row.state.since_ms,
                        now,
                        row.state.flap.as_ref().and_then(|f| serde_json::to_string(f).ok())
                    ],
                )?;
            }
            for message in messages {
                let delivered = sent.iter().find(|(key, _)| *key == message.idempotency).map(|(_, at)| *at);
                queue(&tx, message, now, delivered)?;
            }
            tx.commit()
        })
    }
}

impl OutboxStore for SqliteStore {
    fn enqueue(&self, messages: &[NewMessage]) -> Result<Vec<i64>, Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut ids = Vec::new();
            let now = now_ms();
            for message in messages {
                queue(&tx, message, now, None)?;
                let id: i64 =
                    tx.query_row("SELECT id FROM outbox WHERE idempotency = ?1", [&message.idempotency], |r| r.get(0))?;
                ids.push(id);
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    fn due_messages(&self, playbook: Option<&str>, now: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM outbox
                 WHERE delivered_ms IS NULL AND dropped IS NULL AND due_ms <= ?1 AND (?2 IS NULL OR playbook = ?2)
                 ORDER BY id"
            ))?;
            let rows = statement.query_map(params![now, playbook], row_to_message)?;
            rows.collect()
        })
    }

    fn claim_due(&self, playbooks: &[String], now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.claim(Some(playbooks), now, lease_ms)
    }

    fn claim_every_due(&self, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.claim(None, now, lease_ms)
    }

    fn begin_attempt(&self, message: &OutboxMessage, host: &str) -> Result<i64, Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO delivery_attempts (message_id, idempotency, attempt, host_id, pid, started_ms, carried)
                 VALUES (?1, ?2, (SELECT coalesce(max(attempt), 0) + 1 FROM delivery_attempts WHERE message_id = ?1), ?3, ?4, ?5,
                         (SELECT nullif(count(*), 0) FROM outbox WHERE carried_by = ?1))",
                params![message.id, message.idempotency, host, std::process::id(), now_ms()],
            )?;
            Ok(c.last_insert_rowid())
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
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let (name, error) = match outcome {
                Outcome::Delivered => {
                    tx.execute(
                        "UPDATE outbox SET delivered_ms = ?2, attempts = attempts + 1, last_error = NULL, claimed_by = NULL WHERE id = ?1",
                        params![message_id, now],
                    )?;
                    ("delivered", None)
                }
                Outcome::Retry { due_ms, error } => {
                    tx.execute(
                        "UPDATE outbox SET due_ms = ?2, attempts = attempts + 1, last_error = ?3, claimed_by = NULL WHERE id = ?1",
                        params![message_id, due_ms, error],
                    )?;
                    ("retry", Some(error.as_str()))
                }
                Outcome::Dropped { reason } => {
                    tx.execute(
                        "UPDATE outbox SET dropped = ?2, attempts = attempts + 1, last_error = ?2, claimed_by = NULL WHERE id = ?1",
                        params![message_id, reason],
                    )?;
                    ("dropped", Some(reason.as_str()))
                }
                Outcome::Undeliverable { reason } => {
                    // Still queued (due as before) for a process that can deliver it.
                    tx.execute("UPDATE outbox SET claimed_by = NULL WHERE id = ?1", [message_id])?;
                    tx.execute(
                        "INSERT INTO outbox_undeliverable (message_id, host_id, reason, noted_ms) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (message_id, host_id) DO UPDATE SET reason = excluded.reason, noted_ms = excluded.noted_ms",
                        params![message_id, host, reason, now],
                    )?;
                    return tx.commit();
                }
            };
            if let Some(attempt) = attempt {
                tx.execute(
                    "UPDATE delivery_attempts SET finished_ms = ?2, outcome = ?3, http_status = ?4, error = ?5 WHERE id = ?1",
                    params![attempt, now, name, http_status, error],
                )?;
            }
            super::groups_outbox::settle_members(&tx, message_id, outcome, now)?;
            // Settled: no host needs to say it cannot deliver it any more.
            let settled = matches!(outcome, Outcome::Delivered | Outcome::Dropped { .. });
            if settled {
                tx.execute("DELETE FROM outbox_undeliverable WHERE message_id = ?1", [message_id])?;
            } else {
                tx.execute(
                    "DELETE FROM outbox_undeliverable WHERE message_id = ?1 AND host_id = ?2",
                    params![message_id, host],
                )?;
            }
            tx.commit()
        })
    }

    fn attempts(&self, message_id: i64) -> Result<Vec<AttemptRow>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT attempt, host_id, started_ms, finished_ms, outcome, http_status, error
                 FROM delivery_attempts WHERE message_id = ?1 ORDER BY attempt",
            )?;
            let rows = statement.query_map([message_id], |r| {
                Ok(AttemptRow {
                    attempt: r.get(0)?,
                    host: r.get(1)?,
                    started_ms: r.get(2)?,
                    finished_ms: r.get(3)?,
                    outcome: r.get(4)?,
                    http_status: r.get(5)?,
                    error: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }

    fn undeliverable(&self, playbook: Option<&str>) -> Result<Vec<Undeliverable>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT o.id, o.playbook, o.channel, o.summary, u.host_id, u.reason, u.noted_ms
                 FROM outbox_undeliverable u JOIN outbox o ON o.id = u.message_id
                 WHERE o.delivered_ms IS NULL AND o.dropped IS NULL AND (?1 IS NULL OR o.playbook = ?1)
                 ORDER BY o.id, u.host_id",
            )?;
            let rows = statement.query_map([playbook], |r| {
                Ok(Undeliverable {
                    message_id: r.get(0)?,
                    playbook: r.get(1)?,
                    channel: r.get(2)?,
                    summary: r.get(3)?,
                    host: r.get(4)?,
                    reason: r.get(5)?,
                    noted_ms: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }

    fn messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE ?1 IS NULL OR playbook = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![playbook, limit], row_to_message)?;
            rows.collect()
        })
    }

    fn message(&self, id: i64) -> Result<Option<OutboxMessage>, Error> {
        self.with(|c| {
            c.query_row(&format!("SELECT {MESSAGE_COLUMNS} FROM outbox WHERE id = ?1"), [id], row_to_message).optional()
        })
    }

    fn release(&self, ids: &[i64]) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction()?;
            for id in ids {
                tx.execute("UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ?1", [id])?;
            }
            tx.commit()
        })
    }

    fn waiting_messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE delivered_ms IS NULL AND dropped IS NULL AND carried_by IS NULL
                   AND (?1 IS NULL OR playbook = ?1) ORDER BY due_ms, id LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![playbook, limit], row_to_message)?;
            rows.collect()
        })
    }

    fn pending_count(&self, playbook: Option<&str>) -> Result<i64, Error> {
        self.with(|c| {
            c.query_row(
                "SELECT count(*) FROM outbox WHERE delivered_ms IS NULL AND dropped IS NULL AND carried_by IS NULL
                   AND (?1 IS NULL OR playbook = ?1)",
                [playbook],
                |r| r.get(0),
            )
        })
    }
}

impl SqliteStore {
    /// Claims the due messages of `playbooks` (`None`: of every playbook); see
    /// [`OutboxStore::claim_due`].
    fn claim(&self, playbooks: Option<&[String]>, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        let own = i64::from(std::process::id());
        let filters: Vec<Option<&str>> = match playbooks {
            Some(names) => names.iter().map(|n| Some(n.as_str())).collect(),
            None => vec![None],
        };
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut claimed = Vec::new();
            {
                let mut statement = tx.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS}, claimed_by, claimed_until FROM outbox
                     WHERE delivered_ms IS NULL AND dropped IS NULL AND due_ms <= ?1 AND (?2 IS NULL OR playbook = ?2)
                       AND alert IS NULL -- a grouped decision travels in its group's message
                     ORDER BY id"
                ))?;
                for playbook in filters {
                    let rows = statement.query_map(params![now, playbook], |row| {
                        Ok((row_to_message(row)?, row.get::<_, Option<i64>>(14)?, row.get::<_, Option<i64>>(15)?))
                    })?;
                    for row in rows {
                        let (message, by, until) = row?;
                        let free = match (by, until) {
                            (None, _) => true,
                            (Some(_), Some(until)) if until < now => true,
                            (Some(pid), _) if pid == own => false,
                            (Some(pid), _) => !process_alive(pid),
                        };
                        if free {
                            claimed.push(message);
                        }
                    }
                }
            }
            for message in &mut claimed {
                // An attempt still open on a message free to claim lost its deliverer; it
                // was an attempt all the same (the request may have gone out): it counts.
                let abandoned = tx.execute(
                    "UPDATE delivery_attempts SET outcome = 'abandoned',
                       error = 'the deliverer stopped before the attempt ended (killed or crashed)'
                     WHERE message_id = ?1 AND outcome IS NULL",
                    [message.id],
                )? as i64;
                message.attempts += abandoned;
                tx.execute(
                    "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3, attempts = ?4 WHERE id = ?1",
                    params![message.id, own, now + lease_ms, message.attempts],
                )?;
            }
            tx.commit()?;
            Ok(claimed)
        })
    }
}

fn state_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StateRow> {
    let status: String = row.get(4)?;
    let notified: Option<String> = row.get(5)?;
    Ok(StateRow {
        playbook: row.get(0)?,
        channel: row.get(1)?,
        stream: row.get(2)?,
        state: AlertState {
            streak: row.get(3)?,
            status: Status::from_name(&status),
            notified: notified.as_deref().and_then(Status::from_name),
            notified_ms: row.get(6)?,
            since_ms: row.get(7)?,
            flap: row.get::<_, Option<String>>(8)?.and_then(|json| serde_json::from_str(&json).ok()),
        },
    })
}

impl crate::report::retention::Ledger for SqliteStore {
    fn remember(&self, playbook: &str, path: &Path) {
        let _ = self.with(|c| {
            c.execute(
                "INSERT INTO reports (playbook, path, written_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (playbook, path) DO UPDATE SET written_ms = excluded.written_ms",
                params![playbook, path.to_string_lossy(), now_ms()],
            )
        });
    }

    fn reports(&self, playbook: &str) -> Vec<(PathBuf, i64)> {
        self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT path, written_ms FROM reports WHERE playbook = ?1 ORDER BY written_ms DESC")?;
            let rows = statement.query_map([playbook], |r| Ok((PathBuf::from(r.get::<_, String>(0)?), r.get(1)?)))?;
            rows.collect()
        })
        .unwrap_or_default()
    }

    fn forget(&self, playbook: &str, path: &Path) {
        let _ = self.with(|c| {
            c.execute(
                "DELETE FROM reports WHERE playbook = ?1 AND path = ?2",
                params![playbook, path.to_string_lossy()],
            )
        });
    }
}
