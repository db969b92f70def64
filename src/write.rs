//! Writing output files (`--output`, reports) so that a reader never sees half of one,
//! and so that what sits at the path (a symlink, a FIFO, a device) is written to, not
//! replaced.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Writes `text` to `path`. A regular file is replaced atomically (a temporary file beside
/// it, then a rename: node_exporter's textfile collector never reads half of it). A
/// symlink is written through: its target is replaced and the link stays. A FIFO or a
/// device is written to as it is, because renaming over it would replace the node itself.
pub fn write_atomically(path: &Path, text: &str) -> crate::error::Result<()> {
    let path = &through_symlink(path).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    let fail = |source| Error::Write { path: path.clone(), source };
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(fail(std::io::Error::other("it is a folder")));
        }
        if !meta.is_file() {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
                .map_err(fail);
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    // A failed write (a full disk) or rename leaves no temporary file behind.
    std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path)).map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        fail(source)
    })
}

/// `--output FILE`: written as [`write_atomically`] does, but only into a folder that
/// exists, so a mistyped path is an error instead of a new tree of folders.
pub fn write_output(path: &Path, text: &str) -> crate::error::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        let missing = format!("the folder {} does not exist", parent.display());
        return Err(Error::Write { path: path.to_path_buf(), source: std::io::Error::other(missing) });
    }
    write_atomically(path, text)
}

/// The path to write: a symlink's target (a dangling link's target is created), or the
/// path itself.
fn through_symlink(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).or_else(|_| {
            let target = std::fs::read_link(path)?;
            Ok(path.parent().map(|dir| dir.join(&target)).unwrap_or(target))
        }),
        _ => Ok(path.to_path_buf()),
    }
}
