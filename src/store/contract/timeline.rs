//! The uptime roll-ups' course of a series (the status page's bar and "since when"), as
//! every backend reads it.

use crate::outcome::Status;
use crate::store::contract::{each_backend, record};
use crate::store::uptime::{Filter, SeriesTimeline};
use crate::uptime::Span;

const MIN: i64 = 60_000;

#[test]
fn the_timeline_is_the_spans_cut_to_the_window_and_says_when_the_state_last_turned() {
    each_backend(|store| {
        let t0 = 1_750_000_020_000 - 1_750_000_020_000 % 86_400_000 + 3_600_000; // 01:00 UTC
        for minute in 0..10 {
            // api: OK, CRITICAL at minutes 4 and 5, OK again from 6; db: OK throughout;
            // cache: OK until it fails at 7.
            let api = if (4..6).contains(&minute) { Status::Critical } else { Status::Ok };
            let cache = if minute >= 7 { Status::Critical } else { Status::Ok };
            let checks = [("api", api, &[][..]), ("cache", cache, &[][..]), ("db", Status::Ok, &[][..])];
            let mut run = record(&format!("r{minute}"), "web", t0 + minute * MIN, &checks);
            run.period_ms = Some(MIN as u64);
            store.record_run(&run).unwrap();
        }
        let now = t0 + 10 * MIN + 30_000;
        let rows = store.uptime_timeline(Filter { playbook: Some("web"), check: None }, t0 + 2 * MIN, now).unwrap();
        let of = |check: &str| -> &SeriesTimeline { rows.iter().find(|r| r.check.as_deref() == Some(check)).unwrap() };
        let span = |from: i64, to: i64, up: bool| Span { start_ms: t0 + from, end_ms: t0 + to, up };
        // The first span is cut at the window's start; the last result holds until now.
        assert_eq!(
            of("api").spans,
            [span(2 * MIN, 4 * MIN, true), span(4 * MIN, 6 * MIN, false), span(6 * MIN, now - t0, true)]
        );
        assert_eq!(of("api").state_since_ms, Some(t0 + 6 * MIN), "the end of its last incident");
        assert_eq!(of("cache").state_since_ms, Some(t0 + 7 * MIN), "the start of the incident in progress");
        assert_eq!(of("db").state_since_ms, Some(t0), "never turned: its first result");
        assert_eq!(of("db").spans, [span(2 * MIN, now - t0, true)]);
        assert!(rows.iter().any(|r| r.playbook == "web" && r.check.is_none()), "the playbook's own series");
        let one = store.uptime_timeline(Filter { playbook: Some("web"), check: Some("db") }, t0, now).unwrap();
        assert_eq!(one.len(), 1);
        // An empty window has no spans, but the series still says when it turned.
        let empty = store.uptime_timeline(Filter { playbook: Some("web"), check: Some("api") }, now, now).unwrap();
        assert_eq!((empty[0].spans.len(), empty[0].state_since_ms), (0, Some(t0 + 6 * MIN)));
        assert!(store.uptime_timeline(Filter { playbook: Some("nope"), check: None }, t0, now).unwrap().is_empty());
    });
}
