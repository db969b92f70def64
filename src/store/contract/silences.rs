//! Silences as every backend keeps them: made, listed in force or ended, expired once by
//! hand, released check by check (`--until-ok`) and ended when all are, and kept after
//! they end.

use crate::outcome::Status;
use crate::quiet::silence::NewSilence;
use crate::store::contract::{each_backend, record};

fn new(playbook: &str, until_ok: bool, matched: &[&str]) -> NewSilence {
    NewSilence {
        playbook: Some(playbook.into()),
        check: None,
        host: None,
        reason: "deploy".into(),
        maker: "alice".into(),
        created_ms: 1_000,
        expires_ms: 10_000,
        until_ok,
        matched: matched.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn silences_are_made_listed_expired_released_and_kept() {
    each_backend(|store| {
        let plain = store.add_silence(&new("web", false, &[])).unwrap();
        let until_ok = store.add_silence(&new("web", true, &["web/api", "web/tls"])).unwrap();
        assert_eq!(store.silences(2_000, false).unwrap().len(), 2);
        assert!(store.expire_silence(plain, 3_000, "expired by bob").unwrap());
        assert!(!store.expire_silence(plain, 3_500, "expired by bob").unwrap(), "once");
        let ended = store.silences(4_000, true).unwrap();
        assert_eq!((ended[0].id, ended[0].ended_by.as_deref()), (plain, Some("expired by bob")));
        store.release_silence(until_ok, "web", "api", 5_000).unwrap();
        let still = store.silence(until_ok).unwrap().unwrap();
        assert!(still.in_force(5_000) && !still.matches("web", "api", "h") && still.matches("web", "tls", "h"));
        store.release_silence(until_ok, "web", "tls", 6_000).unwrap();
        let done = store.silence(until_ok).unwrap().unwrap();
        assert_eq!((done.ended_ms, done.ended_by.as_deref()), (Some(6_000), Some("released")));
        assert!(store.silences(6_500, false).unwrap().is_empty());
        assert_eq!(store.silences(20_000, true).unwrap().len(), 2, "ended silences are kept");
        assert!(store.silence(999).unwrap().is_none());
    });
}

#[test]
fn known_checks_are_those_with_stored_results() {
    each_backend(|store| {
        assert!(store.known_checks().unwrap().is_empty());
        store
            .record_run(&record("r1", "web", 1_000, &[("api", Status::Ok, &[]), ("tls", Status::Critical, &[])]))
            .unwrap();
        store.record_run(&record("r2", "db", 2_000, &[("replica", Status::Ok, &[])])).unwrap();
        let known = store.known_checks().unwrap();
        let expected = [("db", "replica"), ("web", "api"), ("web", "tls")];
        assert_eq!(known, expected.map(|(p, c)| (p.to_string(), c.to_string())));
    });
}
