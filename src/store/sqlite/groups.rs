//! Process groups in SQLite's `process_groups` table (see `store::groups`).

use rusqlite::params;

use super::SqliteStore;
use crate::error::Error;
use crate::process_group::{GroupJournal, GroupRecord};
use crate::store::groups::GroupStore;
use crate::store::{Store, now_ms};

impl GroupStore for SqliteStore {
    fn playbooks_with_groups(&self) -> Result<Vec<String>, Error> {
        let host = crate::host::id();
        self.with(|c| {
            let mut statement =
                c.prepare("SELECT DISTINCT playbook FROM process_groups WHERE host_id = ?1 ORDER BY playbook")?;
            let rows = statement.query_map([host], |r| r.get(0))?;
            rows.collect()
        })
    }
}

impl SqliteStore {
    /// Says a journal write failed, once the store's own problem is known: a store that
    /// refuses writes (a full or read-only disk) has said why already, on stderr and in the
    /// run's notes, so each command's group would only repeat it at ERROR level.
    fn journal_failed(&self, what: &str, error: &Error) {
        if self.degraded().is_some() {
            tracing::debug!(target: "runner::store", %error, "{what}: the store refuses writes");
        } else {
            tracing::error!(target: "runner::store", %error, "{what}");
        }
    }
}

impl GroupJournal for SqliteStore {
    fn group_started(&self, group: &GroupRecord) {
        let recorded = self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO process_groups (playbook, pgid, leader_start, run_id, host_id, command, started_ms)
                 VALUES (?1, ?2, ?3,
                   (SELECT r.run_id FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                    WHERE p.name = ?1 AND r.status = 'running' ORDER BY r.id DESC LIMIT 1),
                   ?4, ?5, ?6)",
                params![group.playbook, group.pgid, group.leader_start as i64, crate::host::id(), group.command, now_ms()],
            )
        });
        if let Err(error) = recorded {
            self.journal_failed("cannot record a process group", &error);
        }
    }

    fn group_ended(&self, playbook: &str, pgid: i32) {
        let forgotten = self.with(|c| {
            c.execute(
                "DELETE FROM process_groups WHERE playbook = ?1 AND pgid = ?2 AND host_id = ?3",
                params![playbook, pgid, crate::host::id()],
            )
        });
        if let Err(error) = forgotten {
            self.journal_failed("cannot forget a process group", &error);
        }
    }

    fn recorded_groups(&self, playbook: &str) -> Vec<GroupRecord> {
        let rows = self.with(|c| {
            let mut statement = c.prepare(
                "SELECT pgid, leader_start, command FROM process_groups WHERE playbook = ?1 AND host_id = ?2 ORDER BY started_ms",
            )?;
            let rows = statement.query_map(params![playbook, crate::host::id()], |r| {
                Ok(GroupRecord {
                    playbook: playbook.to_string(),
                    pgid: r.get(0)?,
                    leader_start: r.get::<_, i64>(1)? as u64,
                    command: r.get(2)?,
                })
            })?;
            rows.collect()
        });
        rows.unwrap_or_else(|error| {
            tracing::error!(target: "runner::store", %error, "cannot read the recorded process groups");
            Vec::new()
        })
    }
}
