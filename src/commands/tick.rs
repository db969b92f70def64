//! `runner tick [PATH...]`: what a per-minute crontab line calls. For each scheduled
//! playbook it reads the last fire persisted in the store, asks the daemon's planner
//! ([`schedule::tick`](crate::schedule::tick)) what fell due since, runs that through the
//! same pipeline as the daemon, records the misses, and persists the new last fire; then
//! it delivers the notifications still due, and exits.
//!
//! Safe to call every minute forever:
//! - the first tick of a playbook records "now" and runs nothing from before it was
//!   installed (as the daemon does with a playbook it has never seen);
//! - the last fire moves by compare-and-set, so two ticks never handle the same fire;
//! - deciding takes no lock; only a tick with a run to make takes the playbook's lock,
//!   after winning the compare-and-set, so a tick with nothing due touches no lock;
//! - the playbook's lock is the daemon's and `runner run`'s: a run still in progress (the
//!   previous minute's tick, a manual run) is `overlap`'s case — `skip` records a miss,
//!   `queue` lets one tick wait for the lock;
//! - the exit code is 0 whatever the checks found (failures are alerts, not cron mail);
//!   only tick's own failures change it: 65 when a playbook is invalid (the others still
//!   ran), 74 when a path or the store cannot be read or written; 143/130 when SIGTERM or
//!   Ctrl-C ended it (its runs' process groups with it, recorded as interrupted later).
//!
//! A tick that has nothing to do prints nothing, so its log file grows only with runs,
//! misses and problems.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use crate::cli::{Cli, TickArgs};
use crate::engine::RunOptions;
use crate::error::{Error, exit};
use crate::outcome::Origin;
use crate::pipeline::{self, DrainScope, LockPolicy, QueuePlace, Services, StateConfig, Turn};
use crate::playbook::Loaded;
use crate::schedule::plan::{self, Decision};
use crate::store::Store;

/// A run this tick makes.
struct Due {
    loaded: Arc<Loaded>,
    fire: Timestamp,
    stands_for: u32,
    turn: Place,
}

/// How the run gets its turn.
enum Place {
    /// The playbook's turn is held: run now.
    Now(Turn),
    /// Another process runs the playbook and `overlap: queue` lets this tick wait: the
    /// queue place is held; the turn is taken when it frees.
    Queued(QueuePlace),
}

/// What went wrong with tick itself, for the exit code.
#[derive(Default)]
struct Trouble {
    invalid: bool,
    io: bool,
}

impl Trouble {
    fn exit_code(&self) -> i32 {
        if self.io {
            exit::IO
        } else if self.invalid {
            exit::DATA
        } else {
            exit::OK
        }
    }

    fn note(&mut self, error: &Error) {
        tracing::error!(target: "runner::tick", %error);
        match error.exit_code() {
            exit::DATA => self.invalid = true,
            _ => self.io = true,
        }
    }
}

pub fn run(cli: &Cli, args: &TickArgs) -> crate::error::Result<i32> {
    crate::logging::init(&crate::logging::LogOptions {
        verbose: cli.verbose,
        quiet: cli.quiet,
        default_level: "info",
        json: false,
        file: None,
    })?;
    let mut trouble = Trouble::default();
    let playbooks = load_all(&args.paths, &mut trouble);
    let state_dir = super::run::state_dir(cli.state.as_deref());
    let services = Services::open(&StateConfig { dir: state_dir, no_store: false }, false)?;
    let store = services.store.clone().ok_or_else(|| Error::Internal("tick opened no store".into()))?;
    let now = crate::clock::now();
    let host = crate::schedule::daemon::hostname();
    let mut due = Vec::new();
    for loaded in &playbooks {
        match decide(loaded, &services, store.as_ref(), &host, now) {
            Ok(found) => due.extend(found),
            Err(error) => trouble.note(&error),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
    let interrupted = runtime.block_on(async {
        let mut runs = tokio::task::JoinSet::new();
        for run in due {
            runs.spawn(run_due(run));
        }
        let all_done = async {
            while let Some(finished) = runs.join_next().await {
                if let Ok(Err(error)) = finished {
                    trouble.note(&error);
                }
            }
        };
        // SIGTERM or Ctrl-C ends the runs as `runner run` does: with their process groups.
        tokio::select! {
            () = all_done => {}
            code = stop_signal() => return Some(code),
        }
        // The notifications still due for these playbooks (earlier failures whose retry
        // time came), within the same budget as `runner run`.
        let names = playbooks.iter().map(|p| p.playbook.name.to_string()).collect();
        pipeline::drain_outbox(&services, &playbooks, DrainScope::Playbooks(names), pipeline::DELIVERY_BUDGET).await;
        None
    });
    // Dropping the runtime cancels what still runs (and kills its process groups).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    crate::process_group::finish_pending_kills();
    Ok(interrupted.unwrap_or_else(|| trouble.exit_code()))
}

/// Waits for SIGTERM (143) or SIGINT (130) and returns the exit code it means.
async fn stop_signal() -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
            _ = terminate.recv() => 143,
            _ = interrupt.recv() => 130,
        },
        _ => std::future::pending().await,
    }
}

/// Every valid playbook under `paths`, once per name (as the daemon, the first file wins).
fn load_all(paths: &[std::path::PathBuf], trouble: &mut Trouble) -> Vec<Arc<Loaded>> {
    let (files, errors) = crate::playbook::discover::playbook_files(paths);
    for error in &errors {
        trouble.note(error);
    }
    let mut names = BTreeSet::new();
    let mut playbooks = Vec::new();
    for file in files {
        match super::run::load_for_run(&file) {
            Ok(loaded) if !names.insert(loaded.playbook.name.to_string()) => trouble.note(&Error::InvalidInput(
                format!("{}: playbook name `{}` is already used by another file", file.display(), loaded.playbook.name),
            )),
            Ok(loaded) => playbooks.push(Arc::new(loaded)),
            Err(error) => trouble.note(&error),
        }
    }
    playbooks
}

/// One playbook's tick: ask the planner, claim the fires by compare-and-set on the last
/// fire, and only then, when a run is due, take its lock (or see who has it). Deciding
/// holds no lock: a lock taken just to decide would look like a run in progress to a
/// concurrent tick (a false `overlap` miss, and a fire that nobody runs) and to a manual
/// `runner run` ("already running"). Persists the last fire and the misses; returns the
/// run to make, if any.
fn decide(
    loaded: &Arc<Loaded>,
    services: &Services,
    store: &dyn Store,
    host: &str,
    now: Timestamp,
) -> Result<Option<Due>, Error> {
    let name = loaded.playbook.name.as_str();
    let Some(schedule) = plan::schedule_of(loaded, host) else { return Ok(None) };
    // Decide, and move the last fire, without any lock: a tick that finds nothing due
    // touches no lock (a manual run then is never refused), and two ticks racing for a
    // fire are settled by the compare-and-set below, never by the lock.
    let last_fire = store.last_fire(name)?.and_then(|ms| Timestamp::from_millisecond(ms).ok());
    let mut plan = crate::schedule::tick::decide(schedule.clone(), last_fire, false, now);
    let Some(new_last) = plan.last_fire.filter(|new| Some(*new) != last_fire) else { return Ok(None) };
    if !store.advance_last_fire(name, last_fire.map(|t| t.as_millisecond()), new_last.as_millisecond())? {
        tracing::debug!(target: "runner::tick", playbook = name, "another tick handled these fires");
        return Ok(None);
    }
    if last_fire.is_none() {
        tracing::info!(target: "runner::tick", playbook = name, from = %new_last, "first tick: fires count from now");
    }
    let mut turn = None;
    if plan.decisions.iter().any(|d| matches!(d, Decision::Run { .. })) {
        match Turn::take(services, name, LockPolicy::FailIfHeld) {
            Ok(taken) => {
                // Placeholders left `running` by a tick that was killed.
                taken.record_interrupted()?;
                turn = Some(taken);
            }
            // A run really is in progress: the same fires, decided by `overlap`.
            Err(Error::Locked { .. }) => plan = crate::schedule::tick::decide(schedule, last_fire, true, now),
            Err(error) => return Err(error),
        }
    }
    let mut misses = Vec::new();
    let mut due = None;
    for decision in plan.decisions {
        match decision {
            Decision::Run { fire, stands_for } => {
                let turn = turn.take().ok_or_else(|| Error::Internal("a run was planned without the lock".into()))?;
                due = Some(Due { loaded: loaded.clone(), fire, stands_for, turn: Place::Now(turn) });
            }
            Decision::Queue { fire, stands_for } => match QueuePlace::take(services, name) {
                Ok(place) => due = Some(Due { loaded: loaded.clone(), fire, stands_for, turn: Place::Queued(place) }),
                Err(Error::Locked { .. }) => misses.push((fire, plan::MissReason::Overlap, std::time::Duration::ZERO)),
                Err(error) => return Err(error),
            },
            Decision::Miss { fire, reason, late_by } => misses.push((fire, reason, late_by)),
        }
    }
    for (fire, reason, late_by) in &misses {
        tracing::warn!(target: "runner::tick", playbook = name, %fire, reason = reason.name(), late_ms = late_by.as_millis() as u64, "missed fire");
    }
    let rows: Vec<(i64, &str)> =
        misses.iter().map(|(fire, reason, _)| (fire.as_millisecond(), reason.name())).collect();
    store.record_misses(name, &rows)?;
    Ok(due)
}

/// Makes one run through the pipeline, in the playbook's turn (waiting for it first
/// when the run was queued).
async fn run_due(due: Due) -> Result<(), Error> {
    let name = due.loaded.playbook.name.to_string();
    let turn = match due.turn {
        Place::Now(turn) => turn,
        Place::Queued(place) => {
            tracing::info!(target: "runner::tick", playbook = %name, fire = %due.fire, "still running: waiting for it to end (overlap: queue)");
            place.wait().await?
        }
    };
    tracing::info!(target: "runner::tick", playbook = %name, fire = %due.fire, stands_for = due.stands_for, "run");
    let options = RunOptions {
        origin: Origin::Daemon,
        scheduled_for: Some(due.fire),
        stands_for: Some(due.stands_for),
        ..RunOptions::default()
    };
    let record = turn.run(due.loaded, options).await;
    tracing::info!(target: "runner::tick", playbook = %name, status = %record.status, duration_ms = record.duration_ms, "run finished");
    Ok(())
}
