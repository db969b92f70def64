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

/// The JSON body of a Slack incoming-webhook message.
pub fn slack(alert: &Alert) -> serde_json::Value {
    let emoji = match alert.status {
        Status::Ok => ":large_green_circle:",
        Status::Warning => ":large_yellow_circle:",
        Status::Critical => ":red_circle:",
        Status::Unknown => ":large_purple_circle:",
        _ => ":white_circle:",
    };
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

/// The body of a generic webhook: its template rendered with `alert` and the run's
/// context, or the alert with the RunRecord as JSON.
pub fn webhook(alert: &Alert, record: &RunRecord, loaded: &Loaded, channel: &Channel) -> Result<String, String> {
    let template = channel.webhook.as_ref().and_then(|w| w.body.as_ref());
    match template {
        None => {
            serde_json::to_string(&json!({"idempotency_key": alert.idempotency_key, "alert": alert, "run": record}))
                .map_err(|e| e.to_string())
        }
        Some(template) => {
            let zone = crate::report::context::zone(loaded);
            let env = crate::template::environment(move || zone.clone(), crate::template::RUN_FUEL);
            let context = crate::report::context::value(record, loaded);
            let alert_value = minijinja::Value::from(minijinja::value::Serde(alert));
            let context = minijinja::context! { alert => alert_value, ..context };
            crate::template::render_bounded(&env, None, template.source(), context, 1024 * 1024)
                .map_err(|e| format!("cannot render the body template: {}", e.detail().unwrap_or_default()))
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}
