//! Process groups in PostgreSQL's `process_groups` table (see `store::groups`): this host's,
//! since a pgid means something on its own machine only. Journal writes do not fail the
//! command they record; what cannot be written is logged.

use super::PostgresStore;
use crate::error::Error;
use crate::process_group::{GroupJournal, GroupRecord};
use crate::store::groups::GroupStore;
use crate::store::now_ms;

impl GroupStore for PostgresStore {
    fn playbooks_with_groups(&self) -> Result<Vec<String>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT DISTINCT playbook FROM process_groups WHERE host = $1 ORDER BY playbook",
                &[&self.host],
            )?;
            rows.iter().map(|r| r.try_get(0)).collect()
        })
    }
}

impl GroupJournal for PostgresStore {
    fn group_started(&self, group: &GroupRecord) {
        let leader_start = i64::try_from(group.leader_start).unwrap_or(i64::MAX);
        let recorded = self.with(|c| {
            // The run it belongs to: this host's run of the playbook in progress (its
            // placeholder, written by `begin_run`).
            c.execute(
                "INSERT INTO process_groups (host, playbook, pgid, leader_start, run_id, command, started_ms)
                 VALUES ($1, $2, $3, $4,
                   (SELECT r.run_id FROM runs r JOIN playbooks p ON p.id = r.playbook_id
                    WHERE p.name = $2 AND r.host = $1 AND r.status = 'running' ORDER BY r.id DESC LIMIT 1),
                   $5, $6)
                 ON CONFLICT (host, playbook, pgid) DO UPDATE SET leader_start = EXCLUDED.leader_start,
                   run_id = EXCLUDED.run_id, command = EXCLUDED.command, started_ms = EXCLUDED.started_ms",
                &[&self.host, &group.playbook, &group.pgid, &leader_start, &group.command, &now_ms()],
            )
        });
        if let Err(error) = recorded {
            tracing::error!(target: "runner::store", %error, "cannot record a process group");
        }
    }

    fn group_ended(&self, playbook: &str, pgid: i32) {
        let forgotten = self.with(|c| {
            c.execute(
                "DELETE FROM process_groups WHERE host = $1 AND playbook = $2 AND pgid = $3",
                &[&self.host, &playbook, &pgid],
            )
        });
        if let Err(error) = forgotten {
            tracing::error!(target: "runner::store", %error, "cannot forget a process group");
        }
    }

    fn recorded_groups(&self, playbook: &str) -> Vec<GroupRecord> {
        let rows = self.with(|c| {
            let rows = c.query(
                "SELECT pgid, leader_start, command FROM process_groups WHERE host = $1 AND playbook = $2 ORDER BY started_ms",
                &[&self.host, &playbook],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(GroupRecord {
                        playbook: playbook.to_string(),
                        pgid: r.try_get(0)?,
                        leader_start: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
                        command: r.try_get(2)?,
                    })
                })
                .collect()
        });
        rows.unwrap_or_else(|error| {
            tracing::error!(target: "runner::store", %error, "cannot read the recorded process groups");
            Vec::new()
        })
    }
}
