//! Why SQLite failed, in the operating system's words. SQLite reports a full disk as
//! "database or disk is full" and most else as "disk I/O error"; what a person needs is
//! the errno behind it ("no space left on device", "read-only file system"). SQLite
//! keeps that errno (`sqlite3_system_errno`); when it has none (a connection that was
//! opened read-only refuses writes without asking the disk), a small write next to the
//! database asks the disk itself.

use std::io::Write;
use std::path::Path;

use rusqlite::ffi;

use crate::store::failure::os_sentence;

/// SQLite results that come from the file system rather than from SQL.
fn from_the_disk(code: ffi::ErrorCode) -> bool {
    matches!(
        code,
        ffi::ErrorCode::DiskFull
            | ffi::ErrorCode::SystemIoFailure
            | ffi::ErrorCode::ReadOnly
            | ffi::ErrorCode::CannotOpen
            | ffi::ErrorCode::PermissionDenied
    )
}

/// Describes a failed SQLite call on `connection` (call it before the connection is used
/// again: the errno is the last one SQLite saw).
pub fn describe(error: &rusqlite::Error, connection: &rusqlite::Connection, dir: &Path) -> String {
    let rusqlite::Error::SqliteFailure(failure, _) = error else { return error.to_string() };
    if !from_the_disk(failure.code) {
        return error.to_string();
    }
    // SAFETY: the handle is valid while `connection` is borrowed; the call only reads
    // the connection's last errno.
    let errno = unsafe { ffi::sqlite3_system_errno(connection.handle()) };
    let cause = if errno != 0 { Some(std::io::Error::from_raw_os_error(errno)) } else { probe_write(dir).err() };
    match cause {
        Some(cause) => format!("{} ({error})", os_sentence(&cause)),
        None => error.to_string(),
    }
}

/// Writes, syncs and removes a small file in `dir`: whether the disk takes writes now,
/// and if not, the OS's reason.
pub fn probe_write(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(".write-probe");
    let result = std::fs::File::create(&path).and_then(|mut file| {
        file.write_all(&[0u8; 4096])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    result
}
