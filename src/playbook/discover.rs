//! Turning the PATH arguments of `validate`, `list`, `daemon` and `export` into playbook
//! files: files as given, folders searched recursively for `*.yaml` / `*.yml`, sorted.
//! The default is `playbooks/`.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The default when no path is given.
pub const DEFAULT_DIR: &str = "playbooks";

/// Expands paths into playbook files. Unreadable paths are returned as errors alongside
/// the files found, so that one bad argument does not hide the rest.
pub fn playbook_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
    let defaults = [PathBuf::from(DEFAULT_DIR)];
    let paths = if paths.is_empty() { &defaults[..] } else { paths };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(source) => errors.push(Error::Read { path: path.clone(), source }),
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(Error::Read { path: dir.to_path_buf(), source });
            return;
        }
    };
    let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    found.sort();
    for path in found {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, errors);
        } else if is_playbook_name(&path) {
            files.push(path);
        }
    }
}

fn is_playbook_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}
