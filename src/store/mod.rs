//! The state store: one SQLite file (WAL) holding run history, metrics, probe state,
//! alert state, the notification outbox and its delivery attempts, the remediation audit,
//! the process groups of running commands and the daemon's schedule state. `runner run` and the daemon may write at the same time: WAL lets readers go on,
//! writers wait on the busy timeout, and every write is one short transaction.
//!
//! Where it lives: `--state DIR`, else `RUNNER_STATE`, else `$XDG_STATE_HOME/runner`
//! (`~/.local/state/runner`), or `/var/lib/runner` for root. The folder also holds the
//! per-playbook lock files. It is created 0700 and the database 0600 (its `-wal` and
//! `-shm` files take the database's mode): run history and check output are nobody
//! else's business. An existing folder that others can open is used, with a warning.
//!
//! A store that cannot be opened for writing (a read-only or full disk) does not stop a
//! run: [`Store::open_or_degraded`] falls back to reading the file, or to an empty
//! memory copy, with every write refused and said in the OS's words ([`failure`]), until
//! [`Store::reopen`] finds the disk writable again.
//!
//! This module owns the connection and its settings; each concern's queries live in its
//! own file.

pub mod alerts;
pub mod backlog;
mod dependencies;
pub mod failure;
mod groups;
mod history;
pub mod last_run;
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
    /// Why the store could not be opened for writing, while that lasts (see the module
    /// header); `None` for a store opened normally.
    degraded: Mutex<Option<String>>,
}

/// Who may open the state folder and the database.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates the state folder 0700, or warns when an existing one is open to others.
pub(crate) fn prepare_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mode = meta.permissions().mode() & 0o777;
            // Said once per process (the lock and the store both prepare the folder).
            static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if mode & 0o077 != 0 && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                tracing::warn!(target: "runner::store", "the state folder {} is open to others (mode {mode:o}): `chmod 700` it", dir.display());
            }
            Ok(())
        }
        Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a folder")),
        Err(_) => std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir),
    }
}

/// Opens (creating it 0600) a file of the state folder for writing.
pub(crate) fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().create(true).truncate(false).write(true).mode(FILE_MODE).open(path)
}

/// Takes group and others' access away from an existing database file (a copy or an
/// older runner may have left it 0644), saying so: the contract is 0600. A file that does
/// not exist (no -wal yet) is fine.
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
    tracing::warn!(target: "runner::store", "the database file {} was open to others (mode {mode:o}); it is now 0600", path.display());
    Ok(())
}

impl Store {
    /// Opens (creating when needed) the store in `dir`, and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        let fail = |message: String| Error::Store { path: dir.to_path_buf(), message };
        let io_fail = |e: std::io::Error| fail(failure::os_sentence(&e));
        prepare_dir(dir).map_err(io_fail)?;
        // Processes opening a new state folder at once would race: both see schema version
        // 0 and create the tables, or one finds the file locked while the other switches it
        // to WAL. Opening is serialised (a few milliseconds); using the store is not.
        let open_lock = open_private(&dir.join("migrate.lock")).map_err(io_fail)?;
        open_lock
            .lock()
            .map_err(|e| fail(format!("cannot lock the store for opening: {}", failure::os_sentence(&e))))?;
        let path = dir.join(DB_FILE);
        // SQLite would create the file with the umask's mode; its -wal and -shm copy it.
        open_private(&path).map_err(io_fail)?;
        for file in [DB_FILE, "runner.db-wal", "runner.db-shm"] {
            make_private(&dir.join(file)).map_err(io_fail)?;
        }
        let mut connection = Connection::open(&path).map_err(|e| fail(e.to_string()))?;
        let sqlite_fail = |e: rusqlite::Error, connection: &Connection| fail(failure::describe(&e, connection, dir));
        connection.busy_timeout(Duration::from_secs(10)).map_err(|e| fail(e.to_string()))?;
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(|e| fail(format!("cannot enable WAL: {}", failure::describe(&e, &connection, dir))))?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(|e| sqlite_fail(e, &connection))?;
        connection.pragma_update(None, "foreign_keys", true).map_err(|e| sqlite_fail(e, &connection))?;
        schema::migrations().to_latest(&mut connection).map_err(|e| {
            // The error can carry the whole migration SQL: its first line says what failed.
            let text = e.to_string();
            fail(format!("cannot migrate the schema: {}", text.lines().next().unwrap_or_default()))
        })?;
        drop(open_lock);
        Ok(Store::with_connection(dir, connection, None))
    }

    fn with_connection(dir: &Path, connection: Connection, degraded: Option<String>) -> Store {
        Store { dir: dir.to_path_buf(), connection: Mutex::new(connection), degraded: Mutex::new(degraded) }
    }

    /// Opens the store for a run that must go on without it: when it cannot be opened
    /// for writing, a store that reads the file (or, failing that, an empty memory copy)
    /// and refuses every write; [`Store::degraded`] says why.
    pub fn open_or_degraded(dir: &Path) -> Store {
        let reason = match Store::open(dir) {
            Ok(store) => return store,
            Err(error) => error.store_reason(),
        };
        let connection = Store::read_only_connection(dir).unwrap_or_else(|| {
            let mut memory = Connection::open_in_memory().expect("SQLite opens a memory database");
            // An empty copy of the schema: reads find nothing, rather than no table.
            let _ = schema::migrations().to_latest(&mut memory);
            memory
        });
        // Writes fail with SQLITE_READONLY, which `with` reports as the reason above.
        let _ = connection.pragma_update(None, "query_only", true);
        Store::with_connection(dir, connection, Some(reason))
    }

    /// The database file, opened read-only, when its schema is the current one.
    fn read_only_connection(dir: &Path) -> Option<Connection> {
        Store::open_read_only(dir).ok().flatten().and_then(|store| store.connection.into_inner().ok())
    }

    /// Why writes are refused, if they are (see [`Store::open_or_degraded`]).
    pub fn degraded(&self) -> Option<String> {
        self.degraded.lock().ok().and_then(|d| d.clone())
    }

    /// A degraded store tries to open for writing again; `Ok` when it now can (or never
    /// was degraded).
    pub fn reopen(&self) -> Result<(), Error> {
        if self.degraded().is_none() {
            return Ok(());
        }
        let fresh = Store::open(&self.dir)?;
        let connection =
            fresh.connection.into_inner().map_err(|_| Error::Internal("a fresh lock is poisoned".into()))?;
        if let (Ok(mut current), Ok(mut degraded)) = (self.connection.lock(), self.degraded.lock()) {
            *current = connection;
            *degraded = None;
            tracing::info!(target: "runner::store", dir = %self.dir.display(), "the store can be written again");
        }
        Ok(())
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
        Ok(Some(Store::with_connection(dir, connection, None)))
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
        f(&mut connection).map_err(|e| {
            let reason = self.degraded().unwrap_or_else(|| failure::describe(&e, &connection, &self.dir));
            Error::StoreFailed { path: self.dir.clone(), reason }
        })
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    crate::clock::now().as_millisecond()
}
