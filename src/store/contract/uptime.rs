//! Uptime, as every backend rolls it up: the roll-ups against a fixture computed by hand
//! from CLI.md's definition, and against the raw computation on the same data.

use crate::outcome::RunRecord;
use crate::quiet::{Hold, Holds};
use crate::store::Store;
use crate::store::contract::each_backend;
use crate::store::uptime::{Filter, SeriesFigures};
use crate::uptime::Figures;

const MIN: i64 = 60_000;
/// Minute 0 of the fixture: 2026-03-01T22:00:00Z; UTC midnight falls at minute 120.
const T0: i64 = 1_772_402_400_000;

fn at(minute: i64) -> i64 {
    T0 + minute * MIN
}

fn run(playbook: &str, minute: i64, period_ms: Option<u64>, checks: &[(&str, &str)]) -> RunRecord {
    let checks: Vec<serde_json::Value> = checks
        .iter()
        .map(|(id, status)| {
            serde_json::json!({"id": id, "name": id, "kind": "command", "status": status, "message": "",
                "metrics": {}, "attempts": 1, "duration_ms": 1})
        })
        .collect();
    let started = jiff::Timestamp::from_millisecond(at(minute)).unwrap().to_string();
    serde_json::from_value(serde_json::json!({
        "id": format!("{playbook}-{minute}"), "playbook": playbook, "file": "p.yaml", "origin": "daemon",
        "started_at": started, "finished_at": started, "duration_ms": 1, "status": "ok", "exit_code": 0,
        "checks": checks, "summary": crate::outcome::Summary::default(), "period_ms": period_ms,
    }))
    .unwrap()
}

const FIVE: Option<u64> = Some(300_000);

/// The fixture of `shop` (every 5 minutes): `api` as below, `db` always SKIPPED.
///
/// api, minute: status → what it holds (a result holds until the next, at most 10 min):
///   0 OK → up 0–5 · 5 OK → up 5–10
///   10 CRIT → down 10–15 (incident A starts) · 15 CRIT → down 15–20
///   20 OK → up 20–25 (A recovers: 10 min)
///   25 SKIPPED → no data 25–30
///   30 OK → up 30–35 · 35 OK → up 35–45, then no data 45–60 (a gap of 25 > 2 × 5)
///   60 CRIT held by maintenance → no data 60–65 (and no incident)
///   65 OK → up 65–70 · 70 OK → up 70–80, no data 80–115
///   115 CRIT → down 115–120 (incident B starts, the day before midnight)
///   120 CRIT → down 120–125 (midnight: the next UTC day)
///   125 MANUAL → no data 125–130 (no data neither ends nor starts an incident)
///   130 CRIT → down 130–135
///   135 OK → up 135–140 (B recovers: 20 min)
///   140, 145, …, 1600 OK → up 140–1600 · 1600 OK → up 1600–now (1603)
/// (the next UTC midnight falls at minute 1560, inside the last stretch).
fn shop(store: &dyn Store) {
    let mut runs = Vec::new();
    let mut api = |minute: i64, status: &'static str| {
        let mut run = run("shop", minute, FIVE, &[("api", status), ("db", "skipped")]);
        if minute == 60 {
            // Held back by a maintenance window.
            run.checks[0].holds = Holds::new(vec![Hold::Maintenance { note: None, until_ms: at(65) }]);
        }
        runs.push(run);
    };
    for (minute, status) in [
        (0, "ok"),
        (5, "ok"),
        (10, "critical"),
        (15, "critical"),
        (20, "ok"),
        (25, "skipped"),
        (30, "ok"),
        (35, "ok"),
        (60, "critical"),
        (65, "ok"),
        (70, "ok"),
        (115, "critical"),
        (120, "critical"),
        (125, "manual"),
        (130, "critical"),
        (135, "ok"),
    ] {
        api(minute, status);
    }
    let (before, after): (Vec<_>, Vec<_>) = (140..=1600).step_by(5).partition(|m| *m < 700);
    for minute in before {
        api(minute, "ok");
    }
    store.record_runs(&runs).unwrap();
    // The roll-ups are rebuilt from the raw results, as SQLite's migration does.
    store.rebuild_uptime().unwrap();
    // The rest is recorded run by run, on top of the rebuilt roll-ups.
    for minute in after {
        store.record_run(&run("shop", minute, FIVE, &[("api", "ok"), ("db", "skipped")])).unwrap();
    }
}

fn figures(rows: &[SeriesFigures], check: Option<&str>) -> Figures {
    rows.iter().find(|r| r.check.as_deref() == check).unwrap().figures.clone()
}

fn assert_percent(figures: &Figures, expected: f64) {
    let got = figures.uptime_percent.expect("a figure");
    assert!((got - expected).abs() < 0.01, "uptime {got} % is not {expected} %");
}

#[test]
fn uptime_equals_the_fixture_computed_by_hand() {
    each_backend(|store| {
        shop(store.as_ref());
        let now = at(1603);
        let filter = Filter { playbook: Some("shop"), check: None };
        for rows in [store.uptime(filter, at(-1000), now).unwrap(), store.uptime_raw(filter, at(-1000), now).unwrap()] {
            // The whole fixture. Up: 5+5+5+5+10+5+10+5 (to minute 140) + 1463 (140–1603)
            // = 1513 min; down: 5+5+5+5+5 = 25 min. 1513 / 1538 = 98.3745 %.
            let api = figures(&rows, Some("api"));
            assert_eq!((api.totals.up_ms, api.totals.down_ms), (1513 * MIN, 25 * MIN));
            assert_percent(&api, 98.3745);
            assert_eq!(api.incidents, 2);
            assert!(!api.ongoing);
            // (10 + 20) / 2 = 15 min to recover. The longest outage is B's down time,
            // 115–125 and 130–135 = 15 min: the no-data 125–130 inside it does not end B
            // (one incident) but is no outage either, so the longest outage (15) stays
            // within the down time (25) though B took 20 min to recover.
            assert_eq!(api.mean_time_to_recover_ms, Some(15 * MIN));
            assert_eq!(api.longest_outage_ms, Some(15 * MIN));
            assert!(api.longest_outage_ms.unwrap() <= api.totals.down_ms);
            // `db` was always skipped: no data is "—", never 100 %.
            let db = figures(&rows, Some("db"));
            assert_eq!(db.uptime_percent, None);
            assert_eq!((db.incidents, db.longest_outage_ms), (0, None));
            // The playbook's own series: `db` counts for nothing, so it is `api`'s.
            assert_eq!(figures(&rows, None), api);
        }
        // `--since 1500m` cuts the first day at minute 103: [103, 1603) holds no data
        // 103–115, down 115–125 and 130–135 (15 min), up 135–1603 (1468 min):
        // 1468 / 1483 = 98.9885 %; only incident B started inside (20 min to recover, an
        // outage of 15 min: its down time).
        let since = now - 1500 * MIN;
        for rows in [store.uptime(filter, since, now).unwrap(), store.uptime_raw(filter, since, now).unwrap()] {
            let api = figures(&rows, Some("api"));
            assert_eq!((api.totals.up_ms, api.totals.down_ms), (1468 * MIN, 15 * MIN));
            assert_percent(&api, 98.9885);
            assert_eq!(
                (api.incidents, api.mean_time_to_recover_ms, api.longest_outage_ms),
                (1, Some(20 * MIN), Some(15 * MIN))
            );
        }
        // A window inside the gap after minute 35, 2 minutes long, ending at 50 (seen from
        // then): 45–50 is no data, 48–50 too: "—".
        let rows = store.uptime(filter, at(48), at(50)).unwrap();
        assert_eq!(figures(&rows, Some("api")).uptime_percent, None);
    });
}

#[test]
fn an_incident_still_open_runs_until_now() {
    each_backend(|store| {
        store.record_run(&run("p", 0, FIVE, &[("c", "ok")])).unwrap();
        store.record_run(&run("p", 5, FIVE, &[("c", "warning")])).unwrap();
        store.record_run(&run("p", 10, FIVE, &[("c", "unknown")])).unwrap();
        // At minute 13: up 0–5, down 5–13 → 5 / 13 = 38.4615 %; one incident, open, 8 min.
        let rows = store.uptime(Filter::default(), at(-60), at(13)).unwrap();
        let c = figures(&rows, Some("c"));
        assert_percent(&c, 38.4615);
        assert!(c.ongoing);
        assert_eq!((c.incidents, c.mean_time_to_recover_ms, c.longest_outage_ms), (1, None, Some(8 * MIN)));
    });
}

#[test]
fn a_playbook_without_a_schedule_is_weighted_by_result() {
    each_backend(|store| {
        // OK, CRITICAL, OK, OK, SKIPPED at minutes 0, 600, 1200, 1800, 1900 (no period).
        for (minute, status) in [(0, "ok"), (600, "critical"), (1200, "ok"), (1800, "ok"), (1900, "skipped")] {
            store.record_run(&run("manual", minute, None, &[("c", status)])).unwrap();
        }
        let now = at(2000);
        // All: 3 up of 4 counted → 75 %; one incident (600 → 1200: 10 h).
        for rows in [
            store.uptime(Filter::default(), at(-1), now).unwrap(),
            store.uptime_raw(Filter::default(), at(-1), now).unwrap(),
        ] {
            let c = figures(&rows, Some("c"));
            assert_eq!(c.weighed_by, Some(crate::uptime::Weighing::Result));
            assert_percent(&c, 75.0);
            assert_eq!(c.mean_time_to_recover_ms, Some(600 * MIN));
        }
        // Since minute 601 (a cut day): OK, OK → 100 %, no incident started inside.
        let c = figures(&store.uptime(Filter::default(), at(601), now).unwrap(), Some("c"));
        assert_percent(&c, 100.0);
        assert_eq!(c.incidents, 0);
    });
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Which results of `mixed` a maintenance window or a silence held back (no data).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    None,
    Some,
}

/// 900 runs of `mixed` (checks `a`, `b`) with random statuses, gaps of up to 3 hours,
/// and stretches without a schedule; returns the minutes they started at. With
/// `Held::Some`, some results were held back by a maintenance window or a silence.
fn mixed(store: &dyn Store, seed: u64, held: Held) -> Vec<i64> {
    let mut rng = Lcg(seed);
    let statuses = ["ok", "ok", "ok", "ok", "critical", "warning", "unknown", "skipped", "manual"];
    let mut minute = 0;
    let mut minutes = Vec::new();
    for _ in 0..900 {
        // Mostly every 5 minutes, sometimes a gap of up to 3 hours.
        minute += if rng.next(20) == 0 { 5 + rng.next(180) as i64 } else { 5 };
        minutes.push(minute);
    }
    for (i, minute) in minutes.iter().enumerate() {
        let a = statuses[rng.next(statuses.len() as u64) as usize];
        let b = statuses[rng.next(statuses.len() as u64) as usize];
        let period = if i % 300 < 280 { FIVE } else { None };
        let mut run = run("mixed", *minute, period, &[("a", a), ("b", b)]);
        if held == Held::Some {
            for (k, check) in run.checks.iter_mut().enumerate() {
                let (i, k) = (i as u64, k as u64 + 1);
                if (i * 7 + k) % 11 == 0 {
                    check.holds = Holds::new(vec![Hold::Maintenance { note: None, until_ms: at(*minute + 5) }]);
                } else if (i * 5 + k) % 13 == 0 {
                    check.holds = Holds::new(vec![Hold::Silenced { id: "s1".into(), note: None }]);
                }
            }
        }
        store.record_run(&run).unwrap();
    }
    minutes
}

#[test]
fn roll_ups_equal_the_raw_computation_for_every_cut() {
    each_backend(|store| {
        let minutes = mixed(store.as_ref(), 7, Held::None);
        // A run recorded late (a clock set back): its series are rebuilt.
        store.record_run(&run("mixed", 7, FIVE, &[("a", "critical"), ("b", "ok")])).unwrap();
        let last = *minutes.last().unwrap();
        // Now after the last result, and (a clock set back) before it.
        for now in [last, last + 3, last + 60, last - 500, last - 2000] {
            let mut since = -30;
            while since < now {
                let (since_ms, now_ms) = (at(since), at(now));
                let rolled = store.uptime(Filter::default(), since_ms, now_ms).unwrap();
                let raw = store.uptime_raw(Filter::default(), since_ms, now_ms).unwrap();
                assert_eq!(rolled, raw, "since minute {since}, now minute {now}");
                assert_outage_within_down_time(&rolled, &format!("since minute {since}, now minute {now}"));
                since += 37;
            }
        }
        // Rebuilding from scratch changes nothing.
        assert_rebuild_changes_nothing(store.as_ref(), last);
    });
}

/// An incident's outage is its down time: where time is weighed alone, the longest outage
/// never exceeds the down time (no-data inside is no outage).
fn assert_outage_within_down_time(rows: &[SeriesFigures], context: &str) {
    for row in rows.iter().filter(|r| r.figures.totals.up_results + r.figures.totals.down_results == 0) {
        let figures = &row.figures;
        assert!(
            figures.longest_outage_ms.is_none_or(|longest| longest <= figures.totals.down_ms),
            "{context}: {figures:?}"
        );
    }
}

fn assert_rebuild_changes_nothing(store: &dyn Store, last: i64) {
    let before = store.uptime(Filter::default(), at(0), at(last)).unwrap();
    store.rebuild_uptime().unwrap();
    assert_eq!(store.uptime(Filter::default(), at(0), at(last)).unwrap(), before);
}

#[test]
fn pruned_history_takes_its_roll_ups_along_and_both_paths_still_agree() {
    each_backend(|store| {
        // Some failing results were held back by a maintenance window or a silence: no data.
        let minutes = mixed(store.as_ref(), 11, Held::Some);
        let last = *minutes.last().unwrap();
        // Cutoffs inside incidents, gaps and stretches without a schedule alike, each
        // pruning a little more (as `retention` does after every run).
        for cutoff in [minutes[40] + 2, minutes[41], minutes[150] + 1, minutes[290] - 1, minutes[600] + 3] {
            store.prune(Some("mixed"), at(cutoff)).unwrap();
            let older = store.uptime_rows_older(at(cutoff)).unwrap();
            assert_eq!((older.days, older.spans, older.incidents), (0, 0, 0), "cutoff minute {cutoff}");
            for now in [last, last + 60] {
                let mut since = cutoff - 100;
                while since < now {
                    let (since_ms, now_ms) = (at(since), at(now));
                    let rolled = store.uptime(Filter::default(), since_ms, now_ms).unwrap();
                    let raw = store.uptime_raw(Filter::default(), since_ms, now_ms).unwrap();
                    let context = format!("cutoff minute {cutoff}, since minute {since}, now minute {now}");
                    assert_eq!(rolled, raw, "{context}");
                    assert_outage_within_down_time(&rolled, &context);
                    since += 293;
                }
            }
        }
        // What the fix-up left equals a replay from the kept results.
        assert_rebuild_changes_nothing(store.as_ref(), last);
        // Everything pruned: no roll-up is left, and no figure.
        store.prune(Some("mixed"), at(last + 1)).unwrap();
        assert_eq!(store.uptime_rows_older(at(last + 1)).unwrap().tails, 0);
        let rows = store.uptime(Filter::default(), at(0), at(last + 60)).unwrap();
        assert!(rows.iter().all(|r| r.figures.uptime_percent.is_none()), "{rows:?}");
    });
}
