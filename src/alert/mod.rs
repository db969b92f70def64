//! Alerts: per stream (check, or playbook with `scope: playbook`) and channel, the
//! [`policy`] state machine decides; decisions are committed with the run; the [`outbox`]
//! delivers them, at least once, with backoff. Notifiers ([`discord`], [`slack`],
//! [`webhook`]) only shape the request ([`payload`]).

pub mod discord;
pub mod group;
pub mod message;
pub mod outbox;
pub mod payload;
pub mod policy;
pub mod slack;
pub mod webhook;

use self::message::Alert;
use self::policy::{AlertKind, AlertState, Policy};
use crate::outcome::{RunRecord, Status};
use crate::playbook::{Channel, Loaded, Scope};
use crate::quiet::flapping::{self, FlapChange};
use crate::quiet::{Hold, Holds};
use crate::store::alerts::{NewMessage, StateRow};

/// What alerting decided for a run.
#[derive(Default)]
pub struct Decisions {
    pub states: Vec<StateRow>,
    pub messages: Vec<NewMessage>,
    /// Channels that are off (an empty URL), said once per run.
    pub off: Vec<String>,
    /// One per (result, channel): what was sent, and every reason that held.
    pub rows: Vec<crate::store::decisions::DecisionRow>,
}

/// The policy a channel declares.
pub fn policy(channel: &Channel) -> Policy {
    let default = Policy::default();
    Policy {
        on: match &channel.on {
            Some(list) => list.iter().filter_map(|s| Status::from_name(s.as_str())).collect(),
            None => default.on,
        },
        after: channel.after.unwrap_or(1).max(1),
        recovery: channel.recovery.unwrap_or(true),
        repeat_ms: channel.repeat.map(|d| d.get().as_millis() as i64),
    }
}

/// The channel's destination is empty: the channel is off.
pub fn is_off(channel: &Channel) -> bool {
    if let Some(c) = &channel.discord {
        return c.webhook_url.is_empty();
    }
    if let Some(c) = &channel.slack {
        return c.webhook_url.is_empty();
    }
    if let Some(c) = &channel.webhook {
        return c.url.is_empty();
    }
    true
}

/// The request body a channel sends for an alert. A webhook whose body template fails
/// to render sends the default body instead (an alert is never lost to its template):
/// the error comes back in [`payload::Body::template_error`] and is logged here.
pub fn body(
    alert: &Alert,
    record: &RunRecord,
    loaded: &Loaded,
    channel: &Channel,
) -> Result<payload::Body, payload::PayloadError> {
    if channel.discord.is_some() {
        Ok(payload::Body::plain(payload::discord(alert).to_string()))
    } else if channel.slack.is_some() {
        Ok(payload::Body::plain(payload::slack(alert).to_string()))
    } else {
        let body = payload::webhook(alert, record, loaded, channel)?;
        if let Some(error) = &body.template_error {
            tracing::warn!(
                target: "runner::alert",
                playbook = %record.playbook,
                channel = %channel.id.as_str(),
                error = %crate::secret::scrub(error),
                "the body template failed to render; sending the default body"
            );
        }
        Ok(body)
    }
}

/// What the notify stage and `runner alerts` say about a message whose body template
/// failed.
pub fn template_note(error: &str) -> String {
    crate::secret::scrub_owned(format!("body template failed ({error}); using the default body"))
}

/// The playbook file as recorded with a message: absolute, so that a daemon started in
/// another folder finds it.
pub fn recorded_file(loaded: &Loaded) -> String {
    std::path::absolute(&loaded.path).unwrap_or_else(|_| loaded.path.clone()).display().to_string()
}

/// Runs every channel's state machine over a run. `partial`: the run covered only some
/// checks (`--check`, `--tags`), so playbook-wide streams are left alone.
pub fn decide(record: &RunRecord, loaded: &Loaded, current: &[StateRow], partial: bool, now: i64) -> Decisions {
    let mut decisions = Decisions::default();
    for channel in loaded.playbook.notify.iter().flatten() {
        let id = channel.id.as_str();
        if is_off(channel) {
            decisions.off.push(id.to_string());
            continue;
        }
        let policy = policy(channel);
        // (stream, the status it had in this run, the check result if per check, the
        // holds on it)
        let mut streams = Vec::new();
        let scope = channel.scope.unwrap_or_default();
        match scope {
            Scope::Check => {
                for check in &record.checks {
                    streams.push((check.id.clone(), check.status, Some(check), check.holds.clone()));
                }
            }
            Scope::Playbook => {
                let counted = record.checks.iter().any(|c| c.status.counts());
                if !partial && counted {
                    let (status, holds) = playbook_stream(record);
                    streams.push(("playbook".to_string(), status, None, holds));
                }
            }
        }
        for (stream, status, check, check_holds) in streams {
            let mut flap_percent = None;
            let before = current
                .iter()
                .find(|s| s.channel == id && s.stream == stream)
                .map(|s| s.state.clone())
                .unwrap_or_default();
            // One `holds` per (check, channel): the check-level holds of this result
            // (maintenance, silence, `depends_on`), then flapping, a hold of this channel
            // only, kept on the stream's state.
            let flap = channel
                .flapping
                .as_ref()
                .map(|f| flapping::observe(&before.flap.clone().unwrap_or_default(), status, &f.config()));
            let mut channel_holds = Holds::default();
            if let Some((state, _)) = &flap
                && state.flapping
            {
                channel_holds.push(Hold::Flapping { percent: state.percent });
            }
            let held = !check_holds.is_empty() || !channel_holds.is_empty();
            let (mut after, mut kind) = policy::step(&before, status, &policy, now, held);
            if let Some((state, change)) = flap {
                let percent = state.percent;
                after.flap = Some(state);
                if check_holds.is_empty() {
                    kind = flap_message(change, status, &policy, &mut after, now).or(kind);
                }
                flap_percent = Some(percent);
            }
            record_decisions(&mut decisions.rows, record, scope, id, check, kind, &channel_holds);
            if after != before {
                decisions.states.push(StateRow {
                    playbook: record.playbook.clone(),
                    channel: id.to_string(),
                    stream: stream.clone(),
                    state: after.clone(),
                });
            }
            let Some(kind) = kind else { continue };
            let previous = if kind == AlertKind::Escalation { before.notified } else { None };
            let since = if kind == AlertKind::Recovery { before.since_ms } else { after.since_ms };
            let streak = if kind == AlertKind::Recovery { before.streak } else { after.streak };
            // A playbook stream speaks with its own status (the worst nothing holds back).
            let mut alert = message::build(kind, record, id, check, status, streak, previous, since);
            if let (Some(percent), Some(window)) = (flap_percent, channel.flapping.as_ref().map(|f| f.config().window))
            {
                message::flapping_text(&mut alert, percent, window);
            }
            match body(&alert, record, loaded, channel) {
                Ok(body) => {
                    let mut summary = format!("{} {}", kind.label(), alert.title);
                    if let Some(error) = &body.template_error {
                        // The summary is what the notify stage, the log and `runner
                        // alerts` show for the message: the failure travels with it.
                        summary = format!("{summary}; {}", template_note(error));
                    }
                    decisions.messages.push(NewMessage {
                        idempotency: alert.idempotency_key.clone(),
                        playbook: record.playbook.clone(),
                        file: recorded_file(loaded),
                        channel: id.to_string(),
                        kind: kind.label().to_lowercase(),
                        summary,
                        body: crate::secret::scrub_owned(body.text),
                        group: group::membership(channel, &alert),
                    });
                }
                Err(error) => tracing::error!(
                    target: "runner::alert",
                    playbook = %record.playbook,
                    channel = %id,
                    error = %crate::secret::scrub(&error.to_string()),
                    "cannot build the alert message"
                ),
            }
        }
    }
    decisions
}

/// A `scope: playbook` stream's status and holds. Quiet times hold back messages, never
/// state: the stream steps on the worst status of all its checks, exactly as without them.
/// While some failing check is free, the stream's status is the worst among the checks
/// nothing holds back. It is held when every failing check is held (their holds are its reasons), so that a
/// silence on the only failing check neither closes the problem (no false recovery, the
/// streak stands) nor opens one. When nothing fails, it is held while any check is held:
/// an OK under a hold is not heard yet, and the recovery waits for the first result after
/// the hold lifts (the catch-up rule), as for a check's own stream.
fn playbook_stream(record: &RunRecord) -> (Status, Holds) {
    let counted: Vec<&crate::outcome::CheckResult> = record.checks.iter().filter(|c| c.status.counts()).collect();
    let free = counted.iter().filter(|c| c.holds.is_empty());
    // Heard (some failing check is free): the stream speaks with the worst status among
    // the checks nothing holds back (PLAYBOOK.md), so a held CRITICAL neither titles a
    // WARNING problem nor escalates it before its hold lifts.
    if free.clone().any(|c| c.status.is_failing()) {
        return (crate::outcome::worst_of(free.map(|c| c.status)), Holds::default());
    }
    // Every failing check is held (their holds are the stream's), or none fails (then the
    // held ones hold it).
    let any_failing = counted.iter().any(|c| c.status.is_failing());
    let holds = counted
        .iter()
        .filter(|c| !c.holds.is_empty() && (c.status.is_failing() || !any_failing))
        .fold(Holds::default(), |all, c| all.with(&c.holds));
    (crate::outcome::worst_of(counted.iter().map(|c| c.status)), holds)
}

/// The decisions of one stream step: one row per result on the channel (a check's own
/// stream, or every check of a `scope: playbook` stream, with the stream's message).
/// Each row's reasons are the result's own holds and the channel's (flapping), in order
/// of precedence.
fn record_decisions(
    rows: &mut Vec<crate::store::decisions::DecisionRow>,
    record: &RunRecord,
    scope: Scope,
    channel: &str,
    check: Option<&crate::outcome::CheckResult>,
    kind: Option<AlertKind>,
    channel_holds: &Holds,
) {
    let results: Vec<&crate::outcome::CheckResult> = match (scope, check) {
        (Scope::Check, Some(check)) => vec![check],
        _ => record.checks.iter().collect(),
    };
    for result in results {
        rows.push(crate::store::decisions::DecisionRow {
            check: result.id.clone(),
            channel: channel.to_string(),
            kind: kind.map(|k| k.label().to_lowercase()),
            reasons: result.holds.with(channel_holds).codes().into_iter().map(str::to_string).collect(),
        });
    }
}

/// The message flapping sends at this result, if it started or stopped, and what a stop
/// does to the stream: afterwards a failing check counts as a notified problem and an OK
/// one as closed (PLAYBOOK.md). Starting leaves the notified problem as it was.
fn flap_message(
    change: FlapChange,
    status: Status,
    policy: &Policy,
    after: &mut AlertState,
    now: i64,
) -> Option<AlertKind> {
    match change {
        FlapChange::Same => None,
        FlapChange::Started => Some(AlertKind::FlappingStarted),
        FlapChange::Stopped => {
            if policy.on.contains(&status) {
                after.notified = Some(status);
                after.notified_ms = Some(now);
            } else if status == Status::Ok {
                after.notified = None;
                after.notified_ms = None;
            }
            Some(AlertKind::FlappingStopped)
        }
    }
}

/// The state a stream would have without any history (for `runner alerts`).
pub fn empty_state() -> AlertState {
    AlertState::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiet::flapping::FlapState;
    use crate::quiet::{Hold, Holds};

    fn loaded() -> Loaded {
        let yaml = "version: 1\nname: web\nchecks:\n  - id: api\n    command: {shell: 'true'}\nnotify:\n  - id: hook\n    webhook: {url: \"http://127.0.0.1:9/x\"}\n    after: 1\n    flapping: {window: 4, high: 50%, low: 25%}\n";
        let report = crate::playbook::load::load_str(
            std::path::Path::new("web.yaml"),
            yaml,
            &crate::playbook::LoadOptions::default(),
        );
        report.into_loaded(true).unwrap_or_else(|_| panic!("a valid playbook"))
    }

    fn record(status: Status, holds: Holds) -> RunRecord {
        let mut record: RunRecord = serde_json::from_value(serde_json::json!({
            "id": "r1", "playbook": "web", "file": "web.yaml", "origin": "manual",
            "started_at": "2026-03-02T10:00:00Z", "finished_at": "2026-03-02T10:00:01Z", "duration_ms": 1,
            "status": status, "exit_code": 2, "checks": [{
                "id": "api", "name": "api", "kind": "command", "status": status, "message": "m",
                "metrics": {}, "attempts": 1, "duration_ms": 1
            }], "summary": crate::outcome::Summary::default(),
        }))
        .unwrap();
        record.checks[0].holds = holds;
        record
    }

    #[test]
    fn a_decision_records_the_checks_holds_then_flapping_in_order_and_sends_nothing() {
        let loaded = loaded();
        let flapping = AlertState {
            flap: Some(FlapState {
                flapping: true,
                recent: vec![Status::Ok, Status::Critical, Status::Ok],
                percent: 100.0,
            }),
            ..AlertState::default()
        };
        let current =
            [StateRow { playbook: "web".into(), channel: "hook".into(), stream: "api".into(), state: flapping }];
        // Given out of order: kept in the order of precedence.
        let holds = Holds::new(vec![
            Hold::Silenced { id: "4".into(), note: None },
            Hold::Maintenance { note: Some("backup".into()), until_ms: 1 },
        ]);
        let decisions = decide(&record(Status::Critical, holds), &loaded, &current, false, 1_000);
        assert!(decisions.messages.is_empty());
        assert_eq!(decisions.rows.len(), 1, "one decision per (result, channel)");
        assert_eq!((decisions.rows[0].check.as_str(), decisions.rows[0].channel.as_str()), ("api", "hook"));
        assert_eq!(decisions.rows[0].kind, None);
        assert_eq!(decisions.rows[0].reasons, ["maintenance", "silenced", "flapping"]);
        // Nothing holds the check itself: flapping alone, on this channel.
        let decisions = decide(&record(Status::Ok, Holds::default()), &loaded, &current, false, 1_000);
        assert_eq!(decisions.rows[0].reasons, ["flapping"]);
    }
}
