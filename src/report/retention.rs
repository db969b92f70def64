//! Report retention: `keep: 30d` deletes this playbook's reports older than that,
//! `keep_last: 100` all but its newest 100. Only files the ledger says this playbook
//! wrote are candidates, so retention can never delete another playbook's reports (or a
//! file someone put beside them).

use std::path::{Path, PathBuf};

use super::ReportError;
use crate::playbook::Report;

/// Where written reports are remembered (the store).
pub trait Ledger: Send + Sync {
    fn remember(&self, playbook: &str, path: &Path);
    /// This playbook's reports, newest first: (path, written at, Unix ms).
    fn reports(&self, playbook: &str) -> Vec<(PathBuf, i64)>;
    fn forget(&self, playbook: &str, path: &Path);
}

/// Deletes what retention says; returns how many files were deleted. The report just
/// written (`current`) is never deleted.
pub fn apply(report: &Report, playbook: &str, ledger: &dyn Ledger, current: &Path) -> Result<usize, ReportError> {
    let reports = ledger.reports(playbook);
    let now = crate::clock::now().as_millisecond();
    let mut doomed: Vec<PathBuf> = Vec::new();
    if let Some(keep) = report.keep {
        let cutoff = now - keep.get().as_millis() as i64;
        doomed.extend(reports.iter().filter(|(_, at)| *at < cutoff).map(|(p, _)| p.clone()));
    }
    if let Some(keep_last) = report.keep_last {
        // Distinct paths, newest first (a path rewritten by a later run counts once).
        let mut seen: Vec<&PathBuf> = Vec::new();
        for (path, _) in &reports {
            if !seen.contains(&path) {
                seen.push(path);
            }
        }
        doomed.extend(seen.into_iter().skip(keep_last as usize).cloned());
    }
    doomed.sort();
    doomed.dedup();
    let mut deleted = 0;
    for path in doomed {
        if path == current {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => deleted += 1,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ReportError::Delete { path, source }),
        }
        ledger.forget(playbook, &path);
    }
    Ok(deleted)
}
