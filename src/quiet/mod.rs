//! Quiet times: what holds a check's messages back, and the one rule by which they decide
//! (PLAYBOOK.md, "How quiet times decide").
//!
//! Quiet times hold back **messages, never state**: the alert policy steps on every
//! result as usual, and while a [`Hold`] is in force on a check (and channel) it sends
//! nothing and neither opens nor closes a notified problem. They never change a run's
//! status, output or exit code.
//!
//! Where each hold comes from:
//! - `maintenance` windows of the playbook or the check ([`maintenance`]);
//! - stored silences (`runner silence`, the API) ([`silence`]);
//! - a failing or held `depends_on` dependency ([`dependency`]);
//! - flapping, per channel ([`flapping`]).
//!
//! This module owns the order of precedence and what each hold does to remediation
//! ([`remediation_gate`]): the engine reads it before a remediation starts, the alert
//! policy reads [`Holds`] before it sends. Nothing else decides.

pub mod dependency;
pub mod flapping;
pub mod maintenance;
pub mod plan;
pub mod silence;

use serde::{Deserialize, Serialize};

use crate::outcome::Status;

/// One reason a check's messages are held back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Hold {
    /// A maintenance window is open.
    Maintenance {
        /// The window's `reason:`, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// When the window closes (Unix ms).
        until_ms: i64,
    },
    /// A stored silence matches.
    Silenced {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A dependency is failing or itself held back.
    SuppressedBy {
        /// `ID` in this playbook, or `PLAYBOOK/ID`.
        dependency: String,
        /// The dependency's status that holds.
        status: Status,
    },
    /// The check is flapping on this channel.
    Flapping {
        /// The flap percentage at this result.
        percent: f64,
    },
}

impl Hold {
    /// The name stored and shown for this reason (PLAYBOOK.md's words).
    pub fn code(&self) -> &'static str {
        match self {
            Hold::Maintenance { .. } => "maintenance",
            Hold::Silenced { .. } => "silenced",
            Hold::SuppressedBy { .. } => "suppressed_by",
            Hold::Flapping { .. } => "flapping",
        }
    }

    /// The order of precedence: maintenance, silence, `depends_on`, flapping.
    pub fn precedence(&self) -> u8 {
        match self {
            Hold::Maintenance { .. } => 0,
            Hold::Silenced { .. } => 1,
            Hold::SuppressedBy { .. } => 2,
            Hold::Flapping { .. } => 3,
        }
    }

    /// One line for people: "maintenance: Weekly backup (until 2026-12-06 05:00 +01:00)".
    pub fn describe(&self) -> String {
        match self {
            Hold::Maintenance { note, until_ms } => {
                // Local time with its offset, as every time runner shows people.
                let until = crate::clock::local_display(*until_ms);
                match note {
                    Some(note) => format!("maintenance: {note} (until {until})"),
                    None => format!("maintenance (until {until})"),
                }
            }
            Hold::Silenced { id, note } => match note {
                Some(note) => format!("silenced by {id}: {note}"),
                None => format!("silenced by {id}"),
            },
            // A dependency that is not failing holds only because it is itself held back
            // (silenced, in a window): say that, not "(OK)".
            Hold::SuppressedBy { dependency, status } if !status.is_failing() => {
                format!("depends on {dependency} (itself held back, {})", status.label())
            }
            Hold::SuppressedBy { dependency, status } => {
                format!("depends on {dependency} ({})", status.label())
            }
            Hold::Flapping { percent } => format!("flapping ({percent:.0}% state changes)"),
        }
    }
}

/// Every hold in force on a check (or a check on one channel), in order of precedence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Holds(Vec<Hold>);

impl Holds {
    pub fn new(mut holds: Vec<Hold>) -> Holds {
        holds.sort_by_key(Hold::precedence);
        Holds(holds)
    }

    /// Adds a hold, keeping the order of precedence.
    pub fn push(&mut self, hold: Hold) {
        let at = self.0.partition_point(|h| h.precedence() <= hold.precedence());
        self.0.insert(at, hold);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The hold shown first.
    pub fn first(&self) -> Option<&Hold> {
        self.0.first()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Hold> {
        self.0.iter()
    }

    /// The reason codes, in order (what a decision stores).
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(Hold::code).collect()
    }

    /// These holds and another set's (a check's, then a channel's).
    #[must_use]
    pub fn with(&self, other: &Holds) -> Holds {
        Holds::new(self.0.iter().chain(other.0.iter()).cloned().collect())
    }
}

/// What one run gives the quiet-time rule, gathered once for all its checks: the load's
/// plan (windows, the periods of other playbooks), the silences in force when the run
/// started, this host's id (silences match on it), and the dependencies' stored results.
pub struct RunQuiet<'a> {
    pub plan: &'a plan::Plan,
    pub silences: &'a [silence::Silence],
    pub host: &'a str,
    /// The store's latest results (none without a store: stored dependencies hold nothing).
    pub stored: Option<&'a dyn dependency::LatestResults>,
    /// The dependent playbook's own schedule period (a dependency's, failing its own).
    pub own_period: Option<std::time::Duration>,
}

/// The check-level holds of one result at `now`, in order of precedence: an open
/// maintenance window (the playbook's or the check's), the silences in force that match
/// it on this host, then its dependencies (`this_run(id)`: a same-playbook dependency's
/// result in this run, if it ran). With them, the notes for the result (a stale
/// dependency ignored). The engine asks before remediation (which the holds gate); the
/// alert policy reads them from the result. Reads the store only for a check with
/// `depends_on`.
pub fn check_holds(
    playbook: &crate::playbook::Playbook,
    check: &crate::playbook::Check,
    run: &RunQuiet<'_>,
    now: jiff::Timestamp,
    this_run: impl Fn(&str) -> Option<dependency::ThisRun>,
) -> (Holds, Vec<String>) {
    let mut holds = Holds::default();
    if let Some(open) = run.plan.windows(check).open_at(now) {
        holds.push(open.hold());
    }
    let now_ms = now.as_millisecond();
    for silence in run.silences {
        if silence.in_force(now_ms) && silence.matches(playbook.name.as_str(), check.id.as_str(), run.host) {
            holds.push(silence.hold());
        }
    }
    if check.depends_on.is_none() {
        return (holds, Vec::new());
    }
    let lookup = dependency::Lookup {
        playbook: playbook.name.as_str(),
        periods: run.plan.periods(),
        own_period: run.own_period,
        stored: run.stored,
        now_ms,
    };
    let (dependencies, notes) = dependency::holds(check, &lookup, this_run);
    (holds.with(&dependencies), notes)
}

/// What the holds on a check do to its remediation (PLAYBOOK.md's table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemediationGate {
    /// Runs as usual (no hold, a silence, flapping).
    Run,
    /// Does not start: a maintenance window is open.
    NotStarted(String),
    /// Held: "held: depends on gateway (CRITICAL)".
    Held(String),
}

/// The remediation rule: maintenance does not start it, a failing dependency holds it,
/// silences and flapping leave it alone (a silence quiets people, not fixes). A dependency
/// that holds only because it is itself held back (silenced, say) while it is not failing
/// holds the dependent's messages, not its fix: PLAYBOOK.md's table holds remediation for
/// "`depends_on` failing" alone.
pub fn remediation_gate(holds: &Holds) -> RemediationGate {
    for hold in holds.iter() {
        match hold {
            Hold::Maintenance { .. } => {
                return RemediationGate::NotStarted(format!("not started: {}", hold.describe()));
            }
            Hold::SuppressedBy { status, .. } if status.is_failing() => {
                return RemediationGate::Held(format!("held: {}", hold.describe()));
            }
            Hold::SuppressedBy { .. } => {}
            Hold::Silenced { .. } | Hold::Flapping { .. } => {}
        }
    }
    RemediationGate::Run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silence() -> Hold {
        Hold::Silenced { id: "s1".into(), note: None }
    }
    fn window() -> Hold {
        Hold::Maintenance { note: Some("backup".into()), until_ms: 0 }
    }
    fn dependency() -> Hold {
        Hold::SuppressedBy { dependency: "gateway".into(), status: Status::Critical }
    }

    #[test]
    fn holds_keep_the_order_of_precedence() {
        let mut holds = Holds::new(vec![Hold::Flapping { percent: 60.0 }, dependency()]);
        holds.push(silence());
        holds.push(window());
        assert_eq!(holds.codes(), ["maintenance", "silenced", "suppressed_by", "flapping"]);
    }

    #[test]
    fn remediation_follows_the_table() {
        assert_eq!(remediation_gate(&Holds::default()), RemediationGate::Run);
        assert_eq!(remediation_gate(&Holds::new(vec![silence()])), RemediationGate::Run);
        assert_eq!(remediation_gate(&Holds::new(vec![Hold::Flapping { percent: 70.0 }])), RemediationGate::Run);
        assert_eq!(
            remediation_gate(&Holds::new(vec![silence(), dependency()])),
            RemediationGate::Held("held: depends on gateway (CRITICAL)".into())
        );
        assert!(matches!(remediation_gate(&Holds::new(vec![dependency(), window()])), RemediationGate::NotStarted(_)));
        // A dependency that is OK but itself silenced holds messages, never the fix.
        let held_back = Hold::SuppressedBy { dependency: "gateway".into(), status: Status::Ok };
        assert_eq!(remediation_gate(&Holds::new(vec![held_back.clone()])), RemediationGate::Run);
        assert_eq!(held_back.describe(), "depends on gateway (itself held back, OK)");
    }
}
