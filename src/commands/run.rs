//! `runner run PLAYBOOK`: one run through the same pipeline as the daemon; the exit code
//! is the run's status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), or 65/74/75/70.

use std::io::Write;
use std::sync::Arc;

use crate::cli::{Cli, RunArgs, RunFormat};
use crate::engine::{DEFAULT_CONCURRENCY, RunOptions, Selection};
use crate::error::Error;
use crate::observer::Observer;
use crate::outcome::Origin;
use crate::output;
use crate::pipeline::{LockPolicy, Services, StateConfig, Turn};
use crate::playbook::load::{LoadOptions, load_file};
use crate::playbook::{Diagnostic, Loaded};
use crate::style::Style;

/// Loads a playbook for running: unreadable is `Err(Read)` (74); invalid prints its
/// diagnostics to stderr and is `Err(InvalidPlaybook)` (65).
pub fn load_for_run(path: &std::path::Path) -> Result<Loaded, Error> {
    let report =
        load_file(path, &LoadOptions::default()).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    report.into_loaded(false).map_err(|report| refuse_invalid(path, &report))
}

/// Prints an invalid playbook's errors to stderr (secrets scrubbed) and returns the
/// error that says so (65).
pub fn refuse_invalid(path: &std::path::Path, report: &crate::playbook::load::FileReport) -> Error {
    let style = Style::for_stderr();
    let errors: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    for diagnostic in &errors {
        eprint!("{}", crate::secret::scrub(&diagnostic.render(&report.display_path(), &report.source, style)));
    }
    Error::InvalidPlaybook { path: path.to_path_buf(), errors: errors.len() }
}

/// `--check`, `--phase` and `--tags` name ids and tags of this playbook: a typo must not
/// pass as an empty, green run in CI.
fn check_selection(loaded: &Loaded, args: &RunArgs) -> Result<(), Error> {
    check_ids_exist(loaded, args)?;
    check_tags_exist(loaded, &args.tags)
}

/// At least one of the `--tags` is carried by a check (its own or the playbook's tags).
/// (The daemon's `--tags` may match nothing: there tags pick playbooks among many.)
fn check_tags_exist(loaded: &Loaded, wanted: &[String]) -> Result<(), Error> {
    let playbook = &loaded.playbook;
    let mut known: Vec<String> = Vec::new();
    for (_, check) in playbook.all_checks() {
        for tag in playbook.check_tags(check) {
            if !known.contains(&tag) {
                known.push(tag);
            }
        }
    }
    if wanted.is_empty() || wanted.iter().any(|tag| known.contains(tag)) {
        return Ok(());
    }
    let mut message = format!("--tags {}: no check of playbook `{}` has ", wanted.join(","), playbook.name.as_str());
    message.push_str(if wanted.len() == 1 { "this tag" } else { "any of these tags" });
    if known.is_empty() {
        message.push_str(" (it has no tags)");
    } else {
        known.sort();
        message.push_str(&format!(" (its tags: {})", known.join(", ")));
    }
    Err(Error::Usage(message))
}

fn check_ids_exist(loaded: &Loaded, args: &RunArgs) -> Result<(), Error> {
    let playbook = &loaded.playbook;
    let check_ids: Vec<&str> = playbook.all_checks().into_iter().map(|(_, check)| check.id.as_str()).collect();
    let phase_ids: Vec<&str> = playbook.phases.as_deref().unwrap_or_default().iter().map(|p| p.id.as_str()).collect();
    for (flag, wanted, known) in [("--check", &args.checks, &check_ids), ("--phase", &args.phases, &phase_ids)] {
        for id in wanted {
            if known.contains(&id.as_str()) {
                continue;
            }
            let what = if flag == "--check" { "check" } else { "phase" };
            let mut message = format!("{flag} {id}: playbook `{}` has no {what} `{id}`", playbook.name.as_str());
            match crate::playbook::suggest::did_you_mean(id, known.iter().copied()) {
                Some(close) => message.push_str(&format!(" (did you mean `{close}`?)")),
                None if known.is_empty() => message.push_str(&format!(" (it has no {what}s)")),
                None => message.push_str(&format!(" (its {what}s: {})", known.join(", "))),
            }
            return Err(Error::Usage(message));
        }
    }
    Ok(())
}

/// The state folder from `--state` / `RUNNER_STATE`, or the default.
pub fn state_dir(cli_state: Option<&std::path::Path>) -> std::path::PathBuf {
    cli_state.map(|p| p.to_path_buf()).unwrap_or_else(crate::store::default_dir)
}

/// A manual run of a `run_on: one-host` playbook on a shared store takes the same lease as
/// the daemons' fires (PLAYBOOK.md, "Fleet"): refused (exit 75) while another host holds a
/// fire of it. Called inside the run's runtime, which renews the lease while the run lasts.
fn claim_one_host_run(
    services: &Services,
    loaded: &crate::playbook::Loaded,
) -> crate::error::Result<Option<crate::schedule::claim::Lease>> {
    use crate::schedule::claim;
    let (Some(store), Some(grace)) = (services.store.as_ref(), claim::one_host_grace(loaded)) else {
        return Ok(None);
    };
    let name = loaded.playbook.name.as_str();
    match claim::claim(store, name, crate::clock::now(), &crate::host::id(), claim::lease_for(grace))? {
        claim::Taken::Mine(lease) => Ok(Some(lease)),
        claim::Taken::Elsewhere { holder, .. } => Err(Error::HeldElsewhere { name: name.to_string(), host: holder }),
    }
}

pub fn run(cli: &Cli, args: &RunArgs) -> crate::error::Result<i32> {
    let _ = crate::logging::init(&crate::logging::LogOptions {
        verbose: cli.verbose,
        quiet: cli.quiet,
        default_level: "warn",
        json: false,
        file: None,
    });
    let loaded = Arc::new(load_for_run(&args.playbook)?);
    check_selection(&loaded, args)?;
    let state = StateConfig { dir: state_dir(cli.state.as_deref()), no_store: args.no_store };

    let services = Services::open(&state, args.dry_run)?;
    // One run of a playbook at a time, by hand or from the daemon. Without a state folder
    // (--no-store on a read-only machine) there is nothing to lock.
    // A dry run changes nothing, so it neither takes nor waits for the lock.
    let policy = if args.dry_run {
        LockPolicy::Unlocked
    } else if args.no_store {
        LockPolicy::FailIfHeldElseUnlocked
    } else {
        LockPolicy::FailIfHeld
    };
    let turn = Turn::take(&services, loaded.playbook.name.as_str(), policy)?;

    let human_to_terminal = args.format == RunFormat::Human || args.output.is_some();
    let total = count_selected(&loaded, args);
    let progress = human_to_terminal.then(|| output::progress::Progress::start(total));
    let options = RunOptions {
        selection: Selection { phases: args.phases.clone(), checks: args.checks.clone(), tags: args.tags.clone() },
        dry_run: args.dry_run,
        no_remediate: args.no_remediate,
        concurrency: args.concurrency.map(|n| n as usize).unwrap_or(DEFAULT_CONCURRENCY),
        origin: Origin::Manual,
        observer: progress.clone().map(|p| p as Arc<dyn Observer>),
        ..RunOptions::default()
    };

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
    let fleet_lease = match args.dry_run {
        true => None,
        false => runtime.block_on(async { claim_one_host_run(&services, &loaded) })?,
    };
    let record = runtime.block_on(async {
        // SIGTERM (a service manager, `kill`, `timeout(1)`) ends the run as Ctrl-C does:
        // with its process groups, not leaving them behind.
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => signal.recv().await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            record = turn.run(loaded.clone(), options) => Ok(record),
            _ = tokio::signal::ctrl_c() => Err(130),
            _ = terminate => Err(143),
        }
    });
    if record.is_err() {
        // Stopped while notifications were in flight: they finish (or time out) first,
        // so that a stop never makes a receiver get a message twice.
        runtime.block_on(crate::alert::outbox::settle());
    }
    if let Some(lease) = fleet_lease {
        lease.finish();
    }
    if let Some(progress) = &progress {
        progress.finish();
    }
    drop(progress);
    // Dropping the runtime cancels whatever still runs (and kills its process groups).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    crate::process_group::finish_pending_kills();
    let record = match record {
        Ok(record) => record,
        Err(code) => {
            // Recorded now, not at the next start: `history` never shows it running.
            // (The turn is still held: no other run of this playbook is live.)
            if !args.dry_run
                && let Err(error) = turn.record_interrupted()
            {
                eprintln!("the interrupted run could not be recorded: {error}");
            }
            eprintln!("interrupted: the run was cancelled and its processes ended");
            return Ok(code);
        }
    };
    // The run stands; that it was not kept is said here too, not only in the output.
    if let Some(reason) = services.backlog.health().problem {
        eprintln!("runner: the run could not be stored: {reason}");
    }

    let mut record = record;
    let stdout_style = Style::for_stdout();
    let shown = match &args.output {
        Some(path) => match crate::write::write_output(path, &output::render(args.format, Style::plain(), &record)) {
            Ok(()) => output::render(RunFormat::Human, stdout_style, &record),
            // Under --format nagios every exit is a plugin's: the reader gets the run's status
            // line, with the failure as a note, and the run's code.
            Err(error) if args.format == RunFormat::Nagios => {
                eprintln!("runner: {error}");
                record.notes.push(error.to_string());
                output::render(RunFormat::Nagios, stdout_style, &record)
            }
            Err(error) => return Err(error),
        },
        None => output::render(args.format, stdout_style, &record),
    };
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_all(shown.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("runner: cannot write the output to stdout: {error}");
    }
    Ok(record.exit_code)
}

fn count_selected(loaded: &Loaded, args: &RunArgs) -> usize {
    loaded
        .playbook
        .all_checks()
        .iter()
        .filter(|(phase, check)| {
            (args.phases.is_empty() || phase.is_some_and(|p| args.phases.iter().any(|id| id == p.id.as_str())))
                && (args.checks.is_empty() || args.checks.iter().any(|id| id == check.id.as_str()))
        })
        .count()
}
