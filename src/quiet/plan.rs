//! What the quiet-time rule reads of a loaded playbook, worked out once per load rather
//! than for every check of every run: its maintenance windows planned (cron and zone
//! read; each set of windows remembers its last answer, see `maintenance::Windows`), and
//! the schedule periods of the other playbooks its `depends_on` names, read from its
//! folder once. `Loaded::quiet_plan` keeps it; a reload (the daemon's, on a change)
//! starts a new one, so an edited window or a dependency's new schedule is seen then.

use std::collections::HashMap;
use std::time::Duration;

use super::maintenance::{self, Windows};
use crate::playbook::{Check, Loaded};

/// A loaded playbook's quiet-time plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// The playbook's own windows: those of every check without windows of its own.
    playbook: Windows,
    /// The playbook's windows and the check's own, for each check that has some.
    own: HashMap<String, Windows>,
    /// The schedule periods of the other playbooks named by `depends_on`, by name.
    periods: HashMap<String, Duration>,
}

impl Plan {
    /// Plans the windows of `loaded` and reads the periods its dependencies need.
    pub fn new(loaded: &Loaded) -> Plan {
        let playbook = &loaded.playbook;
        let own = playbook
            .all_checks()
            .into_iter()
            .filter(|(_, check)| check.maintenance.is_some())
            .map(|(_, check)| (check.id.to_string(), Windows::new(maintenance::windows_for(playbook, check))))
            .collect();
        let own_name = playbook.name.as_str();
        let mut others: Vec<&str> = playbook
            .all_checks()
            .into_iter()
            .flat_map(|(_, check)| check.depends_on.iter().flatten())
            .filter_map(|dependency| dependency.other_playbook(own_name))
            .collect();
        others.sort_unstable();
        others.dedup();
        Plan {
            playbook: Windows::new(maintenance::playbook_windows(playbook)),
            own,
            periods: super::dependency::periods_in(&loaded.base_dir, &others),
        }
    }

    /// The windows that apply to `check`: the playbook's, then its own.
    pub fn windows(&self, check: &Check) -> &Windows {
        self.own.get(check.id.as_str()).unwrap_or(&self.playbook)
    }

    /// The periods of the other playbooks named by `depends_on`.
    pub fn periods(&self) -> &HashMap<String, Duration> {
        &self.periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &std::path::Path) -> Loaded {
        let report = crate::playbook::load::load_file(path, &crate::playbook::LoadOptions::default()).unwrap();
        report.into_loaded(false).unwrap_or_else(|r| panic!("{:?}", r.diagnostics))
    }

    #[test]
    fn a_plan_holds_each_checks_windows_and_the_periods_of_the_playbooks_it_depends_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("network.yaml"),
            "version: 1\nname: network\nschedule: \"*/10 * * * *\"\nchecks:\n  - id: uplink\n    command: {shell: 'true'}\n",
        )
        .unwrap();
        let app = dir.path().join("app.yaml");
        std::fs::write(
            &app,
            "version: 1\nname: app\nschedule: \"*/5 * * * *\"\n\
             maintenance: [{from: '2026-06-01T10:00:00Z', until: '2026-06-01T11:00:00Z', reason: all}]\n\
             checks:\n  - id: api\n    command: {shell: 'true'}\n    depends_on: [network/uplink, network/gone, other/x, db]\n\
             \x20 - id: db\n    command: {shell: 'true'}\n\
             \x20   maintenance: [{from: '2026-06-01T12:00:00Z', until: '2026-06-01T13:00:00Z', reason: db}]\n",
        )
        .unwrap();
        let loaded = load(&app);
        let plan = loaded.quiet_plan();
        assert!(std::sync::Arc::ptr_eq(&plan, &loaded.quiet_plan()), "made once per load");
        let periods: Vec<(&str, Duration)> = plan.periods().iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(periods, [("network", Duration::from_secs(600))], "read from the folder; `other` is not there");
        let checks = loaded.playbook.all_checks();
        let (api, db) = (checks[0].1, checks[1].1);
        let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
        let reason = |check: &Check, t: &str| plan.windows(check).open_at(at(t)).and_then(|o| o.reason);
        assert_eq!(reason(api, "2026-06-01T10:30:00Z").as_deref(), Some("all"));
        assert_eq!(reason(api, "2026-06-01T12:30:00Z"), None, "db's window is db's own");
        assert_eq!(reason(db, "2026-06-01T10:30:00Z").as_deref(), Some("all"), "the playbook's apply too");
        assert_eq!(reason(db, "2026-06-01T12:30:00Z").as_deref(), Some("db"));
    }
}
