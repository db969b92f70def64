//! `runner daemon`: every playbook on its schedule, and no fire missed silently.
//!
//! The loop never trusts one long sleep: it naps at most [`MAX_NAP`], then re-reads the
//! wall clock and asks the [`plan`](super::plan) what is due. A monotonic clock pauses
//! while the machine sleeps and a wall clock can be stepped; comparing the two on every
//! tick is how suspends and clock steps are noticed and counted. Every fire ends as a
//! run (through the same pipeline as `runner run`) or as a recorded miss with its reason.
//!
//! Also here: reloading (SIGHUP, or a changed file seen by the
//! [`catalogue`](super::catalogue); an invalid edit keeps the last good version),
//! graceful shutdown (SIGTERM/SIGINT: stop scheduling, let runs finish within
//! the grace, then end them and record them as interrupted), the liveness endpoints and
//! systemd's watchdog.
//!
//! A daemon that cannot see is not healthy: nothing to watch (no readable path, no
//! playbook file, none valid) and a store that refuses writes are said at start, at every
//! reload and on `/healthz` (503). Runs the store refused wait in the pipeline's backlog,
//! which every tick tries to write. At start, each playbook's last run, last success and
//! checks are read back from the store, so `/status` and `/metrics` survive a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::task::JoinSet;

use super::catalogue::{Catalogue, Change};
use super::claim;
use super::heartbeat;
use super::liveness::{self, InvalidView, Liveness, PlaybookView};
use super::plan::{self, Decision, MissReason, Slot};
use super::sd_notify::Notifier;
use crate::engine::RunOptions;
use crate::error::Error;
use crate::outcome::{Origin, RunRecord, Status};
use crate::pipeline::{self, DrainScope, LockPolicy, Services, Turn};
use crate::playbook::Loaded;

/// The longest the loop sleeps before looking at the clock again.
pub const MAX_NAP: Duration = Duration::from_secs(15);
/// A wall clock that moved this much more (or less) than the monotonic clock jumped.
const JUMP: Duration = Duration::from_secs(2);

/// How the daemon runs.
#[derive(Clone, Debug)]
pub struct DaemonOptions {
    pub paths: Vec<PathBuf>,
    pub tags: Vec<String>,
    /// Running runs get this long to finish after SIGTERM.
    pub shutdown_grace: Duration,
}

/// A scheduled playbook.
struct Entry {
    loaded: Arc<Loaded>,
    slot: Slot,
    view: PlaybookView,
    /// The last fire persisted, to write `schedule_state` only when it moves.
    persisted: Option<Timestamp>,
}

/// Runs `name` for `fire` under the playbook's lock (a manual run in progress wins).
async fn run_fire(services: &Services, loaded: Arc<Loaded>, name: String, fire: Timestamp, stands_for: u32) -> Done {
    let turn = match Turn::take(services, &name, LockPolicy::FailIfHeld) {
        Ok(turn) => turn,
        Err(Error::Locked { .. }) => return Done { name, record: None, fire, locked: true },
        Err(error) => {
            tracing::error!(target: "runner::daemon", %error, "cannot take the playbook's lock");
            return Done { name, record: None, fire, locked: true };
        }
    };
    let options = RunOptions {
        origin: Origin::Daemon,
        scheduled_for: Some(fire),
        stands_for: Some(stands_for),
        ..RunOptions::default()
    };
    let record = turn.run(loaded, options).await;
    drop(turn);
    Done { name, record: Some(record), fire, locked: false }
}

/// A fire of a `run_on: one-host` playbook on a shared store, before its claim.
struct OneHostFire {
    loaded: Arc<Loaded>,
    fire: Timestamp,
    host: String,
    lease: Duration,
    grace: Duration,
}

impl OneHostFire {
    /// Claims the fire: `Some(lease)` when this host runs it. Otherwise a watcher is left
    /// behind (detached, so that the playbook's own next fire is not held up by it) that
    /// takes the fire over if its holder dies before fire + grace, or records it missed.
    async fn claim(self, services: &Services, name: &str) -> Option<claim::Lease> {
        let store = services.store.clone()?;
        let (claim_store, claim_name, host, fire, lease) =
            (store.clone(), name.to_string(), self.host.clone(), self.fire, self.lease);
        let taken =
            tokio::task::spawn_blocking(move || claim::claim(&claim_store, &claim_name, fire, &host, lease)).await;
        let (holder, until_ms) = match taken {
            Ok(Ok(claim::Taken::Mine(lease))) => return Some(lease),
            Ok(Ok(claim::Taken::Elsewhere { holder, until_ms })) => (holder, until_ms),
            Ok(Err(error)) => {
                // The shared store cannot decide: a duplicate run, said so, beats none.
                tracing::warn!(target: "runner::fleet", %error, playbook = name, "cannot claim a one-host fire; running it here");
                return None;
            }
            Err(_) => return None,
        };
        tracing::debug!(target: "runner::fleet", playbook = name, fire = %self.fire, holder = %holder, "fire held by another host");
        if let Some(until_ms) = until_ms {
            let services = services.clone();
            let name = name.to_string();
            let deadline = self.fire.checked_add(self.grace).unwrap_or(self.fire);
            tokio::spawn(async move {
                let watched =
                    claim::watch(store, name.clone(), self.fire, self.host, self.lease, until_ms, deadline).await;
                match watched {
                    Ok(claim::Watched::TakenOver(lease)) => {
                        let done = run_fire(&services, self.loaded, name, self.fire, 1).await;
                        lease.finish();
                        if let Some(record) = done.record {
                            tracing::info!(target: "runner::fleet", playbook = %done.name, status = %record.status, "ran a fire taken over from a host that died");
                        }
                    }
                    Ok(claim::Watched::Missed { claimant }) => {
                        tracing::warn!(target: "runner::fleet", playbook = %name, fire = %self.fire, claimant = %claimant, "missed fire: its claimant died");
                        if let Some(store) = &services.store {
                            let reason = MissReason::ClaimantDied.name();
                            let _ = store.record_misses(&name, &[(self.fire.as_millisecond(), reason)]);
                        }
                    }
                    Ok(claim::Watched::Nothing) => {}
                    Err(error) => tracing::warn!(target: "runner::fleet", %error, "cannot watch a one-host fire"),
                }
            });
        }
        None
    }
}

/// A finished run task.
struct Done {
    name: String,
    record: Option<RunRecord>,
    fire: Timestamp,
    locked: bool,
}

pub struct Daemon {
    options: DaemonOptions,
    services: Services,
    entries: BTreeMap<String, Entry>,
    catalogue: Catalogue,
    running: JoinSet<Done>,
    live: liveness::Shared,
    notifier: Notifier,
    last_wall: Timestamp,
    last_mono: Instant,
    host: String,
    outbox_busy: Arc<std::sync::atomic::AtomicBool>,
    /// When the earliest open group window closes (Unix ms), as the last delivery round
    /// saw it: the loop wakes then, not up to [`MAX_NAP`] late.
    group_close: Arc<Mutex<Option<i64>>>,
    /// Said by a delivery round when it ends, so that the loop naps again knowing
    /// [`Daemon::group_close`].
    round_ended: Arc<tokio::sync::Notify>,
    backlog_busy: Arc<std::sync::atomic::AtomicBool>,
    /// Why nothing is scheduled, when nothing is.
    nothing_to_watch: Option<String>,
    /// This daemon in the fleet, when the store is shared.
    member: Option<heartbeat::Member>,
}

/// This host's name, for the jitter offset.
pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

impl Daemon {
    pub fn new(options: DaemonOptions, services: Services) -> Daemon {
        let live = Arc::new(Mutex::new(Liveness {
            started_at: crate::clock::now().to_string(),
            nap: MAX_NAP,
            ..Liveness::default()
        }));
        Daemon {
            catalogue: Catalogue::new(options.paths.clone()),
            options,
            services,
            entries: BTreeMap::new(),
            running: JoinSet::new(),
            live,
            notifier: Notifier::from_env(),
            last_wall: crate::clock::now(),
            last_mono: Instant::now(),
            host: hostname(),
            outbox_busy: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            group_close: Arc::new(Mutex::new(None)),
            round_ended: Arc::new(tokio::sync::Notify::new()),
            backlog_busy: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            nothing_to_watch: None,
            member: crate::store::is_shared().then(|| heartbeat::Member::new(&crate::host::id())),
        }
    }

    /// The state the liveness server reads.
    pub fn liveness(&self) -> liveness::Shared {
        self.live.clone()
    }

    /// Runs until SIGTERM or SIGINT; returns the exit code.
    pub async fn run(mut self) -> i32 {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut hangup), Ok(mut terminate), Ok(mut interrupt)) =
            (signal(SignalKind::hangup()), signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::error!(target: "runner::daemon", "cannot install signal handlers");
            return crate::error::exit::SOFTWARE;
        };
        self.reload(true);
        if let Err(error) = self.beat() {
            tracing::error!(target: "runner::fleet", %error, "cannot join the fleet");
            eprintln!("error: {}", crate::secret::scrub(&error.to_string()));
            return error.exit_code();
        }
        self.catch_up_interrupted().await;
        self.tick().await;
        self.notifier.send("READY=1");
        tracing::info!(target: "runner::daemon", scheduled = self.entries.len(), invalid = self.catalogue.invalid().count(), "daemon started");
        let round_ended = self.round_ended.clone();
        loop {
            let nap = self.nap();
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                // A delivery round ended: nap again, until the group window it saw close
                // if that is sooner (no tick now: the round was the tick's).
                _ = round_ended.notified() => continue,
                _ = hangup.recv() => {
                    tracing::info!(target: "runner::daemon", "SIGHUP: reloading playbooks");
                    self.notifier.send("RELOADING=1");
                    self.reload(true);
                    self.notifier.send("READY=1");
                }
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                Some(done) = self.running.join_next(), if !self.running.is_empty() => {
                    if let Ok(done) = done {
                        self.finished(done);
                    }
                    if self.running.is_empty() {
                        release_free_memory();
                    }
                }
            }
            self.tick().await;
        }
        self.shutdown().await;
        crate::error::exit::OK
    }

    /// How long to nap: until the earliest next fire or group window close, never more
    /// than [`MAX_NAP`].
    fn nap(&self) -> Duration {
        let now = crate::clock::now();
        let close = self.group_close.lock().ok().and_then(|c| *c).and_then(|ms| Timestamp::from_millisecond(ms).ok());
        let earliest = self.entries.values().filter_map(|e| e.slot.next_fire(now)).chain(close).min();
        let until = earliest.map(|t| Duration::from_millis((t.as_millisecond() - now.as_millisecond()).max(0) as u64));
        let mut nap = until.unwrap_or(MAX_NAP).min(MAX_NAP);
        if let Some(watchdog) = Notifier::watchdog_interval() {
            nap = nap.min(watchdog);
        }
        // Wake a hair after the fire, not a hair before it.
        (nap + Duration::from_millis(2)).max(Duration::from_millis(5))
    }

    /// One look at the clock: notice jumps, pick up changed files, run what is due,
    /// record what was missed, deliver notifications, feed the watchdog.
    async fn tick(&mut self) {
        let wall = crate::clock::now();
        let mono = Instant::now();
        let expected = self.last_mono.elapsed().as_millis() as i64;
        let _ = mono;
        let actual = wall.as_millisecond() - self.last_wall.as_millisecond();
        let drift = actual - expected;
        if drift > JUMP.as_millis() as i64 {
            tracing::warn!(target: "runner::daemon", drift_ms = drift, "the wall clock jumped forward (suspend/resume or a clock step)");
            self.update_live(|l| l.clock_jumps_forward += 1);
        } else if drift < -(JUMP.as_millis() as i64) {
            tracing::warn!(target: "runner::daemon", drift_ms = drift, "the wall clock stepped backward; no fire will run twice");
            self.update_live(|l| l.clock_jumps_backward += 1);
        }
        self.last_wall = wall;
        self.last_mono = Instant::now();

        self.reload(false);

        let names: Vec<String> = self.entries.keys().cloned().collect();
        for name in names {
            let Some(entry) = self.entries.get_mut(&name) else { continue };
            let decisions = entry.slot.tick(wall);
            let mut misses = Vec::new();
            for decision in decisions {
                match decision {
                    Decision::Run { fire, stands_for } => self.start(&name, fire, stands_for),
                    Decision::Queue { fire, .. } => {
                        tracing::info!(target: "runner::daemon", playbook = %name, %fire, "still running: the fire waits (overlap: queue)");
                    }
                    Decision::Miss { fire, reason, late_by } => {
                        tracing::warn!(target: "runner::daemon", playbook = %name, %fire, reason = reason.name(), late_ms = late_by.as_millis() as u64, "missed fire");
                        misses.push((fire, reason));
                    }
                }
            }
            self.record_misses(&name, &misses);
            self.persist_last_fire(&name);
        }
        self.store_backlog();
        self.drain_outbox();
        if let Err(error) = self.beat() {
            tracing::error!(target: "runner::fleet", %error, "heartbeat failed");
        }
        let now = crate::clock::now();
        let nap = self.nap();
        let views: Vec<PlaybookView> = self
            .entries
            .values_mut()
            .map(|e| {
                e.view.next_fire = e.slot.next_fire(now).map(|t| t.to_string());
                e.view.running = e.slot.running;
                e.view.clone()
            })
            .collect();
        let invalid: Vec<InvalidView> = self.catalogue.invalid().cloned().collect();
        let nothing_to_watch = self.nothing_to_watch.clone();
        let store = self.services.backlog.health();
        self.update_live(|l| {
            l.nothing_to_watch = nothing_to_watch;
            l.store = store;
            l.last_tick = Some(wall.to_string());
            l.last_tick_at = Some(wall);
            l.nap = nap.max(MAX_NAP);
            l.playbooks = views;
            l.invalid = invalid;
        });
        self.notifier.send("WATCHDOG=1");
    }

    /// Beats into the shared store when a beat is due, and raises hosts that fell silent
    /// (log, `/healthz`). `Err(Usage)` when another live process beats under this host id.
    fn beat(&mut self) -> Result<(), Error> {
        let (Some(member), Some(store)) = (self.member.as_mut(), self.services.store.as_ref()) else { return Ok(()) };
        if !member.due() {
            return Ok(());
        }
        let playbooks: Vec<String> = self.entries.keys().cloned().collect();
        let grace =
            self.entries.values().filter_map(|e| plan::schedule_of(&e.loaded, &self.host)).map(|s| s.grace).max();
        let heard = match member.beat(store.as_ref(), playbooks, grace.unwrap_or_default()) {
            Ok(heard) => heard,
            Err(error @ Error::Usage(_)) => return Err(error),
            Err(error) => {
                tracing::warn!(target: "runner::fleet", %error, "cannot beat into the shared store");
                return Ok(());
            }
        };
        if let Some(since) = heard.back_after {
            tracing::warn!(target: "runner::fleet", host = %crate::host::id(), silent_since_ms = since, "runner on this host is back: the fleet had raised it as silent");
        }
        for (host, heard_ms) in &heard.newly_silent {
            tracing::error!(target: "runner::fleet", host = %host, last_heard_ms = heard_ms, "runner on {host} is silent");
        }
        let silent = heard
            .silent
            .iter()
            .map(|(host, ms)| {
                (host.clone(), Timestamp::from_millisecond(*ms).map(|t| t.to_string()).unwrap_or_default())
            })
            .collect();
        self.update_live(|l| l.silent_hosts = silent);
        Ok(())
    }

    fn update_live(&self, f: impl FnOnce(&mut Liveness)) {
        if let Ok(mut live) = self.live.lock() {
            f(&mut live);
        }
    }

    fn record_misses(&mut self, name: &str, misses: &[(Timestamp, MissReason)]) {
        if misses.is_empty() {
            return;
        }
        if let Some(entry) = self.entries.get_mut(name) {
            for (_, reason) in misses {
                *entry.view.missed.entry(reason.name().to_string()).or_insert(0) += 1;
            }
        }
        if let Some(store) = &self.services.store {
            let rows: Vec<(i64, &str)> = misses.iter().map(|(f, r)| (f.as_millisecond(), r.name())).collect();
            if let Err(error) = store.record_misses(name, &rows) {
                tracing::error!(target: "runner::daemon", %error, "cannot record missed fires");
                self.services.backlog.failed(&error.store_reason());
            }
        }
    }

    fn persist_last_fire(&mut self, name: &str) {
        let Some(entry) = self.entries.get_mut(name) else { return };
        let Some(last) = entry.slot.last_fire else { return };
        if entry.persisted == Some(last) {
            return;
        }
        entry.persisted = Some(last);
        if let Some(store) = &self.services.store
            && let Err(error) = store.set_last_fire(name, last.as_millisecond())
        {
            tracing::error!(target: "runner::daemon", %error, "cannot persist the last fire");
            self.services.backlog.failed(&error.store_reason());
        }
    }

    /// Starts a run of `name` for `fire` (as a task; the loop goes on).
    fn start(&mut self, name: &str, fire: Timestamp, stands_for: u32) {
        let Some(entry) = self.entries.get(name) else { return };
        let loaded = entry.loaded.clone();
        let services = self.services.clone();
        let name = name.to_string();
        let lateness = crate::clock::now().as_millisecond() - fire.as_millisecond();
        tracing::info!(target: "runner::daemon", playbook = %name, %fire, stands_for, late_ms = lateness, "run");
        let fleet = self.one_host_fire(&loaded, fire);
        self.running.spawn(async move {
            // A one-host fire is run by the host that claims it; the others watch it.
            let lease = match fleet {
                Some(fleet) => match fleet.claim(&services, &name).await {
                    Some(lease) => Some(lease),
                    None => return Done { name, record: None, fire, locked: false },
                },
                None => None,
            };
            let done = run_fire(&services, loaded, name, fire, stands_for).await;
            if let Some(lease) = lease {
                lease.finish();
            }
            done
        });
    }

    /// The claim a fire of `loaded` needs: a `run_on: one-host` playbook on a shared store.
    fn one_host_fire(&self, loaded: &Arc<Loaded>, fire: Timestamp) -> Option<OneHostFire> {
        self.services.store.as_ref()?;
        let grace = claim::one_host_grace(loaded)?;
        Some(OneHostFire {
            loaded: loaded.clone(),
            fire,
            host: crate::host::id(),
            lease: claim::lease_for(grace),
            grace,
        })
    }

    /// A run ended: update the playbook's view, and start the queued run if any.
    fn finished(&mut self, done: Done) {
        let Some(entry) = self.entries.get_mut(&done.name) else { return };
        match &done.record {
            Some(record) => {
                *entry.view.runs.entry(record.status.name().to_string()).or_insert(0) += 1;
                entry.view.last_run = Some(record.started_at.clone());
                entry.view.last_status = Some(record.status.name().to_string());
                if record.status == Status::Ok {
                    entry.view.last_success = Some(record.started_at.clone());
                }
                entry.view.checks = record.checks.clone();
                tracing::info!(target: "runner::daemon", playbook = %done.name, status = %record.status, duration_ms = record.duration_ms, "run finished");
            }
            None if done.locked => {
                tracing::warn!(target: "runner::daemon", playbook = %done.name, fire = %done.fire, "missed fire: another process runs this playbook");
                let name = done.name.clone();
                self.record_misses(&name, &[(done.fire, MissReason::Locked)]);
            }
            None => {}
        }
        let Some(entry) = self.entries.get_mut(&done.name) else { return };
        if let Some((fire, stands_for)) = entry.slot.finished() {
            self.start(&done.name, fire, stands_for);
        }
    }

    /// Runs left `running` by a process that died are recorded as interrupted, and the
    /// process groups they left are ended: of the scheduled playbooks and of any other
    /// with groups recorded here (each playbook under its lock, so a manual run in
    /// progress is not touched).
    async fn catch_up_interrupted(&mut self) {
        let Some(store) = self.services.store.clone() else { return };
        let mut names: BTreeSet<String> = self.entries.keys().cloned().collect();
        names.extend(store.playbooks_with_groups().unwrap_or_default());
        for name in &names {
            if let Ok(turn) = Turn::take(&self.services, name, LockPolicy::FailIfHeld) {
                match turn.recover_after_crash() {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(target: "runner::daemon", playbook = %name, runs = n, "recorded runs interrupted by an earlier crash")
                    }
                    Err(error) => tracing::error!(target: "runner::daemon", %error, "cannot mark interrupted runs"),
                }
            }
        }
    }

    /// Writes the runs the store refused, in the background (one round at a time), once
    /// it takes writes again.
    fn store_backlog(&mut self) {
        use std::sync::atomic::Ordering;
        let Some(store) = self.services.store.clone() else { return };
        let health = self.services.backlog.health();
        if health.problem.is_none() && health.waiting == 0 {
            return;
        }
        if self.backlog_busy.swap(true, Ordering::SeqCst) {
            return;
        }
        let backlog = self.services.backlog.clone();
        let busy = self.backlog_busy.clone();
        tokio::task::spawn_blocking(move || {
            if let Ok(written) = backlog.flush(&store)
                && written > 0
            {
                tracing::info!(target: "runner::daemon", runs = written, "stored the runs kept in memory");
            }
            busy.store(false, Ordering::SeqCst);
        });
    }

    /// Delivers every due notification in the store, whichever playbook or run queued
    /// it, in the background (one delivery round at a time). A message of a playbook this
    /// daemon does not schedule is delivered by loading its recorded file; what cannot be
    /// delivered here stays queued and is named on `/healthz`.
    fn drain_outbox(&mut self) {
        use std::sync::atomic::Ordering;
        let Some(store) = self.services.store.clone() else { return };
        if self.outbox_busy.swap(true, Ordering::SeqCst) {
            return;
        }
        let loaded: Vec<Arc<Loaded>> = self.entries.values().map(|e| e.loaded.clone()).collect();
        let busy = self.outbox_busy.clone();
        let live = self.live.clone();
        let services = self.services.clone();
        let (group_close, round_ended) = (self.group_close.clone(), self.round_ended.clone());
        tokio::spawn(async move {
            pipeline::drain_outbox(&services, &loaded, DrainScope::Everything, pipeline::DELIVERY_BUDGET * 2).await;
            let host = crate::host::id();
            let read = tokio::task::spawn_blocking(move || {
                let close = store
                    .pending_members(None)
                    .map(|pending| crate::alert::group::next_close(&pending, crate::store::now_ms()));
                (store.undeliverable(None), store.all_alert_states(None), close)
            })
            .await;
            let read = read.map(|(undeliverable, states, close)| {
                if let Ok(mut group_close) = group_close.lock() {
                    *group_close = close.ok().flatten();
                }
                (undeliverable, states)
            });
            if let (Ok((undeliverable, states)), Ok(mut live)) = (read, live.lock()) {
                if let Ok(all) = undeliverable {
                    live.undeliverable = all.into_iter().filter(|u| u.host == host).collect();
                }
                if let Ok(states) = states {
                    live.flapping = states.into_iter().filter(|s| s.state.flap.is_some()).collect();
                }
            }
            busy.store(false, Ordering::SeqCst);
            round_ended.notify_one();
        });
    }

    /// Waits for the delivery round in flight, if any: its attempts run to their answer
    /// or their timeout. Ending them would leave messages the receiver may have accepted
    /// to be sent again; a repeat is for crashes only.
    async fn finish_delivery_round(&self) {
        use std::sync::atomic::Ordering;
        // A round starts attempts within its budget; the last one may run its timeout.
        let limit = pipeline::DELIVERY_BUDGET * 2 + crate::alert::outbox::ATTEMPT_TIMEOUT + Duration::from_secs(2);
        let deadline = tokio::time::Instant::now() + limit;
        while self.outbox_busy.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Looks at the playbook files (every file when `all`): a valid new or changed one
    /// is (re)scheduled; an invalid edit keeps the last good version; a removed file
    /// stops its playbook.
    fn reload(&mut self, all: bool) {
        let entries = &self.entries;
        let look = self.catalogue.look(all, |name| entries.contains_key(name));
        for change in look.changes {
            match change {
                Change::Valid { loaded, previous_name } => self.schedule(loaded, previous_name),
                Change::InvalidEdit { name, problem } => {
                    if let Some(entry) = self.entries.get_mut(&name) {
                        entry.view.reload_problem = Some(problem);
                    }
                }
                Change::Removed { name } => {
                    self.entries.remove(&name);
                }
            }
        }
        self.look_for_something_to_watch(all, look.files_found, &look.unreadable);
    }

    /// Sets (and logs, at start, at every full reload and when it changes) why nothing is
    /// scheduled.
    fn look_for_something_to_watch(&mut self, all: bool, files_found: usize, unreadable: &[String]) {
        let problem = if !self.entries.is_empty() {
            None
        } else if files_found == 0 && !unreadable.is_empty() {
            Some(format!("no readable path ({})", unreadable.join("; ")))
        } else if files_found == 0 {
            let paths: Vec<String> = self.catalogue.paths().iter().map(|p| p.display().to_string()).collect();
            let paths =
                if paths.is_empty() { crate::playbook::discover::DEFAULT_DIR.to_string() } else { paths.join(", ") };
            Some(format!("no playbook file (*.yaml, *.yml) in {paths}"))
        } else if self.catalogue.none_valid() {
            Some(format!("no valid playbook ({} invalid)", self.catalogue.invalid().count()))
        } else {
            Some("no playbook has a schedule (or matches --tags)".to_string())
        };
        if problem != self.nothing_to_watch || (all && problem.is_some()) {
            match &problem {
                Some(reason) => {
                    tracing::error!(target: "runner::daemon", %reason, "nothing to watch: the daemon is not healthy")
                }
                None if self.nothing_to_watch.is_some() => {
                    tracing::info!(target: "runner::daemon", "playbooks to watch again")
                }
                None => {}
            }
        }
        self.nothing_to_watch = problem;
    }

    /// Schedules a new or changed valid playbook (unless `--tags` or its lack of a
    /// schedule leave it out).
    /// Leaves what was loaded in the store, for `runner serve`; a store that refuses it
    /// is said at debug level (the run path already says so louder).
    fn leave_snapshot(&self, loaded: &Loaded, timezone: Option<String>) {
        let Some(store) = &self.services.store else { return };
        if let Err(error) = store.save_playbook_snapshot(&super::snapshot::of(loaded, timezone)) {
            tracing::debug!(target: "runner::daemon", %error, "the playbook's snapshot was not stored");
        }
    }

    fn schedule(&mut self, loaded: Arc<Loaded>, previous_name: Option<String>) {
        let name = loaded.playbook.name.to_string();
        if let Some(quorum) = loaded.playbook.quorum {
            // Said once per load (PLAYBOOK.md: ignored, with one log line, when alone).
            match crate::store::is_shared() {
                false => {
                    tracing::info!(target: "runner::fleet", playbook = %name, quorum, "quorum is ignored: this daemon's store is not shared")
                }
                true => {
                    tracing::warn!(target: "runner::fleet", playbook = %name, quorum, "quorum is not decided across hosts in this version: this host alerts on its own results")
                }
            }
        }
        if let Some(old) = previous_name.filter(|old| *old != name) {
            self.entries.remove(&old);
        }
        let tags = loaded.playbook.tags.clone().unwrap_or_default();
        if !self.options.tags.is_empty() && !self.options.tags.iter().any(|t| tags.contains(t)) {
            self.entries.remove(&name);
            return;
        }
        let schedule = self.schedule_of(&loaded);
        self.leave_snapshot(&loaded, schedule.as_ref().and_then(|s| s.zone.iana_name()).map(str::to_string));
        let Some(schedule) = schedule else {
            tracing::info!(target: "runner::daemon", playbook = %name, "no schedule: not run by the daemon");
            self.entries.remove(&name);
            return;
        };
        let view = PlaybookView {
            name: name.clone(),
            file: loaded.path.display().to_string(),
            schedule: loaded.playbook.schedule.as_ref().map(|s| s.cron.as_str().to_string()).unwrap_or_default(),
            timezone: schedule.zone.iana_name().unwrap_or("local").to_string(),
            grace_ms: schedule.grace.as_millis() as u64,
            ..PlaybookView::default()
        };
        match self.entries.get_mut(&name) {
            Some(entry) => {
                // A changed playbook keeps its place in time.
                entry.slot.schedule = schedule;
                entry.loaded = loaded;
                entry.view.reload_problem = None;
                entry.view.schedule = view.schedule;
                entry.view.timezone = view.timezone;
                entry.view.grace_ms = view.grace_ms;
                entry.view.file = view.file;
                tracing::info!(target: "runner::daemon", playbook = %name, "reloaded");
            }
            None => {
                let last_fire = self
                    .services
                    .store
                    .as_ref()
                    .and_then(|s| s.last_fire(&name).ok().flatten())
                    .and_then(|ms| Timestamp::from_millisecond(ms).ok());
                if let Some(last) = last_fire {
                    tracing::info!(target: "runner::daemon", playbook = %name, last_fire = %last, "resuming from the last fire handled");
                }
                let slot = Slot::new(schedule, last_fire);
                let view = self.remembered(view, &loaded);
                self.entries.insert(name.clone(), Entry { loaded, slot, view, persisted: last_fire });
                tracing::info!(target: "runner::daemon", playbook = %name, "scheduled");
            }
        }
    }

    /// A newly scheduled playbook's view with what the store remembers of its last run.
    /// The store keeps each check's status, message, timing and metrics; its name, kind,
    /// runbook and tags come from the playbook as loaded now.
    fn remembered(&self, mut view: PlaybookView, loaded: &Loaded) -> PlaybookView {
        let Some(store) = &self.services.store else { return view };
        let last = match store.last_run(&view.name) {
            Ok(Some(last)) => last,
            Ok(None) => return view,
            Err(error) => {
                tracing::warn!(target: "runner::daemon", playbook = %view.name, %error, "cannot read the last run back");
                return view;
            }
        };
        fn time(ms: i64) -> Option<String> {
            Timestamp::from_millisecond(ms).ok().map(|t| t.to_string())
        }
        view.last_run = time(last.started_ms);
        view.last_status = Some(last.status);
        view.last_success = last.last_success_ms.and_then(time);
        let defined = loaded.playbook.all_checks();
        view.checks = last
            .checks
            .into_iter()
            .filter_map(|stored| {
                // A check removed from the playbook since has no series to keep.
                let (phase, check) = defined.iter().find(|(_, c)| c.id.as_str() == stored.id)?;
                Some(crate::outcome::CheckResult {
                    name: check.display_name().clone(),
                    phase: phase.map(|p| p.id.to_string()),
                    kind: check.kind_name().to_string(),
                    status: crate::outcome::Status::from_name(&stored.status)?,
                    message: stored.message,
                    metrics: stored.metrics.into_iter().collect(),
                    meta: stored.meta.into_iter().collect(),
                    details: Vec::new(),
                    attempts: stored.attempts,
                    duration_ms: stored.duration_ms,
                    remediation: None,
                    runbook: check.runbook.as_ref().map(|r| r.to_string()),
                    tags: loaded.playbook.check_tags(check),
                    holds: crate::quiet::Holds::default(),
                    id: stored.id,
                })
            })
            .collect();
        view
    }

    fn schedule_of(&self, loaded: &Loaded) -> Option<plan::Schedule> {
        plan::schedule_of(loaded, &self.host)
    }

    /// Stops scheduling, lets running runs finish within the grace, then ends them.
    async fn shutdown(&mut self) {
        self.notifier.send("STOPPING=1");
        self.update_live(|l| l.stopping = true);
        let in_flight = self.running.len();
        tracing::info!(target: "runner::daemon", runs = in_flight, grace_s = self.options.shutdown_grace.as_secs(), "stopping: no new runs; waiting for the running ones");
        let deadline = tokio::time::Instant::now() + self.options.shutdown_grace;
        while !self.running.is_empty() {
            match tokio::time::timeout_at(deadline, self.running.join_next()).await {
                Ok(Some(Ok(done))) => self.finished(done),
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(target: "runner::daemon", runs = self.running.len(), "grace is over: ending the runs still in progress");
                    self.running.abort_all();
                    while self.running.join_next().await.is_some() {}
                    break;
                }
            }
        }
        self.finish_delivery_round().await;
        // What was ended is recorded as interrupted; each playbook's last fire is kept.
        if self.services.store.is_some() {
            let names: Vec<String> = self.entries.keys().cloned().collect();
            for name in names {
                self.persist_last_fire(&name);
                if let Ok(turn) = Turn::take(&self.services, &name, LockPolicy::FailIfHeld) {
                    let _ = turn.record_interrupted();
                }
            }
        }
        tracing::info!(target: "runner::daemon", "stopped");
    }
}

/// Hands the heap that the last runs freed back to the system. A run allocates on
/// several threads (tokio workers, blocking probes), and glibc keeps each thread's freed
/// memory in its arena for reuse; for a daemon that is idle between fires that memory
/// is resident for nothing. `malloc_trim` is glibc's; other platforms do without.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
