//! The engine: one run of one playbook, from a loaded playbook to a [`RunRecord`].
//!
//! Phases run in order (a playbook with top-level `checks` is one implicit phase); in each
//! phase the actions run in order, then the checks run concurrently, bounded by
//! `--concurrency`, each waiting for the checks it `needs`. A failed phase with
//! `on_failure: stop` skips the rest. The whole run is bounded by the playbook's timeout;
//! when it fires, whatever is still running is cancelled (process groups killed) and
//! reported as ended by the timeout.
//!
//! The engine does not store, alert, report or print: those are views of the record it
//! returns (`pipeline`).

pub mod action;
pub mod check;
pub mod context;
pub mod journal;
pub mod remediation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use self::check::CheckRun;
use self::context::Engine;
use crate::observer::Observer;
use crate::outcome::{
    ActionResult, ActionStatus, CheckResult, Origin, PhaseResult, RunRecord, Status, Summary, worst_of,
};
use crate::playbook::{Check, Loaded, OnFailure, Phase};

/// The default number of checks that run at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Which part of a playbook runs (`--phase`, `--check`, `--tags`).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub phases: Vec<String>,
    pub checks: Vec<String>,
    pub tags: Vec<String>,
}

impl Selection {
    pub fn is_everything(&self) -> bool {
        self.phases.is_empty() && self.checks.is_empty() && self.tags.is_empty()
    }

    fn phase(&self, phase: Option<&Phase>) -> bool {
        self.phases.is_empty() || phase.is_some_and(|p| self.phases.iter().any(|id| id == p.id.as_str()))
    }

    fn check(&self, loaded: &Loaded, phase: Option<&Phase>, check: &Check) -> bool {
        if !self.phase(phase) {
            return false;
        }
        if !self.checks.is_empty() && !self.checks.iter().any(|id| id == check.id.as_str()) {
            return false;
        }
        if !self.tags.is_empty() {
            let tags = loaded.playbook.check_tags(check);
            if !self.tags.iter().any(|t| tags.contains(t)) {
                return false;
            }
        }
        true
    }

    /// Actions run when a whole phase is asked for, not when single checks or tags are.
    fn runs_actions(&self) -> bool {
        self.checks.is_empty() && self.tags.is_empty()
    }
}

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    pub selection: Selection,
    /// Checks observe; actions and remediations are planned, not run.
    pub dry_run: bool,
    pub no_remediate: bool,
    pub concurrency: usize,
    pub origin: Origin,
    /// The schedule's period, which bounds the default run timeout.
    pub period: Option<Duration>,
    pub observer: Option<Arc<dyn Observer>>,
    /// The run's id, when the caller needs it before the run starts (the daemon's
    /// placeholder row); a new one otherwise.
    pub run_id: Option<String>,
    /// For the daemon: the fire this run is for, and how many fires it stands for.
    pub scheduled_for: Option<jiff::Timestamp>,
    pub stands_for: Option<u32>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            selection: Selection::default(),
            dry_run: false,
            no_remediate: false,
            concurrency: DEFAULT_CONCURRENCY,
            origin: Origin::Manual,
            period: None,
            observer: None,
            run_id: None,
            scheduled_for: None,
            stands_for: None,
        }
    }
}

/// A check the run will execute: where it is and where its result goes.
#[derive(Clone, Copy)]
struct Planned {
    phase: Option<usize>,
    index: usize,
    slot: usize,
}

/// What a run has produced so far (kept outside the run's future so that a timeout does
/// not lose the results already in).
#[derive(Default)]
struct Collected {
    checks: Vec<Option<CheckResult>>,
    phases: Vec<PhaseResult>,
    /// The quiet-time notes of the checks (a stale dependency ignored), `ID: note`: on the
    /// run's notes too, so that every view shows them, not only the JSON details.
    quiet_notes: Vec<String>,
}

struct Shared {
    loaded: Arc<Loaded>,
    engine: Arc<Engine>,
    options: RunOptions,
    collected: Mutex<Collected>,
    permits: Semaphore,
    plan: Vec<Planned>,
    /// When runner itself acted lately (its restarts are not crashes).
    runner_intervals: Vec<crate::checks::restarts::Interval>,
    /// The silences in force when the run started, and this host's id (they match on it).
    silences: Vec<crate::quiet::silence::Silence>,
    host: String,
    /// The load's quiet-time plan (windows planned, other playbooks' periods).
    quiet: Arc<crate::quiet::plan::Plan>,
}

impl Shared {
    fn check(&self, planned: Planned) -> (Option<&Phase>, &Check) {
        let playbook = &self.loaded.playbook;
        match planned.phase {
            Some(p) => {
                let phase = &playbook.phases.as_ref().expect("planned from phases")[p];
                (Some(phase), &phase.checks.as_ref().expect("planned from checks")[planned.index])
            }
            None => (None, &playbook.checks.as_ref().expect("planned from checks")[planned.index]),
        }
    }

    /// Keeps a check's quiet-time notes for the run's notes.
    fn note(&self, check: &str, notes: &[String]) {
        if notes.is_empty() {
            return;
        }
        let mut collected = self.collected.lock().unwrap_or_else(|p| p.into_inner());
        collected.quiet_notes.extend(notes.iter().map(|note| format!("{check}: {note}")));
    }

    /// The result of check `id` in this run so far, as `depends_on` judges it.
    fn this_run(&self, id: &str) -> Option<crate::quiet::dependency::ThisRun> {
        let planned = self.plan.iter().find(|p| self.check(**p).1.id.as_str() == id)?;
        let collected = self.collected.lock().ok()?;
        let result = collected.checks[planned.slot].as_ref()?;
        Some(crate::quiet::dependency::ThisRun { status: result.status, held: !result.holds.is_empty() })
    }

    fn store(&self, slot: usize, result: CheckResult) {
        if let Some(observer) = &self.options.observer {
            observer.check_finished(&result);
        }
        if let Ok(mut collected) = self.collected.lock() {
            collected.checks[slot] = Some(result);
        }
    }
}

/// A new run id: time-ordered and unique (milliseconds, then random bits).
pub fn new_run_id() -> String {
    let now = crate::clock::now();
    let mut random = [0u8; 5];
    let _ = getrandom(&mut random);
    let tail: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{tail}", now.strftime("%Y%m%dT%H%M%S%3fZ"))
}

fn getrandom(buffer: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buffer)
}

/// Runs a playbook once.
pub async fn run(loaded: Arc<Loaded>, engine: Arc<Engine>, options: RunOptions) -> RunRecord {
    let started_at = crate::clock::now();
    let clock = Instant::now();
    let playbook = &loaded.playbook;

    let mut plan = Vec::new();
    if let Some(checks) = &playbook.checks {
        for (index, check) in checks.iter().enumerate() {
            if options.selection.check(&loaded, None, check) {
                plan.push(Planned { phase: None, index, slot: plan.len() });
            }
        }
    }
    for (p, phase) in playbook.phases.iter().flatten().enumerate() {
        for (index, check) in phase.checks.iter().flatten().enumerate() {
            if options.selection.check(&loaded, Some(phase), check) {
                plan.push(Planned { phase: Some(p), index, slot: plan.len() });
            }
        }
    }
    let run_timeout = playbook.run_timeout(options.period);
    let mut options = options;
    options.run_id = Some(options.run_id.clone().unwrap_or_else(new_run_id));
    let runner_intervals = match engine.journal.clone() {
        Some(journal) => {
            let since = started_at.as_millisecond() - 7 * 86_400_000;
            tokio::task::spawn_blocking(move || journal.runner_intervals(since)).await.unwrap_or_default()
        }
        None => Vec::new(),
    };
    let silences = match engine.silences.clone() {
        Some(store) => {
            let now = started_at.as_millisecond();
            match tokio::task::spawn_blocking(move || store.silences(now, false)).await {
                Ok(Ok(silences)) => silences,
                Ok(Err(error)) => {
                    // Nothing is silenced then: a message too many beats one lost.
                    tracing::warn!(target: "runner::quiet", %error, "cannot read the silences; none applies to this run");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    // Made once per load (the first run may read the folder for other playbooks' periods).
    let quiet = {
        let loaded = loaded.clone();
        tokio::task::spawn_blocking(move || loaded.quiet_plan()).await.unwrap_or_default()
    };
    let shared = Arc::new(Shared {
        runner_intervals,
        silences,
        quiet,
        host: crate::host::id(),
        collected: Mutex::new(Collected {
            checks: vec![None; plan.len()],
            phases: Vec::new(),
            quiet_notes: Vec::new(),
        }),
        permits: Semaphore::new(options.concurrency.max(1)),
        plan,
        loaded: loaded.clone(),
        engine,
        options,
    });

    let timed_out = tokio::time::timeout(run_timeout, execute(shared.clone())).await.is_err();

    // Whatever did not finish was ended by the run's timeout.
    let mut collected = std::mem::take(&mut *shared.collected.lock().unwrap_or_else(|p| p.into_inner()));
    for planned in &shared.plan {
        if collected.checks[planned.slot].is_none() {
            let (phase, check) = shared.check(*planned);
            let status = if timed_out { playbook.check_severity(check).status() } else { Status::Unknown };
            let run = CheckRun { engine: &shared.engine, loaded: &loaded, phase, check, runner_intervals: Vec::new() };
            let message = if timed_out {
                format!("the run's timeout ({}) ended this check", crate::duration::format(run_timeout))
            } else {
                "the check did not run".to_string()
            };
            collected.checks[planned.slot] = Some(run.not_run(status, message));
        }
    }
    let checks: Vec<CheckResult> = collected.checks.into_iter().flatten().collect();
    let mut quiet_notes = collected.quiet_notes;
    quiet_notes.sort();
    let mut phases = collected.phases;
    if timed_out {
        // Phases that never reported are listed as ended by the timeout.
        for phase in playbook.phases.iter().flatten() {
            if shared.options.selection.phase(Some(phase)) && !phases.iter().any(|p| p.id == phase.id.as_str()) {
                phases.push(PhaseResult {
                    id: phase.id.to_string(),
                    name: phase.display_name(),
                    status: Status::Critical,
                    actions: Vec::new(),
                    duration_ms: 0,
                    message: Some(format!("the run's timeout ({}) ended it", crate::duration::format(run_timeout))),
                });
            }
        }
    }
    let action_failure = phases.iter().any(|p| p.actions.iter().any(ActionResult::failed));
    let mut status = worst_of(checks.iter().map(|c| c.status));
    if action_failure || timed_out {
        status = status.worst(Status::Critical);
    }
    let finished_at = crate::clock::now();
    let mut notes = Vec::new();
    if timed_out {
        notes.push(format!("the run was ended by its timeout ({})", crate::duration::format(run_timeout)));
    }
    if checks.is_empty() && !shared.options.selection.is_everything() {
        notes.push("no check matches the selection (--phase/--check/--tags)".to_string());
    }
    notes.extend(quiet_notes);
    RunRecord {
        id: shared.options.run_id.clone().unwrap_or_else(new_run_id),
        playbook: playbook.name.to_string(),
        description: playbook.description.as_ref().map(|d| d.to_string()),
        file: loaded.path.display().to_string(),
        origin: shared.options.origin,
        started_at: started_at.to_string(),
        finished_at: finished_at.to_string(),
        duration_ms: clock.elapsed().as_millis() as u64,
        status,
        exit_code: status.exit_code(),
        dry_run: shared.options.dry_run,
        summary: Summary::of(&checks),
        phases,
        checks,
        stages: Vec::new(),
        notes,
        stands_for: shared.options.stands_for.filter(|n| *n > 1),
        scheduled_for: shared.options.scheduled_for.map(|t| t.to_string()),
        period_ms: shared.options.period.map(|p| u64::try_from(p.as_millis()).unwrap_or(u64::MAX)),
        decisions: Vec::new(),
    }
}

/// The phases, in order; top-level checks form one implicit phase.
async fn execute(shared: Arc<Shared>) {
    let playbook = &shared.loaded.playbook;
    let mut finished: HashMap<String, Status> = HashMap::new();
    if playbook.checks.is_some() {
        run_checks(&shared, None, &mut finished).await;
        return;
    }
    let phases = playbook.phases.as_deref().unwrap_or_default();
    let total = phases.len();
    let mut stopped_by: Option<String> = None;
    for (p, phase) in phases.iter().enumerate() {
        if !shared.options.selection.phase(Some(phase)) {
            continue;
        }
        let phase_clock = Instant::now();
        if let Some(reason) = &stopped_by {
            for planned in shared.plan.iter().filter(|x| x.phase == Some(p)) {
                let (_, check) = shared.check(*planned);
                let run = CheckRun {
                    engine: &shared.engine,
                    loaded: &shared.loaded,
                    phase: Some(phase),
                    check,
                    runner_intervals: Vec::new(),
                };
                shared.store(planned.slot, run.not_run(Status::Skipped, reason.clone()));
                finished.insert(check.id.to_string(), Status::Skipped);
            }
            push_phase(
                &shared,
                PhaseResult {
                    id: phase.id.to_string(),
                    name: phase.display_name(),
                    status: Status::Skipped,
                    actions: Vec::new(),
                    duration_ms: 0,
                    message: Some(reason.clone()),
                },
            );
            continue;
        }
        if let Some(observer) = &shared.options.observer {
            observer.phase_started(p, total, phase);
        }
        let actions = run_actions(&shared, phase).await;
        let action_failed = actions.iter().any(ActionResult::failed);
        let statuses = run_checks(&shared, Some(p), &mut finished).await;
        let worst = worst_of(statuses.iter().copied());
        let failed = action_failed || matches!(worst, Status::Critical | Status::Unknown);
        let status = if action_failed { worst.worst(Status::Critical) } else { worst };
        let message =
            actions.iter().find(|a| a.failed()).map(|a| format!("action `{}` failed: {}", a.action, a.message));
        push_phase(
            &shared,
            PhaseResult {
                id: phase.id.to_string(),
                name: phase.display_name(),
                status,
                actions,
                duration_ms: phase_clock.elapsed().as_millis() as u64,
                message,
            },
        );
        if failed && phase.on_failure.unwrap_or_default() == OnFailure::Stop {
            stopped_by = Some(format!("phase `{}` failed and has on_failure: stop", phase.id));
        }
    }
}

fn push_phase(shared: &Shared, result: PhaseResult) {
    if let Ok(mut collected) = shared.collected.lock() {
        collected.phases.push(result);
    }
}

async fn run_actions(shared: &Arc<Shared>, phase: &Phase) -> Vec<ActionResult> {
    let mut results = Vec::new();
    if !shared.options.selection.runs_actions() {
        return results;
    }
    let playbook = &shared.loaded.playbook;
    let mut failed = false;
    for action in phase.actions.iter().flatten() {
        let result = if shared.options.dry_run {
            action::planned(action, playbook)
        } else if failed {
            let mut skipped = action::planned(action, playbook);
            skipped.status = ActionStatus::Skipped;
            skipped.message = "not run: an earlier action failed".into();
            skipped
        } else {
            let started = crate::clock::now().as_millisecond();
            let result = action::run(action, playbook, &shared.loaded.base_dir, &shared.engine).await;
            // Runner acted: what this restarts is not a crash.
            if let Some(journal) = shared.engine.journal.clone() {
                let (name, what, finished) =
                    (playbook.name.to_string(), result.action.clone(), crate::clock::now().as_millisecond());
                let _ =
                    tokio::task::spawn_blocking(move || journal.record_action(&name, &what, started, finished)).await;
            }
            result
        };
        failed |= result.failed();
        if let Some(observer) = &shared.options.observer {
            observer.action_finished(&result);
        }
        results.push(result);
    }
    results
}

/// Runs the planned checks of one phase (or of the implicit one) concurrently; returns
/// their statuses and records them in `finished` for later phases' `needs`.
async fn run_checks(shared: &Arc<Shared>, phase: Option<usize>, finished: &mut HashMap<String, Status>) -> Vec<Status> {
    let planned: Vec<Planned> = shared.plan.iter().copied().filter(|p| p.phase == phase).collect();
    // One channel per check of this phase, for the `needs` of its siblings.
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for p in &planned {
        let (_, check) = shared.check(*p);
        let (tx, rx) = watch::channel(None::<Status>);
        senders.insert(check.id.to_string(), tx);
        receivers.insert(check.id.to_string(), rx);
    }
    let earlier = Arc::new(finished.clone());
    let receivers = Arc::new(receivers);
    let mut tasks = tokio::task::JoinSet::new();
    for p in planned.iter().copied() {
        let shared = shared.clone();
        let earlier = earlier.clone();
        let receivers = receivers.clone();
        let (_, check) = shared.check(p);
        let sender = senders.remove(check.id.as_str()).expect("one sender per check");
        tasks.spawn(async move {
            let (phase, check) = shared.check(p);
            let run = CheckRun {
                engine: &shared.engine,
                loaded: &shared.loaded,
                phase,
                check,
                runner_intervals: shared.runner_intervals.clone(),
            };
            let result = match wait_for_needs(check, &earlier, &receivers).await {
                Some(reason) => run.not_run(Status::Skipped, reason),
                None => {
                    wait_for_dependencies(&shared, check, &receivers).await;
                    let _permit = shared.permits.acquire().await;
                    if let Some(observer) = &shared.options.observer {
                        observer.check_started(check.id.as_str());
                    }
                    let result = run.execute().await;
                    // Quiet times, before remediation: they gate it (a window: it does
                    // not start; a failing dependency: it is held), and hold messages.
                    let (holds, notes) = check_holds(&shared, p).await;
                    let mut result = if shared.options.no_remediate {
                        result
                    } else {
                        let gate = crate::quiet::remediation_gate(&holds);
                        let mode = remediation::Mode { dry_run: shared.options.dry_run, origin: shared.options.origin };
                        let run_id = shared.options.run_id.clone().unwrap_or_default();
                        remediation::apply(&run, result, mode, &run_id, &gate).await
                    };
                    // On the result reported (a verified remediation reports its verify).
                    result.holds = holds;
                    shared.note(&result.id, &notes);
                    result.details.extend(notes);
                    release_silences(&shared, result).await
                }
            };
            let status = result.status;
            let id = result.id.clone();
            shared.store(p.slot, result);
            let _ = sender.send(Some(status));
            (id, status)
        });
    }
    let mut statuses = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((id, status)) = joined {
            finished.insert(id, status);
            statuses.push(status);
        }
    }
    statuses
}

/// Waits for the checks of this phase that `check` depends on (`depends_on`): they are
/// judged by their result in this run. Never skips: whatever they end with, `check` runs.
async fn wait_for_dependencies(
    shared: &Shared,
    check: &Check,
    siblings: &HashMap<String, watch::Receiver<Option<Status>>>,
) {
    let own = shared.loaded.playbook.name.as_str();
    for dependency in check.depends_on.iter().flatten().filter(|d| d.other_playbook(own).is_none()) {
        if let Some(receiver) = siblings.get(dependency.check.as_str()) {
            let _ = receiver.clone().wait_for(Option::is_some).await;
        }
    }
}

/// The engine's one quiet-time hook: the holds of a finished check (windows, silences,
/// then dependencies: `quiet::check_holds`), with the notes for its result. A check with
/// `depends_on` reads the store, so it is asked off the async threads; the others are
/// answered from memory (the load's plan, the run's silences).
async fn check_holds(shared: &Arc<Shared>, planned: Planned) -> (crate::quiet::Holds, Vec<String>) {
    fn ask(shared: &Shared, planned: Planned) -> (crate::quiet::Holds, Vec<String>) {
        let (_, check) = shared.check(planned);
        let run = crate::quiet::RunQuiet {
            plan: &shared.quiet,
            silences: &shared.silences,
            host: &shared.host,
            stored: shared.engine.results.as_deref(),
            own_period: shared.options.period,
        };
        crate::quiet::check_holds(&shared.loaded.playbook, check, &run, crate::clock::now(), |id| shared.this_run(id))
    }
    if shared.check(planned).1.depends_on.is_none() {
        return ask(shared, planned);
    }
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || ask(&shared, planned)).await.unwrap_or_default()
}

/// An OK result releases its check from the `--until-ok` silences holding it (its first
/// OK after they were made): it is not held by them, and the store remembers the release
/// (the silence ends when every check it matched is released). A dry run records nothing.
async fn release_silences(shared: &Shared, mut result: CheckResult) -> CheckResult {
    if result.status != Status::Ok || result.holds.is_empty() {
        return result;
    }
    let releasing: Vec<i64> = shared
        .silences
        .iter()
        .filter(|s| {
            s.until_ok
                && result
                    .holds
                    .iter()
                    .any(|h| matches!(h, crate::quiet::Hold::Silenced { id, .. } if *id == s.id.to_string()))
        })
        .map(|s| s.id)
        .collect();
    if releasing.is_empty() {
        return result;
    }
    let kept = result
        .holds
        .iter()
        .filter(
            |h| !matches!(h, crate::quiet::Hold::Silenced { id, .. } if releasing.iter().any(|r| r.to_string() == *id)),
        )
        .cloned()
        .collect();
    result.holds = crate::quiet::Holds::new(kept);
    if let (Some(store), false) = (shared.engine.silences.clone(), shared.options.dry_run) {
        let (playbook, check, now) =
            (shared.loaded.playbook.name.to_string(), result.id.clone(), crate::clock::now_ms());
        let _ = tokio::task::spawn_blocking(move || {
            for id in releasing {
                if let Err(error) = store.release_silence(id, &playbook, &check, now) {
                    tracing::warn!(target: "runner::quiet", %error, silence = id, "cannot record the release of a silence");
                }
            }
        })
        .await;
    }
    result
}

/// Waits for the checks `check` needs; `Some(reason)` when one of them is not OK.
async fn wait_for_needs(
    check: &Check,
    earlier: &HashMap<String, Status>,
    siblings: &HashMap<String, watch::Receiver<Option<Status>>>,
) -> Option<String> {
    for need in check.needs.iter().flatten() {
        let status = if let Some(status) = earlier.get(need.as_str()) {
            *status
        } else if let Some(receiver) = siblings.get(need.as_str()) {
            let mut receiver = receiver.clone();
            match receiver.wait_for(Option::is_some).await {
                Ok(value) => value.expect("waited for Some"),
                Err(_) => Status::Unknown,
            }
        } else {
            // Not selected in this run (--check/--tags): nothing to wait for.
            continue;
        };
        if status != Status::Ok {
            return Some(format!("needs `{need}`, which is {status}"));
        }
    }
    None
}
