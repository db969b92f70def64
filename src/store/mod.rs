//! The state store: one SQLite file (WAL) holding run history, metrics, probe state,
//! alert state, the notification outbox and its delivery attempts, the remediation audit,
//! the process groups of running commands and the daemon's schedule state. `runner run` and the daemon may write at the same time: WAL lets readers go on,
//! writers wait on the busy timeout, and every write is one short transaction.
//!
//! Where it lives: `--state DIR`, else `RUNNER_STATE`, else `$XDG_STATE_HOME/runner`
//! (`~/.local/state/runner`), or `/var/lib/runner` for root. The folder also holds the
//! per-playbook lock files.
//!
//! This module owns the connection and its settings; each concern's queries live in its
//! own file.

pub mod alerts;
mod groups;
mod history;
mod probe_state;
pub mod remediations;
mod runs;
mod schedule;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

pub use history::{MetricTrend, RunRow};

use crate::error::Error;

/// The database file name inside the state folder.
pub const DB_FILE: &str = "runner.db";

/// The default state folder (see the module header).
pub fn default_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/runner");
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("runner");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/runner"),
        None => PathBuf::from(".runner-state"),
    }
}

/// The SQLite store.
pub struct Store {
    dir: PathBuf,
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (creating when needed) the store in `dir`, and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        let fail = |message: String| Error::Store { path: dir.to_path_buf(), message };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        // Processes opening a new state folder at once would race: both see schema version
        // 0 and create the tables, or one finds the file locked while the other switches it
        // to WAL. Opening is serialised (a few milliseconds); using the store is not.
        let open_lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("migrate.lock"))
            .map_err(|e| fail(e.to_string()))?;
        open_lock.lock().map_err(|e| fail(format!("cannot lock the store for opening: {e}")))?;
        let path = dir.join(DB_FILE);
        let mut connection = Connection::open(&path).map_err(|e| fail(e.to_string()))?;
        connection.busy_timeout(Duration::from_secs(10)).map_err(|e| fail(e.to_string()))?;
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(|e| fail(format!("cannot enable WAL: {e}")))?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(|e| fail(e.to_string()))?;
        connection.pragma_update(None, "foreign_keys", true).map_err(|e| fail(e.to_string()))?;
        schema::migrations().to_latest(&mut connection).map_err(|e| {
            // The error can carry the whole migration SQL: its first line says what failed.
            let text = e.to_string();
            fail(format!("cannot migrate the schema: {}", text.lines().next().unwrap_or_default()))
        })?;
        drop(open_lock);
        Ok(Store { dir: dir.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// Opens an existing store read-only (a dry run): `Ok(None)` when there is none yet,
    /// or when its schema is not the one this runner writes.
    pub fn open_read_only(dir: &Path) -> Result<Option<Store>, Error> {
        let fail = |message: String| Error::Store { path: dir.to_path_buf(), message };
        if dir.exists() && !dir.is_dir() {
            return Err(fail("it is not a folder".into()));
        }
        let path = dir.join(DB_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&path, flags).map_err(|e| fail(e.to_string()))?;
        connection.busy_timeout(Duration::from_secs(10)).map_err(|e| fail(e.to_string()))?;
        let current = schema::migrations().current_version(&connection).map_err(|e| fail(e.to_string()))?;
        let latest = rusqlite_migration::SchemaVersion::Inside(
            std::num::NonZeroUsize::new(schema::VERSIONS).expect("at least one migration"),
        );
        if current != latest {
            return Ok(None);
        }
        Ok(Some(Store { dir: dir.to_path_buf(), connection: Mutex::new(connection) }))
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` with the connection. Callers on the async runtime go through
    /// `spawn_blocking` (SQLite blocks).
    pub fn with<R>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>) -> Result<R, Error> {
        let mut connection =
            self.connection.lock().map_err(|_| Error::Internal("the store's lock is poisoned".into()))?;
        f(&mut connection).map_err(|e| Error::Store { path: self.dir.clone(), message: e.to_string() })
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
