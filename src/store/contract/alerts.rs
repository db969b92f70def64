//! Alert state and the outbox, as every backend keeps them: decisions stored with their
//! run, messages queued once, claimed by one deliverer at a time, and their attempts.

use crate::alert::outbox::Outcome;
use crate::alert::policy::AlertState;
use crate::outcome::Status;
use crate::quiet::flapping::FlapState;
use crate::store::alerts::{NewMessage, StateRow};
use crate::store::contract::{each_backend, record};
use crate::store::now_ms;

const LEASE_MS: i64 = 60_000;

fn state(playbook: &str, channel: &str, streak: u32, status: Status) -> StateRow {
    StateRow {
        playbook: playbook.into(),
        channel: channel.into(),
        stream: "disk".into(),
        state: AlertState {
            streak,
            status: Some(status),
            notified: Some(status),
            notified_ms: Some(7),
            since_ms: Some(3),
            // Flapping state rides on the alert state (JSON): it must come back whole.
            flap: Some(FlapState { flapping: true, recent: vec![Status::Ok, status], percent: 62.5 }),
        },
    }
}

fn message(key: &str, playbook: &str) -> NewMessage {
    NewMessage {
        idempotency: key.into(),
        playbook: playbook.into(),
        file: format!("{playbook}.yaml"),
        channel: "ops".into(),
        kind: "problem".into(),
        summary: format!("PROBLEM {playbook}/disk"),
        body: "{}".into(),
        group: None,
    }
}

#[test]
fn a_run_and_its_alert_decisions_are_stored_together() {
    each_backend(|store| {
        let run = record("r1", "web", 1_750_000_000_000, &[]);
        store.commit_run(&run, &[state("web", "ops", 1, Status::Critical)], &[message("k1", "web")]).unwrap();
        assert_eq!(store.runs(Some("web"), None, 0, 10).unwrap().len(), 1);
        assert_eq!(store.alert_states("web").unwrap(), [state("web", "ops", 1, Status::Critical)]);
        assert_eq!(store.pending_count(Some("web")).unwrap(), 1);

        // A later decision replaces the stream's state; the same message is queued once.
        let run = record("r2", "web", 1_750_000_060_000, &[]);
        store.commit_run(&run, &[state("web", "ops", 2, Status::Warning)], &[message("k1", "web")]).unwrap();
        assert_eq!(store.alert_states("web").unwrap(), [state("web", "ops", 2, Status::Warning)]);
        assert_eq!(store.pending_count(None).unwrap(), 1);

        store.commit_run(&record("r3", "db", 1_750_000_000_000, &[]), &[state("db", "a", 1, Status::Ok)], &[]).unwrap();
        let every: Vec<String> = store.all_alert_states(None).unwrap().into_iter().map(|s| s.playbook).collect();
        assert_eq!(every, ["db", "web"], "sorted by playbook");
        assert_eq!(store.all_alert_states(Some("db")).unwrap().len(), 1);
    });
}

#[test]
fn a_dry_runs_decisions_are_stored_without_its_record() {
    each_backend(|store| {
        let mut run = record("dry", "web", 1_750_000_000_000, &[]);
        run.dry_run = true;
        store.commit_run(&run, &[state("web", "ops", 1, Status::Critical)], &[]).unwrap();
        assert!(store.runs(None, None, 0, 10).unwrap().is_empty());
        assert_eq!(store.alert_states("web").unwrap().len(), 1);
    });
}

#[test]
fn messages_sent_before_the_store_took_their_run_are_queued_as_delivered() {
    each_backend(|store| {
        let run = record("r1", "web", 1_750_000_000_000, &[]);
        let sent = [("k1".to_string(), 1_750_000_000_500)];
        store.commit_run_after_sending(&run, &[], &[message("k1", "web"), message("k2", "web")], &sent).unwrap();
        assert_eq!(store.pending_count(None).unwrap(), 1, "only k2 waits");
        let waiting = store.waiting_messages(Some("web"), 10).unwrap();
        assert_eq!(waiting.iter().map(|m| m.idempotency.as_str()).collect::<Vec<_>>(), ["k2"], "listed as counted");
        let all = store.messages(Some("web"), 10).unwrap();
        let k1 = all.iter().find(|m| m.idempotency == "k1").unwrap();
        assert_eq!((k1.delivered_ms, k1.attempts), (Some(1_750_000_000_500), 1));
    });
}

#[test]
fn enqueue_queues_once_per_idempotency_key() {
    each_backend(|store| {
        let ids = store.enqueue(&[message("k1", "web"), message("k2", "web")]).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(store.enqueue(&[message("k1", "web")]).unwrap(), [ids[0]]);
        let first = store.message(ids[0]).unwrap().expect("the message");
        assert_eq!((first.idempotency.as_str(), first.file.as_str(), first.attempts), ("k1", "web.yaml", 0));
        assert_eq!(store.message(ids[1] + 1000).unwrap(), None);
        let newest_first: Vec<i64> = store.messages(None, 10).unwrap().iter().map(|m| m.id).collect();
        assert_eq!(newest_first, [ids[1], ids[0]]);
        assert_eq!(store.due_messages(None, now_ms()).unwrap().len(), 2);
        assert_eq!(store.due_messages(Some("db"), now_ms()).unwrap().len(), 0);
    });
}

#[test]
fn a_claimed_message_is_not_claimed_again_until_released_or_its_lease_ends() {
    each_backend(|store| {
        store.enqueue(&[message("k1", "web"), message("k2", "db")]).unwrap();
        let now = now_ms();
        let claimed = store.claim_due(&["web".to_string()], now, LEASE_MS).unwrap();
        assert_eq!(claimed.iter().map(|m| m.idempotency.as_str()).collect::<Vec<_>>(), ["k1"]);
        assert!(store.claim_due(&["web".to_string()], now, LEASE_MS).unwrap().is_empty(), "held by its claim");
        let rest = store.claim_every_due(now, LEASE_MS).unwrap();
        assert_eq!(rest.iter().map(|m| m.idempotency.as_str()).collect::<Vec<_>>(), ["k2"]);

        store.release(&[claimed[0].id]).unwrap();
        assert_eq!(store.claim_due(&["web".to_string()], now, LEASE_MS).unwrap().len(), 1, "released");
        assert_eq!(store.claim_every_due(now + LEASE_MS + 1, LEASE_MS).unwrap().len(), 2, "leases ended");
    });
}

#[test]
fn an_attempt_left_open_by_its_deliverer_is_abandoned_and_counted() {
    each_backend(|store| {
        store.enqueue(&[message("k1", "web")]).unwrap();
        let now = now_ms();
        let claimed = store.claim_every_due(now, LEASE_MS).unwrap();
        let attempt = store.begin_attempt(&claimed[0], "host-a").unwrap();
        assert!(attempt > 0);
        let open = store.attempts(claimed[0].id).unwrap();
        assert_eq!((open[0].attempt, open[0].host.as_str(), open[0].outcome.clone()), (1, "host-a", None));

        let again = store.claim_every_due(now + LEASE_MS + 1, LEASE_MS).unwrap();
        assert_eq!(again[0].attempts, 1, "the abandoned attempt counts");
        let attempts = store.attempts(claimed[0].id).unwrap();
        assert_eq!(attempts[0].outcome.as_deref(), Some("abandoned"));
    });
}

#[test]
fn a_finished_attempt_settles_or_reschedules_its_message() {
    each_backend(|store| {
        let ids = store.enqueue(&[message("ok", "web"), message("retry", "web"), message("drop", "web")]).unwrap();
        let now = now_ms();
        let claimed = store.claim_every_due(now, LEASE_MS).unwrap();
        let attempt = |i: usize| Some(store.begin_attempt(&claimed[i], "host-a").unwrap());

        store.finish_attempt(ids[0], attempt(0), Some(200), &Outcome::Delivered, "host-a").unwrap();
        let retry = Outcome::Retry { due_ms: now + 600_000, error: "HTTP 503".into() };
        store.finish_attempt(ids[1], attempt(1), Some(503), &retry, "host-a").unwrap();
        let dropped = Outcome::Dropped { reason: "HTTP 400: rejected".into() };
        store.finish_attempt(ids[2], attempt(2), Some(400), &dropped, "host-a").unwrap();

        let delivered = store.message(ids[0]).unwrap().unwrap();
        assert!(delivered.delivered_ms.is_some());
        assert_eq!(delivered.attempts, 1);
        let finished = &store.attempts(ids[0]).unwrap()[0];
        assert_eq!((finished.outcome.as_deref(), finished.http_status), (Some("delivered"), Some(200)));
        assert!(finished.finished_ms.is_some());

        let waiting = store.message(ids[1]).unwrap().unwrap();
        assert_eq!((waiting.due_ms, waiting.last_error.as_deref()), (now + 600_000, Some("HTTP 503")));
        assert!(store.due_messages(None, now).unwrap().is_empty(), "not due before its retry time");
        assert_eq!(store.due_messages(None, now + 600_000).unwrap().len(), 1);

        assert_eq!(store.message(ids[2]).unwrap().unwrap().dropped.as_deref(), Some("HTTP 400: rejected"));
        assert_eq!(store.pending_count(None).unwrap(), 1, "only the retry waits");
    });
}

#[test]
fn a_host_that_cannot_deliver_says_so_until_the_message_is_settled() {
    each_backend(|store| {
        let ids = store.enqueue(&[message("k1", "web")]).unwrap();
        let now = now_ms();
        store.claim_every_due(now, LEASE_MS).unwrap();
        let outcome = Outcome::Undeliverable { reason: "the playbook file is gone".into() };
        store.finish_attempt(ids[0], None, None, &outcome, "host-b").unwrap();
        let said = store.undeliverable(Some("web")).unwrap();
        assert_eq!(said.len(), 1);
        assert_eq!((said[0].host.as_str(), said[0].reason.as_str()), ("host-b", "the playbook file is gone"));
        assert_eq!(said[0].summary, "PROBLEM web/disk");
        assert_eq!(store.pending_count(None).unwrap(), 1, "still queued");

        let claimed = store.claim_every_due(now, LEASE_MS).unwrap();
        assert_eq!(claimed.len(), 1, "released for a host that can");
        let attempt = store.begin_attempt(&claimed[0], "host-a").unwrap();
        store.finish_attempt(ids[0], Some(attempt), Some(200), &Outcome::Delivered, "host-a").unwrap();
        assert!(store.undeliverable(None).unwrap().is_empty());
    });
}
