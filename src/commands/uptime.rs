//! `runner uptime [NAME] [--check ID] [--host H] [--since 30d] [--format human|json|csv|html]`:
//! per playbook and check, the uptime over a window ending now (CLI.md's definition),
//! read from the store's roll-ups (`store::uptime`) and written by `uptime::render`.

use crate::cli::{Cli, UptimeArgs, UptimeFormat};
use crate::error::Error;
use std::sync::Arc;

use crate::store::Store;
use crate::store::uptime::Filter;
use crate::uptime::render::{self, Report};

pub fn run(cli: &Cli, args: &UptimeArgs) -> crate::error::Result<i32> {
    let window =
        crate::duration::parse(&args.since).map_err(|e| Error::Usage(format!("--since {}: {e}", args.since)))?;
    if window.is_zero() {
        return Err(Error::Usage(format!("--since {}: the window must be longer than zero (e.g. 30d)", args.since)));
    }
    let host = crate::host::id();
    // One host per store until the fleet store: a filter for another host is a typo.
    if let Some(asked) = args.host.as_deref()
        && asked != host
    {
        return Err(Error::Usage(format!("--host {asked}: this store holds the results of this host only (`{host}`)")));
    }
    let now = crate::clock::now();
    let since_ms = now.as_millisecond().saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let from = jiff::Timestamp::from_millisecond(since_ms).unwrap_or(jiff::Timestamp::MIN).to_string();
    let since = crate::duration::format(window);
    let dir = super::run::state_dir(cli.state.as_deref());
    let Some(store) = open(&dir)? else {
        if let Some(name) = args.name.as_deref() {
            return Err(Error::Usage(format!(
                "no stored results of a playbook named `{name}`: the store in {} is empty",
                dir.display()
            )));
        }
        eprintln!("no history yet in {} (runs are recorded by `runner run` and the daemon)", dir.display());
        let report = Report::new(since, from, now.to_string(), host, Vec::new());
        return print(&report, args.format);
    };
    if let Some(name) = args.name.as_deref() {
        known_playbook(store.as_ref(), name)?;
    }
    if let Some(check) = args.check.as_deref() {
        super::history::known_check(store.as_ref(), args.name.as_deref(), check)?;
    }
    let filter = Filter { playbook: args.name.as_deref(), check: args.check.as_deref() };
    let series = store.uptime(filter, since_ms, now.as_millisecond())?;
    let report = Report::new(since, from, now.to_string(), host, series);
    print(&report, args.format)
}

/// The store, migrated (which builds the roll-ups of an older store) when it can be
/// written, else read as it is; `None` when there is none yet.
fn open(dir: &std::path::Path) -> crate::error::Result<Option<Arc<dyn Store>>> {
    if !crate::store::exists(dir) {
        return Ok(None);
    }
    match crate::store::open(dir) {
        Ok(store) => Ok(Some(store)),
        Err(error) => match crate::store::open_read_only(dir)? {
            Some(store) => Ok(Some(store)),
            None => Err(error),
        },
    }
}

/// A playbook name the store does not know is a usage error with the closest name.
fn known_playbook(store: &dyn Store, name: &str) -> crate::error::Result<()> {
    let names = store.uptime_playbooks()?;
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    let hint = crate::playbook::suggest::did_you_mean(name, names.iter().map(String::as_str))
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(Error::Usage(format!("no stored results of a playbook named `{name}`{hint}")))
}

fn print(report: &Report, format: UptimeFormat) -> crate::error::Result<i32> {
    let text = match format {
        UptimeFormat::Human => render::human(report),
        UptimeFormat::Json => render::json(report),
        UptimeFormat::Csv => render::csv(report),
        UptimeFormat::Html => render::html(report),
    };
    super::print_stdout(&text)?;
    Ok(0)
}
