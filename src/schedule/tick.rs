//! One look at the clock for `runner tick`: what a process that cron starts every minute
//! does for one playbook, given the last fire persisted in the store and whether another
//! process runs the playbook right now. The daemon's planner ([`plan::Slot`]) decides;
//! this only asks it a one-shot question, so cron and the daemon share every rule
//! (misfire, grace, overlap, DST, jitter). No I/O: tests feed any clock.
//!
//! Like the daemon, a playbook seen for the first time starts counting at `now`: fires
//! from before it was installed are not run.

use jiff::Timestamp;

use super::plan::{Decision, Schedule, Slot};

/// What one tick decided for one playbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TickPlan {
    /// Runs, a queued run, and misses (with their reasons), as the daemon would decide.
    pub decisions: Vec<Decision>,
    /// The last fire handled after this tick: what to persist.
    pub last_fire: Option<Timestamp>,
}

/// Decides one tick. `running_elsewhere`: another process holds the playbook's lock (an
/// earlier tick still running, or a manual `runner run`).
pub fn decide(schedule: Schedule, last_fire: Option<Timestamp>, running_elsewhere: bool, now: Timestamp) -> TickPlan {
    let mut slot = Slot::new(schedule, last_fire);
    slot.running = running_elsewhere;
    let decisions = slot.tick(now);
    TickPlan { decisions, last_fire: slot.last_fire }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::{Misfire, Overlap};
    use crate::schedule::plan::MissReason;
    use crate::schedule::plan::tests::{slot, ts};

    fn schedule(cron: &str, zone: &str, overlap: Overlap) -> Schedule {
        let mut schedule = slot(cron, zone, Misfire::RunOnce).schedule;
        schedule.overlap = overlap;
        schedule
    }

    /// A per-minute crontab line from `from` to `to`: each minute a new process starts a
    /// few seconds after the minute (cron's own latency), reads the persisted last fire,
    /// decides, persists. Returns the fires that ran, as local times in the playbook's zone.
    fn cron_minutes(cron: &str, zone: &str, from: &str, to: &str) -> Vec<String> {
        let schedule = schedule(cron, zone, Overlap::Skip);
        let (mut minute, end) = (ts(from), ts(to));
        let mut persisted = None;
        let mut ran = Vec::new();
        while minute <= end {
            let now = minute.checked_add(jiff::SignedDuration::from_secs(2)).unwrap();
            let plan = decide(schedule.clone(), persisted, false, now);
            for decision in plan.decisions {
                match decision {
                    Decision::Run { fire, .. } => {
                        ran.push(fire.to_zoned(schedule.zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string())
                    }
                    other => panic!("a per-minute tick with nothing running decided {other:?}"),
                }
            }
            persisted = plan.last_fire;
            minute = minute.checked_add(jiff::SignedDuration::from_mins(1)).unwrap();
        }
        ran
    }

    #[test]
    fn the_first_tick_records_now_and_runs_nothing_from_before() {
        let plan = decide(schedule("*/5 * * * *", "UTC", Overlap::Skip), None, false, ts("2026-11-22T10:07:00Z"));
        assert_eq!(plan, TickPlan { decisions: vec![], last_fire: Some(ts("2026-11-22T10:07:00Z")) });
    }

    #[test]
    fn berlin_0230_runs_once_on_both_dst_nights_from_a_per_minute_cron() {
        // Spring forward 2027-03-28: 02:30 does not exist; it runs once, at 03:00 CEST.
        assert_eq!(
            cron_minutes("30 2 * * *", "Europe/Berlin", "2027-03-26T12:00:00Z", "2027-03-29T12:00:00Z"),
            ["2027-03-27 02:30 CET", "2027-03-28 03:00 CEST", "2027-03-29 02:30 CEST"]
        );
        // Fall back 2026-10-25: 02:30 happens twice; it runs once.
        assert_eq!(
            cron_minutes("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z"),
            ["2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]
        );
    }

    #[test]
    fn new_york_and_tokyo_fire_in_their_own_zone_whatever_the_machine_zone() {
        assert_eq!(
            cron_minutes("30 2 * * *", "America/New_York", "2027-03-13T12:00:00Z", "2027-03-16T12:00:00Z"),
            ["2027-03-14 03:00 EDT", "2027-03-15 02:30 EDT", "2027-03-16 02:30 EDT"]
        );
        assert_eq!(
            cron_minutes("30 2 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-03T12:00:00Z"),
            ["2026-11-01 02:30 EST", "2026-11-02 02:30 EST", "2026-11-03 02:30 EST"]
        );
        // No DST in Tokyo: 09:00 JST is 00:00 UTC, on the same days as in UTC.
        assert_eq!(
            cron_minutes("0 9 * * *", "Asia/Tokyo", "2026-11-21T12:00:00Z", "2026-11-23T12:00:00Z"),
            ["2026-11-22 09:00 JST", "2026-11-23 09:00 JST"]
        );
    }

    #[test]
    fn every_30_minutes_fires_through_both_passes_of_the_repeated_hour() {
        assert_eq!(
            cron_minutes("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:10:00Z", "2026-10-25T02:10:00Z"),
            [
                "2026-10-25 01:30 CEST",
                "2026-10-25 02:00 CEST",
                "2026-10-25 02:30 CEST",
                "2026-10-25 02:00 CET",
                "2026-10-25 02:30 CET",
                "2026-10-25 03:00 CET"
            ]
        );
    }

    #[test]
    fn schedules_that_cron_cannot_write_run_the_same_way() {
        // `L`: the last day of the month (February 2027 has 28).
        assert_eq!(
            cron_minutes("0 9 L * *", "Europe/Berlin", "2027-02-20T00:00:00Z", "2027-03-02T00:00:00Z"),
            ["2027-02-28 09:00 CET"]
        );
        // `W`: the weekday nearest the 15th (2027-05-15 is a Saturday: Friday the 14th).
        assert_eq!(
            cron_minutes("0 9 15W * *", "UTC", "2027-05-10T00:00:00Z", "2027-05-20T00:00:00Z"),
            ["2027-05-14 09:00 UTC"]
        );
        // `#`: the second Friday of the month (2026-12-11).
        assert_eq!(
            cron_minutes("0 9 * * 5#2", "America/New_York", "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z"),
            ["2026-12-11 09:00 EST"]
        );
    }

    #[test]
    fn a_tick_while_the_previous_one_still_runs_follows_overlap() {
        let last = Some(ts("2026-11-22T10:00:00Z"));
        let now = ts("2026-11-22T10:01:02Z");
        let skip = decide(schedule("* * * * *", "UTC", Overlap::Skip), last, true, now);
        assert!(
            matches!(skip.decisions[..], [Decision::Miss { reason: MissReason::Overlap, .. }]),
            "{:?}",
            skip.decisions
        );
        assert_eq!(skip.last_fire, Some(ts("2026-11-22T10:01:00Z")));
        let queue = decide(schedule("* * * * *", "UTC", Overlap::Queue), last, true, now);
        assert_eq!(queue.decisions, [Decision::Queue { fire: ts("2026-11-22T10:01:00Z"), stands_for: 1 }]);
    }

    #[test]
    fn ticks_after_an_outage_make_one_catch_up_run() {
        // cron did not run for three hours (the machine was off): one run for 36 fires.
        let plan = decide(
            schedule("*/5 * * * *", "UTC", Overlap::Skip),
            Some(ts("2026-11-22T10:00:00Z")),
            false,
            ts("2026-11-22T13:02:01Z"),
        );
        assert_eq!(plan.decisions, [Decision::Run { fire: ts("2026-11-22T13:00:00Z"), stands_for: 36 }]);
    }
}
