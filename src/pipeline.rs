//! The one pipeline every run goes through, by hand, from `runner tick` or from the
//! daemon: take the playbook's lock (as the caller's [`LockPolicy`] says), know the
//! schedule's period, run the engine, then record, report, alert and drain the outbox.
//! Nothing of that path is done twice or differently between `runner run`, `runner
//! tick` and the daemon: they are thin callers of [`Turn`] and [`drain_outbox`].
//!
//! It must not touch the command line (`commands`, `cli`) nor decide when a playbook is
//! due (`schedule`): callers bring the fire; the pipeline makes the run.
//!
//! Each stage after the engine is allowed to fail without losing the others: an
//! unwritable report folder still leaves the run stored and alerted, and a store that
//! cannot be written (a full or read-only disk) still leaves the run reported and its
//! notifications sent, directly. Such a run waits in the [`Backlog`] (the daemon's
//! memory; a `runner run` process ends with it) and is stored, once, when the store takes
//! writes again; the run's note and the daemon's health say why.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::context::Engine;
use crate::engine::{self, RunOptions};
use crate::error::Error;
use crate::lock::RunLock;
use crate::outcome::{RunRecord, StageResult, StageStatus};
use crate::playbook::Loaded;
use crate::probe::state::{MemoryState, ProbeState, ReadOnlyOverlay};
use crate::store::Store;
use crate::store::alerts::StateRow;
use crate::store::backlog::{Backlog, Unstored};

/// Where state lives for this process, if anywhere.
pub struct StateConfig {
    pub dir: PathBuf,
    /// `--no-store`: keep nothing, send nothing.
    pub no_store: bool,
}

/// The shared services of a process: the store (unless `--no-store`) and the engine.
#[derive(Clone)]
pub struct Services {
    pub store: Option<Arc<dyn Store>>,
    pub engine: Arc<Engine>,
    pub state_dir: PathBuf,
    /// Runs the store could not take yet, and the store's health.
    pub backlog: Arc<Backlog>,
}

impl Services {
    /// Opens the store (unless `no_store`) and builds the engine. A dry run reads the
    /// store and writes nothing to it. A store that cannot be opened for writing is
    /// opened degraded (see `store::open_or_degraded`): the runs go on.
    pub fn open(config: &StateConfig, dry_run: bool) -> Result<Services, Error> {
        // A dry run reads the store if there is one, and never creates or changes it.
        let store = match (config.no_store, dry_run) {
            (true, _) => None,
            (false, true) => crate::store::open_read_only(&config.dir)?,
            (false, false) => Some(crate::store::open_or_degraded(&config.dir)),
        };
        let state: Arc<dyn ProbeState> = match &store {
            None => Arc::new(MemoryState::default()),
            Some(store) if dry_run => Arc::new(ReadOnlyOverlay::new(store.clone())),
            Some(store) => store.clone(),
        };
        let mut engine = Engine::new(state);
        if let Some(store) = &store {
            engine.probes.history = Some(store.clone());
            engine.journal = Some(store.clone());
            engine.silences = Some(store.clone());
            engine.results = Some(store.clone());
            if !dry_run {
                engine.probes.groups = Some(store.clone());
            }
        }
        if !config.no_store {
            engine.lock_dir = Some(config.dir.clone());
        }
        Ok(Services {
            store,
            engine: Arc::new(engine),
            state_dir: config.dir.clone(),
            backlog: Arc::new(Backlog::default()),
        })
    }
}

/// What a caller does when another process runs the same playbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockPolicy {
    /// The run in progress wins: `Err(Locked)` (`runner run` exits 75; the daemon and
    /// tick record the fire as missed).
    FailIfHeld,
    /// As `FailIfHeld`, but a lock that cannot be taken at all (`--no-store` on a
    /// read-only machine: no state folder to lock in) lets the run go on unlocked.
    FailIfHeldElseUnlocked,
    /// Nothing will be changed (a dry run): no lock is taken nor waited for.
    Unlocked,
}

/// A playbook's turn to run: its lock, held until the turn is dropped. Every run goes
/// through [`Turn::run`]; a run ended from outside (a signal) is recorded by
/// [`Turn::record_interrupted`] while the turn is still held.
pub struct Turn {
    services: Services,
    playbook: String,
    _lock: Option<RunLock>,
}

impl Turn {
    /// Takes the turn of `playbook` now, as `policy` says.
    pub fn take(services: &Services, playbook: &str, policy: LockPolicy) -> Result<Turn, Error> {
        let taken = match policy {
            LockPolicy::Unlocked => None,
            LockPolicy::FailIfHeld | LockPolicy::FailIfHeldElseUnlocked => {
                Some(crate::lock::acquire(&services.state_dir, playbook))
            }
        };
        let lock = match (policy, taken) {
            (_, None) => None,
            (_, Some(Ok(lock))) => Some(lock),
            (_, Some(Err(error @ Error::Locked { .. }))) => return Err(error),
            (LockPolicy::FailIfHeldElseUnlocked, Some(Err(_))) => None,
            (_, Some(Err(error))) => return Err(error),
        };
        Ok(Turn { services: services.clone(), playbook: playbook.to_string(), _lock: lock })
    }

    /// Runs the playbook through the whole pipeline (see [`run`]), with the schedule's
    /// period bounding the default run timeout.
    pub async fn run(&self, loaded: Arc<Loaded>, options: RunOptions) -> RunRecord {
        debug_assert_eq!(loaded.playbook.name.as_str(), self.playbook, "a turn runs its own playbook");
        let options = RunOptions { period: schedule_period(&loaded), ..options };
        run(loaded, &self.services, options).await
    }

    /// Records the runs of this playbook left `running` (a run just ended from outside,
    /// or a process that died) as interrupted; how many.
    pub fn record_interrupted(&self) -> Result<usize, Error> {
        match &self.services.store {
            Some(store) => store.mark_interrupted(&self.playbook),
            None => Ok(0),
        }
    }

    /// What a process that died left behind: its process groups are ended and its runs
    /// recorded as interrupted; how many runs.
    pub fn recover_after_crash(&self) -> Result<usize, Error> {
        if let Some(store) = &self.services.store {
            crate::process_group::reap_orphans(store.as_ref(), &self.playbook);
        }
        self.record_interrupted()
    }
}

/// The one place in line behind a playbook's run in progress (`overlap: queue` across
/// processes): held until [`QueuePlace::wait`] turns it into the run's [`Turn`].
pub struct QueuePlace {
    services: Services,
    playbook: String,
    place: RunLock,
}

impl QueuePlace {
    /// Takes the playbook's queue place, or `Err(Locked)` when another process has it.
    pub fn take(services: &Services, playbook: &str) -> Result<QueuePlace, Error> {
        let place = crate::lock::acquire_queue_place(&services.state_dir, playbook)?;
        Ok(QueuePlace { services: services.clone(), playbook: playbook.to_string(), place })
    }

    /// Waits for the run in progress to end (it is bounded by its playbook's timeout),
    /// then gives the place up for the turn.
    pub async fn wait(self) -> Result<Turn, Error> {
        let state_dir = self.services.state_dir.clone();
        let wanted = self.playbook.clone();
        let lock = tokio::task::spawn_blocking(move || crate::lock::wait(&state_dir, &wanted))
            .await
            .map_err(Error::Task)??;
        drop(self.place);
        Ok(Turn { services: self.services, playbook: self.playbook, _lock: Some(lock) })
    }
}

/// The schedule's period, which caps the default run timeout.
pub(crate) fn schedule_period(loaded: &Loaded) -> Option<std::time::Duration> {
    let schedule = loaded.playbook.schedule.as_ref()?;
    let cron = crate::schedule::cron::parse(schedule.cron.as_str()).ok()?;
    let zone = crate::schedule::cron::timezone(schedule.timezone.as_ref().map(|t| t.as_str())).ok()?;
    crate::schedule::cron::period(&cron, &zone, crate::clock::now())
}

/// Which outbox messages a drain delivers.
pub enum DrainScope {
    /// Those of these playbooks (`runner tick`'s).
    Playbooks(Vec<String>),
    /// Every due message, whichever playbook or run queued it (the daemon).
    Everything,
}

/// Delivers the notifications still due in the store (earlier failures whose retry time
/// came), within `budget`. `playbooks` are those loaded here; a message of another
/// playbook is delivered by loading its recorded file.
pub async fn drain_outbox(
    services: &Services,
    playbooks: &[Arc<Loaded>],
    scope: DrainScope,
    budget: std::time::Duration,
) {
    let Some(store) = services.store.clone() else { return };
    // Groups whose window closed go first: their messages are claimed with the rest.
    let names = match &scope {
        DrainScope::Playbooks(names) => Some(names.clone()),
        DrainScope::Everything => None,
    };
    crate::alert::group::form(&store, playbooks, names, false).await;
    let claimed = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            let now = crate::store::now_ms();
            match scope {
                DrainScope::Playbooks(names) => store.claim_due(&names, now, CLAIM_LEASE_MS),
                DrainScope::Everything => store.claim_every_due(now, CLAIM_LEASE_MS),
            }
        })
        .await
    };
    if let Ok(Ok(due)) = claimed
        && !due.is_empty()
    {
        crate::alert::outbox::deliver(&store, &services.engine.probes.http, playbooks, due, budget).await;
    }
}

/// How long `runner run` spends delivering notifications before it exits; what is not
/// delivered by then stays queued for the next run or the daemon.
pub const DELIVERY_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a claimed message is reserved for the deliverer that claimed it.
pub const CLAIM_LEASE_MS: i64 = 60_000;

/// Runs a playbook through the whole pipeline; its [`Turn`] is held.
///
/// Order matters: the run and its alert decisions are committed first (one
/// transaction), then the report is written, then notifications are delivered. A failure
/// of a later stage never loses an earlier one.
async fn run(loaded: Arc<Loaded>, services: &Services, options: RunOptions) -> RunRecord {
    let dry_run = options.dry_run;
    let partial = !options.selection.is_everything();
    let mut options = options;
    let run_id = options.run_id.clone().unwrap_or_else(engine::new_run_id);
    options.run_id = Some(run_id.clone());
    // A placeholder row while the run is in progress: if the process dies, the next
    // start finds it and records the run as interrupted. Any older placeholder of this
    // playbook is such a leftover (the caller holds the playbook's lock), and so are the
    // process groups still recorded for it: they are ended.
    if let (Some(store), false) = (&services.store, dry_run) {
        let store = store.clone();
        let name = loaded.playbook.name.to_string();
        let origin = if options.origin == crate::outcome::Origin::Daemon { "daemon" } else { "manual" };
        let scheduled = options.scheduled_for.map(|t| t.as_millisecond());
        let begun = tokio::task::spawn_blocking(move || -> Result<usize, Error> {
            let interrupted = store.mark_interrupted(&name)?;
            crate::process_group::reap_orphans(store.as_ref(), &name);
            store.begin_run(&run_id, &name, origin, scheduled)?;
            Ok(interrupted)
        })
        .await;
        if let Ok(Ok(n)) = begun
            && n > 0
        {
            tracing::warn!(target: "runner::pipeline", playbook = %loaded.playbook.name, interrupted = n, "recorded earlier runs as interrupted");
        }
    }
    let mut record = engine::run(loaded.clone(), services.engine.clone(), options).await;

    // Record and decide.
    let mut decisions = crate::alert::Decisions::default();
    let mut unstored = None;
    match &services.store {
        Some(store) => match record_and_decide(store, &services.backlog, &record, &loaded, partial, dry_run).await {
            Recorded::Stored(d) => {
                record.decisions.clone_from(&d.rows);
                decisions = d;
            }
            Recorded::NotStored(d, reason) => {
                record.notes.push(format!("the run could not be stored: {reason}"));
                record.decisions.clone_from(&d.rows);
                unstored = Some((d.states.clone(), reason));
                decisions = d;
            }
            Recorded::Failed(reason) => record.notes.push(format!("the run could not be stored: {reason}")),
        },
        None if !dry_run => {
            record.notes.push("--no-store: no history or alert state is kept and no alert is sent".into())
        }
        None => {}
    }
    // The record as the store keeps it: without the stages that follow.
    let unstored = unstored.map(|(states, reason)| (record.clone(), states, reason));

    // Report.
    let ledger = services.store.as_ref().map(|s| s.as_ref() as &dyn crate::report::retention::Ledger);
    let uptime = match (&services.store, &loaded.playbook.report) {
        (Some(store), Some(_)) if !dry_run => {
            crate::report::uptime::context(store.as_ref(), loaded.playbook.name.as_str())
        }
        _ => None,
    };
    if let Some(stage) = crate::report::stage(&record, &loaded, dry_run, ledger, uptime.as_ref()) {
        record.stages.push(stage);
    }

    // Notify.
    let mut sent = Vec::new();
    if loaded.playbook.notify.is_some() {
        let deliveries = match (&unstored, &services.store) {
            (Some(_), _) => deliver_directly(&loaded, services, &decisions, &mut sent).await,
            (None, Some(store)) if !dry_run => deliver_queued(store, &record, &loaded, services).await,
            (None, _) => Vec::new(),
        };
        let stage = notify_stage(&loaded, services, &decisions, deliveries, dry_run);
        record.stages.push(stage);
    }
    if let Some((stored_record, states, reason)) = unstored {
        let messages = decisions.messages;
        services.backlog.keep(Unstored { record: stored_record, states, messages, sent }, &reason);
    }
    record
}

/// What became of a run's record and alert decisions.
enum Recorded {
    Stored(crate::alert::Decisions),
    /// Decided, but the store refused the run: (decisions, the reason).
    NotStored(crate::alert::Decisions, String),
    /// Nothing could be decided (the alert state cannot be read).
    Failed(String),
}

/// Decides the run's alerts on the stored alert state (with the backlog's laid over) and
/// commits both, after the runs that wait in the backlog.
async fn record_and_decide(
    store: &Arc<dyn Store>,
    backlog: &Arc<Backlog>,
    record: &RunRecord,
    loaded: &Arc<Loaded>,
    partial: bool,
    dry_run: bool,
) -> Recorded {
    let store = store.clone();
    let backlog = backlog.clone();
    let mut copy = record.clone();
    let playbook = loaded.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        let current: Vec<StateRow> = match backlog.alert_states(store.as_ref(), copy.playbook.as_str()) {
            Ok(current) => current,
            Err(error) => return Recorded::Failed(error.store_reason()),
        };
        let decisions = crate::alert::decide(&copy, &playbook, &current, partial, crate::store::now_ms());
        copy.decisions.clone_from(&decisions.rows);
        if dry_run {
            return Recorded::Stored(decisions);
        }
        let committed =
            backlog.flush(&store).and_then(|_| store.commit_run(&copy, &decisions.states, &decisions.messages));
        if let Err(error) = committed {
            return Recorded::NotStored(decisions, error.store_reason());
        }
        // `retention`: this playbook's runs older than that go.
        if let Some(retention) = playbook.playbook.retention {
            let cutoff = crate::store::now_ms() - retention.get().as_millis() as i64;
            if let Err(error) = store.prune(Some(copy.playbook.as_str()), cutoff) {
                tracing::warn!(target: "runner::pipeline", %error, "cannot prune old runs");
            }
        }
        Recorded::Stored(decisions)
    })
    .await;
    recorded.unwrap_or_else(|error| Recorded::Failed(error.to_string()))
}

/// Delivers what is due in the outbox for this run's playbook (its new messages among them).
async fn deliver_queued(
    store: &Arc<dyn Store>,
    record: &RunRecord,
    loaded: &Arc<Loaded>,
    services: &Services,
) -> Vec<crate::alert::outbox::Delivery> {
    // Under `runner run` the delivery budget is the group's window: the run's grouped
    // messages go now, as one group per destination. A scheduled run leaves open windows
    // to the drain that closes them.
    let force = record.origin == crate::outcome::Origin::Manual;
    crate::alert::group::form(store, std::slice::from_ref(loaded), Some(vec![record.playbook.clone()]), force).await;
    let due = {
        let store = store.clone();
        let name = record.playbook.clone();
        tokio::task::spawn_blocking(move || store.claim_due(&[name], crate::store::now_ms(), CLAIM_LEASE_MS)).await
    };
    let due = match due {
        Ok(Ok(due)) => due,
        _ => Vec::new(),
    };
    crate::alert::outbox::deliver(
        store,
        &services.engine.probes.http,
        std::slice::from_ref(loaded),
        due,
        DELIVERY_BUDGET,
    )
    .await
}

/// The store could not queue the run's messages: one attempt each, now. `sent` gets the
/// delivered ones (idempotency key, when), so that they are stored as delivered later.
async fn deliver_directly(
    loaded: &Arc<Loaded>,
    services: &Services,
    decisions: &crate::alert::Decisions,
    sent: &mut Vec<(String, i64)>,
) -> Vec<crate::alert::outbox::Delivery> {
    let messages = &decisions.messages;
    let deliveries =
        crate::alert::outbox::deliver_unqueued(&services.engine.probes.http, loaded, messages, DELIVERY_BUDGET).await;
    for delivery in &deliveries {
        if delivery.outcome == crate::alert::outbox::Outcome::Delivered
            && let Some(message) = usize::try_from(delivery.id).ok().and_then(|i| messages.get(i))
        {
            sent.push((message.idempotency.clone(), crate::store::now_ms()));
        }
    }
    deliveries
}

fn notify_stage(
    loaded: &Arc<Loaded>,
    services: &Services,
    decisions: &crate::alert::Decisions,
    deliveries: Vec<crate::alert::outbox::Delivery>,
    dry_run: bool,
) -> StageResult {
    use crate::alert::outbox::Outcome;
    let mut lines: Vec<String> = Vec::new();
    for channel in &decisions.off {
        lines.push(format!("{channel}: off (its URL is empty)"));
    }
    if dry_run {
        for message in &decisions.messages {
            lines.push(format!("{}: would send {}", message.channel, message.summary));
        }
        if decisions.messages.is_empty() {
            lines.push("nothing to send".into());
        }
        return StageResult { name: "notify".into(), status: StageStatus::Planned, lines };
    }
    if services.store.is_none() {
        lines.push("--no-store: no alert state, nothing sent".into());
        return StageResult { name: "notify".into(), status: StageStatus::Off, lines };
    }
    let mut failed = false;
    for delivery in &deliveries {
        let outcome = match &delivery.outcome {
            Outcome::Delivered => "sent".to_string(),
            Outcome::Retry { due_ms, error } => {
                failed = true;
                let wait = (due_ms - crate::store::now_ms()).max(0) as u64;
                format!(
                    "not delivered ({error}); queued, next try in {}",
                    crate::duration::format(std::time::Duration::from_millis(wait))
                )
            }
            Outcome::Dropped { reason } => {
                failed = true;
                format!("dropped: {reason}")
            }
            Outcome::Undeliverable { reason } => {
                failed = true;
                format!("cannot be delivered here ({reason}); it stays queued")
            }
        };
        lines.push(format!("{}: {} — {outcome}", delivery.channel, delivery.summary));
    }
    // Decisions whose delivery is still pending (their attempt did not finish in time).
    for message in &decisions.messages {
        if message.group.is_some() {
            // Said by the line of the group message that carries it, if one went.
            let carried = deliveries.iter().any(|d| d.channel == message.channel && d.summary.starts_with("GROUP "));
            if !carried {
                lines.push(format!("{}: {} — queued for its group", message.channel, message.summary));
            }
        } else if !deliveries.iter().any(|d| d.summary == message.summary && d.channel == message.channel) {
            lines.push(format!("{}: {} — queued", message.channel, message.summary));
        }
    }
    if lines.is_empty() {
        lines.push("nothing to send".into());
    }
    let status = if failed {
        StageStatus::Failed
    } else if decisions.off.len() == loaded.playbook.notify.as_ref().map(Vec::len).unwrap_or(0) {
        StageStatus::Off
    } else {
        StageStatus::Done
    };
    StageResult { name: "notify".into(), status, lines: lines.into_iter().map(crate::secret::scrub_owned).collect() }
}
