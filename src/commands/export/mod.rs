//! `runner export systemd|launchd|crontab [PATH...]`: what to install to run the
//! playbooks for good, one file per target. systemd and launchd run the daemon (a
//! hardened unit with Type=notify and a watchdog; a LaunchAgent kept alive on failure —
//! never StartInterval, the setting that once stopped firing silently); crontab runs
//! `runner tick` every minute, which fires each playbook by the daemon's own rules.
//!
//! Every export names absolute paths, and the same state folder a manual `runner run`
//! uses, so alert state and locks are shared.

mod crontab;
mod environment;
mod launchd;
mod systemd;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, ExportArgs, ExportTarget};
use crate::error::Error;
use crate::playbook::Loaded;
use crate::playbook::discover;
use crate::playbook::load::LoadOptions;

pub use crontab::crontab;
pub use launchd::launchd;
pub use systemd::systemd;

/// How long the exported daemon gives running runs after SIGTERM (`--shutdown-grace`);
/// the service manager's own stop timeout is longer, so the daemon ends them itself.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The service manager's stop timeout: the grace plus time to record what was ended.
const STOP_TIMEOUT: Duration = Duration::from_secs(45);
/// Where the exported daemon serves /healthz and /metrics.
const LISTEN: &str = "127.0.0.1:9464";

/// What every export is about.
pub struct Export {
    /// The runner binary, absolute.
    pub runner: PathBuf,
    /// The PATH arguments, absolute.
    pub paths: Vec<PathBuf>,
    /// The state folder given with `--state`, absolute.
    pub state: Option<PathBuf>,
    /// The shared store given with `--store` (a `postgres://` URL), if any.
    pub store: Option<String>,
    /// The host id given with `--host-id`, if any.
    pub host_id: Option<String>,
}

impl Export {
    /// The shared store's URL when it can be written where others may read it (no
    /// password): `Ok(None)` without a shared store, `Err(masked)` when the URL holds a
    /// password, which goes in the environment file instead.
    fn store_in_the_open(&self) -> Result<Option<&str>, String> {
        let Some(url) = self.store.as_deref() else { return Ok(None) };
        match crate::store::postgres::Location::parse(url) {
            Ok(location) if location.masked() == url => Ok(Some(url)),
            Ok(location) => Err(location.masked().to_string()),
            Err(_) => Ok(None),
        }
    }
}

impl Export {
    /// The daemon's arguments after the binary.
    fn daemon_arguments(&self) -> Vec<String> {
        let mut arguments = vec!["daemon".to_string()];
        arguments.extend(self.paths.iter().map(|p| p.display().to_string()));
        let grace = format!("{}s", SHUTDOWN_GRACE.as_secs());
        arguments.extend(["--listen", LISTEN, "--log-format", "json", "--shutdown-grace", &grace].map(String::from));
        arguments
    }

    /// The playbooks under the paths, all valid: an export of an invalid playbook would
    /// install something that fails at every fire (or, with the crontab, bypass the
    /// refusals that need a valid schedule), so, as `runner run`, an invalid file prints
    /// its diagnostics and is refused (65).
    fn playbooks(&self) -> crate::error::Result<Vec<Loaded>> {
        let (files, errors) = discover::playbook_files(&self.paths);
        if let Some(error) = errors.into_iter().next() {
            return Err(error);
        }
        let (reports, errors) = super::validate::validate_files(&files, &LoadOptions::default());
        if let Some(error) = errors.into_iter().next() {
            return Err(error);
        }
        let mut valid = Vec::new();
        let mut refused = None;
        for report in reports {
            let path = report.path.clone();
            match report.into_loaded(false) {
                Ok(loaded) => valid.push(loaded),
                Err(report) => {
                    // Every invalid file's diagnostics are printed; the first one names the error.
                    let error = super::run::refuse_invalid(&path, &report);
                    if refused.is_none() {
                        refused = Some(error);
                    }
                }
            }
        }
        refused.map_or(Ok(valid), Err)
    }
}

/// `text` (a path, or an argument naming one) without control characters: neither a
/// unit file nor XML 1.0 can carry them, and an escape would name another path.
fn refuse_control_characters(text: &str, file: &str) -> Result<(), Error> {
    if text.chars().any(|c| c.is_control()) {
        return Err(Error::InvalidInput(format!("{text:?}: a path with control characters cannot go in {file}")));
    }
    Ok(())
}

/// `path` as UTF-8: every export is text, and a lossy rendering (`\xff` written as `�`)
/// would name a path that does not exist.
fn refuse_non_utf8(path: &Path) -> Result<(), Error> {
    if path.to_str().is_none() {
        return Err(Error::InvalidInput(format!(
            "{}: a path that is not valid UTF-8 cannot be written in an export (it would name another path); \
             rename the folder or link to it under a UTF-8 name",
            path.display()
        )));
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(path))
}

fn runner_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/runner"))
}

pub fn run(cli: &Cli, args: &ExportArgs) -> crate::error::Result<i32> {
    let paths: Vec<PathBuf> =
        if args.paths.is_empty() { vec![PathBuf::from(discover::DEFAULT_DIR)] } else { args.paths.clone() };
    for path in &paths {
        std::fs::metadata(path).map_err(|source| Error::Read { path: path.clone(), source })?;
    }
    let export = Export {
        runner: runner_path(),
        paths: paths.iter().map(|p| absolute(p)).collect(),
        state: cli.state.as_ref().map(|s| absolute(s)),
        store: cli.store.clone().filter(|_| crate::store::is_shared()),
        host_id: cli.host_id.clone().filter(|id| !id.trim().is_empty()),
    };
    for path in export.paths.iter().chain(&export.state).chain([&export.runner]) {
        refuse_non_utf8(path)?;
    }
    let text = match args.target {
        ExportTarget::Systemd => systemd(&export)?,
        ExportTarget::Launchd => launchd(&export)?,
        ExportTarget::Crontab => crontab(&export)?,
    };
    super::print_stdout(&text)?;
    Ok(0)
}
