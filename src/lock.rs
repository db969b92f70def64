//! The per-playbook run lock: a file in the state folder, held with `File::try_lock`
//! for the whole run, so that the daemon and a manual `runner run` never run the same
//! playbook at once. The OS releases it when the process dies, so a crash never leaves a
//! stale lock.

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
    let path = path(state_dir, playbook);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Write { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            let _ = file.set_len(0);
            let _ = writeln!(&file, "{}", std::process::id());
            Ok(RunLock { _file: file, path })
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked { name: playbook.to_string(), lock: path }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Write { path, source }),
    }
}
