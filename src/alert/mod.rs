//! Alerts: per stream (check, or playbook with `scope: playbook`) and channel, the
//! [`policy`] state machine decides; decisions are committed with the run; the [`outbox`]
//! delivers them, at least once, with backoff. Notifiers ([`discord`], [`slack`],
//! [`webhook`]) only shape the request ([`payload`]).

pub mod discord;
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
use crate::quiet::Hold;
use crate::quiet::flapping::{self, FlapChange};
use crate::store::alerts::{NewMessage, StateRow};

/// What alerting decided for a run.
#[derive(Default)]
pub struct Decisions {
    pub states: Vec<StateRow>,
    pub messages: Vec<NewMessage>,
    /// Channels that are off (an empty URL), said once per run.
    pub off: Vec<String>,
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
pub fn body(alert: &Alert, record: &RunRecord, loaded: &Loaded, channel: &Channel) -> Result<payload::Body, String> {
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
        // (stream, the status it had in this run, the check result if per check)
        let mut streams = Vec::new();
        match channel.scope.unwrap_or_default() {
            Scope::Check => {
                for check in &record.checks {
                    streams.push((check.id.clone(), check.status, Some(check)));
                }
            }
            Scope::Playbook => {
                let counted = record.checks.iter().any(|c| c.status.counts());
                if !partial && counted {
                    streams.push(("playbook".to_string(), record.status, None));
                }
            }
        }
        for (stream, status, check) in streams {
            let mut flap_percent = None;
            let before = current
                .iter()
                .find(|s| s.channel == id && s.stream == stream)
                .map(|s| s.state.clone())
                .unwrap_or_default();
            // The check-level holds (maintenance, silence, `depends_on`) of this result.
            let mut holds = check.map(|c| c.holds.clone()).unwrap_or_default();
            let held_by_check = !holds.is_empty();
            // Flapping (quiet-b): a hold of this channel only, kept on the stream's state.
            let flap = channel
                .flapping
                .as_ref()
                .map(|f| flapping::observe(&before.flap.clone().unwrap_or_default(), status, &f.config()));
            if let Some((state, _)) = &flap
                && state.flapping
            {
                holds.push(Hold::Flapping { percent: state.percent });
            }
            let (mut after, mut kind) = policy::step(&before, status, &policy, now, !holds.is_empty());
            if let Some((state, change)) = flap {
                let percent = state.percent;
                after.flap = Some(state);
                if !held_by_check {
                    kind = flap_message(change, status, &policy, &mut after, now).or(kind);
                }
                flap_percent = Some(percent);
            }
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
            let mut alert = message::build(kind, record, id, check, streak, previous, since);
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
                    });
                }
                Err(error) => tracing::error!(
                    target: "runner::alert",
                    playbook = %record.playbook,
                    channel = %id,
                    error = %crate::secret::scrub(&error),
                    "cannot build the alert message"
                ),
            }
        }
    }
    decisions
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
