//! Decisions as every backend keeps them: stored with their run (one row per result and
//! channel, reasons in order), read back per run, and the latest per check and channel.

use crate::outcome::Status;
use crate::store::contract::{each_backend, record};
use crate::store::decisions::DecisionRow;

fn decision(check: &str, kind: Option<&str>, reasons: &[&str]) -> DecisionRow {
    DecisionRow {
        check: check.into(),
        channel: "ops".into(),
        kind: kind.map(str::to_string),
        reasons: reasons.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn decisions_are_stored_with_their_run_and_the_latest_is_found() {
    each_backend(|store| {
        let mut first = record("r1", "web", 1_000, &[("api", Status::Critical, &[]), ("tls", Status::Critical, &[])]);
        first.decisions = vec![
            decision("api", None, &["maintenance", "silenced", "suppressed_by", "flapping"]),
            decision("tls", Some("problem"), &[]),
        ];
        store.record_run(&first).unwrap();
        let mut second = record("r2", "web", 2_000, &[("api", Status::Ok, &[])]);
        second.decisions = vec![decision("api", Some("recovery"), &[])];
        store.record_run(&second).unwrap();

        assert_eq!(store.decisions("r1").unwrap(), first.decisions, "reasons keep their order");
        assert!(store.decisions("none").unwrap().is_empty());
        let latest = store.latest_decisions(Some("web")).unwrap();
        let seen: Vec<(&str, &str, Option<&str>)> =
            latest.iter().map(|(_, run, d)| (run.as_str(), d.check.as_str(), d.kind.as_deref())).collect();
        assert_eq!(seen, [("r2", "api", Some("recovery")), ("r1", "tls", Some("problem"))]);
        assert!(store.latest_decisions(Some("other")).unwrap().is_empty());
        assert_eq!(store.latest_decisions(None).unwrap().len(), 2);
    });
}
