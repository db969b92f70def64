//! The state folder: where the store's files (for SQLite, the database) and the
//! per-playbook lock files live, whichever backend keeps the history. `--state DIR`, else
//! `RUNNER_STATE`, else `$XDG_STATE_HOME/runner` (`~/.local/state/runner`), or
//! `/var/lib/runner` for root. It is created 0700 and its files 0600: run history and
//! check output are nobody else's business. An existing folder that others can open is
//! used, with a warning.

use std::path::{Path, PathBuf};

/// Who may open the state folder and its files.
const DIR_MODE: u32 = 0o700;
pub(crate) const FILE_MODE: u32 = 0o600;

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
