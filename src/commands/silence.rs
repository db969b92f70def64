//! `runner silence add | list | expire`: silences made, shown and ended by hand.
//!
//! Which playbooks `--playbook` may name: those the store has results of (they ran on
//! this machine) and those in the playbook folders (`--path`, default `playbooks/` when it
//! exists), so that a playbook about to be deployed for the first time can be silenced
//! before its first run. A name found in neither is a usage error (64) with a "did you
//! mean"; so is a `--check` that the playbook does not have.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::cli::{Cli, SilenceAddArgs, SilenceArgs, SilenceCommand, ValidateFormat};
use crate::error::Error;
use crate::playbook::discover;
use crate::playbook::load::LoadOptions;
use crate::quiet::silence::{self, Silence};
use crate::store::Store;

pub fn run(cli: &Cli, args: &SilenceArgs) -> crate::error::Result<i32> {
    let dir = super::run::state_dir(cli.state.as_deref());
    match &args.command {
        SilenceCommand::Add(add_args) => add(&dir, add_args),
        SilenceCommand::List { expired, format } => list(&dir, *expired, *format),
        SilenceCommand::Expire { id } => expire(&dir, id),
    }
}

/// Who made it: `$USER`, else the login name of this process's uid, else `uid N`.
fn maker() -> String {
    crate::host::login_name()
}

/// Every playbook known here, with its check ids: the store's and the folders'.
fn known(store: &dyn Store, paths: &[PathBuf]) -> crate::error::Result<BTreeMap<String, Vec<String>>> {
    let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (playbook, check) in store.known_checks()? {
        known.entry(playbook).or_default().push(check);
    }
    let paths: Vec<PathBuf> = if paths.is_empty() {
        let default = PathBuf::from(discover::DEFAULT_DIR);
        if default.is_dir() { vec![default] } else { Vec::new() }
    } else {
        paths.to_vec()
    };
    if !paths.is_empty() {
        let (files, errors) = discover::playbook_files(&paths);
        if let Some(error) = errors.into_iter().next() {
            return Err(error);
        }
        let (reports, _) = super::validate::validate_files(&files, &LoadOptions::default());
        for playbook in reports.iter().filter_map(|r| r.playbook.as_ref()) {
            let checks = known.entry(playbook.name.to_string()).or_default();
            for (_, check) in playbook.all_checks() {
                checks.push(check.id.to_string());
            }
        }
    }
    for checks in known.values_mut() {
        checks.sort();
        checks.dedup();
    }
    Ok(known)
}

fn add(dir: &std::path::Path, args: &SilenceAddArgs) -> crate::error::Result<i32> {
    let now = crate::clock::now();
    let maker = maker();
    let ask = silence::Request {
        playbook: args.playbook.as_deref(),
        check: args.check.as_deref(),
        all: args.all,
        for_: args.for_.as_deref(),
        until: args.until.as_deref(),
        until_ok: args.until_ok,
        host: args.host.as_deref(),
        reason: &args.reason,
        maker: &maker,
    };
    // What needs no store is refused before one is opened.
    if args.reason.trim().is_empty() {
        return Err(Error::Usage("--reason cannot be empty: say why, for whoever reads it later".into()));
    }
    silence::expiry(now, ask.for_, ask.until).map_err(|e| Error::Usage(e.to_string()))?;
    let store = crate::store::open(dir)?;
    let known = known(store.as_ref(), &args.paths)?;
    let new = silence::request(&ask, &known, now).map_err(|e| Error::Usage(e.to_string()))?;
    let id = store.add_silence(&new)?;
    let made = store.silence(id)?.ok_or_else(|| Error::Internal("a silence just made is gone".into()))?;
    super::print_stdout(&format!("{id}\n"))?;
    eprintln!("silenced {}: {}", describe(&made), made.reason);
    Ok(0)
}

/// One line for people: `3 playbook web, until 2026-06-01 20:00 +02:00 (or each check's first OK), by alice`
/// (local time with its offset).
fn describe(silence: &Silence) -> String {
    let (end, how) = silence.end();
    let end = crate::clock::local_display(end);
    let until_ok = if silence.until_ok {
        let released = silence.released.len();
        format!(" (or each check's first OK; {released} of {} released)", silence.matched.len())
    } else {
        String::new()
    };
    let now = crate::clock::now_ms();
    let when = if silence.in_force(now) { format!("until {end}{until_ok}") } else { format!("ended {end} ({how})") };
    format!("{} {}, {when}, by {}", silence.id, silence.scope(), silence.maker)
}

fn list(dir: &std::path::Path, expired: bool, format: ValidateFormat) -> crate::error::Result<i32> {
    let silences = match crate::store::open_read_only(dir)? {
        Some(store) => store.silences(crate::clock::now_ms(), expired)?,
        None => Vec::new(),
    };
    if format == ValidateFormat::Json {
        let silences: Vec<serde_json::Value> = silences.iter().map(with_rfc3339).collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "silences": silences }))
            .map_err(|e| Error::Internal(e.to_string()))?;
        super::print_stdout(&format!("{text}\n"))?;
        return Ok(0);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if silences.is_empty() {
        let _ = writeln!(out, "{}", if expired { "no silence has ended" } else { "no silence in force" });
    }
    for silence in &silences {
        let _ = writeln!(out, "{}: {}", describe(silence), silence.reason);
    }
    Ok(0)
}

/// A silence as JSON: its epoch fields, and beside them the same instants in RFC 3339
/// (`created`, `expires`, `ended`; `ended` is null while it is in force).
fn with_rfc3339(silence: &Silence) -> serde_json::Value {
    let mut value = serde_json::to_value(silence).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("created".into(), crate::clock::rfc3339(silence.created_ms).into());
        object.insert("expires".into(), crate::clock::rfc3339(silence.expires_ms).into());
        object.insert("ended".into(), silence.ended_ms.and_then(crate::clock::rfc3339).into());
    }
    value
}

fn expire(dir: &std::path::Path, id: &str) -> crate::error::Result<i32> {
    let Ok(number) = id.trim().parse::<i64>() else {
        return Err(Error::Usage(format!("`{id}` is not a silence id (a number, from `runner silence list`)")));
    };
    let Some(store) = crate::store::open_read_only(dir)? else {
        return Err(Error::Usage(format!("no silence {number}: none has been made (store {})", dir.display())));
    };
    drop(store);
    let store = crate::store::open(dir)?;
    let Some(found) = store.silence(number)? else {
        return Err(Error::Usage(format!("no silence {number}; `runner silence list` shows those in force")));
    };
    let now = crate::clock::now_ms();
    if store.expire_silence(number, now, &format!("expired by {}", maker()))? {
        super::print_stdout(&format!("silence {number} ended ({}: {})\n", found.scope(), found.reason))?;
    } else {
        super::print_stdout(&format!("silence {number} had already ended: {}\n", describe(&found)))?;
    }
    Ok(0)
}
