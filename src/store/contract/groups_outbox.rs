//! The grouped outbox: members wait unclaimed, are bound to a carrier once, and are
//! settled with it.

use crate::alert::outbox::Outcome;
use crate::store::alerts::NewMessage;
use crate::store::groups_outbox::{Carrier, GroupMembership};

fn member(n: usize, playbook: &str, key: &str) -> NewMessage {
    NewMessage {
        idempotency: format!("{playbook}:hook:c{n}:problem:run"),
        playbook: playbook.into(),
        file: format!("/{playbook}.yaml"),
        channel: "hook".into(),
        kind: "problem".into(),
        summary: format!("PROBLEM c{n}"),
        body: "{}".into(),
        group: Some(GroupMembership {
            key: key.into(),
            window_ms: 60_000,
            max_per_hour: Some(30),
            alert: format!(r#"{{"kind":"problem","stream":"c{n}"}}"#),
        }),
    }
}

fn carrier(members: Vec<i64>, key: &str) -> Carrier {
    Carrier {
        idempotency: key.into(),
        playbook: "a".into(),
        file: "/a.yaml".into(),
        channel: "hook".into(),
        kind: "group".into(),
        summary: "GROUP".into(),
        body: "{}".into(),
        members,
    }
}

#[test]
fn members_wait_unclaimed_until_their_carrier_is_delivered() {
    super::each_backend(|store| {
        let ids = store.enqueue(&[member(1, "a", "k1"), member(2, "b", "k1"), member(3, "c", "k2")]).unwrap();
        let now = crate::store::now_ms();
        assert!(store.claim_every_due(now + 1, 60_000).unwrap().is_empty(), "a member is never sent on its own");
        let of_a = store.pending_members(Some(&["a".to_string()])).unwrap();
        assert_eq!(of_a.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..2], "b shares a's destination");
        assert_eq!(store.pending_members(None).unwrap().len(), 3);

        assert_eq!(store.record_group("k1", &[carrier(ids[..2].to_vec(), "group:x")], now).unwrap(), 1);
        assert_eq!(store.record_group("k1", &[carrier(ids[..2].to_vec(), "group:y")], now).unwrap(), 0, "bound once");
        assert_eq!(store.carriers_in("k1", now, now + 1).unwrap(), 1);
        let claimed = store.claim_every_due(now + 1, 60_000).unwrap();
        assert_eq!(claimed.len(), 1);
        let carrier = &claimed[0];
        assert_eq!(store.carried_by(carrier.id).unwrap().len(), 2);

        store
            .finish_attempt(carrier.id, None, Some(503), &Outcome::Retry { due_ms: now, error: "busy".into() }, "h")
            .unwrap();
        assert_eq!(store.pending_count(None).unwrap(), 2, "the carrier and c's member still wait");
        // What waits is listed as counted: the carrier and c's member, not those it carries.
        let mut waiting: Vec<i64> = store.waiting_messages(None, 10).unwrap().iter().map(|m| m.id).collect();
        waiting.sort();
        let mut expected = vec![carrier.id, ids[2]];
        expected.sort();
        assert_eq!(waiting, expected);
        assert_eq!(store.waiting_messages(None, 1).unwrap().len(), 1, "at most the limit");
        store.finish_attempt(carrier.id, None, Some(200), &Outcome::Delivered, "h").unwrap();
        for id in &ids[..2] {
            assert!(store.message(*id).unwrap().unwrap().delivered_ms.is_some());
        }
        assert!(store.message(ids[2]).unwrap().unwrap().delivered_ms.is_none());
    });
}
