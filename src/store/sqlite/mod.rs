//! The SQLite backend of the [`Store`]: one file (WAL) in the state folder, the embedded
//! default. `runner run` and the daemon may write at the same time: WAL lets readers go
//! on, writers wait on the busy timeout, and every write is one short transaction. One
//! connection per process, behind a mutex: SQLite blocks, so callers on the async
//! runtime go through `spawn_blocking`.
//!
//! What is SQLite's here and nowhere else: the connection and its settings (busy timeout,
//! WAL, `synchronous = NORMAL`, foreign keys), the schema and its migrations
//! ([`schema`], tracked in `PRAGMA user_version`), the file's modes (the database 0600;
//! its `-wal` and `-shm` files take the database's mode), the errno behind SQLite's
//! "disk I/O error" ([`failure`]), and the degraded mode's mechanics: a store that
//! cannot be opened for writing (a read-only or full disk) reads the file read-only, or
//! an empty memory copy of the schema, with `query_only` set so that every write is
//! refused in the OS's words, until [`Store::reopen`] finds the disk writable again.
//!
//! Each concern's queries live in their own file, one `impl <Concern>Store for
//! SqliteStore` each; this file owns the connection. Nothing outside `src/store` names
//! this type: callers hold `&dyn Store` / `Arc<dyn Store>` from `store::open*`.

mod alerts;
mod decisions;
mod dependencies;
pub mod failure;
mod fleet;
mod groups;
mod groups_outbox;
mod history;
mod last_run;
mod probe_state;
mod remediations;
mod results;
mod runs;
mod schedule;
pub mod schema;
mod silences;
mod snapshots;
mod uptime;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use super::Store;
use super::state_dir::{FILE_MODE, open_private, prepare_dir};
use crate::error::Error;

/// The page cache of each reader connection, in KiB (negative: SQLite's unit for KiB).
const READER_CACHE_KIB: i64 = -512;

/// The database file name inside the state folder.
pub const DB_FILE: &str = "runner.db";

/// The SQLite store.
pub struct SqliteStore {
    dir: PathBuf,
    /// One connection for a writer; a few read-only ones for a reader ([`SqliteStore::open_reader`]),
    /// taken by whichever call finds one free.
    connections: Box<[Mutex<Connection>]>,
    /// Where the next call that finds every connection busy waits.
    next: std::sync::atomic::AtomicUsize,
    /// Why the store could not be opened for writing, while that lasts (see the module
    /// header); `None` for a store opened normally.
    degraded: Mutex<Option<String>>,
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

impl SqliteStore {
    /// Opens (creating when needed) the store in `dir`, and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<SqliteStore, Error> {
        let fail = |message: String| Error::Store { path: dir.to_path_buf(), message };
        let io_fail = |e: std::io::Error| fail(super::failure::os_sentence(&e));
        prepare_dir(dir).map_err(io_fail)?;
        // Processes opening a new state folder at once would race: both see schema version
        // 0 and create the tables, or one finds the file locked while the other switches it
        // to WAL. Opening is serialised (a few milliseconds); using the store is not.
        let open_lock = open_private(&dir.join("migrate.lock")).map_err(io_fail)?;
        open_lock
            .lock()
            .map_err(|e| fail(format!("cannot lock the store for opening: {}", super::failure::os_sentence(&e))))?;
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
        Ok(SqliteStore::with_connection(dir, connection, None))
    }

    fn with_connection(dir: &Path, connection: Connection, degraded: Option<String>) -> SqliteStore {
        SqliteStore::with_connections(dir, vec![connection], degraded)
    }

    fn with_connections(dir: &Path, connections: Vec<Connection>, degraded: Option<String>) -> SqliteStore {
        SqliteStore {
            dir: dir.to_path_buf(),
            connections: connections.into_iter().map(Mutex::new).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
            degraded: Mutex::new(degraded),
        }
    }

    /// Opens the store for a run that must go on without it: when it cannot be opened
    /// for writing, a store that reads the file (or, failing that, an empty memory copy)
    /// and refuses every write; [`Store::degraded`] says why.
    pub fn open_or_degraded(dir: &Path) -> SqliteStore {
        let reason = match SqliteStore::open(dir) {
            Ok(store) => return store,
            Err(error) => error.store_reason(),
        };
        let connection = SqliteStore::read_only_connection(dir).unwrap_or_else(|| {
            let mut memory = Connection::open_in_memory().expect("SQLite opens a memory database");
            // An empty copy of the schema: reads find nothing, rather than no table.
            let _ = schema::migrations().to_latest(&mut memory);
            memory
        });
        // Writes fail with SQLITE_READONLY, which `with` reports as the reason above.
        let _ = connection.pragma_update(None, "query_only", true);
        SqliteStore::with_connection(dir, connection, Some(reason))
    }

    /// The database file, opened read-only, when its schema is the current one.
    fn read_only_connection(dir: &Path) -> Option<Connection> {
        SqliteStore::open_read_only(dir).ok().flatten().and_then(SqliteStore::into_connection)
    }

    /// Opens an existing store read-only (a dry run): `Ok(None)` when there is none yet,
    /// or when its schema is not the one this runner writes.
    pub fn open_read_only(dir: &Path) -> Result<Option<SqliteStore>, Error> {
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
        Ok(Some(SqliteStore::with_connection(dir, connection, None)))
    }

    /// The store's first (a writer's only) connection, taken out of it.
    fn into_connection(self) -> Option<Connection> {
        self.connections.into_vec().into_iter().next().and_then(|c| c.into_inner().ok())
    }

    /// A reader for pages and APIs: `size` read-only connections (`query_only` too), so
    /// that reads never wait on the writer's connection, and every write is refused.
    /// `Ok(None)` as [`SqliteStore::open_read_only`].
    pub fn open_reader(dir: &Path, size: usize) -> Result<Option<SqliteStore>, Error> {
        let mut connections = Vec::new();
        for _ in 0..size.max(1) {
            let Some(connection) = SqliteStore::open_read_only(dir)?.and_then(SqliteStore::into_connection) else {
                return Ok(None);
            };
            let _ = connection.pragma_update(None, "query_only", true);
            // A page's reads are index seeks: a small page cache each (the operating
            // system caches the file) keeps a serving process's memory flat, where the
            // default 2 MB per connection would grow it by 6 MB as pages are read.
            let _ = connection.pragma_update(None, "cache_size", READER_CACHE_KIB);
            connections.push(connection);
        }
        Ok(Some(SqliteStore::with_connections(dir, connections, None)))
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` with the connection. Callers on the async runtime go through
    /// `spawn_blocking` (SQLite blocks).
    pub fn with<R>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>) -> Result<R, Error> {
        let poisoned = || Error::Internal("the store's lock is poisoned".into());
        let free = self.connections.iter().find_map(|c| c.try_lock().ok());
        let mut connection = match free {
            Some(connection) => connection,
            None => {
                let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.connections.len();
                self.connections[turn].lock().map_err(|_| poisoned())?
            }
        };
        f(&mut connection).map_err(|e| {
            let reason = self.degraded().unwrap_or_else(|| failure::describe(&e, &connection, &self.dir));
            Error::StoreFailed { path: self.dir.clone(), reason }
        })
    }
}

impl Store for SqliteStore {
    fn degraded(&self) -> Option<String> {
        self.degraded.lock().ok().and_then(|d| d.clone())
    }

    fn reopen(&self) -> Result<(), Error> {
        if self.degraded().is_none() {
            return Ok(());
        }
        let fresh = SqliteStore::open(&self.dir)?;
        let connection = fresh.into_connection().ok_or_else(|| Error::Internal("a fresh lock is poisoned".into()))?;
        if let (Ok(mut current), Ok(mut degraded)) = (self.connections[0].lock(), self.degraded.lock()) {
            *current = connection;
            *degraded = None;
            tracing::info!(target: "runner::store", dir = %self.dir.display(), "the store can be written again");
        }
        Ok(())
    }

    fn takes_writes(&self) -> bool {
        failure::probe_write(&self.dir).is_ok()
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::snapshots::PlaybookSnapshot;

    #[test]
    fn a_reader_sees_what_the_writer_wrote_and_refuses_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let reader = crate::store::open_reader(dir.path()).unwrap();
        let writer = crate::store::open(dir.path()).unwrap();
        let snapshot = PlaybookSnapshot { name: "web".into(), host: "h".into(), ..PlaybookSnapshot::default() };
        writer.save_playbook_snapshot(&snapshot).unwrap();
        assert_eq!(reader.playbook_snapshots().unwrap(), std::slice::from_ref(&snapshot));
        let refused = reader.save_playbook_snapshot(&snapshot).unwrap_err().to_string();
        assert!(refused.contains("readonly") || refused.contains("read-only"), "{refused}");
        // Its connections are many: a held one does not make the next read wait.
        let held = reader.playbook_snapshots();
        assert!(held.is_ok());
    }
}
