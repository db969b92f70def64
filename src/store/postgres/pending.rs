//! Placeholders for the concerns not yet ported to PostgreSQL: each block moves to its own
//! file (`<concern>.rs`) as it is written, and this file goes when it is empty.
#![allow(unused_variables, clippy::unimplemented, reason = "placeholders until each concern is ported")]

use super::PostgresStore;
#[allow(unused_imports, reason = "placeholders until each concern is ported")]
use crate::checks::history::*;
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

impl crate::store::runs::RunStore for PostgresStore {
    fn record_run(&self, record: &RunRecord) -> Result<(), Error> {
        unimplemented!("PostgreSQL: RunStore::record_run")
    }
    fn record_runs(&self, records: &[RunRecord]) -> Result<(), Error> {
        unimplemented!("PostgreSQL: RunStore::record_runs")
    }
}

impl crate::store::history::HistoryStore for PostgresStore {
    fn check_ids(&self, playbook: Option<&str>) -> Result<Vec<String>, Error> {
        unimplemented!("PostgreSQL: HistoryStore::check_ids")
    }
    fn runs(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<RunRow>, Error> {
        unimplemented!("PostgreSQL: HistoryStore::runs")
    }
    fn run_counts(
        &self,
        playbook: Option<&str>,
        check: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, Error> {
        unimplemented!("PostgreSQL: HistoryStore::run_counts")
    }
    fn trends(&self, playbook: Option<&str>, check: Option<&str>, since: i64) -> Result<Vec<MetricTrend>, Error> {
        unimplemented!("PostgreSQL: HistoryStore::trends")
    }
    fn prune(&self, playbook: Option<&str>, cutoff_ms: i64) -> Result<u64, Error> {
        unimplemented!("PostgreSQL: HistoryStore::prune")
    }
    fn vacuum(&self) -> Result<(), Error> {
        unimplemented!("PostgreSQL: HistoryStore::vacuum")
    }
}

impl crate::checks::history::MetricHistory for PostgresStore {
    fn samples(&self, playbook: &str, check: &str, metric: &str, since: i64) -> Result<Vec<(i64, f64)>, String> {
        unimplemented!("PostgreSQL: MetricHistory::samples")
    }
}

impl crate::store::last_run::LastRunStore for PostgresStore {
    fn last_run(&self, playbook: &str) -> Result<Option<LastRun>, Error> {
        unimplemented!("PostgreSQL: LastRunStore::last_run")
    }
}

impl crate::store::uptime::UptimeStore for PostgresStore {
    fn uptime(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        unimplemented!("PostgreSQL: UptimeStore::uptime")
    }
    fn uptime_raw(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        unimplemented!("PostgreSQL: UptimeStore::uptime_raw")
    }
    fn rebuild_uptime(&self) -> Result<(), Error> {
        unimplemented!("PostgreSQL: UptimeStore::rebuild_uptime")
    }
    fn uptime_playbooks(&self) -> Result<Vec<String>, Error> {
        unimplemented!("PostgreSQL: UptimeStore::uptime_playbooks")
    }
}

impl crate::store::snapshots::SnapshotStore for PostgresStore {
    fn save_playbook_snapshot(&self, snapshot: &PlaybookSnapshot) -> Result<(), Error> {
        unimplemented!("PostgreSQL: SnapshotStore::save_playbook_snapshot")
    }
    fn playbook_snapshots(&self) -> Result<Vec<PlaybookSnapshot>, Error> {
        unimplemented!("PostgreSQL: SnapshotStore::playbook_snapshots")
    }
}

impl crate::store::results::ResultStore for PostgresStore {
    fn results(&self, query: &ResultQuery<'_>) -> Result<Vec<ResultRow>, Error> {
        unimplemented!("PostgreSQL: ResultStore::results")
    }
}

impl crate::probe::state::ProbeState for PostgresStore {
    fn load(&self, key: &StateKey) -> Option<String> {
        unimplemented!("PostgreSQL: ProbeState::load")
    }
    fn save(&self, key: &StateKey, value: &str) {
        unimplemented!("PostgreSQL: ProbeState::save")
    }
}

impl crate::quiet::dependency::LatestResults for PostgresStore {
    fn latest_result(&self, playbook: &str, check: &str) -> Option<StoredResult> {
        unimplemented!("PostgreSQL: LatestResults::latest_result")
    }
}

/// Writes a run (with its results, metrics and decisions) inside the caller's transaction:
/// `AlertStore::commit_run` stores a run and its alert decisions together. The run's insert is
/// `RunStore`'s (runs.rs, with its results, metrics, decisions and uptime roll-ups, under the
/// playbook's lock); this placeholder goes when that is ported. Then the caller,
/// `commit_run_after_sending` in alerts.rs, runs in `self.with_prepared(|c, prepared| …)` and
/// calls `super::runs::lock_playbooks(&mut tx, prepared, &self.host, &[record.playbook.as_str()])`
/// and `super::runs::insert_run(&mut tx, prepared, &self.host, record)` instead.
pub(super) fn insert_run(
    tx: &mut postgres::Transaction<'_>,
    host: &str,
    record: &RunRecord,
) -> Result<(), postgres::Error> {
    unimplemented!("PostgreSQL: the run's insert (runs.rs)")
}
