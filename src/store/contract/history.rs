//! Runs, their history and the last run, as every backend keeps them.

use crate::outcome::Status;
use crate::store::contract::{each_backend, record};

const HOUR_MS: i64 = 3_600_000;
const T0: i64 = 1_750_000_000_000;

#[test]
fn a_recorded_run_reads_back_as_runs_counts_checks_and_trends() {
    each_backend(|store| {
        store.record_run(&record("r1", "web", T0, &[("disk", Status::Ok, &[("used", 10.0)])])).unwrap();
        store.record_run(&record("r2", "web", T0 + HOUR_MS, &[("disk", Status::Critical, &[("used", 30.0)])])).unwrap();
        store.record_run(&record("r3", "db", T0 + 2 * HOUR_MS, &[("ping", Status::Ok, &[])])).unwrap();

        let runs = store.runs(None, None, 0, 10).unwrap();
        let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["r3", "r2", "r1"], "newest first");
        assert_eq!(runs[1].playbook, "web");
        assert_eq!(runs[1].status, "critical");
        assert_eq!(runs[1].origin, "daemon");
        assert!(!runs[1].interrupted);
        assert_eq!(store.runs(Some("web"), None, T0 + 1, 10).unwrap().len(), 1, "since");
        assert_eq!(store.runs(None, Some("ping"), 0, 10).unwrap().len(), 1, "of one check");
        assert_eq!(store.runs(None, None, 0, 2).unwrap().len(), 2, "limit");

        assert_eq!(store.run_counts(Some("web"), None, 0).unwrap(), [("critical".into(), 1), ("ok".into(), 1)]);
        assert_eq!(store.check_ids(None).unwrap(), ["disk", "ping"]);
        assert_eq!(store.check_ids(Some("db")).unwrap(), ["ping"]);

        let trends = store.trends(Some("web"), None, 0).unwrap();
        assert_eq!(trends.len(), 1);
        let used = &trends[0];
        assert_eq!((used.check.as_str(), used.metric.as_str(), used.samples), ("disk", "used", 2));
        assert_eq!((used.min, used.avg, used.max, used.last), (10.0, 20.0, 30.0, 30.0));
        assert!(store.trends(Some("web"), None, T0 + 2 * HOUR_MS).unwrap().is_empty(), "no samples in the window");

        let samples = store.samples("web", "disk", "used", T0 / 1000).unwrap();
        assert_eq!(samples, [(T0 / 1000, 10.0), ((T0 + HOUR_MS) / 1000, 30.0)], "seconds and values, oldest first");
    });
}

#[test]
fn a_dry_run_is_not_recorded_and_a_batch_is() {
    each_backend(|store| {
        let mut dry = record("dry", "web", T0, &[]);
        dry.dry_run = true;
        store.record_run(&dry).unwrap();
        assert!(store.runs(None, None, 0, 10).unwrap().is_empty());
        let batch = [record("a", "web", T0, &[]), record("b", "web", T0 + 1, &[])];
        store.record_runs(&batch).unwrap();
        assert_eq!(store.runs(None, None, 0, 10).unwrap().len(), 2);
    });
}

#[test]
fn the_last_run_keeps_its_checks_metrics_and_last_success() {
    each_backend(|store| {
        assert_eq!(store.last_run("web").unwrap(), None);
        store.record_run(&record("r1", "web", T0, &[("disk", Status::Ok, &[("used", 10.0)])])).unwrap();
        let failing =
            record("r2", "web", T0 + HOUR_MS, &[("disk", Status::Critical, &[("used", 95.0), ("free", 5.0)])]);
        store.record_run(&failing).unwrap();
        let last = store.last_run("web").unwrap().expect("a last run");
        assert_eq!((last.started_ms, last.status.as_str()), (T0 + HOUR_MS, "critical"));
        assert_eq!(last.last_success_ms, Some(T0));
        assert_eq!(last.checks.len(), 1);
        let disk = &last.checks[0];
        assert_eq!(
            (disk.id.as_str(), disk.status.as_str(), disk.message.as_str()),
            ("disk", "critical", "disk said so")
        );
        assert_eq!((disk.attempts, disk.duration_ms), (1, 5));
        let mut metrics = disk.metrics.clone();
        metrics.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(metrics, [("free".to_string(), 5.0), ("used".to_string(), 95.0)]);
    });
}

#[test]
fn prune_forgets_what_is_older_than_the_cutoff() {
    each_backend(|store| {
        store.record_run(&record("old", "web", T0, &[("disk", Status::Ok, &[("used", 1.0)])])).unwrap();
        store.record_run(&record("new", "web", T0 + HOUR_MS, &[("disk", Status::Ok, &[("used", 2.0)])])).unwrap();
        store.record_run(&record("other", "db", T0, &[])).unwrap();
        assert_eq!(store.prune(Some("web"), T0 + 1).unwrap(), 1);
        let left: Vec<String> = store.runs(None, None, 0, 10).unwrap().into_iter().map(|r| r.run_id).collect();
        assert_eq!(left, ["new", "other"]);
        assert_eq!(store.samples("web", "disk", "used", 0).unwrap(), [((T0 + HOUR_MS) / 1000, 2.0)]);
        assert_eq!(store.prune(None, T0 + 2 * HOUR_MS).unwrap(), 2);
        store.vacuum().unwrap();
        assert!(store.runs(None, None, 0, 10).unwrap().is_empty());
    });
}
