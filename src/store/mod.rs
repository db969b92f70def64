//! The state store: everything runner keeps between runs and processes, behind one
//! [`Store`] interface. It owns run history and metrics ([`runs`], [`history`],
//! [`last_run`]), what probes keep between runs (`probe::state::ProbeState`), alert state
//! and the notification outbox with its delivery attempts ([`alerts`]), the written
//! reports (`report::retention::Ledger`), the remediation audit and runner's own actions
//! ([`remediations`]), the process groups of running commands ([`groups`]) and the
//! schedulers' memory ([`schedule`]), what daemons loaded ([`snapshots`], for `runner serve`) and results over time ([`results`], for
//! the status page and the API). Callers hold `Arc<dyn Store>` / `&dyn Store` and
//! never know the backend.
//!
//! Backends: [`sqlite`] (one file in the state folder, the embedded default) and
//! [`postgres`] (a database shared by a fleet, every host-scoped row carrying the host id),
//! chosen once per process with `--store` / `RUNNER_STORE` ([`choose`]: `sqlite` or a
//! `postgres://` URL). [`open`], [`open_or_degraded`] and [`open_read_only`] are the one
//! seam that opens the chosen backend ([`open_shared`] opens PostgreSQL as a given host).
//! Arithmetic both backends need alike lives outside them (the uptime roll-ups':
//! `uptime::rollup`), so that they cannot answer differently.
//!
//! The interface, and why it is shaped so:
//! - One trait per concern, in the concern's file here (`RunStore` in `runs.rs`, …), with
//!   the plain data it reads and writes (no SQL, no connection, no backend type); a
//!   backend implements each in its own folder, one file per concern
//!   (`sqlite/<concern>.rs`). [`Store`] is their sum, plus what is the store's own
//!   (degraded, reopen, takes_writes, describe).
//! - Interfaces that other modules define for what they need (`ProbeState`, `Journal`,
//!   `GroupJournal`, `MetricHistory`, `Ledger`, `LatestResults`) are supertraits too, so that an
//!   `Arc<dyn Store>` is handed to the engine as any of them (trait upcasting), and the
//!   engine never depends on the store.
//! - Methods are synchronous: SQLite blocks, and PostgreSQL can be served by a blocking
//!   pool. Callers on the async runtime go through `spawn_blocking`.
//! - Errors are the crate's [`Error`]: `Error::Store` when the store cannot be opened,
//!   `Error::StoreFailed` (the reason in the OS's words where the disk is the cause) when
//!   an opened store fails.
//! - Claims (outbox messages, fires of `runner tick`) are taken atomically by the backend:
//!   two processes never both take the same one.
//!
//! A store that cannot be opened for writing (a read-only or full disk) does not stop a
//! run: [`open_or_degraded`] gives a store that reads what it can and refuses every
//! write with the reason ([`Store::degraded`]), until [`Store::reopen`] finds it writable
//! again. Runs it refused wait in the [`backlog`] (backend-neutral) meanwhile.
//!
//! Adding a concern (silences, alert decisions, uptime roll-ups, outbox grouping, …):
//! 1. `src/store/<concern>.rs` keeps the plain data types and `pub trait <Concern>Store`
//!    (methods `&self`, synchronous, returning `Result<_, Error>`), with no `rusqlite`.
//! 2. The SQLite implementation goes to `src/store/sqlite/<concern>.rs` as
//!    `impl <Concern>Store for SqliteStore { … }`, with its private SQL helpers. Its
//!    queries run through `self.with(|c| …)` (one connection, errors described in the
//!    OS's words); imports are `use super::SqliteStore;`, `use crate::store::now_ms;`,
//!    `use crate::store::<concern>::{…};`; shared interning is `super::runs::intern_playbook`.
//!    Add `mod <concern>;` to `sqlite/mod.rs`. The PostgreSQL one goes to
//!    `src/store/postgres/<concern>.rs` as `impl <Concern>Store for PostgresStore { … }`,
//!    through `self.with(|c| …)` or `self.with_prepared(|c, prepared| …)`, scoping
//!    host-owned rows by `self.host()`; add `mod <concern>;` to `postgres/mod.rs`.
//! 3. New tables are a new migration at the end of `sqlite/schema.rs` (never edit a
//!    released one), and `VERSIONS` goes up by one; and a new entry at the end of
//!    `postgres/schema.rs`'s `MIGRATIONS` (its SQL in `postgres/schema/`).
//! 4. Add `pub mod <concern>;` below and `+ <concern>::<Concern>Store` to the
//!    supertrait list of [`Store`]. Callers then reach the methods on any `&dyn Store`
//!    without importing the trait (supertrait methods are the trait object's own); a
//!    method name must not repeat one of another concern's trait, or calls are
//!    ambiguous.
//! 5. Tests of the concern go in `contract` (`src/store/contract/<concern>.rs`), written
//!    against `&dyn Store` through `contract::each_backend`, so that every backend passes
//!    the very same tests.
//!
//! A file written before this split (`impl XStore for Store` on the old struct, in
//! `src/store/<concern>.rs`) folds in so:
//! - keep its types and `pub trait XStore` where they are (callers' paths do not change);
//! - cut its `impl XStore for Store { … }` block and its SQL helpers into
//!   `src/store/sqlite/<concern>.rs`, and there rename `for Store` to `for SqliteStore`,
//!   `use super::{Store, now_ms};` to the imports of step 2, and import the traits of
//!   other concerns whose methods it calls on `self` (e.g. `crate::store::alerts::AlertStore`);
//! - steps 2 (`mod`), 3 (migration), 4 (`+ <concern>::XStore`) and 5 (tests) above;
//! - in callers, `&Store` / `Arc<Store>` become `&dyn Store` / `Arc<dyn Store>` (pass
//!   `store.as_ref()` where an `&Arc<dyn Store>` is given for a `&dyn Store`).

pub mod alerts;
pub mod backlog;
#[cfg(test)]
mod contract;
pub mod decisions;
pub mod failure;
pub mod fleet;
pub mod groups;
pub mod groups_outbox;
pub mod history;
pub mod last_run;
pub mod postgres;
pub mod remediations;
pub mod results;
pub mod runs;
pub mod schedule;
pub mod silences;
pub mod snapshots;
pub mod sqlite;
mod state_dir;
pub mod uptime;

use std::path::Path;
use std::sync::Arc;

pub use history::{MetricTrend, RunRow};
pub use state_dir::default_dir;
pub(crate) use state_dir::{open_private, prepare_dir};

use crate::checks::history::MetricHistory;
use crate::engine::journal::Journal;
use crate::error::Error;
use crate::probe::state::ProbeState;
use crate::process_group::GroupJournal;
use crate::quiet::dependency::LatestResults;
use crate::report::retention::Ledger;

/// Everything kept or read between runs, whatever keeps it (see the module header).
pub trait Store:
    runs::RunStore
    + history::HistoryStore
    + last_run::LastRunStore
    + alerts::AlertStore
    + alerts::OutboxStore
    + groups_outbox::GroupedOutboxStore
    + fleet::FleetStore
    + uptime::UptimeStore
    + remediations::RemediationStore
    + groups::GroupStore
    + schedule::ScheduleStore
    + silences::SilenceStore
    + decisions::DecisionStore
    + snapshots::SnapshotStore
    + results::ResultStore
    + ProbeState
    + LatestResults
    + Ledger
    + MetricHistory
    + Journal
    + GroupJournal
    + Send
    + Sync
{
    /// Why writes are refused, if they are (see [`open_or_degraded`]).
    fn degraded(&self) -> Option<String>;

    /// A degraded store tries to open for writing again; `Ok` when it now can (or never
    /// was degraded).
    fn reopen(&self) -> Result<(), Error>;

    /// Whether a write would be taken now (SQLite: a small write next to the database
    /// reaches the disk). Asked when no run waits to be written, to see a problem end.
    fn takes_writes(&self) -> bool;

    /// Where the store is, for people: the state folder; later a URL with its password
    /// masked.
    fn describe(&self) -> String;
}

/// Which backend `open*` opens, chosen once per process from `--store` ([`choose`]).
enum Backend {
    /// The SQLite file of the state folder (the default).
    Sqlite,
    /// A PostgreSQL database shared by a fleet.
    Postgres(postgres::Location),
}

static BACKEND: std::sync::OnceLock<Backend> = std::sync::OnceLock::new();

/// Settles the backend for this process from `--store` / `RUNNER_STORE`: `sqlite` (or
/// nothing) for the state folder's file, a `postgres://` URL for a shared store. Returns
/// whether the store is shared. Called once, before any store is opened.
pub fn choose(url: Option<&str>) -> Result<bool, Error> {
    let backend = match url.map(str::trim) {
        None | Some("") => Backend::Sqlite,
        Some(word) if word.eq_ignore_ascii_case("sqlite") => Backend::Sqlite,
        Some(url) => Backend::Postgres(postgres::Location::parse(url)?),
    };
    let shared = matches!(backend, Backend::Postgres(_));
    let _ = BACKEND.set(backend);
    Ok(shared)
}

/// The shared store's location, when `--store` chose one.
fn shared_location() -> Option<&'static postgres::Location> {
    match BACKEND.get() {
        Some(Backend::Postgres(location)) => Some(location),
        _ => None,
    }
}

/// Whether this process records into a store shared by a fleet.
pub fn is_shared() -> bool {
    shared_location().is_some()
}

/// Opens (creating when needed) the store: the chosen shared store, else that of the
/// state folder `dir`; and brings its schema up to date.
pub fn open(dir: &Path) -> Result<Arc<dyn Store>, Error> {
    if let Some(location) = shared_location() {
        return open_shared(location, &crate::host::id());
    }
    Ok(Arc::new(sqlite::SqliteStore::open(dir)?))
}

/// Opens (creating the schema on first use) the shared store at a `postgres://` URL, as
/// host `host`: every host-scoped row this store writes carries that id.
pub fn open_shared(location: &postgres::Location, host: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(Arc::new(postgres::PostgresStore::open(location, host)?))
}

/// Whether the state folder `dir` holds a store yet (nothing is created).
pub fn exists(dir: &Path) -> bool {
    if is_shared() {
        return true;
    }
    dir.join(sqlite::DB_FILE).exists()
}

/// Opens the store for a run that must go on without it: when it cannot be opened for
/// writing, a store that reads what it can and refuses every write ([`Store::degraded`]
/// says why).
pub fn open_or_degraded(dir: &Path) -> Arc<dyn Store> {
    if is_shared() {
        match open(dir) {
            Ok(store) => return store,
            Err(error) => {
                // The fleet's store is away: record here meanwhile (the spool), so that no
                // run is lost, and say so.
                tracing::warn!(target: "runner::store", "the shared store cannot be opened ({}); recording in the state folder meanwhile", error.store_reason());
            }
        }
    }
    Arc::new(sqlite::SqliteStore::open_or_degraded(dir))
}

/// Opens an existing store read-only (a dry run, `runner history`): `Ok(None)` when there
/// is none yet, or when its schema is not the one this runner writes.
pub fn open_read_only(dir: &Path) -> Result<Option<Arc<dyn Store>>, Error> {
    if is_shared() {
        return open(dir).map(Some);
    }
    Ok(sqlite::SqliteStore::open_read_only(dir)?.map(|store| Arc::new(store) as Arc<dyn Store>))
}

/// Opens a reader of the store of the state folder `dir` for pages and APIs: a few
/// connections of its own that only read (every write is refused), so that readers never
/// wait on the writer. The store is created and brought up to date first when needed.
pub fn open_reader(dir: &Path) -> Result<Arc<dyn Store>, Error> {
    if is_shared() {
        // A pool of its own: the reader's queries never wait on the writer's connections.
        return open(dir);
    }
    let reader = match sqlite::SqliteStore::open_reader(dir, READERS)? {
        Some(reader) => reader,
        None => {
            drop(open(dir)?);
            sqlite::SqliteStore::open_reader(dir, READERS)?.ok_or_else(|| Error::Store {
                path: dir.to_path_buf(),
                message: "its schema is not the one this runner reads".into(),
            })?
        }
    };
    Ok(Arc::new(reader))
}

/// How many connections a reader has: enough for a page and a few API calls at once, on
/// a machine whose cores the checks need too.
const READERS: usize = 3;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    crate::clock::now().as_millisecond()
}
