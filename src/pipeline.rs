//! The one pipeline every run goes through, by hand or from the daemon: take the lock,
//! run the engine, then record, report and alert. Nothing after the engine is done twice
//! or differently between `runner run` and the daemon.
//!
//! Each stage after the engine is allowed to fail without losing the others: an
//! unwritable report folder still leaves the run stored and alerted.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::context::Engine;
use crate::engine::state::{MemoryState, ProbeState, ReadOnlyOverlay};
use crate::engine::{self, RunOptions};
use crate::error::Error;
use crate::outcome::{RunRecord, StageResult, StageStatus};
use crate::playbook::Loaded;
use crate::store::Store;

/// Where state lives for this process, if anywhere.
pub struct StateConfig {
    pub dir: PathBuf,
    /// `--no-store`: keep nothing, send nothing.
    pub no_store: bool,
}

/// The shared services of a process: the store (unless `--no-store`) and the engine.
#[derive(Clone)]
pub struct Services {
    pub store: Option<Arc<Store>>,
    pub engine: Arc<Engine>,
    pub state_dir: PathBuf,
}

impl Services {
    /// Opens the store (unless `no_store`) and builds the engine. A dry run reads the
    /// store and writes nothing to it.
    pub fn open(config: &StateConfig, dry_run: bool) -> Result<Services, Error> {
        // A dry run reads the store if there is one, and never creates or changes it.
        let store = match (config.no_store, dry_run) {
            (true, _) => None,
            (false, true) => Store::open_read_only(&config.dir)?.map(Arc::new),
            (false, false) => Some(Arc::new(Store::open(&config.dir)?)),
        };
        let state: Arc<dyn ProbeState> = match &store {
            None => Arc::new(MemoryState::default()),
            Some(store) if dry_run => Arc::new(ReadOnlyOverlay::new(store.clone())),
            Some(store) => store.clone(),
        };
        let mut engine = Engine::new(state);
        if let Some(store) = &store {
            engine.history = Some(store.clone());
            engine.journal = Some(store.clone());
            if !dry_run {
                engine.groups = Some(store.clone());
            }
        }
        if !config.no_store {
            engine.lock_dir = Some(config.dir.clone());
        }
        Ok(Services { store, engine: Arc::new(engine), state_dir: config.dir.clone() })
    }
}

/// How long `runner run` spends delivering notifications before it exits; what is not
/// delivered by then stays queued for the next run or the daemon.
pub const DELIVERY_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a claimed message is reserved for the deliverer that claimed it.
pub const CLAIM_LEASE_MS: i64 = 60_000;

/// Runs a playbook through the whole pipeline. The lock must already be held.
///
/// Order matters: the run and its alert decisions are committed first (one
/// transaction), then the report is written, then notifications are delivered. A failure
/// of a later stage never loses an earlier one.
pub async fn run(loaded: Arc<Loaded>, services: &Services, options: RunOptions) -> RunRecord {
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
            crate::engine::process::reap_orphans(store.as_ref(), &name);
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
    match &services.store {
        Some(store) => {
            let store = store.clone();
            let copy = record.clone();
            let playbook = loaded.clone();
            let committed = tokio::task::spawn_blocking(move || -> Result<crate::alert::Decisions, Error> {
                let current = store.alert_states(copy.playbook.as_str())?;
                let decisions = crate::alert::decide(&copy, &playbook, &current, partial, crate::store::now_ms());
                if !dry_run {
                    store.commit_run(&copy, &decisions.states, &decisions.messages)?;
                    // `retention`: this playbook's runs older than that go.
                    if let Some(retention) = playbook.playbook.retention {
                        let cutoff = crate::store::now_ms() - retention.get().as_millis() as i64;
                        store.prune(Some(copy.playbook.as_str()), cutoff)?;
                    }
                }
                Ok(decisions)
            })
            .await;
            match committed {
                Ok(Ok(d)) => decisions = d,
                Ok(Err(error)) => record.notes.push(format!("the run could not be stored: {error}")),
                Err(error) => record.notes.push(format!("the run could not be stored: {error}")),
            }
        }
        None if !dry_run => {
            record.notes.push("--no-store: no history or alert state is kept and no alert is sent".into())
        }
        None => {}
    }

    // Report.
    let ledger = services.store.as_ref().map(|s| s.as_ref() as &dyn crate::report::retention::Ledger);
    if let Some(stage) = crate::report::stage(&record, &loaded, dry_run, ledger) {
        record.stages.push(stage);
    }

    // Notify.
    if loaded.playbook.notify.is_some() {
        let stage = notify_stage(&record, &loaded, services, decisions, dry_run).await;
        record.stages.push(stage);
    }
    record
}

async fn notify_stage(
    record: &RunRecord,
    loaded: &Arc<Loaded>,
    services: &Services,
    decisions: crate::alert::Decisions,
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
    let Some(store) = &services.store else {
        lines.push("--no-store: no alert state, nothing sent".into());
        return StageResult { name: "notify".into(), status: StageStatus::Off, lines };
    };
    let due = {
        let store = store.clone();
        let name = record.playbook.clone();
        tokio::task::spawn_blocking(move || store.claim_due(&[name], crate::store::now_ms(), CLAIM_LEASE_MS)).await
    };
    let due = match due {
        Ok(Ok(due)) => due,
        _ => Vec::new(),
    };
    let deliveries =
        crate::alert::outbox::deliver(store, &services.engine.http, std::slice::from_ref(loaded), due, DELIVERY_BUDGET)
            .await;
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
        if !deliveries.iter().any(|d| d.summary == message.summary && d.channel == message.channel) {
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
