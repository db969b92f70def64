//! What the engine keeps through the store between runs: probe state, the written
//! reports, and the process groups of running commands, as every backend keeps them.

use std::path::{Path, PathBuf};

use crate::probe::state::StateKey;
use crate::process_group::GroupRecord;
use crate::store::contract::each_backend;

#[test]
fn probe_state_is_kept_per_playbook_check_and_name() {
    each_backend(|store| {
        let key = StateKey::new("web", "log", "offset");
        assert_eq!(store.load(&key), None);
        store.save(&key, "{\"offset\":10}");
        store.save(&key, "{\"offset\":20}");
        assert_eq!(store.load(&key).as_deref(), Some("{\"offset\":20}"));
        assert_eq!(store.load(&StateKey::new("db", "log", "offset")), None);
    });
}

#[test]
fn the_ledger_remembers_reports_newest_first_until_forgotten() {
    each_backend(|store| {
        store.remember("web", Path::new("/reports/a.html"));
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.remember("web", Path::new("/reports/b.html"));
        let paths: Vec<PathBuf> = store.reports("web").into_iter().map(|(path, _)| path).collect();
        assert_eq!(paths, [PathBuf::from("/reports/b.html"), PathBuf::from("/reports/a.html")]);
        store.forget("web", Path::new("/reports/b.html"));
        assert_eq!(store.reports("web").len(), 1);
        assert!(store.reports("db").is_empty());
    });
}

#[test]
fn process_groups_are_recorded_while_their_leader_runs() {
    each_backend(|store| {
        let group = GroupRecord { playbook: "web".into(), pgid: 4242, leader_start: 99, command: "sleep 60".into() };
        store.group_started(&group);
        store.group_started(&GroupRecord { playbook: "db".into(), pgid: 7, ..group.clone() });
        assert_eq!(store.recorded_groups("web"), std::slice::from_ref(&group));
        assert_eq!(store.playbooks_with_groups().unwrap(), ["db", "web"]);
        store.group_ended("web", 4242);
        assert!(store.recorded_groups("web").is_empty());
        assert_eq!(store.playbooks_with_groups().unwrap(), ["db"]);
    });
}
