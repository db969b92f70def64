//! Playbook snapshots, as every backend keeps them.

use crate::store::contract::each_backend;
use crate::store::snapshots::{CheckOutline, PlaybookSnapshot};

fn snapshot(name: &str, host: &str, schedule: &str) -> PlaybookSnapshot {
    PlaybookSnapshot {
        name: name.into(),
        file: format!("p/{name}.yaml"),
        description: Some("the shop".into()),
        schedule: Some(schedule.into()),
        timezone: Some("Europe/Paris".into()),
        windows: Vec::new(),
        checks: vec![CheckOutline {
            id: "api".into(),
            name: "API".into(),
            kind: "http".into(),
            phase: None,
            runbook: Some("https://wiki.example/api".into()),
        }],
        host: host.into(),
        loaded_at: "2026-11-22T10:00:00Z".into(),
    }
}

#[test]
fn a_reload_replaces_the_snapshot_and_every_playbook_is_listed_once_by_name() {
    each_backend(|store| {
        assert!(store.playbook_snapshots().unwrap().is_empty());
        store.save_playbook_snapshot(&snapshot("web", "h1", "*/5 * * * *")).unwrap();
        store.save_playbook_snapshot(&snapshot("db", "h1", "@hourly")).unwrap();
        store.save_playbook_snapshot(&snapshot("web", "h1", "* * * * *")).unwrap();
        let all = store.playbook_snapshots().unwrap();
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["db", "web"]);
        assert_eq!(all[1], snapshot("web", "h1", "* * * * *"), "the reload's snapshot, read back whole");
        // Another host's load of the same playbook: one entry still, the newest.
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.save_playbook_snapshot(&snapshot("web", "h2", "0 * * * *")).unwrap();
        let all = store.playbook_snapshots().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].host, "h2");
    });
}
