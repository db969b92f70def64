//! The daemon's catalogue of playbook files: which files its paths hold, which playbook
//! each valid one defines, which are invalid and why, and which changed since the last
//! look. It reads and validates files; it never schedules, runs or stores anything: the
//! daemon turns its [`Change`]s into scheduled entries.
//!
//! An invalid edit of a file whose playbook is scheduled keeps the last good version
//! (the daemon is told the problem); an invalid file with nothing scheduled is listed
//! here, for `/healthz` and `/status`. Two files defining one playbook name: the first
//! one found keeps it, the second is invalid.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::liveness::InvalidView;
use crate::playbook::Loaded;
use crate::playbook::load::{LoadOptions, load_file};

/// A file as last seen on disk: a changed one has another stamp.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { modified: meta.modified().ok(), len: meta.len() })
}

/// What a look at the files found changed.
pub enum Change {
    /// A new or changed valid playbook; `previous_name` is what its file defined before.
    Valid { loaded: Arc<Loaded>, previous_name: Option<String> },
    /// A scheduled playbook's file became invalid: the last good version goes on.
    InvalidEdit { name: String, problem: String },
    /// A playbook's file is gone.
    Removed { name: String },
}

/// What one look at the paths found.
pub struct Look {
    pub changes: Vec<Change>,
    pub files_found: usize,
    /// The paths that could not be read, in words.
    pub unreadable: Vec<String>,
}

#[derive(Default)]
pub struct Catalogue {
    paths: Vec<PathBuf>,
    /// Which playbook each file holds (valid ones), and every file's stamp.
    files: BTreeMap<PathBuf, (Option<String>, Stamp)>,
    invalid: BTreeMap<PathBuf, InvalidView>,
}

impl Catalogue {
    pub fn new(paths: Vec<PathBuf>) -> Catalogue {
        Catalogue { paths, ..Catalogue::default() }
    }

    /// The paths watched, as given.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The invalid files with nothing scheduled from them.
    pub fn invalid(&self) -> impl Iterator<Item = &InvalidView> {
        self.invalid.values()
    }

    /// No file found defines a valid playbook.
    pub fn none_valid(&self) -> bool {
        self.files.values().all(|(name, _)| name.is_none())
    }

    /// Looks at the files: new, changed and removed ones (every file when `all`).
    /// `scheduled` says whether a playbook name is scheduled now (its invalid edit keeps
    /// the last good version).
    pub fn look(&mut self, all: bool, scheduled: impl Fn(&str) -> bool) -> Look {
        let (found, errors) = crate::playbook::discover::playbook_files(&self.paths);
        for error in &errors {
            tracing::error!(target: "runner::daemon", %error, "cannot read a playbook path");
        }
        let unreadable: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let files_found = found.len();
        let present: BTreeSet<PathBuf> = found.iter().cloned().collect();
        let mut changes = Vec::new();
        let gone: Vec<PathBuf> = self.files.keys().filter(|p| !present.contains(*p)).cloned().collect();
        for path in gone {
            if let Some((Some(name), _)) = self.files.remove(&path) {
                tracing::info!(target: "runner::daemon", playbook = %name, file = %path.display(), "playbook removed: no longer scheduled");
                changes.push(Change::Removed { name });
            }
            self.invalid.remove(&path);
        }
        for path in found {
            let Some(now_stamp) = stamp(&path) else { continue };
            let known = self.files.get(&path).cloned();
            if !all && known.as_ref().is_some_and(|(_, s)| *s == now_stamp) {
                continue;
            }
            let previous_name = known.and_then(|(n, _)| n);
            changes.extend(self.load(&path, now_stamp, previous_name, &scheduled));
        }
        Look { changes, files_found, unreadable }
    }

    fn load(
        &mut self,
        path: &Path,
        stamp: Stamp,
        previous_name: Option<String>,
        scheduled: &impl Fn(&str) -> bool,
    ) -> Option<Change> {
        let report = match load_file(path, &LoadOptions::default()) {
            Ok(report) => report,
            Err(error) => {
                tracing::error!(target: "runner::daemon", file = %path.display(), %error, "cannot read playbook");
                return None;
            }
        };
        let shown = report.display_path();
        let loaded = match report.into_loaded(false) {
            Ok(loaded) => loaded,
            Err(report) => {
                let errors: Vec<String> = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| format!("{}:{}:{}: {}", shown, d.span.line, d.span.col, d.message))
                    .collect();
                for error in &errors {
                    tracing::error!(target: "runner::daemon", diagnostic = %error, "invalid playbook");
                }
                self.files.insert(path.to_path_buf(), (previous_name.clone(), stamp));
                return match previous_name.filter(|name| scheduled(name)) {
                    Some(name) => {
                        tracing::warn!(target: "runner::daemon", file = %shown, "invalid edit: the last good version keeps running");
                        let first = errors.first().cloned().unwrap_or_default();
                        Some(Change::InvalidEdit {
                            name,
                            problem: format!("{} error(s); first: {first}", errors.len()),
                        })
                    }
                    None => {
                        self.invalid.insert(path.to_path_buf(), InvalidView { file: shown, errors });
                        None
                    }
                };
            }
        };
        self.invalid.remove(path);
        let name = loaded.playbook.name.to_string();
        if let Some(other) = self
            .files
            .iter()
            .find(|(p, (n, _))| p.as_path() != path && n.as_deref() == Some(name.as_str()))
            .map(|(p, _)| p.clone())
        {
            let message = format!("playbook name `{name}` is already used by {}", other.display());
            tracing::error!(target: "runner::daemon", file = %shown, "{message}");
            self.invalid.insert(path.to_path_buf(), InvalidView { file: shown, errors: vec![message] });
            self.files.insert(path.to_path_buf(), (None, stamp));
            return None;
        }
        self.files.insert(path.to_path_buf(), (Some(name), stamp));
        Some(Change::Valid { loaded: Arc::new(loaded), previous_name })
    }
}
