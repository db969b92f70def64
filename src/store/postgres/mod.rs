//! The PostgreSQL backend of the [`Store`]: one database shared by a fleet of daemons
//! (PLAYBOOK.md, "Fleet: many hosts, one shared store").
//!
//! What is PostgreSQL's here and nowhere else: the connections (a small pool of blocking
//! clients, [`PostgresStore::with`]), the schema and its migrations ([`schema`], tracked in
//! `runner_schema`, applied under an advisory lock so that daemons starting together
//! migrate once), the store URL with its password masked ([`Location`]), and the host id
//! that every host-scoped row carries.
//!
//! Host-scoped data (runs, results, metrics, probe state, schedule state of every-host
//! playbooks, remediation guards and audit, reports, process groups, locks) has a `host`
//! column filled with this store's host id, and reads of it are this host's unless a
//! method names another; fleet-scoped data (one-host claims, quorum rows, the outbox and
//! its alert state for one-host and quorum playbooks, silences) has none or a nullable one.
//!
//! The interface is synchronous (as SQLite is): the `postgres` crate drives tokio-postgres
//! on a runtime of its own, which must not be entered from a thread that already runs
//! async tasks. [`PostgresStore::with`] therefore runs a query on a scoped thread when it
//! is called from inside a runtime, and directly otherwise.
//!
//! Each concern's queries live in their own file, one `impl <Concern>Store for
//! PostgresStore` each; this file owns the connections. Nothing outside `src/store` names
//! this type: callers hold `&dyn Store` / `Arc<dyn Store>` from `store::open*`.

mod alerts;
mod decisions;
mod dependencies;
mod fleet;
mod groups;
mod groups_outbox;
mod history;
mod last_run;
mod ledger;
mod prepared;
mod probe_state;
mod remediations;
mod results;
mod runs;
mod schedule;
pub mod schema;
mod silences;
mod snapshots;
#[cfg(test)]
mod two_hosts;
mod uptime;

use std::path::PathBuf;
use std::sync::Mutex;

use postgres::{Client, NoTls};

pub(crate) use prepared::Prepared;

use super::Store;
use crate::error::Error;

/// A PostgreSQL store URL, kept whole for connecting and masked for people.
#[derive(Clone)]
pub struct Location {
    url: String,
    masked: String,
}

impl Location {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?…]` (or `postgresql://`); the password, if
    /// any, is registered with the scrubber so that no output shows it.
    pub fn parse(url: &str) -> Result<Location, Error> {
        let usage = |why: &str| Error::Usage(format!("--store {}: {why}", mask(url)));
        let parsed = url::Url::parse(url).map_err(|e| usage(&e.to_string()))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(usage("a store URL is `sqlite` or postgres://USER@HOST[:PORT]/DB"));
        }
        if parsed.host_str().unwrap_or_default().is_empty() {
            return Err(usage("the URL names no host"));
        }
        if parsed.path().trim_start_matches('/').is_empty() {
            return Err(usage("the URL names no database"));
        }
        if let Some(password) = parsed.password() {
            // The scrubber registers the percent-encoded spellings of what it is given.
            let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy().into_owned();
            crate::secret::register(&decoded);
        }
        Ok(Location { url: url.to_string(), masked: mask(url) })
    }

    /// The URL with its password replaced by `***`.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// The database's name.
    pub fn database(&self) -> String {
        url::Url::parse(&self.url).map(|u| u.path().trim_start_matches('/').to_string()).unwrap_or_default()
    }

    /// A plain connection to this URL's database, for administration (tests create and
    /// drop their databases so).
    pub fn connect_admin(&self) -> Result<Client, Error> {
        off_runtime(|| Client::connect(&self.url, NoTls))
            .map_err(|e| Error::Store { path: PathBuf::from(self.masked()), message: describe(&e) })
    }

    /// The same server with another database (tests make a fresh one per run).
    pub fn with_database(&self, database: &str) -> Location {
        let mut url = url::Url::parse(&self.url).expect("a parsed location reparses");
        url.set_path(&format!("/{database}"));
        Location { url: url.to_string(), masked: mask(url.as_str()) }
    }
}

/// `url` with the password of its user part replaced by `***`, even when it does not parse.
fn mask(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_part, host)) => {
            let user = user_part.split_once(':').map_or(user_part, |(user, _)| user);
            let masked_user = if user_part.contains(':') { format!("{user}:***") } else { user.to_string() };
            format!("{scheme}://{masked_user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    location: Location,
    /// This daemon's host id: every host-scoped row carries it.
    host: String,
    /// Open connections (each with the statements prepared on it), each taken by one call
    /// at a time; at most [`POOL`] exist.
    connections: Box<[Mutex<Option<Session>>]>,
    next: std::sync::atomic::AtomicUsize,
}

/// One connection of the pool and the statements prepared on it.
type Session = (Client, Prepared);

/// How many connections one process keeps: a run's writes, a page and a few API reads at
/// once, on a database that serves a fleet.
const POOL: usize = 4;

/// How long connecting may take before the store is said to be unreachable.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl PostgresStore {
    /// Connects to the database at `location` as host `host`, and brings its schema up to
    /// date (creating it on first use).
    pub fn open(location: &Location, host: &str) -> Result<PostgresStore, Error> {
        let store = PostgresStore {
            location: location.clone(),
            host: host.to_string(),
            connections: (0..POOL).map(|_| Mutex::new(None)).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
        };
        let mut first = store.connect().map_err(|reason| store.open_error(reason))?;
        // Migrating blocks on the client's runtime, and a client that fails is closed there
        // too: both off any runtime of ours (`runner serve` and the daemon open stores on one).
        let first = off_runtime(move || match schema::migrate(&mut first) {
            Ok(()) => Ok(first),
            Err(error) => {
                drop(first);
                Err(error)
            }
        })
        .map_err(|e| store.open_error(format!("cannot migrate the schema: {}", describe(&e))))?;
        *store.connections[0].lock().map_err(|_| Error::Internal("the store's lock is poisoned".into()))? =
            Some((first, Prepared::default()));
        Ok(store)
    }

    /// This store's host id.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn open_error(&self, message: String) -> Error {
        Error::Store { path: PathBuf::from(self.location.masked()), message }
    }

    fn connect(&self) -> Result<Client, String> {
        let mut config: postgres::Config = self.location.url.parse().map_err(|e: postgres::Error| describe(&e))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name(&format!("runner {}", self.host));
        off_runtime(|| config.connect(NoTls)).map_err(|e| describe(&e))
    }

    /// Runs `f` with a connection of the pool (connecting when the slot has none or lost
    /// it). A call from inside an async runtime runs on a scoped thread (see the module
    /// header).
    pub fn with<R: Send>(&self, f: impl FnOnce(&mut Client) -> Result<R, postgres::Error> + Send) -> Result<R, Error> {
        self.with_prepared(|client, _| f(client))
    }

    /// [`PostgresStore::with`], with the statements already prepared on that connection, so
    /// that a statement run often is parsed once per connection ([`Prepared::get`]).
    pub(crate) fn with_prepared<R: Send>(
        &self,
        f: impl FnOnce(&mut Client, &mut Prepared) -> Result<R, postgres::Error> + Send,
    ) -> Result<R, Error> {
        let poisoned = || Error::Internal("the store's lock is poisoned".into());
        let free = self.connections.iter().find_map(|c| c.try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => {
                let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.connections.len();
                self.connections[turn].lock().map_err(|_| poisoned())?
            }
        };
        if slot.as_ref().is_none_or(|(client, _)| client.is_closed()) {
            let fresh = (self.connect().map_err(|reason| self.failed(reason))?, Prepared::default());
            // The closed client it replaces is dropped off the runtime (it blocks to close).
            let lost = slot.replace(fresh);
            off_runtime(move || drop(lost));
        }
        let (client, prepared) = slot.as_mut().expect("connected above");
        let outcome = off_runtime(|| f(client, prepared));
        outcome.map_err(|e| {
            if e.is_closed() {
                // A client closes itself by blocking on its runtime: never inside ours.
                let lost = slot.take();
                off_runtime(move || drop(lost));
            }
            self.failed(describe(&e))
        })
    }

    fn failed(&self, reason: String) -> Error {
        Error::StoreFailed { path: PathBuf::from(self.location.masked()), reason }
    }
}

/// Runs `f` where the blocking client may block: on a scoped thread when this thread is
/// inside a tokio runtime, else here.
fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| scope.spawn(f).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

/// A PostgreSQL error in one sentence: the server's message (with its detail), or the
/// client's reason (connection refused, closed).
pub fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text = format!("{text}: {cause}");
                source = cause.source();
            }
            text
        }
    }
}

impl Drop for PostgresStore {
    /// A client closes itself by blocking on its own runtime, which must not happen on a
    /// thread that drives async tasks (a daemon drops stores there): closed off it.
    fn drop(&mut self) {
        let sessions: Vec<Session> =
            self.connections.iter_mut().filter_map(|c| c.get_mut().ok().and_then(Option::take)).collect();
        if !sessions.is_empty() {
            off_runtime(move || drop(sessions));
        }
    }
}

impl Store for PostgresStore {
    fn degraded(&self) -> Option<String> {
        None
    }

    fn reopen(&self) -> Result<(), Error> {
        Ok(())
    }

    fn takes_writes(&self) -> bool {
        self.with(|client| client.simple_query("SELECT 1").map(|_| ())).is_ok()
    }

    fn describe(&self) -> String {
        self.location.masked().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_password_of_a_store_url() {
        assert_eq!(mask("postgres://runner:s3cret@db:5432/runner"), "postgres://runner:***@db:5432/runner");
        assert_eq!(mask("postgres://runner@db/runner"), "postgres://runner@db/runner");
        assert_eq!(mask("postgres://u:p@ss@db/x?sslmode=require"), "postgres://u:***@db/x?sslmode=require");
        assert_eq!(mask("not a url"), "not a url");
    }

    #[test]
    fn refuses_urls_that_are_not_a_postgres_database() {
        for url in ["mysql://u@h/db", "postgres://u@h", "postgres:///db", "http://h/db"] {
            assert!(Location::parse(url).is_err(), "{url}");
        }
        assert_eq!(Location::parse("postgres://postgres@127.0.0.1:5432/runner").unwrap().database(), "runner");
    }
}
