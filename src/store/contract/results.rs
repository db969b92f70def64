//! Results over time, paged, as every backend reads them.

use crate::outcome::Status;
use crate::store::contract::{each_backend, record};
use crate::store::results::ResultQuery;

#[test]
fn results_come_newest_first_by_playbook_and_check_and_pages_neither_repeat_nor_skip() {
    each_backend(|store| {
        let t0 = 1_750_000_000_000;
        for i in 0..5 {
            let status = if i == 3 { Status::Critical } else { Status::Ok };
            let run =
                record(&format!("r{i}"), "web", t0 + i * 60_000, &[("api", status, &[]), ("db", Status::Ok, &[])]);
            store.record_run(&run).unwrap();
        }
        store.record_run(&record("o1", "other", t0, &[("api", Status::Ok, &[])])).unwrap();
        let query = ResultQuery { playbook: Some("web"), check: Some("api"), limit: 2, ..ResultQuery::default() };
        let first = store.results(&query).unwrap();
        let runs: Vec<&str> = first.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["r4", "r3"]);
        assert_eq!((first[1].status.as_str(), first[1].message.as_str()), ("critical", "api said so"));
        assert_eq!(first[1].started_ms, t0 + 3 * 60_000);
        let next = store.results(&ResultQuery { before: Some(first[1].seq), ..query.clone() }).unwrap();
        let runs: Vec<&str> = next.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["r2", "r1"]);
        let since = store.results(&ResultQuery { since_ms: t0 + 4 * 60_000, limit: 10, ..query }).unwrap();
        assert_eq!(since.len(), 1);
        let everything = store.results(&ResultQuery { limit: 100, ..ResultQuery::default() }).unwrap();
        assert_eq!(everything.len(), 11);
    });
}

#[test]
fn the_latest_results_of_one_check_are_its_last_n_newest_first() {
    each_backend(|store| {
        let t0 = 1_750_000_000_000;
        for i in 0..5 {
            let status = if i == 3 { Status::Critical } else { Status::Ok };
            let run =
                record(&format!("r{i}"), "web", t0 + i * 60_000, &[("api", status, &[]), ("db", Status::Ok, &[])]);
            store.record_run(&run).unwrap();
        }
        store.record_run(&record("o1", "other", t0 + 10 * 60_000, &[("api", Status::Ok, &[])])).unwrap();
        let latest = store.latest_results("web", "api", 3).unwrap();
        let runs: Vec<&str> = latest.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(runs, ["r4", "r3", "r2"], "another playbook's check of the same id is not this one");
        assert_eq!((latest[1].status.as_str(), latest[1].check.as_str()), ("critical", "api"));
        assert_eq!(
            latest[0],
            store
                .results(&ResultQuery { playbook: Some("web"), check: Some("api"), limit: 1, ..ResultQuery::default() })
                .unwrap()[0]
        );
        assert_eq!(store.latest_results("web", "db", 100).unwrap().len(), 5);
        assert!(store.latest_results("web", "nope", 10).unwrap().is_empty());
        assert!(store.latest_results("nope", "api", 10).unwrap().is_empty());
    });
}
