//! Heartbeats and one-host claims, as every backend keeps them: a host id beaten by two
//! live instances is refused, the silent alarm is raised once, and a fire is taken by one
//! host at a time, taken over only when its lease lapsed, never while an earlier fire
//! still runs.

use crate::store::contract::each_backend;
use crate::store::fleet::{Beat, Claim, Heartbeat};

fn beat(host: &str, instance: &str, seen_ms: i64) -> Heartbeat {
    Heartbeat {
        host: host.into(),
        instance: instance.into(),
        pid: 42,
        started_ms: 1_000,
        seen_ms,
        grace_ms: 5_000,
        playbooks: vec!["api".into()],
        silent_since_ms: None,
    }
}

#[test]
fn a_host_id_beats_for_one_live_instance_and_its_silence_is_raised_once() {
    each_backend(|store| {
        assert_eq!(store.heartbeat(&beat("web-1", "i1", 10_000), 0).unwrap(), Beat::Recorded { was_silent: None });
        store.heartbeat(&beat("web-2", "i2", 10_000), 0).unwrap();
        // A second process under web-1 while i1 is live (beat since 5 000) is refused.
        match store.heartbeat(&beat("web-1", "other", 11_000), 5_000).unwrap() {
            Beat::HostTaken(live) => assert_eq!(live.instance, "i1"),
            other => panic!("{other:?}"),
        }
        // The same instance beats again; once i1 is no longer live, another may take over.
        store.heartbeat(&beat("web-1", "i1", 12_000), 5_000).unwrap();
        assert!(matches!(store.heartbeat(&beat("web-1", "restarted", 40_000), 20_000).unwrap(), Beat::Recorded { .. }));

        let hosts = store.fleet_hosts().unwrap();
        assert_eq!(
            hosts.iter().map(|h| (h.host.as_str(), h.instance.as_str())).collect::<Vec<_>>(),
            [("web-1", "restarted"), ("web-2", "i2")]
        );
        assert_eq!(hosts[1].playbooks, ["api"]);

        // web-2 falls silent: two daemons race to raise it, one wins; a stale view loses.
        assert!(!store.mark_silent("web-2", 9_999, 70_000).unwrap(), "it beat since that view");
        assert!(store.mark_silent("web-2", 10_000, 70_000).unwrap());
        assert!(!store.mark_silent("web-2", 10_000, 70_001).unwrap(), "raised once");
        // It returns: its beat clears the alarm and says since when it was raised.
        assert_eq!(
            store.heartbeat(&beat("web-2", "i2", 80_000), 0).unwrap(),
            Beat::Recorded { was_silent: Some(70_000) }
        );
        assert_eq!(store.heartbeat(&beat("web-2", "i2", 95_000), 0).unwrap(), Beat::Recorded { was_silent: None });
    });
}

#[test]
fn a_fire_is_held_by_one_host_until_its_lease_lapses_or_it_finishes() {
    each_backend(|store| {
        assert_eq!(store.claim_fire("api", 60_000, "a", 60_010, 1_000).unwrap(), Claim::Taken);
        assert_eq!(
            store.claim_fire("api", 60_000, "b", 60_020, 1_000).unwrap(),
            Claim::HeldBy { host: "a".into(), until_ms: 61_010 }
        );
        assert!(store.renew_claim("api", 60_000, "a", 60_500, 1_000).unwrap());
        assert!(!store.renew_claim("api", 60_000, "b", 60_500, 1_000).unwrap(), "b holds nothing");
        // The next fire waits for the running one (fleet-wide overlap).
        assert_eq!(
            store.claim_fire("api", 61_000, "b", 61_000, 1_000).unwrap(),
            Claim::Overlap { fire_ms: 60_000, host: "a".into() }
        );
        // a dies: its lease (renewed to 61 500) lapses, b takes the fire over.
        assert_eq!(store.claim_fire("api", 60_000, "b", 61_600, 1_000).unwrap(), Claim::TakenOver { from: "a".into() });
        assert!(!store.renew_claim("api", 60_000, "a", 61_700, 1_000).unwrap(), "a lost it");
        store.finish_claim("api", 60_000, "b", 62_000).unwrap();
        assert_eq!(store.claim_fire("api", 60_000, "c", 62_100, 1_000).unwrap(), Claim::Done { host: "b".into() });
        assert_eq!(store.claim_fire("api", 61_000, "c", 62_100, 1_000).unwrap(), Claim::Taken, "no longer blocked");
        // At a fire's deadline: a fire nobody claimed, or whose claimant died, is settled
        // once (as missed); a finished or live one is not.
        assert_eq!(store.settle_fire("api", 59_000, 70_000).unwrap(), Some(String::new()));
        assert_eq!(store.settle_fire("api", 59_000, 70_001).unwrap(), None, "once");
        assert_eq!(store.settle_fire("api", 60_000, 70_000).unwrap(), None, "it finished");
        store.claim_fire("api", 63_000, "d", 63_200, 1_000).unwrap();
        assert_eq!(store.settle_fire("api", 63_000, 63_500).unwrap(), None, "its lease is live");
        assert_eq!(store.settle_fire("api", 63_000, 64_300).unwrap(), Some("d".into()), "d died");
        assert_eq!(store.claim_fire("api", 63_000, "e", 64_400, 1_000).unwrap(), Claim::Done { host: "d".into() });
        // Other playbooks are apart.
        assert_eq!(store.claim_fire("db", 60_000, "a", 60_010, 1_000).unwrap(), Claim::Taken);

        let claims = store.fire_claims("api", 0).unwrap();
        let seen: Vec<_> = claims.iter().map(|c| (c.fire_ms, c.host.as_str(), c.finished_ms, c.takeovers)).collect();
        assert_eq!(
            seen,
            [
                (59_000, "", Some(70_000), 0),
                (60_000, "b", Some(62_000), 1),
                (61_000, "c", None, 0),
                (63_000, "d", Some(64_300), 0)
            ]
        );
    });
}

#[test]
fn two_hosts_claiming_one_fire_at_once_never_both_get_it() {
    each_backend(|store| {
        for fire in 0..20_i64 {
            let fire_ms = 1_000_000 + fire * 1_000;
            let winners: Vec<bool> = std::thread::scope(|scope| {
                let tasks: Vec<_> = ["a", "b", "c"]
                    .into_iter()
                    .map(|host| {
                        let store = store.clone();
                        scope.spawn(move || {
                            let claim = store.claim_fire("race", fire_ms, host, fire_ms + 5, 60_000).unwrap();
                            if claim == Claim::Taken {
                                store.finish_claim("race", fire_ms, host, fire_ms + 10).unwrap();
                            }
                            claim == Claim::Taken
                        })
                    })
                    .collect();
                tasks.into_iter().map(|t| t.join().unwrap()).collect()
            });
            assert_eq!(winners.iter().filter(|w| **w).count(), 1, "fire {fire}: {winners:?}");
        }
    });
}
