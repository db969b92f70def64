//! The per-playbook run lock: a file in the state folder, held with `File::try_lock`
//! for the whole run, so that the daemon and a manual `runner run` never run the same
//! playbook at once. The OS releases it when the process dies, so a crash never leaves a
//! stale lock.
//!
//! `runner tick` (one process per cron minute) also has a queue place per playbook
//! (`locks/queue/NAME.lock`): with `overlap: queue`, the one tick holding it waits for
//! the run lock, as the daemon keeps at most one fire waiting.
//!
//! A read-only or full state disk must not let two runs overlap, nor stop the run (the
//! store's failure is said, the checks still run). So when the lock file cannot be
//! opened for writing:
//! 1. an existing lock file is opened read-only and locked (flock needs no write
//!    access): the very same lock every other process takes;
//! 2. when there is none and none can be created, the lock is a file in the system's
//!    lock folder (`/run/lock`, else the temp folder), named after the state folder and
//!    the playbook, so every process of that state folder meets on the same file. No
//!    process can hold the lock of step 1 then: that file would exist.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A held lock; released on drop.
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file of a playbook.
pub fn path(state_dir: &Path, playbook: &str) -> PathBuf {
    state_dir.join("locks").join(format!("{playbook}.lock"))
}

/// The stand-in lock file when the state folder takes no new files (step 2 above).
pub fn fallback_path(state_dir: &Path, playbook: &str) -> PathBuf {
    let system = Path::new("/run/lock");
    let base = if system.is_dir() && writable(system) { system.to_path_buf() } else { std::env::temp_dir() };
    let state = std::fs::canonicalize(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
    base.join(format!("runner-{:016x}-{playbook}.lock", fnv1a(state.as_os_str().as_encoded_bytes())))
}

fn writable(dir: &Path) -> bool {
    let Ok(c_path) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: a valid NUL-terminated path; access(2) only reads it.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

/// A stable name for a path (the same in every process, unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Takes the lock or says who holds it (`Err(Locked)`). Other errors mean the lock cannot
/// be taken at all.
pub fn acquire(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    try_take(open_lock(state_dir, playbook, path(state_dir, playbook))?, playbook)
}

/// Takes the lock, waiting for whoever holds it to finish (their run is bounded by its
/// playbook's timeout).
pub fn wait(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    let lock = open_lock(state_dir, playbook, path(state_dir, playbook))?;
    lock.file.lock().map_err(|source| Error::Write { path: lock.path.clone(), source })?;
    Ok(held(lock))
}

/// Takes the playbook's one queue place, or says it is taken (`Err(Locked)`).
pub fn acquire_queue_place(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    let queue = state_dir.join("locks").join("queue").join(format!("{playbook}.lock"));
    try_take(open_lock(state_dir, &format!("queue-{playbook}"), queue)?, playbook)
}

/// A lock file opened and not yet locked: where it is, and whether it may be written (to
/// say which process holds it).
struct LockFile {
    file: File,
    path: PathBuf,
    writable: bool,
}

/// Opens the lock file `path`, or, when the state disk takes no writes, steps 1 and 2 of
/// the module header. `name` names the stand-in of step 2.
fn open_lock(state_dir: &Path, name: &str, path: PathBuf) -> Result<LockFile, Error> {
    match open_for_writing(state_dir, &path) {
        Ok(file) => Ok(LockFile { file, path, writable: true }),
        Err(error) => open_without_writing(state_dir, name, path, error),
    }
}

fn open_for_writing(state_dir: &Path, path: &Path) -> std::io::Result<File> {
    // The state folder is private (see `store`), even when the lock comes first.
    crate::store::prepare_dir(state_dir)?;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    crate::store::open_private(path)
}

/// Steps 1 and 2 of the module header. `error` is why the lock file could not be opened
/// for writing.
fn open_without_writing(state_dir: &Path, name: &str, path: PathBuf, error: std::io::Error) -> Result<LockFile, Error> {
    let reason = crate::store::failure::os_sentence(&error);
    if let Ok(file) = File::open(&path) {
        tracing::debug!(target: "runner::lock", %reason, "the lock file is read-only: locking it as it is");
        return Ok(LockFile { file, path, writable: false });
    }
    let fallback = fallback_path(state_dir, name);
    tracing::warn!(target: "runner::lock", lock = %path.display(), %reason, stand_in = %fallback.display(), "cannot create the lock file; locking a stand-in");
    let file =
        crate::store::open_private(&fallback).map_err(|source| Error::Write { path: fallback.clone(), source })?;
    Ok(LockFile { file, path: fallback, writable: true })
}

#[cfg(test)]
fn acquire_without_writing(
    state_dir: &Path,
    playbook: &str,
    path: PathBuf,
    error: std::io::Error,
) -> Result<RunLock, Error> {
    try_take(open_without_writing(state_dir, playbook, path, error)?, playbook)
}

fn try_take(lock: LockFile, playbook: &str) -> Result<RunLock, Error> {
    match lock.file.try_lock() {
        Ok(()) => Ok(held(lock)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked { name: playbook.to_string(), lock: lock.path }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Write { path: lock.path, source }),
    }
}

/// A lock just taken: the file says which process holds it, when it may be written.
fn held(lock: LockFile) -> RunLock {
    if lock.writable {
        use std::io::Write;
        let _ = lock.file.set_len(0);
        let _ = writeln!(&lock.file, "{}", std::process::id());
    }
    RunLock { _file: lock.file, path: lock.path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_lock_excludes_like_the_real_one() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let error = std::io::Error::from_raw_os_error(libc::EROFS);
        let first = acquire_without_writing(&state, "p", path(&state, "p"), error).unwrap();
        assert_eq!(first.path, fallback_path(&state, "p"));
        let error = std::io::Error::from_raw_os_error(libc::EROFS);
        let second = acquire_without_writing(&state, "p", path(&state, "p"), error);
        assert!(matches!(second, Err(Error::Locked { .. })));
        drop(first);
        let _ = std::fs::remove_file(fallback_path(&state, "p"));
    }
}
