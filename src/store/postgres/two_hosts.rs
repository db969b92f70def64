//! Two daemons on one database (PostgreSQL only: SQLite is one host's): what is host-scoped
//! stays each host's (alert state, remediations, schedule state and misses, reports, process
//! groups), what is fleet-scoped is shared (silences, the outbox), and an outbox message is
//! claimed by one of them only, even when both claim at the same moment.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Barrier};

use super::PostgresStore;
use crate::alert::policy::AlertState;
use crate::engine::journal::Journal;
use crate::outcome::Status;
use crate::process_group::{GroupJournal, GroupRecord};
use crate::quiet::silence::NewSilence;
use crate::report::retention::Ledger;
use crate::store::alerts::{AlertStore, NewMessage, OutboxStore, StateRow};
use crate::store::contract::fresh_postgres_database;
use crate::store::groups::GroupStore;
use crate::store::remediations::RemediationStore;
use crate::store::schedule::ScheduleStore;
use crate::store::silences::SilenceStore;

const LEASE_MS: i64 = 60_000;

fn message(key: &str) -> NewMessage {
    NewMessage {
        idempotency: key.into(),
        playbook: "web".into(),
        file: "web.yaml".into(),
        channel: "ops".into(),
        kind: "problem".into(),
        summary: format!("PROBLEM web/{key}"),
        body: "{}".into(),
        group: None,
    }
}

/// A pid that no process has now: a child that has been waited for.
fn dead_pid() -> i64 {
    let mut child = std::process::Command::new("true").spawn().expect("`true` runs");
    let pid = i64::from(child.id());
    child.wait().expect("`true` ends");
    pid
}

#[test]
fn host_scoped_state_stays_each_hosts_and_silences_are_shared() {
    let (location, _database) = fresh_postgres_database();
    let a = PostgresStore::open(&location, "host-a").unwrap();
    let b = PostgresStore::open(&location, "host-b").unwrap();

    // Schedule state: each host fires its every-host playbook on its own.
    assert!(a.advance_last_fire("web", None, 100).unwrap());
    assert!(b.advance_last_fire("web", None, 100).unwrap(), "host-b's first fire is its own");
    assert!(a.advance_last_fire("web", Some(100), 200).unwrap());
    assert_eq!((a.last_fire("web").unwrap(), b.last_fire("web").unwrap()), (Some(200), Some(100)));
    b.set_last_fire("web", 300).unwrap();
    assert_eq!(a.last_fire("web").unwrap(), Some(200));
    a.record_misses("web", &[(1_000, "overlap")]).unwrap();
    assert_eq!(a.miss_counts(None, 0).unwrap().len(), 1);
    assert!(b.miss_counts(None, 0).unwrap().is_empty());

    // The remediation guard and audit, and runner's own actions, are this host's.
    a.record_remediation(&crate::store::contract::remediations::row("app", 1_750_000_000_000));
    a.record_action("web", "pm2 restart all", 1_750_000_000_000, 1_750_000_001_000);
    assert_eq!(a.remediation_times("web", "app", 0), [1_750_000_000_000]);
    assert!(b.remediation_times("web", "app", 0).is_empty());
    assert_eq!(b.last_remediation("web", "app").unwrap(), None);
    assert!(b.remediations(None, None, 0).unwrap().is_empty());
    assert!(b.runner_intervals(0).is_empty());
    assert_eq!(a.runner_intervals(0).len(), 1);

    // Alert streams of an every-host playbook are per host.
    let state = |streak| StateRow {
        playbook: "web".into(),
        channel: "ops".into(),
        stream: "disk".into(),
        state: AlertState { streak, status: Some(Status::Critical), ..AlertState::default() },
    };
    let dry = |id: &str| {
        let mut run = crate::store::contract::record(id, "web", 1_750_000_000_000, &[]);
        run.dry_run = true;
        run
    };
    a.commit_run(&dry("ra"), &[state(3)], &[]).unwrap();
    b.commit_run(&dry("rb"), &[state(1)], &[]).unwrap();
    assert_eq!(a.alert_states("web").unwrap(), [state(3)]);
    assert_eq!(b.all_alert_states(None).unwrap(), [state(1)]);

    // Reports and process groups are on each host's own disk and processes.
    a.remember("web", Path::new("/reports/a.html"));
    assert!(b.reports("web").is_empty());
    let group = GroupRecord { playbook: "web".into(), pgid: 4242, leader_start: 9, command: "sleep 60".into() };
    a.group_started(&group);
    b.group_ended("web", 4242);
    assert_eq!(a.recorded_groups("web"), [group]);
    assert!(b.recorded_groups("web").is_empty() && b.playbooks_with_groups().unwrap().is_empty());

    // A silence is the fleet's, whoever made or ended it.
    let silence = NewSilence {
        playbook: Some("web".into()),
        check: None,
        host: Some("host-a".into()),
        reason: "deploy".into(),
        maker: "alice".into(),
        created_ms: 1_000,
        expires_ms: 10_000,
        until_ok: false,
        matched: Vec::new(),
    };
    let id = a.add_silence(&silence).unwrap();
    let seen = b.silences(2_000, false).unwrap();
    assert_eq!((seen.len(), seen[0].host.as_deref()), (1, Some("host-a")));
    assert!(b.expire_silence(id, 3_000, "expired by bob").unwrap());
    assert_eq!(a.silence(id).unwrap().unwrap().ended_by.as_deref(), Some("expired by bob"));
}

#[test]
fn two_hosts_claiming_at_once_never_both_take_a_message() {
    let (location, _database) = fresh_postgres_database();
    let hosts = [
        Arc::new(PostgresStore::open(&location, "host-a").unwrap()),
        Arc::new(PostgresStore::open(&location, "host-b").unwrap()),
    ];
    for round in 0..20 {
        let keys: Vec<NewMessage> = (0..25).map(|n| message(&format!("r{round}m{n}"))).collect();
        let queued: BTreeSet<i64> = hosts[0].enqueue(&keys).unwrap().into_iter().collect();
        let now = crate::store::now_ms();
        let start = Arc::new(Barrier::new(hosts.len()));
        let claimers: Vec<_> = hosts
            .iter()
            .map(|store| {
                let (store, start) = (Arc::clone(store), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    let mut taken = Vec::new();
                    // Claims until nothing is left for it: each claim takes what the other holds not.
                    loop {
                        let claimed = store.claim_every_due(now, LEASE_MS).unwrap();
                        if claimed.is_empty() {
                            return taken;
                        }
                        taken.extend(claimed.into_iter().map(|m| m.id));
                    }
                })
            })
            .collect();
        let taken: Vec<Vec<i64>> = claimers.into_iter().map(|c| c.join().unwrap()).collect();
        let all: Vec<i64> = taken.iter().flatten().copied().collect();
        let distinct: BTreeSet<i64> = all.iter().copied().collect();
        assert_eq!(all.len(), distinct.len(), "round {round}: a message was claimed twice: {taken:?}");
        assert_eq!(distinct, queued, "round {round}: every message was claimed once");
    }
}

#[test]
fn a_claim_of_another_host_is_live_until_its_lease_ends_whatever_its_pid() {
    let (location, _database) = fresh_postgres_database();
    let a = PostgresStore::open(&location, "host-a").unwrap();
    let b = PostgresStore::open(&location, "host-b").unwrap();
    let id = a.enqueue(&[message("k1")]).unwrap()[0];
    let now = crate::store::now_ms();
    assert_eq!(a.claim_every_due(now, LEASE_MS).unwrap().len(), 1);
    assert!(b.claim_every_due(now, LEASE_MS).unwrap().is_empty(), "host-a's lease holds");

    // Host-a's deliverer dies: its pid is nothing on host-b's machine, but on host-a's it
    // frees the message at once.
    let pid = dead_pid();
    a.with(|c| c.execute("UPDATE outbox SET claimed_pid = $1 WHERE id = $2", &[&pid, &id])).unwrap();
    assert!(b.claim_every_due(now, LEASE_MS).unwrap().is_empty(), "a pid is no claim across hosts");
    let retaken = a.claim_every_due(now, LEASE_MS).unwrap();
    assert_eq!(retaken.iter().map(|m| m.id).collect::<Vec<_>>(), [id], "this host's dead deliverer lets go");

    assert_eq!(b.claim_every_due(now + LEASE_MS + 1, LEASE_MS).unwrap().len(), 1, "the lease ended");
    assert!(a.claim_every_due(now + LEASE_MS + 1, LEASE_MS).unwrap().is_empty(), "host-b holds it now");
}
