//! Placeholders for the concerns not yet ported to PostgreSQL: each block moves to its own
//! file (`<concern>.rs`) as it is written, and this file goes when it is empty.
#![allow(unused_variables, clippy::unimplemented, reason = "placeholders until each concern is ported")]

use super::PostgresStore;
use crate::alert::outbox::Outcome;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::checks::history::*;
use crate::checks::restarts::Interval;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::engine::journal::*;
use crate::error::Error;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::outcome::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::probe::state::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::process_group::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::quiet::dependency::*;
use crate::quiet::silence::{NewSilence, Silence};
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::report::retention::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::alerts::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::decisions::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::groups::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::groups_outbox::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::history::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::last_run::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::remediations::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::results::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::runs::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::schedule::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::silences::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::snapshots::*;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::store::uptime::*;
use std::path::{Path, PathBuf};

impl crate::store::alerts::AlertStore for PostgresStore {
    fn alert_states(&self, playbook: &str) -> Result<Vec<StateRow>, Error> {
        unimplemented!("PostgreSQL: AlertStore::alert_states")
    }
    fn all_alert_states(&self, playbook: Option<&str>) -> Result<Vec<StateRow>, Error> {
        unimplemented!("PostgreSQL: AlertStore::all_alert_states")
    }
    fn commit_run_after_sending(
        &self,
        record: &RunRecord,
        states: &[StateRow],
        messages: &[NewMessage],
        sent: &[(String, i64)],
    ) -> Result<(), Error> {
        unimplemented!("PostgreSQL: AlertStore::commit_run_after_sending")
    }
}

impl crate::store::alerts::OutboxStore for PostgresStore {
    fn enqueue(&self, messages: &[NewMessage]) -> Result<Vec<i64>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::enqueue")
    }
    fn due_messages(&self, playbook: Option<&str>, now: i64) -> Result<Vec<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::due_messages")
    }
    fn claim_due(&self, playbooks: &[String], now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::claim_due")
    }
    fn claim_every_due(&self, now: i64, lease_ms: i64) -> Result<Vec<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::claim_every_due")
    }
    fn begin_attempt(&self, message: &OutboxMessage, host: &str) -> Result<i64, Error> {
        unimplemented!("PostgreSQL: OutboxStore::begin_attempt")
    }
    fn finish_attempt(
        &self,
        message_id: i64,
        attempt: Option<i64>,
        http_status: Option<u16>,
        outcome: &Outcome,
        host: &str,
    ) -> Result<(), Error> {
        unimplemented!("PostgreSQL: OutboxStore::finish_attempt")
    }
    fn attempts(&self, message_id: i64) -> Result<Vec<AttemptRow>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::attempts")
    }
    fn undeliverable(&self, playbook: Option<&str>) -> Result<Vec<Undeliverable>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::undeliverable")
    }
    fn messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::messages")
    }
    fn message(&self, id: i64) -> Result<Option<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::message")
    }
    fn release(&self, ids: &[i64]) -> Result<(), Error> {
        unimplemented!("PostgreSQL: OutboxStore::release")
    }
    fn pending_count(&self, playbook: Option<&str>) -> Result<i64, Error> {
        unimplemented!("PostgreSQL: OutboxStore::pending_count")
    }
    fn waiting_messages(&self, playbook: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>, Error> {
        unimplemented!("PostgreSQL: OutboxStore::waiting_messages")
    }
}

impl crate::store::groups_outbox::GroupedOutboxStore for PostgresStore {
    fn pending_members(&self, playbooks: Option<&[String]>) -> Result<Vec<PendingMember>, Error> {
        unimplemented!("PostgreSQL: GroupedOutboxStore::pending_members")
    }
    fn carriers_in(&self, group_key: &str, from_ms: i64, to_ms: i64) -> Result<i64, Error> {
        unimplemented!("PostgreSQL: GroupedOutboxStore::carriers_in")
    }
    fn record_group(&self, group_key: &str, carriers: &[Carrier], now_ms: i64) -> Result<usize, Error> {
        unimplemented!("PostgreSQL: GroupedOutboxStore::record_group")
    }
    fn carried_by(&self, carrier_id: i64) -> Result<Vec<(i64, String)>, Error> {
        unimplemented!("PostgreSQL: GroupedOutboxStore::carried_by")
    }
}

impl crate::store::remediations::RemediationStore for PostgresStore {
    fn remediations(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<RemediationRow>, Error> {
        unimplemented!("PostgreSQL: RemediationStore::remediations")
    }
    fn last_remediation(&self, playbook: &str, check: &str) -> Result<Option<i64>, Error> {
        unimplemented!("PostgreSQL: RemediationStore::last_remediation")
    }
}

impl crate::engine::journal::Journal for PostgresStore {
    fn runner_intervals(&self, since_ms: i64) -> Vec<Interval> {
        unimplemented!("PostgreSQL: Journal::runner_intervals")
    }
    fn record_action(&self, playbook: &str, what: &str, started_ms: i64, finished_ms: i64) {
        unimplemented!("PostgreSQL: Journal::record_action")
    }
    fn remediation_times(&self, playbook: &str, check: &str, since_ms: i64) -> Vec<i64> {
        unimplemented!("PostgreSQL: Journal::remediation_times")
    }
    fn record_remediation(&self, row: &RemediationRow) {
        unimplemented!("PostgreSQL: Journal::record_remediation")
    }
}

impl crate::store::groups::GroupStore for PostgresStore {
    fn playbooks_with_groups(&self) -> Result<Vec<String>, Error> {
        unimplemented!("PostgreSQL: GroupStore::playbooks_with_groups")
    }
}

impl crate::process_group::GroupJournal for PostgresStore {
    fn group_started(&self, group: &GroupRecord) {
        unimplemented!("PostgreSQL: GroupJournal::group_started")
    }
    fn group_ended(&self, playbook: &str, pgid: i32) {
        unimplemented!("PostgreSQL: GroupJournal::group_ended")
    }
    fn recorded_groups(&self, playbook: &str) -> Vec<GroupRecord> {
        unimplemented!("PostgreSQL: GroupJournal::recorded_groups")
    }
}

impl crate::store::schedule::ScheduleStore for PostgresStore {
    fn last_fire(&self, playbook: &str) -> Result<Option<i64>, Error> {
        unimplemented!("PostgreSQL: ScheduleStore::last_fire")
    }
    fn set_last_fire(&self, playbook: &str, fire_ms: i64) -> Result<(), Error> {
        unimplemented!("PostgreSQL: ScheduleStore::set_last_fire")
    }
    fn advance_last_fire(&self, playbook: &str, expected: Option<i64>, to: i64) -> Result<bool, Error> {
        unimplemented!("PostgreSQL: ScheduleStore::advance_last_fire")
    }
    fn record_misses(&self, playbook: &str, misses: &[(i64, &str)]) -> Result<(), Error> {
        unimplemented!("PostgreSQL: ScheduleStore::record_misses")
    }
    fn miss_counts(&self, playbook: Option<&str>, since_ms: i64) -> Result<Vec<(String, String, i64)>, Error> {
        unimplemented!("PostgreSQL: ScheduleStore::miss_counts")
    }
    fn begin_run(&self, run_id: &str, playbook: &str, origin: &str, scheduled_ms: Option<i64>) -> Result<(), Error> {
        unimplemented!("PostgreSQL: ScheduleStore::begin_run")
    }
    fn mark_interrupted(&self, playbook: &str) -> Result<usize, Error> {
        unimplemented!("PostgreSQL: ScheduleStore::mark_interrupted")
    }
}

impl crate::store::silences::SilenceStore for PostgresStore {
    fn add_silence(&self, new: &NewSilence) -> Result<i64, Error> {
        unimplemented!("PostgreSQL: SilenceStore::add_silence")
    }
    fn silences(&self, now_ms: i64, ended: bool) -> Result<Vec<Silence>, Error> {
        unimplemented!("PostgreSQL: SilenceStore::silences")
    }
    fn silence(&self, id: i64) -> Result<Option<Silence>, Error> {
        unimplemented!("PostgreSQL: SilenceStore::silence")
    }
    fn expire_silence(&self, id: i64, now_ms: i64, by: &str) -> Result<bool, Error> {
        unimplemented!("PostgreSQL: SilenceStore::expire_silence")
    }
    fn release_silence(&self, id: i64, playbook: &str, check: &str, now_ms: i64) -> Result<(), Error> {
        unimplemented!("PostgreSQL: SilenceStore::release_silence")
    }
    fn known_checks(&self) -> Result<Vec<(String, String)>, Error> {
        unimplemented!("PostgreSQL: SilenceStore::known_checks")
    }
}

impl crate::store::decisions::DecisionStore for PostgresStore {
    fn decisions(&self, run_id: &str) -> Result<Vec<DecisionRow>, Error> {
        unimplemented!("PostgreSQL: DecisionStore::decisions")
    }
    fn latest_decisions(&self, playbook: Option<&str>) -> Result<Vec<(String, String, DecisionRow)>, Error> {
        unimplemented!("PostgreSQL: DecisionStore::latest_decisions")
    }
}

impl crate::report::retention::Ledger for PostgresStore {
    fn remember(&self, playbook: &str, path: &Path) {
        unimplemented!("PostgreSQL: Ledger::remember")
    }
    fn reports(&self, playbook: &str) -> Vec<(PathBuf, i64)> {
        unimplemented!("PostgreSQL: Ledger::reports")
    }
    fn forget(&self, playbook: &str, path: &Path) {
        unimplemented!("PostgreSQL: Ledger::forget")
    }
}
