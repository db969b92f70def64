//! Request bodies for each notifier: Discord embeds coloured by status, Slack Block Kit
//! blocks, and the generic webhook's template (default: the alert with the RunRecord).

use serde_json::json;

use super::message::Alert;
use crate::outcome::{RunRecord, Status};
use crate::playbook::{Channel, Loaded};

/// Discord embed colours (decimal RGB).
pub fn discord_colour(status: Status) -> u32 {
    match status {
        Status::Ok => 0x2E_A0_43,
        Status::Warning => 0xDB_AB_0A,
        Status::Critical => 0xD1_24_2F,
        Status::Unknown => 0x82_50_DF,
        Status::Skipped | Status::Manual => 0x6E_77_81,
    }
}

/// The JSON body of a Discord webhook message.
pub fn discord(alert: &Alert) -> serde_json::Value {
    let mut fields = vec![
        json!({"name": "Status", "value": alert.status.label(), "inline": true}),
        json!({"name": "Playbook", "value": alert.playbook, "inline": true}),
        json!({"name": "Failing runs", "value": alert.streak.to_string(), "inline": true}),
    ];
    if let Some(runbook) = &alert.runbook {
        fields.push(json!({"name": "Runbook", "value": truncate(runbook, 1000), "inline": false}));
    }
    json!({
        "username": "runner",
        "embeds": [{
            "title": truncate(&format!("{} · {}", alert.kind.label(), alert.title), 250),
            "description": truncate(&alert.text, 3500),
            "color": discord_colour(alert.status),
            "fields": fields,
            "timestamp": alert.at,
            "footer": {"text": format!("runner · {}", alert.idempotency_key)},
        }],
    })
}

/// The Slack emoji of a status.
pub fn slack_emoji(status: Status) -> &'static str {
    match status {
        Status::Ok => ":large_green_circle:",
        Status::Warning => ":large_yellow_circle:",
        Status::Critical => ":red_circle:",
        Status::Unknown => ":large_purple_circle:",
        Status::Skipped | Status::Manual => ":white_circle:",
    }
}

/// The JSON body of a Slack incoming-webhook message.
pub fn slack(alert: &Alert) -> serde_json::Value {
    let emoji = slack_emoji(alert.status);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&format!("{} {}", alert.kind.label(), alert.title), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("{emoji} *{}*\n{}", alert.status.label(), alert.text), 2900)}}),
    ];
    if let Some(runbook) = &alert.runbook {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("*Runbook:* {runbook}"), 2900)}}));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("playbook `{}` · {} failing runs · `{}`", alert.playbook, alert.streak, alert.idempotency_key)}]}));
    json!({"text": format!("{} {}", alert.kind.label(), alert.title), "blocks": blocks})
}

/// A request body, and why the default body was sent instead of the channel's template
/// (its render error), if it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    pub text: String,
    /// The body template failed to render with this error (scrubbed); `text` is the
    /// default body.
    pub template_error: Option<String>,
}

impl Body {
    pub fn plain(text: String) -> Body {
        Body { text, template_error: None }
    }
}

/// Why a request body could not be built: the alert with its run would not encode as
/// JSON. (A body template that fails to render is not this: the default body goes, and
/// the render error travels in [`Body::template_error`].)
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(#[from] serde_json::Error);

/// The default body of a generic webhook: the alert with the RunRecord, as JSON.
pub fn default_webhook(alert: &Alert, record: &RunRecord) -> Result<String, PayloadError> {
    Ok(serde_json::to_string(&json!({"idempotency_key": alert.idempotency_key, "alert": alert, "run": record}))?)
}

/// The body of a generic webhook: its template rendered with `alert` and the run's
/// context, or the alert with the RunRecord as JSON. A template that fails to render never
/// loses the alert: the default body is sent and the error is returned with it.
pub fn webhook(alert: &Alert, record: &RunRecord, loaded: &Loaded, channel: &Channel) -> Result<Body, PayloadError> {
    let template = channel.webhook.as_ref().and_then(|w| w.body.as_ref());
    let Some(template) = template else {
        return default_webhook(alert, record).map(Body::plain);
    };
    let zone = crate::report::context::zone(loaded);
    let env = crate::template::environment(move || zone.clone(), crate::template::RUN_FUEL);
    let context = crate::report::context::value(record, loaded);
    let alert_value = minijinja::Value::from(minijinja::value::Serde(alert));
    // `alerts` too, so that one template serves a channel whether it groups or not.
    let alerts_value = minijinja::Value::from(vec![alert_value.clone()]);
    let context = minijinja::context! { alert => alert_value, alerts => alerts_value, ..context };
    match crate::template::render_bounded(&env, None, template.source(), context, 1024 * 1024) {
        Ok(text) => Ok(Body::plain(text)),
        Err(error) => {
            let error = crate::secret::scrub_owned(describe_render_error(&error, template.source()));
            let text = default_webhook(alert, record)?;
            Ok(Body { text, template_error: Some(error) })
        }
    }
}

/// A template error in one line: what went wrong, the expression it was about (when the
/// error knows where it happened) and the line, never empty.
pub fn describe_render_error(error: &minijinja::Error, source: &str) -> String {
    let mut text = error.kind().to_string();
    if let Some(detail) = error.detail().filter(|d| !d.trim().is_empty()) {
        text.push_str(": ");
        text.push_str(detail.trim());
    }
    // Without a detail, the expression it was about says what went wrong.
    let snippet = (error.detail().is_none_or(|d| d.trim().is_empty()))
        .then(|| error.range())
        .flatten()
        .and_then(|range| source.get(range))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty());
    if let Some(snippet) = snippet {
        text.push_str(&format!(" in `{}`", truncate(&snippet, 80)));
    }
    if let Some(line) = error.line() {
        text.push_str(&format!(" (line {line})"));
    }
    let mut source_error = std::error::Error::source(error);
    while let Some(cause) = source_error {
        text.push_str(&format!(": {cause}"));
        source_error = cause.source();
    }
    if text.trim().is_empty() { "the template failed to render".to_string() } else { text }
}

/// `text` cut to at most `max` characters, with `…` where it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
