//! The schedulers' memory, as every backend keeps it: the last fire moved by compare and
//! set, missed fires, and runs in progress found interrupted.

use crate::store::contract::{each_backend, record};
use crate::store::now_ms;

#[test]
fn the_last_fire_moves_only_from_what_the_mover_saw() {
    each_backend(|store| {
        assert_eq!(store.last_fire("web").unwrap(), None);
        assert!(store.advance_last_fire("web", None, 100).unwrap());
        assert!(!store.advance_last_fire("web", None, 200).unwrap(), "someone recorded one meanwhile");
        assert!(store.advance_last_fire("web", Some(100), 200).unwrap());
        assert!(!store.advance_last_fire("web", Some(100), 300).unwrap(), "someone moved it meanwhile");
        assert_eq!(store.last_fire("web").unwrap(), Some(200));
        store.set_last_fire("web", 50).unwrap();
        assert_eq!(store.last_fire("web").unwrap(), Some(50));
        store.set_last_fire("db", 70).unwrap();
        assert_eq!(store.last_fire("db").unwrap(), Some(70));
        assert_eq!(store.last_fire("web").unwrap(), Some(50));
    });
}

#[test]
fn missed_fires_are_counted_per_reason() {
    each_backend(|store| {
        store.record_misses("web", &[(1_000, "overlap"), (2_000, "overlap"), (3_000, "catch-up")]).unwrap();
        store.record_misses("db", &[(1_500, "overlap")]).unwrap();
        let counts = store.miss_counts(None, 0).unwrap();
        let expected = [
            ("db".to_string(), "overlap".to_string(), 1),
            ("web".to_string(), "catch-up".to_string(), 1),
            ("web".to_string(), "overlap".to_string(), 2),
        ];
        assert_eq!(counts, expected);
        assert_eq!(store.miss_counts(Some("web"), 2_000).unwrap().iter().map(|c| c.2).sum::<i64>(), 2, "since");
    });
}

#[test]
fn a_run_left_in_progress_is_marked_interrupted_and_a_finished_one_replaces_its_placeholder() {
    each_backend(|store| {
        store.begin_run("r1", "web", "daemon", Some(1_000)).unwrap();
        let running = store.runs(Some("web"), None, 0, 10).unwrap();
        assert_eq!((running[0].run_id.as_str(), running[0].status.as_str()), ("r1", "running"));
        assert_eq!(store.mark_interrupted("db").unwrap(), 0, "of its playbook only");
        assert_eq!(store.mark_interrupted("web").unwrap(), 1);
        assert_eq!(store.mark_interrupted("web").unwrap(), 0);
        let interrupted = &store.runs(Some("web"), None, 0, 10).unwrap()[0];
        assert!(interrupted.interrupted);
        assert_eq!(interrupted.status, "unknown");
        assert_eq!(store.last_run("web").unwrap(), None, "an interrupted run is not the last run");

        store.begin_run("r2", "web", "manual", None).unwrap();
        store.record_run(&record("r2", "web", now_ms(), &[])).unwrap();
        let runs = store.runs(Some("web"), None, 0, 10).unwrap();
        let r2: Vec<_> = runs.iter().filter(|r| r.run_id == "r2").collect();
        assert_eq!(r2.len(), 1, "the placeholder gave way to the run");
        assert_eq!((r2[0].status.as_str(), r2[0].interrupted), ("ok", false));
    });
}
