//! The alert state machine of one stream (a check, or a whole playbook with
//! `scope: playbook`) on one channel. Pure: state and observation in, new state and at
//! most one message out. Persisted by the store, so restarts neither reset streaks nor
//! repeat alerts.
//!
//! - A failing run (a status in the channel's `on`) lengthens the streak; the problem is
//!   raised once, when the streak reaches `after`.
//! - WARNING → CRITICAL while failing sends an escalation, without resetting the streak
//!   (Sensu resets it and breaks "alert after 3").
//! - While still failing, `repeat` sends reminders.
//! - OK ends the streak; a recovery is sent only for a problem that was notified.
//! - SKIPPED and MANUAL leave everything unchanged; so does a run with nothing to say.
//! - A failing status outside `on` ends the streak but is not a recovery.
//! - While the step is *held* (a quiet time: maintenance, silence, `depends_on`,
//!   flapping) the state steps as usual — the streak counts — but nothing is sent and a
//!   notified problem is neither opened nor closed. The first unheld step catches up from
//!   that state: failing, not notified, streak ≥ `after` → problem; OK and notified →
//!   recovery; worse than notified → escalation (PLAYBOOK.md, "How quiet times decide").

use serde::{Deserialize, Serialize};

use crate::outcome::Status;

/// What is kept per stream between runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// Consecutive failing runs.
    pub streak: u32,
    /// The status of the last run that counted.
    pub status: Option<Status>,
    /// The status last notified, while a problem is open.
    pub notified: Option<Status>,
    /// When the last message of the open problem was sent (Unix ms), for `repeat`.
    pub notified_ms: Option<i64>,
    /// When the streak began (Unix ms).
    pub since_ms: Option<i64>,
    /// Flapping on this channel (only when the channel sets `flapping:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flap: Option<crate::quiet::flapping::FlapState>,
}

/// A channel's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The failing statuses that count (default: warning, critical, unknown).
    pub on: Vec<Status>,
    pub after: u32,
    pub recovery: bool,
    /// Reminder period in ms.
    pub repeat_ms: Option<i64>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            on: vec![Status::Warning, Status::Critical, Status::Unknown],
            after: 1,
            recovery: true,
            repeat_ms: None,
        }
    }
}

/// Which message a step decided to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A new problem: the streak reached `after`.
    Problem,
    /// Worse while still failing (WARNING → CRITICAL).
    Escalation,
    /// Still failing, `repeat` later.
    Reminder,
    /// OK again after a notified problem.
    Recovery,
    /// `runner notify test`.
    Test,
    /// The check started flapping on this channel: the last message until it settles.
    #[serde(rename = "flapping")]
    FlappingStarted,
    /// The check stopped flapping: its current status.
    #[serde(rename = "stable")]
    FlappingStopped,
}

impl AlertKind {
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Problem => "PROBLEM",
            AlertKind::Escalation => "ESCALATION",
            AlertKind::Reminder => "REMINDER",
            AlertKind::Recovery => "RECOVERY",
            AlertKind::Test => "TEST",
            AlertKind::FlappingStarted => "FLAPPING",
            AlertKind::FlappingStopped => "STABLE",
        }
    }
}

/// One step: the stream's status in this run, at `now` (Unix ms); `held` when a quiet
/// time holds this stream's messages back.
pub fn step(
    state: &AlertState,
    status: Status,
    policy: &Policy,
    now: i64,
    held: bool,
) -> (AlertState, Option<AlertKind>) {
    let (mut next, kind) = step_unheld(state, status, policy, now);
    if held {
        // Messages, never state: the streak stands, the notified problem (and when the
        // streak began, which its recovery reports) stays as people last heard it.
        next.notified = state.notified;
        next.notified_ms = state.notified_ms;
        if state.notified.is_some() && next.since_ms.is_none() {
            next.since_ms = state.since_ms;
        }
        return (next, None);
    }
    (next, kind)
}

fn step_unheld(state: &AlertState, status: Status, policy: &Policy, now: i64) -> (AlertState, Option<AlertKind>) {
    if !status.counts() {
        return (state.clone(), None);
    }
    let mut next = state.clone();
    next.status = Some(status);
    if policy.on.contains(&status) {
        next.streak = state.streak.saturating_add(1);
        if state.streak == 0 {
            next.since_ms = Some(now);
        }
        match state.notified {
            None if next.streak >= policy.after.max(1) => {
                next.notified = Some(status);
                next.notified_ms = Some(now);
                (next, Some(AlertKind::Problem))
            }
            None => (next, None),
            Some(notified) if status.rank() > notified.rank() => {
                next.notified = Some(status);
                next.notified_ms = Some(now);
                (next, Some(AlertKind::Escalation))
            }
            Some(_) => match (policy.repeat_ms, state.notified_ms) {
                (Some(repeat), Some(last)) if now - last >= repeat => {
                    next.notified_ms = Some(now);
                    (next, Some(AlertKind::Reminder))
                }
                _ => (next, None),
            },
        }
    } else if status == Status::Ok {
        let was_notified = state.notified.is_some();
        next.streak = 0;
        next.since_ms = None;
        next.notified = None;
        next.notified_ms = None;
        if was_notified && policy.recovery { (next, Some(AlertKind::Recovery)) } else { (next, None) }
    } else {
        // Failing, but not for this channel: the streak of counted failures ends; an open
        // problem stays open until OK.
        next.streak = 0;
        next.since_ms = None;
        (next, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn run(policy: &Policy, statuses: &[(i64, Status)]) -> Vec<Option<AlertKind>> {
        let mut state = AlertState::default();
        statuses
            .iter()
            .map(|(at, status)| {
                let (next, kind) = step(&state, *status, policy, *at, false);
                state = next;
                kind
            })
            .collect()
    }

    #[test]
    fn alerts_once_at_the_third_failure_and_recovers_once() {
        let policy = Policy { after: 3, ..Policy::default() };
        let kinds = run(
            &policy,
            &[
                (0, Status::Critical),
                (5, Status::Critical),
                (10, Status::Critical),
                (15, Status::Critical),
                (20, Status::Ok),
                (25, Status::Ok),
            ],
        );
        assert_eq!(kinds, [None, None, Some(AlertKind::Problem), None, Some(AlertKind::Recovery), None]);
    }

    #[test]
    fn escalation_keeps_the_streak() {
        let policy = Policy { after: 3, ..Policy::default() };
        // WARNING, WARNING, CRITICAL: the third failing run alerts (Sensu would reset).
        let kinds = run(&policy, &[(0, Status::Warning), (5, Status::Warning), (10, Status::Critical)]);
        assert_eq!(kinds, [None, None, Some(AlertKind::Problem)]);
        let kinds = run(
            &policy,
            &[
                (0, Status::Warning),
                (5, Status::Warning),
                (10, Status::Warning),
                (15, Status::Critical),
                (20, Status::Warning),
                (25, Status::Critical),
            ],
        );
        assert_eq!(kinds, [None, None, Some(AlertKind::Problem), Some(AlertKind::Escalation), None, None]);
    }

    #[test]
    fn no_recovery_without_a_notified_problem() {
        let policy = Policy { after: 3, ..Policy::default() };
        assert_eq!(run(&policy, &[(0, Status::Critical), (5, Status::Ok)]), [None, None]);
        let quiet = Policy { recovery: false, ..Policy::default() };
        assert_eq!(run(&quiet, &[(0, Status::Critical), (5, Status::Ok)]), [Some(AlertKind::Problem), None]);
    }

    #[test]
    fn reminders_follow_the_repeat_cadence() {
        let policy = Policy { repeat_ms: Some(60 * MIN), ..Policy::default() };
        let runs: Vec<(i64, Status)> = (0..14).map(|i| (i * 10 * MIN, Status::Critical)).collect();
        let kinds = run(&policy, &runs);
        let reminders: Vec<usize> =
            kinds.iter().enumerate().filter(|(_, k)| **k == Some(AlertKind::Reminder)).map(|(i, _)| i).collect();
        assert_eq!(kinds[0], Some(AlertKind::Problem));
        assert_eq!(reminders, [6, 12], "every hour of 10-minute runs");
    }

    #[test]
    fn skipped_and_manual_leave_streaks_alone() {
        let policy = Policy { after: 2, ..Policy::default() };
        let kinds =
            run(&policy, &[(0, Status::Critical), (5, Status::Skipped), (10, Status::Manual), (15, Status::Critical)]);
        assert_eq!(kinds, [None, None, None, Some(AlertKind::Problem)]);
    }

    #[test]
    fn statuses_outside_on_end_the_streak_without_recovering() {
        let policy = Policy { on: vec![Status::Critical], after: 2, ..Policy::default() };
        let kinds = run(
            &policy,
            &[
                (0, Status::Critical),
                (5, Status::Warning),
                (10, Status::Critical),
                (15, Status::Critical),
                (20, Status::Warning),
                (25, Status::Ok),
            ],
        );
        assert_eq!(kinds, [None, None, None, Some(AlertKind::Problem), None, Some(AlertKind::Recovery)]);
    }

    #[test]
    fn a_held_step_counts_the_streak_and_catches_up_after() {
        let policy = Policy { after: 2, ..Policy::default() };
        let mut state = AlertState::default();
        let mut kinds = Vec::new();
        for (at, status, held) in
            [(0, Status::Critical, true), (5, Status::Critical, true), (10, Status::Critical, false)]
        {
            let (next, kind) = step(&state, status, &policy, at, held);
            state = next;
            kinds.push(kind);
        }
        // Held twice (the streak reached 2 silently), then the first unheld run catches up.
        assert_eq!(kinds, [None, None, Some(AlertKind::Problem)]);
        assert_eq!(state.streak, 3);
        // OK while held: no recovery and the problem stays open; the next unheld OK sends it.
        let (held_ok, kind) = step(&state, Status::Ok, &policy, 15, true);
        assert_eq!((kind, held_ok.notified), (None, Some(Status::Critical)));
        let (_, kind) = step(&held_ok, Status::Ok, &policy, 20, false);
        assert_eq!(kind, Some(AlertKind::Recovery));
    }

    #[test]
    fn unknown_alerts_by_default() {
        let kinds = run(&Policy::default(), &[(0, Status::Unknown)]);
        assert_eq!(kinds, [Some(AlertKind::Problem)]);
    }

    /// Runs (at, status, held) through the policy.
    fn run_held(policy: &Policy, steps: &[(i64, Status, bool)]) -> Vec<Option<AlertKind>> {
        let mut state = AlertState::default();
        steps
            .iter()
            .map(|(at, status, held)| {
                let (next, kind) = step(&state, *status, policy, *at, *held);
                state = next;
                kind
            })
            .collect()
    }

    #[test]
    fn held_steps_count_the_streak_and_the_first_unheld_one_raises_the_problem() {
        let policy = Policy { after: 3, ..Policy::default() };
        let c = Status::Critical;
        let kinds = run_held(&policy, &[(0, c, true), (5, c, true), (10, c, true), (15, c, true), (20, c, false)]);
        assert_eq!(kinds, [None, None, None, None, Some(AlertKind::Problem)]);
    }

    #[test]
    fn a_recovery_inside_a_hold_is_sent_at_the_first_unheld_result() {
        let (c, ok) = (Status::Critical, Status::Ok);
        let kinds = run_held(&Policy::default(), &[(0, c, false), (5, ok, true), (10, ok, true), (15, ok, false)]);
        assert_eq!(kinds, [Some(AlertKind::Problem), None, None, Some(AlertKind::Recovery)]);
        // A problem that opened and closed inside the hold was never heard of: nothing.
        let kinds = run_held(&Policy::default(), &[(0, c, true), (5, ok, true), (10, ok, false)]);
        assert_eq!(kinds, [None, None, None]);
    }

    #[test]
    fn an_escalation_inside_a_hold_is_sent_at_the_first_unheld_result() {
        let (w, c) = (Status::Warning, Status::Critical);
        let kinds = run_held(&Policy::default(), &[(0, w, false), (5, c, true), (10, c, false), (15, c, false)]);
        assert_eq!(kinds, [Some(AlertKind::Problem), None, Some(AlertKind::Escalation), None]);
    }
}
