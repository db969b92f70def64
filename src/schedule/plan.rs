//! The scheduler's decisions, as a pure state machine: given the wall-clock time of a
//! tick, which fires of which playbooks run now and which are recorded as missed, and
//! why. No sleeping, no I/O: the daemon loop feeds it the clock, and tests feed it any
//! clock they like (DST changes, a three-hour suspend, a clock stepped backwards).
//!
//! Rules (PLAYBOOK.md, "Schedule"):
//! - Fires come from croner in the playbook's zone, always after the last fire handled,
//!   so a fire is never handled twice — not even when the clock steps backwards.
//! - A fire more than `grace` late is missed. `misfire: run_once` turns all missed fires
//!   (and an on-time one, if any) into one catch-up run that says how many fires it stands
//!   for; `misfire: skip` records each missed fire and runs only an on-time one.
//! - A fire while the playbook still runs: `overlap: skip` records a miss, `queue` keeps
//!   at most one waiting.
//! - `jitter` shifts every fire by a fixed offset per host and playbook.

use std::time::Duration;

use croner::Cron;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::playbook::{Loaded, Misfire, Overlap};

/// How a playbook is scheduled.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub cron: Cron,
    pub zone: TimeZone,
    pub misfire: Misfire,
    pub overlap: Overlap,
    pub grace: Duration,
    /// Fixed delay after each fire (from `jitter`).
    pub offset: Duration,
}

/// Why a fire did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    /// Later than `grace` (the daemon was not running, the machine slept, the clock
    /// jumped) with `misfire: skip`.
    Late,
    /// The playbook was still running (`overlap: skip`, or `queue` with one waiting).
    Overlap,
    /// Another process holds the playbook's lock (a manual `runner run`).
    Locked,
    /// A `one-host` fire whose claimant's lease lapsed after fire + grace (its host died
    /// or lost the store), so that no host could take it over in time.
    ClaimantDied,
}

impl MissReason {
    pub fn name(self) -> &'static str {
        match self {
            MissReason::Late => "late",
            MissReason::Overlap => "overlap",
            MissReason::Locked => "locked",
            MissReason::ClaimantDied => "claimant-died",
        }
    }
}

/// What a tick decided for one playbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Run now, for the fire at `fire`; `stands_for` fires in all (1 for a normal run).
    Run { fire: Timestamp, stands_for: u32 },
    /// Queue a run for when the current one ends.
    Queue { fire: Timestamp, stands_for: u32 },
    /// This fire did not and will not run.
    Miss { fire: Timestamp, reason: MissReason, late_by: Duration },
}

/// One playbook's place in time.
#[derive(Clone, Debug)]
pub struct Slot {
    pub schedule: Schedule,
    /// The last fire handled (ran or missed). Fires are always taken after it.
    pub last_fire: Option<Timestamp>,
    /// Whether a run of this playbook is in progress.
    pub running: bool,
    /// A run waiting for the current one to end (`overlap: queue`).
    pub queued: Option<(Timestamp, u32)>,
}

impl Slot {
    /// A slot starting at `now`: fires before it are not the daemon's business (unless
    /// `last_fire` says when it last handled one, from the store).
    pub fn new(schedule: Schedule, last_fire: Option<Timestamp>) -> Self {
        Slot { schedule, last_fire, running: false, queued: None }
    }

    /// The next fire after the last one handled (or after `now` for a fresh slot), with
    /// the jitter offset applied.
    pub fn next_fire(&self, now: Timestamp) -> Option<Timestamp> {
        let after = self.last_fire.unwrap_or(now);
        let fire = super::cron::next_fire(&self.schedule.cron, &self.schedule.zone, after)?;
        fire.timestamp().checked_add(signed(self.schedule.offset)).ok()
    }

    /// Every fire due at `now`: after the last one handled and not after `now`.
    fn due(&self, now: Timestamp) -> Vec<Timestamp> {
        let Some(after) = self.last_fire else { return Vec::new() };
        let mut due = Vec::new();
        let start = after.to_zoned(self.schedule.zone.clone());
        for fire in self.schedule.cron.iter_after(start) {
            let Ok(at) = fire.timestamp().checked_add(signed(self.schedule.offset)) else { break };
            if at > now {
                break;
            }
            due.push(at);
            // Bound a catch-up after a very long outage (a year of per-second fires):
            // the oldest are summarised, never silently dropped (see `tick`).
            if due.len() > 100_000 {
                break;
            }
        }
        due
    }

    /// Decides what happens at `now` and advances `last_fire` past every fire handled.
    /// A fresh slot (no `last_fire`) only starts counting at `now`.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Decision> {
        if self.last_fire.is_none() {
            self.last_fire = Some(now);
            return Vec::new();
        }
        let due = self.due(now);
        let Some(&latest) = due.last() else { return Vec::new() };
        self.last_fire = Some(latest);
        let grace = self.schedule.grace;
        let late_by =
            |fire: Timestamp| Duration::from_millis((now.as_millisecond() - fire.as_millisecond()).max(0) as u64);
        let (on_time, late): (Vec<Timestamp>, Vec<Timestamp>) = due.iter().partition(|f| late_by(**f) <= grace);

        let mut decisions = Vec::new();
        // Which fire (if any) becomes a run, standing for how many.
        let run: Option<(Timestamp, u32)> = match self.schedule.misfire {
            Misfire::RunOnce if !due.is_empty() => Some((latest, due.len() as u32)),
            Misfire::Skip => {
                for fire in &late {
                    decisions.push(Decision::Miss { fire: *fire, reason: MissReason::Late, late_by: late_by(*fire) });
                }
                on_time.last().map(|f| (*f, on_time.len() as u32))
            }
            _ => None,
        };
        if let Some((fire, stands_for)) = run {
            decisions.push(self.start_or_overlap(fire, stands_for, late_by(fire)));
        }
        decisions
    }

    /// A run is due: start it, queue it, or miss it, by `overlap`.
    fn start_or_overlap(&mut self, fire: Timestamp, stands_for: u32, late_by: Duration) -> Decision {
        if !self.running {
            self.running = true;
            return Decision::Run { fire, stands_for };
        }
        match self.schedule.overlap {
            Overlap::Queue if self.queued.is_none() => {
                self.queued = Some((fire, stands_for));
                Decision::Queue { fire, stands_for }
            }
            _ => Decision::Miss { fire, reason: MissReason::Overlap, late_by },
        }
    }

    /// The run in progress ended; returns the queued run to start now, if any.
    pub fn finished(&mut self) -> Option<(Timestamp, u32)> {
        self.running = false;
        let next = self.queued.take();
        if next.is_some() {
            self.running = true;
        }
        next
    }
}

fn signed(duration: Duration) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::ZERO)
}

/// How a loaded playbook is scheduled on `host`: `None` without a schedule (or with one
/// that validation would have refused). The daemon and `runner tick` both build it here,
/// so they decide by the same rules.
pub fn schedule_of(loaded: &Loaded, host: &str) -> Option<Schedule> {
    let schedule = loaded.playbook.schedule.as_ref()?;
    let cron = super::cron::parse(schedule.cron.as_str()).ok()?;
    let zone = super::cron::timezone(schedule.timezone.as_ref().map(|t| t.as_str())).ok()?;
    let period = super::cron::period(&cron, &zone, crate::clock::now());
    Some(Schedule {
        cron,
        zone,
        misfire: schedule.misfire.unwrap_or_default(),
        overlap: schedule.overlap.unwrap_or_default(),
        grace: schedule.grace.map(|g| g.get()).unwrap_or_else(|| default_grace(period)),
        offset: jitter_offset(
            schedule.jitter.map(|j| j.get()).unwrap_or_default(),
            host,
            loaded.playbook.name.as_str(),
        ),
    })
}

/// The default grace: the smaller of 1 minute and a quarter of the period.
pub fn default_grace(period: Option<Duration>) -> Duration {
    let minute = Duration::from_secs(60);
    match period {
        Some(period) => minute.min(period / 4),
        None => minute,
    }
}

/// The fixed jitter offset of a playbook on this host: a stable hash of both, within
/// `jitter`. The same host always fires the same playbook at the same offset.
pub fn jitter_offset(jitter: Duration, host: &str, playbook: &str) -> Duration {
    if jitter.is_zero() {
        return Duration::ZERO;
    }
    let hash = format!("{host}\0{playbook}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    Duration::from_millis(hash % (jitter.as_millis() as u64).max(1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub(crate) fn slot(cron: &str, zone: &str, misfire: Misfire) -> Slot {
        let cron = crate::schedule::cron::parse(cron).unwrap();
        let zone = TimeZone::get(zone).unwrap();
        let period = crate::schedule::cron::period(&cron, &zone, ts("2026-01-01T00:00:00Z"));
        Slot::new(
            Schedule {
                cron,
                zone,
                misfire,
                overlap: Overlap::Skip,
                grace: default_grace(period),
                offset: Duration::ZERO,
            },
            None,
        )
    }

    /// Ticks every `step` from `from` to `to`, finishing every run at once; returns the
    /// fires that ran (as local times) and the misses.
    fn drive(slot: &mut Slot, from: &str, to: &str, step: Duration) -> (Vec<String>, Vec<Decision>) {
        let (mut now, end) = (ts(from), ts(to));
        let mut runs = Vec::new();
        let mut misses = Vec::new();
        slot.tick(now);
        while now <= end {
            for decision in slot.tick(now) {
                match decision {
                    Decision::Run { fire, .. } => {
                        runs.push(fire.to_zoned(slot.schedule.zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string());
                        slot.finished();
                    }
                    miss => misses.push(miss),
                }
            }
            now = now.checked_add(signed(step)).unwrap();
        }
        (runs, misses)
    }

    #[test]
    fn berlin_daily_0230_runs_once_on_both_dst_days() {
        // Spring forward 2027-03-28 02:00 → 03:00: 02:30 does not exist; it runs once,
        // right after the gap. Fall back 2026-10-25 03:00 → 02:00: 02:30 happens twice;
        // it runs once.
        let mut s = slot("30 2 * * *", "Europe/Berlin", Misfire::RunOnce);
        let (runs, misses) = drive(&mut s, "2027-03-26T12:00:00Z", "2027-03-29T12:00:00Z", Duration::from_secs(30));
        assert_eq!(runs, ["2027-03-27 02:30 CET", "2027-03-28 03:00 CEST", "2027-03-29 02:30 CEST"]);
        assert!(misses.is_empty());
        let mut s = slot("30 2 * * *", "Europe/Berlin", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z", Duration::from_secs(30));
        assert_eq!(runs, ["2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]);
    }

    #[test]
    fn new_york_daily_0230_runs_once_on_both_dst_days() {
        let mut s = slot("30 2 * * *", "America/New_York", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2027-03-13T12:00:00Z", "2027-03-16T12:00:00Z", Duration::from_secs(30));
        assert_eq!(runs, ["2027-03-14 03:00 EDT", "2027-03-15 02:30 EDT", "2027-03-16 02:30 EDT"]);
        let mut s = slot("30 2 * * *", "America/New_York", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2026-10-31T12:00:00Z", "2026-11-03T12:00:00Z", Duration::from_secs(30));
        assert_eq!(runs, ["2026-11-01 02:30 EST", "2026-11-02 02:30 EST", "2026-11-03 02:30 EST"]);
    }

    #[test]
    fn every_30_minutes_follows_elapsed_time_through_dst() {
        // Fall back in Berlin: the repeated hour 02:00–03:00 is passed through twice, so
        // 02:00 and 02:30 each fire twice; elapsed time between fires stays 30 minutes.
        let mut s = slot("*/30 * * * *", "Europe/Berlin", Misfire::RunOnce);
        let (runs, misses) = drive(&mut s, "2026-10-24T23:10:00Z", "2026-10-25T02:10:00Z", Duration::from_secs(10));
        assert_eq!(
            runs,
            [
                "2026-10-25 01:30 CEST",
                "2026-10-25 02:00 CEST",
                "2026-10-25 02:30 CEST",
                "2026-10-25 02:00 CET",
                "2026-10-25 02:30 CET",
                "2026-10-25 03:00 CET"
            ]
        );
        assert!(misses.is_empty());
        // Spring forward: the missing hour simply has no fires.
        let mut s = slot("*/30 * * * *", "Europe/Berlin", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2027-03-28T00:10:00Z", "2027-03-28T01:40:00Z", Duration::from_secs(10));
        assert_eq!(runs, ["2027-03-28 01:30 CET", "2027-03-28 03:00 CEST", "2027-03-28 03:30 CEST"]);
        // New York, fall back and spring forward.
        let mut s = slot("*/30 * * * *", "America/New_York", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2026-11-01T05:10:00Z", "2026-11-01T06:40:00Z", Duration::from_secs(10));
        assert_eq!(runs, ["2026-11-01 01:30 EDT", "2026-11-01 01:00 EST", "2026-11-01 01:30 EST"]);
        let mut s = slot("*/30 * * * *", "America/New_York", Misfire::RunOnce);
        let (runs, _) = drive(&mut s, "2027-03-14T06:10:00Z", "2027-03-14T07:40:00Z", Duration::from_secs(10));
        assert_eq!(runs, ["2027-03-14 01:30 EST", "2027-03-14 03:00 EDT", "2027-03-14 03:30 EDT"]);
    }

    #[test]
    fn a_three_hour_suspend_is_one_catch_up_run_or_36_misses() {
        for (misfire, runs, misses) in [(Misfire::RunOnce, 1, 0), (Misfire::Skip, 0, 36)] {
            let mut s = slot("*/5 * * * *", "UTC", misfire);
            s.tick(ts("2026-11-22T09:59:00Z"));
            assert_eq!(
                s.tick(ts("2026-11-22T10:00:01Z")),
                vec![Decision::Run { fire: ts("2026-11-22T10:00:00Z"), stands_for: 1 }]
            );
            s.finished();
            // Suspended from 10:00:01 to 13:02: the fires 10:05 … 13:00 (36) are all late.
            let decisions = s.tick(ts("2026-11-22T13:02:00Z"));
            let ran: Vec<&Decision> = decisions.iter().filter(|d| matches!(d, Decision::Run { .. })).collect();
            let missed: Vec<&Decision> = decisions.iter().filter(|d| matches!(d, Decision::Miss { .. })).collect();
            assert_eq!((ran.len(), missed.len()), (runs, misses), "{misfire:?}: {decisions:?}");
            if misfire == Misfire::RunOnce {
                assert_eq!(ran[0], &Decision::Run { fire: ts("2026-11-22T13:00:00Z"), stands_for: 36 });
            } else {
                assert!(missed.iter().all(|d| matches!(d, Decision::Miss { reason: MissReason::Late, .. })));
            }
            s.finished();
            // And life goes on at the next fire.
            assert_eq!(
                s.tick(ts("2026-11-22T13:05:00Z")),
                vec![Decision::Run { fire: ts("2026-11-22T13:05:00Z"), stands_for: 1 }]
            );
        }
    }

    #[test]
    fn a_backward_clock_step_never_reruns_a_fire() {
        let mut s = slot("*/5 * * * *", "UTC", Misfire::RunOnce);
        s.tick(ts("2026-11-22T09:59:00Z"));
        assert_eq!(s.tick(ts("2026-11-22T10:00:00Z")).len(), 1);
        s.finished();
        assert_eq!(s.tick(ts("2026-11-22T10:05:00Z")).len(), 1);
        s.finished();
        // The clock steps back 7 minutes: 10:00 and 10:05 are not due again.
        for now in ["2026-11-22T09:58:30Z", "2026-11-22T10:00:00Z", "2026-11-22T10:05:00Z", "2026-11-22T10:09:59Z"] {
            assert!(s.tick(ts(now)).is_empty(), "re-ran at {now}");
        }
        assert_eq!(
            s.tick(ts("2026-11-22T10:10:00Z")),
            vec![Decision::Run { fire: ts("2026-11-22T10:10:00Z"), stands_for: 1 }]
        );
    }

    #[test]
    fn overlap_skip_and_queue() {
        let mut s = slot("* * * * * *", "UTC", Misfire::RunOnce);
        s.tick(ts("2026-11-22T10:00:00Z"));
        assert!(matches!(s.tick(ts("2026-11-22T10:00:01Z"))[0], Decision::Run { .. }));
        // Still running at the next two fires: skip records both.
        assert!(matches!(s.tick(ts("2026-11-22T10:00:02Z"))[0], Decision::Miss { reason: MissReason::Overlap, .. }));
        assert!(matches!(s.tick(ts("2026-11-22T10:00:03Z"))[0], Decision::Miss { reason: MissReason::Overlap, .. }));
        assert_eq!(s.finished(), None);

        s.schedule.overlap = Overlap::Queue;
        assert!(matches!(s.tick(ts("2026-11-22T10:00:04Z"))[0], Decision::Run { .. }));
        assert_eq!(
            s.tick(ts("2026-11-22T10:00:05Z")),
            vec![Decision::Queue { fire: ts("2026-11-22T10:00:05Z"), stands_for: 1 }]
        );
        // At most one waits.
        assert!(matches!(s.tick(ts("2026-11-22T10:00:06Z"))[0], Decision::Miss { reason: MissReason::Overlap, .. }));
        assert_eq!(s.finished(), Some((ts("2026-11-22T10:00:05Z"), 1)));
        assert!(s.running, "the queued run starts when the current one ends");
    }

    #[test]
    fn grace_defaults_and_jitter_is_fixed() {
        assert_eq!(default_grace(Some(Duration::from_secs(300))), Duration::from_secs(60));
        assert_eq!(default_grace(Some(Duration::from_secs(60))), Duration::from_secs(15));
        assert_eq!(default_grace(Some(Duration::from_secs(1))), Duration::from_millis(250));
        let a = jitter_offset(Duration::from_secs(30), "host-a", "heartbeat");
        assert_eq!(a, jitter_offset(Duration::from_secs(30), "host-a", "heartbeat"));
        assert!(a < Duration::from_secs(30));
        assert_ne!(a, jitter_offset(Duration::from_secs(30), "host-b", "heartbeat"));
    }
}
