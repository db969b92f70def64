//! The remediation audit and runner's own actions, as every backend keeps them.

use crate::store::contract::each_backend;
use crate::store::remediations::RemediationRow;

/// A remediation of `web/<check>` that started at `started_ms` (PostgreSQL's own tests use it too).
pub(crate) fn row(check: &str, started_ms: i64) -> RemediationRow {
    let time = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    RemediationRow {
        playbook: "web".into(),
        check: check.into(),
        run_id: Some("r1".into()),
        started_at: time(started_ms),
        finished_at: time(started_ms + 2_000),
        trigger: "critical".into(),
        result: "fixed".into(),
        attempt: 1,
        max_attempts: 3,
        origin: "daemon".into(),
        actions: Vec::new(),
        verify: Some("OK: up".into()),
        guard: "attempt 1 of 3 within 1h".into(),
    }
}

#[test]
fn remediations_are_recorded_and_read_back_for_the_guard_and_people() {
    each_backend(|store| {
        store.record_remediation(&row("app", 1_750_000_000_000));
        store.record_remediation(&row("app", 1_750_000_600_000));
        store.record_remediation(&row("other", 1_750_000_300_000));
        assert_eq!(store.remediation_times("web", "app", 0), [1_750_000_000_000, 1_750_000_600_000]);
        assert_eq!(store.remediation_times("web", "app", 1_750_000_000_001), [1_750_000_600_000]);
        assert_eq!(store.last_remediation("web", "app").unwrap(), Some(1_750_000_600_000));
        assert_eq!(store.last_remediation("web", "none").unwrap(), None);

        let rows = store.remediations(Some("web"), None, 0).unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r.check.as_str()).collect();
        assert_eq!(order, ["app", "other", "app"], "newest first");
        let newest = &rows[0];
        assert_eq!(newest.started_at, row("app", 1_750_000_600_000).started_at);
        assert_eq!((newest.result.as_str(), newest.verify.as_deref()), ("fixed", Some("OK: up")));
        assert_eq!((newest.attempt, newest.max_attempts, newest.guard.as_str()), (1, 3, "attempt 1 of 3 within 1h"));
        assert_eq!(store.remediations(None, Some("other"), 0).unwrap().len(), 1);
    });
}

#[test]
fn runners_own_actions_are_intervals_in_seconds_widened_by_one() {
    each_backend(|store| {
        store.record_action("web", "pm2 restart all", 1_750_000_000_000, 1_750_000_004_500);
        store.record_action("web", "old", 1_000_000_000_000, 1_000_000_001_000);
        assert_eq!(store.runner_intervals(1_700_000_000_000), [(1_749_999_999, 1_750_000_005)]);
    });
}
