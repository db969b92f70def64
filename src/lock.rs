//! The per-playbook run lock: a file in the state folder, held with `File::try_lock`
//! for the whole run, so that the daemon and a manual `runner run` never run the same
//! playbook at once. The OS releases it when the process dies, so a crash never leaves a
//! stale lock.
//!
//! `runner tick` (one process per cron minute) also has a queue place per playbook
//! (`locks/queue/NAME.lock`): with `overlap: queue`, the one tick holding it waits for
//! the run lock, as the daemon keeps at most one fire waiting.

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

/// Takes the lock or says who holds it (`Err(Locked)`). Other errors mean the lock cannot
/// be taken at all.
pub fn acquire(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    try_take(path(state_dir, playbook), playbook)
}

/// Takes the lock, waiting for whoever holds it to finish (their run is bounded by its
/// playbook's timeout).
pub fn wait(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    let path = path(state_dir, playbook);
    let file = open(&path)?;
    file.lock().map_err(|source| Error::Write { path: path.clone(), source })?;
    Ok(held(file, path))
}

/// Takes the playbook's one queue place, or says it is taken (`Err(Locked)`).
pub fn acquire_queue_place(state_dir: &Path, playbook: &str) -> Result<RunLock, Error> {
    try_take(state_dir.join("locks").join("queue").join(format!("{playbook}.lock")), playbook)
}

fn try_take(path: PathBuf, playbook: &str) -> Result<RunLock, Error> {
    let file = open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(held(file, path)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked { name: playbook.to_string(), lock: path }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Write { path, source }),
    }
}

fn open(path: &Path) -> Result<File, Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| Error::Write { path: path.to_path_buf(), source })
}

/// A lock just taken: the file says which process holds it.
fn held(file: File, path: PathBuf) -> RunLock {
    use std::io::Write;
    let _ = file.set_len(0);
    let _ = writeln!(&file, "{}", std::process::id());
    RunLock { _file: file, path }
}
