//! `depends_on`: which of a check's dependencies hold its messages (and its remediation)
//! back in this run (PLAYBOOK.md, "Dependencies across checks and playbooks").
//!
//! - A dependency of the same playbook is judged by its result **in this run**: the engine
//!   makes the dependent wait for it (as for `needs`, but never skips the dependent) and
//!   hands its result here. One not selected in this run (`--check`, `--tags`) is judged
//!   like one of another playbook, by its latest stored result.
//! - A dependency of another playbook is judged by its latest stored result, ignored
//!   (with a note on the dependent's result) when older than two of that playbook's
//!   periods. The period is that playbook's schedule, found among the playbooks of the
//!   dependent's folder (read once per load of the dependent: [`periods_in`], kept by
//!   `quiet::plan`); failing that (it has no schedule), two of the dependent's own periods;
//!   with neither (a manual `runner run` of unscheduled playbooks), [`UNSCHEDULED_LIMIT`]:
//!   an old failure never holds forever.
//! - A dependency that has never run holds nothing; neither does a SKIPPED or MANUAL one.
//! - A failing dependency, or one itself held back (it carries holds), holds the
//!   dependent: [`Hold::SuppressedBy`].
//!
//! `quiet::check_holds` asks [`holds`]; the store answers [`LatestResults`].

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::{Hold, Holds};
use crate::outcome::Status;
use crate::playbook::Check;

/// How old a stored dependency result may be when neither its playbook nor the
/// dependent's has a schedule to measure it by.
pub const UNSCHEDULED_LIMIT: Duration = Duration::from_secs(3600);

/// A check's latest stored result, as `depends_on` needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredResult {
    pub status: Status,
    /// When its run started (Unix ms).
    pub at_ms: i64,
    /// Whether something held its own messages back.
    pub held: bool,
}

/// The latest stored results (the store implements it).
pub trait LatestResults: Send + Sync {
    /// The latest result of `check` of `playbook` in a finished, real (not dry) run.
    fn latest_result(&self, playbook: &str, check: &str) -> Option<StoredResult>;
}

/// A dependency's result in this run: its status and whether it was held back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThisRun {
    pub status: Status,
    pub held: bool,
}

/// Where the dependency holds of one check are looked up.
pub struct Lookup<'a> {
    /// The dependent's playbook.
    pub playbook: &'a str,
    /// The schedule periods of the other playbooks it names, by name, as found in its
    /// folder (see [`periods_in`]).
    pub periods: &'a HashMap<String, Duration>,
    /// Its own schedule's period, if any.
    pub own_period: Option<Duration>,
    /// The store, if any.
    pub stored: Option<&'a dyn LatestResults>,
    pub now_ms: i64,
}

/// The holds `check`'s dependencies put on it, and notes for its result (a stale
/// dependency ignored). `this_run(id)`: the result of a same-playbook check in this run,
/// if it ran.
pub fn holds(check: &Check, lookup: &Lookup<'_>, this_run: impl Fn(&str) -> Option<ThisRun>) -> (Holds, Vec<String>) {
    let mut holds = Holds::default();
    let mut notes = Vec::new();
    for dependency in check.depends_on.iter().flatten() {
        let other = dependency.other_playbook(lookup.playbook);
        let judged = match other {
            None => match this_run(&dependency.check) {
                Some(result) => Some(result),
                None => {
                    let limit = Staleness::new(lookup.own_period, lookup.own_period, None);
                    stored(lookup, lookup.playbook, &dependency.check, &limit, &mut notes)
                }
            },
            Some(playbook) => {
                let limit = Staleness::new(lookup.periods.get(playbook).copied(), lookup.own_period, Some(playbook));
                stored(lookup, playbook, &dependency.check, &limit, &mut notes)
            }
        };
        let Some(result) = judged else { continue };
        if result.status.is_failing() || (result.held && result.status.counts()) {
            holds.push(Hold::SuppressedBy { dependency: dependency.to_string(), status: result.status });
        }
    }
    (holds, notes)
}

/// How old a stored dependency result may be, and the words that say why.
struct Staleness {
    limit: Duration,
    why: String,
}

impl Staleness {
    /// Two of the dependency's periods; two of the dependent's when the dependency has no
    /// schedule (`other`: its playbook, when it is another one); [`UNSCHEDULED_LIMIT`]
    /// when neither has one.
    fn new(theirs: Option<Duration>, own: Option<Duration>, other: Option<&str>) -> Staleness {
        let two = |period: Duration| (2 * period, crate::duration::format(2 * period));
        match (theirs, own, other) {
            (Some(period), _, _) | (None, Some(period), None) => {
                let (limit, text) = two(period);
                Staleness { limit, why: format!("two of its periods ({text})") }
            }
            (None, Some(period), Some(other)) => {
                let (limit, text) = two(period);
                Staleness { limit, why: format!("two of this playbook's periods ({text}; {other} has no schedule)") }
            }
            (None, None, _) => Staleness {
                limit: UNSCHEDULED_LIMIT,
                why: format!("{} (no schedule to measure it by)", crate::duration::format(UNSCHEDULED_LIMIT)),
            },
        }
    }
}

/// The latest stored result of a dependency, unless it is stale (then a note says so).
fn stored(
    lookup: &Lookup<'_>,
    playbook: &str,
    check: &str,
    staleness: &Staleness,
    notes: &mut Vec<String>,
) -> Option<ThisRun> {
    let result = lookup.stored?.latest_result(playbook, check)?;
    let age_ms = (lookup.now_ms - result.at_ms).max(0);
    if age_ms > i64::try_from(staleness.limit.as_millis()).unwrap_or(i64::MAX) {
        let age = crate::duration::format(Duration::from_secs((age_ms / 1000) as u64));
        notes.push(format!(
            "depends_on {playbook}/{check}: its latest result ({}, {age} ago) is older than {}, so it is ignored",
            result.status.label(),
            staleness.why
        ));
        return None;
    }
    Some(ThisRun { status: result.status, held: result.held })
}

/// The schedule periods of the playbooks named in `names` among the playbooks of
/// `folder`: the folder is read once, whatever the number of dependencies. A playbook
/// not found, or without a schedule, has no entry.
pub fn periods_in(folder: &Path, names: &[&str]) -> HashMap<String, Duration> {
    let mut periods = HashMap::new();
    if names.is_empty() {
        return periods;
    }
    let (files, _) = crate::playbook::discover::playbook_files(&[folder.to_path_buf()]);
    let options = crate::playbook::LoadOptions::default();
    for file in &files {
        let Some(loaded) =
            crate::playbook::load::load_file(file, &options).ok().and_then(|r| r.into_loaded(false).ok())
        else {
            continue;
        };
        let name = loaded.playbook.name.as_str();
        if names.contains(&name)
            && !periods.contains_key(name)
            && let Some(period) = crate::pipeline::schedule_period(&loaded)
        {
            periods.insert(name.to_string(), period);
        }
    }
    periods
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Stored(Mutex<HashMap<(String, String), StoredResult>>);

    impl LatestResults for Stored {
        fn latest_result(&self, playbook: &str, check: &str) -> Option<StoredResult> {
            self.0.lock().unwrap().get(&(playbook.to_string(), check.to_string())).cloned()
        }
    }

    fn check(depends_on: &str) -> Check {
        let yaml = format!("id: api\ncommand: {{run: [\"true\"]}}\ndepends_on: {depends_on}\n");
        serde_saphyr::from_str(&yaml).expect("a check")
    }

    const MIN: i64 = 60_000;

    #[test]
    fn judges_same_playbook_dependencies_by_this_run() {
        let stored = Stored::default();
        let lookup = Lookup {
            playbook: "app",
            periods: &HashMap::new(),
            own_period: Some(Duration::from_secs(300)),
            stored: Some(&stored),
            now_ms: 100 * MIN,
        };
        let results: HashMap<&str, ThisRun> = [
            ("gateway", ThisRun { status: Status::Critical, held: false }),
            ("dns", ThisRun { status: Status::Ok, held: false }),
            ("db", ThisRun { status: Status::Ok, held: true }),
            ("skipped", ThisRun { status: Status::Skipped, held: false }),
        ]
        .into();
        let this_run = |id: &str| results.get(id).copied();
        let (holds, notes) = holds(&check("[gateway, dns, db, skipped, never]"), &lookup, this_run);
        assert!(notes.is_empty());
        let described: Vec<String> = holds.iter().map(Hold::describe).collect();
        assert_eq!(described, ["depends on gateway (CRITICAL)", "depends on db (itself held back, OK)"]);
    }

    #[test]
    fn other_playbooks_by_their_latest_stored_result_unless_stale() {
        let stored = Stored::default();
        let now = 100 * MIN;
        stored.0.lock().unwrap().insert(
            ("network".into(), "uplink".into()),
            StoredResult { status: Status::Critical, at_ms: now - 9 * MIN, held: false },
        );
        // The period falls back to the dependent's own (5 minutes): 9 minutes is fresh.
        let lookup = Lookup {
            playbook: "app",
            periods: &HashMap::new(),
            own_period: Some(Duration::from_secs(300)),
            stored: Some(&stored),
            now_ms: now,
        };
        let (fresh, notes) = holds(&check("[network/uplink, network/never]"), &lookup, |_| None);
        assert_eq!(fresh.codes(), ["suppressed_by"]);
        assert!(notes.is_empty());
        // 11 minutes is more than two periods: ignored, with a note.
        let later = Lookup { now_ms: now + 2 * MIN, ..lookup };
        let (stale, notes) = holds(&check("[network/uplink]"), &later, |_| None);
        assert!(stale.is_empty());
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("older than two of this playbook's periods (10m; network has no schedule)"),
            "{notes:?}"
        );
        // The dependency's own period first, when it has a schedule.
        let periods = HashMap::from([("network".to_string(), Duration::from_secs(600))]);
        let theirs = Lookup { periods: &periods, ..later };
        let (fresh, notes) = holds(&check("[network/uplink]"), &theirs, |_| None);
        assert_eq!((fresh.codes(), notes.len()), (vec!["suppressed_by"], 0), "11 minutes of 20");
    }

    #[test]
    fn without_any_schedule_a_stored_result_is_stale_after_an_hour() {
        let stored = Stored::default();
        let now = 1000 * MIN;
        for (playbook, check) in [("network", "uplink"), ("app", "db")] {
            stored.0.lock().unwrap().insert(
                (playbook.into(), check.into()),
                StoredResult { status: Status::Critical, at_ms: now - 59 * MIN, held: false },
            );
        }
        let lookup =
            Lookup { playbook: "app", periods: &HashMap::new(), own_period: None, stored: Some(&stored), now_ms: now };
        // `db` is of this playbook but not in this run (`--check api`): its stored result.
        let (fresh, notes) = holds(&check("[network/uplink, db]"), &lookup, |_| None);
        assert_eq!((fresh.codes().len(), notes.len()), (2, 0), "59 minutes: fresh");
        let later = Lookup { now_ms: now + 2 * MIN, ..lookup };
        let (stale, notes) = holds(&check("[network/uplink, db]"), &later, |_| None);
        assert!(stale.is_empty(), "an old CRITICAL never holds forever");
        assert_eq!(notes.len(), 2);
        assert!(notes.iter().all(|n| n.contains("older than 1h (no schedule to measure it by)")), "{notes:?}");
    }
}
