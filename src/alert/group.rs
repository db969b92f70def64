//! Grouping per destination: everything due for one webhook within a window goes as one
//! message, split only where the service's documented limits make it, and at most
//! `max_per_hour` messages per destination per UTC hour (the rest wait for one summary
//! at the start of the next hour).
//!
//! Why it lives in the outbox and not in `decide`: grouping holds nothing back, it only
//! changes how messages travel. Each decision is queued as today (a *member*, with its
//! alert kept as JSON); when its group is due, the members are bound in one transaction
//! to one or more *carrier* messages, ordinary outbox rows delivered by the one delivery
//! mechanism (`outbox::deliver`, attempts in `delivery_attempts`). A member is settled
//! when its carrier is: nothing leaves the outbox before the message that carries it is
//! delivered, and a retry sends the same carrier, body and `Idempotency-Key`.
//!
//! The group is keyed by the resolved destination, method and URL hashed with SHA-256:
//! channels of several playbooks pointing at one webhook group together, and the store
//! never holds the URL (it may carry a token). The carrier is sent with the channel of its
//! first member (its headers and template).
//!
//! The limits (counted in characters), as the services document them:
//! - Discord, "Embed Limits" (discord.com/developers/docs/resources/message#embed-object-embed-limits;
//!   "Execute Webhook" for `content`): `content` 2000; up to 10 embeds per message; title
//!   256; description 4096; 25 fields; field name 256, field value 1024; footer 2048; and
//!   6000 in total over every embed's title, description, field names and values, footer
//!   and author of one message.
//! - Slack, Block Kit reference (api.slack.com/reference/block-kit/blocks): 50 blocks per
//!   message; a section's text 3000; a header's plain text 150; `chat.postMessage`
//!   (api.slack.com/methods/chat.postMessage): `text` is truncated past 40,000 and kept
//!   under 4,000 in practice. Slack also rejects block payloads whose texts add up to about
//!   13,000 (`msg_blocks_too_long`, slackapi/bolt-js#2509), so a message's section texts
//!   are kept to [`SLACK_BLOCKS_TEXT`].
//! - A generic webhook has no documented limit: a group is one request.
//!
//! A split is greedy in the members' order, which gives the fewest messages for limits
//! that only ever grow with what a message holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest as _;

use crate::outcome::Status;
use crate::playbook::values::Dur;
use crate::playbook::{Channel, Loaded};
use crate::store::Store;
use crate::store::groups_outbox::{Carrier, GroupMembership, PendingMember};

/// `group:` on a notify channel.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// How long a group stays open after its first due message (default 1m). Under
    /// `runner run` the run's delivery budget closes it.
    pub window: Option<Dur>,
    /// At most this many messages per destination per UTC hour; the rest are held and
    /// sent as one summary at the start of the next hour (default: no limit).
    #[schemars(range(min = 1))]
    pub max_per_hour: Option<u32>,
}

/// The window when `window` is not set.
pub const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

pub const DISCORD_CONTENT: usize = 2000;
pub const DISCORD_EMBEDS: usize = 10;
pub const DISCORD_TOTAL: usize = 6000;
pub const DISCORD_TITLE: usize = 256;
pub const DISCORD_DESCRIPTION: usize = 4096;
pub const DISCORD_FIELDS: usize = 25;
pub const DISCORD_FIELD_NAME: usize = 256;
pub const DISCORD_FIELD_VALUE: usize = 1024;
pub const DISCORD_FOOTER: usize = 2048;
pub const SLACK_BLOCKS: usize = 50;
pub const SLACK_SECTION: usize = 3000;
pub const SLACK_HEADER: usize = 150;
pub const SLACK_TEXT: usize = 4000;
pub const SLACK_BLOCKS_TEXT: usize = 12_000;

const HOUR_MS: i64 = 3_600_000;

/// The key of a destination: SHA-256 of its method and URL, in hex.
pub fn destination_key(method: &str, url: &str) -> String {
    let mut hasher = sha2::Sha256::new();
    hasher.update(method.to_ascii_uppercase().as_bytes());
    hasher.update(b" ");
    hasher.update(url.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, b| {
        let _ = write!(text, "{b:02x}");
        text
    })
}

/// What a decision of a grouped channel carries into the outbox: its destination's key,
/// the channel's window and hourly limit, and the alert (a group's body is built from
/// its members' alerts). `None` for a channel that does not group.
pub fn membership(channel: &Channel, alert: &super::message::Alert) -> Option<GroupMembership> {
    let config = channel.group.as_ref()?;
    let (method, url) = super::outbox::method_and_url(channel)?;
    let window = config.window.as_ref().map_or(DEFAULT_WINDOW, Dur::get);
    Some(GroupMembership {
        key: destination_key(&method, &url),
        window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
        max_per_hour: config.max_per_hour.map(i64::from),
        alert: serde_json::to_string(alert).unwrap_or_default(),
    })
}

/// The group key of a carrier: derived from its members' keys, so that the same members
/// are always the same message.
pub fn carrier_key<'a>(members: impl IntoIterator<Item = &'a PendingMember>) -> String {
    let mut hasher = sha2::Sha256::new();
    for member in members {
        hasher.update(member.idempotency.as_bytes());
        hasher.update(b"\n");
    }
    format!("group:{}", &hex(&hasher.finalize())[..32])
}

/// A group due to be sent: its destination, members (oldest first) and whether it is the
/// summary of what the hourly limit held.
#[derive(Debug)]
pub struct DueGroup {
    pub key: String,
    pub members: Vec<PendingMember>,
    pub summary: bool,
}

/// Which groups are due at `now`. A window opens at its oldest pending member and closes
/// `window` later (`force`: now, the run's delivery budget is its window). A destination
/// that already had `max_per_hour` messages this UTC hour waits for the next hour;
/// then what waited goes as one summary. `sent_in_hour(key, hour_start)` counts the
/// messages formed for `key` in the hour that starts at `hour_start`.
pub fn due(
    pending: &[PendingMember],
    now: i64,
    force: bool,
    mut sent_in_hour: impl FnMut(&str, i64) -> i64,
) -> Vec<DueGroup> {
    let mut by_key: BTreeMap<&str, Vec<&PendingMember>> = BTreeMap::new();
    for member in pending {
        by_key.entry(member.group_key.as_str()).or_default().push(member);
    }
    let hour_start = now.div_euclid(HOUR_MS) * HOUR_MS;
    let mut groups = Vec::new();
    for (key, mut members) in by_key {
        members.sort_by_key(|m| (m.created_ms, m.id));
        let first = members[0];
        let closes = first.created_ms.saturating_add(first.window_ms);
        let limit = members.iter().filter_map(|m| m.max_per_hour).min();
        // Held over from an hour whose limit was reached: the summary, due at once.
        let held_over = limit
            .is_some_and(|limit| first.created_ms < hour_start && sent_in_hour(key, hour_start - HOUR_MS) >= limit);
        if !force && !held_over && now < closes {
            continue;
        }
        if limit.is_some_and(|limit| sent_in_hour(key, hour_start) >= limit) {
            continue;
        }
        groups.push(DueGroup {
            key: key.to_string(),
            members: members.into_iter().cloned().collect(),
            summary: held_over,
        });
    }
    groups
}

/// When the earliest group window still open at `now` closes (Unix ms): the daemon wakes
/// then. A window already closed whose group waits (for the next hour under
/// `max_per_hour`, or for a process that can build it) is not a reason to wake early.
pub fn next_close(pending: &[PendingMember], now: i64) -> Option<i64> {
    let mut first: HashMap<&str, &PendingMember> = HashMap::new();
    for member in pending {
        let entry = first.entry(member.group_key.as_str()).or_insert(member);
        if (member.created_ms, member.id) < (entry.created_ms, entry.id) {
            *entry = member;
        }
    }
    first.values().map(|m| m.created_ms.saturating_add(m.window_ms)).filter(|&closes| closes > now).min()
}

/// A member's alert, as much of it as a group message shows.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupedAlert {
    pub kind: String,
    pub playbook: String,
    pub stream: String,
    pub status: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub runbook: Option<String>,
}

impl GroupedAlert {
    fn of(member: &PendingMember) -> GroupedAlert {
        serde_json::from_str(&member.alert).unwrap_or_else(|_| GroupedAlert {
            kind: "problem".into(),
            playbook: member.playbook.clone(),
            stream: String::new(),
            status: "unknown".into(),
            title: member.summary.clone(),
            text: String::new(),
            runbook: None,
        })
    }

    fn status(&self) -> Status {
        Status::from_name(&self.status).unwrap_or(Status::Unknown)
    }

    fn kind_label(&self) -> String {
        self.kind.to_uppercase()
    }
}

/// One message of a group: which members (indexes into the group) it carries and its
/// body.
#[derive(Debug, Clone)]
pub struct Part {
    pub members: Vec<usize>,
    pub body: serde_json::Value,
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

use super::payload::truncate as cut;

/// The worst of a set of statuses, for a colour.
fn worst(statuses: impl Iterator<Item = Status>) -> Status {
    let rank = |s: Status| match s {
        Status::Critical => 4,
        Status::Unknown => 3,
        Status::Warning => 2,
        Status::Ok => 1,
        Status::Skipped | Status::Manual => 0,
    };
    statuses.max_by_key(|s| rank(*s)).unwrap_or(Status::Ok)
}

/// What a group says in one line: `12 alerts: 10 problems, 2 recoveries`.
pub fn headline(alerts: &[GroupedAlert]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for alert in alerts {
        *counts.entry(alert.kind.as_str()).or_default() += 1;
    }
    let order = ["problem", "escalation", "reminder", "recovery", "test"];
    let mut parts = Vec::new();
    for kind in order {
        if let Some(n) = counts.remove(kind) {
            let word = if kind == "recovery" && n != 1 {
                "recoveries".to_string()
            } else {
                format!("{kind}{}", if n == 1 { "" } else { "s" })
            };
            parts.push(format!("{n} {word}"));
        }
    }
    for (kind, n) in counts {
        parts.push(format!("{n} {kind}"));
    }
    let total = alerts.len();
    format!("{total} alert{}: {}", if total == 1 { "" } else { "s" }, parts.join(", "))
}

/// Discord: each alert is a field of an embed (25 per embed, 10 embeds per message,
/// 6000 characters per message).
pub fn discord_parts(alerts: &[GroupedAlert], key: &str, summary: bool) -> Vec<Part> {
    struct Embed {
        title: String,
        fields: Vec<serde_json::Value>,
        statuses: Vec<Status>,
        footer: Option<String>,
    }
    let footer = cut(&format!("runner · {key}"), DISCORD_FOOTER);
    let label = if summary { "held by max_per_hour" } else { "grouped" };
    // (members, embeds, characters counted towards the message's 6000)
    let mut messages: Vec<(Vec<usize>, Vec<Embed>, usize)> = Vec::new();
    for (index, alert) in alerts.iter().enumerate() {
        let name = cut(&format!("{} · {}", alert.kind_label(), alert.title), DISCORD_FIELD_NAME);
        let mut value = format!("{}: {}", alert.status().label(), alert.text.trim());
        if let Some(runbook) = &alert.runbook {
            value.push_str(&format!("\nrunbook: {runbook}"));
        }
        let value = cut(&value, DISCORD_FIELD_VALUE);
        let cost = chars(&name) + chars(&value);
        let field = json!({"name": name, "value": value, "inline": false});
        let fits_in_embed = |m: &(Vec<usize>, Vec<Embed>, usize)| {
            m.1.last().is_some_and(|e| e.fields.len() < DISCORD_FIELDS) && m.2 + cost <= DISCORD_TOTAL
        };
        let new_embed_title = |m: &(Vec<usize>, Vec<Embed>, usize)| {
            if m.1.is_empty() { format!("runner · {label}") } else { "runner · continued".to_string() }
        };
        let fits_new_embed = |m: &(Vec<usize>, Vec<Embed>, usize)| {
            m.1.len() < DISCORD_EMBEDS && m.2 + chars(&new_embed_title(m)) + cost <= DISCORD_TOTAL
        };
        let needs_message = messages.last().is_none_or(|m| !fits_in_embed(m) && !fits_new_embed(m));
        if needs_message {
            messages.push((Vec::new(), Vec::new(), chars(&footer)));
        }
        let Some(message) = messages.last_mut() else { continue };
        if !fits_in_embed(message) {
            let title = new_embed_title(message);
            message.2 += chars(&title);
            let footer = message.1.is_empty().then(|| footer.clone());
            message.1.push(Embed { title, fields: Vec::new(), statuses: Vec::new(), footer });
        }
        message.0.push(index);
        message.2 += cost;
        if let Some(embed) = message.1.last_mut() {
            embed.fields.push(field);
            embed.statuses.push(alert.status());
        }
    }
    let parts = messages.len();
    messages
        .into_iter()
        .enumerate()
        .map(|(number, (members, embeds, _))| {
            let carried: Vec<GroupedAlert> = members.iter().map(|&i| alerts[i].clone()).collect();
            let content = cut(&format!("{}{}", headline(&carried), part_label(number, parts)), DISCORD_CONTENT);
            let embeds: Vec<serde_json::Value> = embeds
                .into_iter()
                .map(|e| {
                    let mut embed = json!({
                        "title": cut(&e.title, DISCORD_TITLE),
                        "color": super::payload::discord_colour(worst(e.statuses.into_iter())),
                        "fields": e.fields,
                    });
                    if let Some(footer) = e.footer {
                        embed["footer"] = json!({"text": footer});
                    }
                    embed
                })
                .collect();
            Part { members, body: json!({"username": "runner", "content": content, "embeds": embeds}) }
        })
        .collect()
}

fn part_label(number: usize, parts: usize) -> String {
    if parts > 1 { format!(" (part {} of {parts})", number + 1) } else { String::new() }
}

/// Slack: alerts as lines of sections (3000 characters each), a header and a context
/// block, at most 50 blocks per message.
pub fn slack_parts(alerts: &[GroupedAlert], key: &str, summary: bool) -> Vec<Part> {
    // The header and the context block frame every message.
    let max_sections = SLACK_BLOCKS - 2;
    // (members, sections, characters of all sections)
    let mut messages: Vec<(Vec<usize>, Vec<String>, usize)> = Vec::new();
    for (index, alert) in alerts.iter().enumerate() {
        let mut line = format!(
            "{} *{}* {}\n{}",
            super::payload::slack_emoji(alert.status()),
            alert.kind_label(),
            alert.title,
            alert.text.trim()
        );
        if let Some(runbook) = &alert.runbook {
            line.push_str(&format!("\n*Runbook:* {runbook}"));
        }
        let line = cut(line.trim_end(), SLACK_SECTION);
        let cost = chars(&line);
        let joined = |m: &(Vec<usize>, Vec<String>, usize)| {
            m.1.last().is_some_and(|s| chars(s) + 2 + cost <= SLACK_SECTION) && m.2 + 2 + cost <= SLACK_BLOCKS_TEXT
        };
        let new_section =
            |m: &(Vec<usize>, Vec<String>, usize)| m.1.len() < max_sections && m.2 + cost <= SLACK_BLOCKS_TEXT;
        if messages.last().is_none_or(|m| !joined(m) && !new_section(m)) {
            messages.push((Vec::new(), Vec::new(), 0));
        }
        let Some(message) = messages.last_mut() else { continue };
        if joined(message) {
            if let Some(section) = message.1.last_mut() {
                section.push_str("\n\n");
                section.push_str(&line);
            }
            message.2 += 2 + cost;
        } else {
            message.1.push(line);
            message.2 += cost;
        }
        message.0.push(index);
    }
    let parts = messages.len();
    let label = if summary { "held by max_per_hour" } else { "grouped" };
    messages
        .into_iter()
        .enumerate()
        .map(|(number, (members, sections, _))| {
            let carried: Vec<GroupedAlert> = members.iter().map(|&i| alerts[i].clone()).collect();
            let headline = format!("{}{}", headline(&carried), part_label(number, parts));
            let mut blocks = vec![json!({"type": "header", "text": {"type": "plain_text", "text": cut(&format!("runner · {headline}"), SLACK_HEADER)}})];
            for section in sections {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": section}}));
            }
            blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(&format!("{label} · `{key}`"), SLACK_SECTION)}]}));
            Part { members, body: json!({"text": cut(&format!("runner: {headline}"), SLACK_TEXT), "blocks": blocks}) }
        })
        .collect()
}

/// The default body of a grouped webhook message: the key, the group and the list of
/// alerts as they were decided.
pub fn webhook_default(key: &str, group: &serde_json::Value, alerts: &[serde_json::Value]) -> String {
    json!({"idempotency_key": key, "group": group, "alerts": alerts}).to_string()
}

/// A generic webhook's group body: its template with `alerts` (the list) and `group`, or
/// the default body. A template that fails sends the default body; the error comes back.
fn webhook_body(
    channel: &Channel,
    loaded: &Loaded,
    key: &str,
    group: &serde_json::Value,
    members: &[&PendingMember],
) -> (String, Option<String>) {
    let alerts: Vec<serde_json::Value> =
        members.iter().map(|m| serde_json::from_str(&m.alert).unwrap_or(serde_json::Value::Null)).collect();
    let default = webhook_default(key, group, &alerts);
    let Some(template) = channel.webhook.as_ref().and_then(|w| w.body.as_ref()) else {
        return (default, None);
    };
    let zone = crate::report::context::zone(loaded);
    let env = crate::template::environment(move || zone.clone(), crate::template::RUN_FUEL);
    let mut group = group.clone();
    group["idempotency_key"] = json!(key);
    let context = minijinja::context! {
        alerts => minijinja::Value::from(minijinja::value::Serde(&alerts)),
        group => minijinja::Value::from(minijinja::value::Serde(&group)),
        playbook => minijinja::Value::from(minijinja::value::Serde(json!({"name": loaded.playbook.name.as_str()}))),
    };
    match crate::template::render_bounded(&env, None, template.source(), context, 1024 * 1024) {
        Ok(text) => (text, None),
        Err(error) => (
            default,
            Some(crate::secret::scrub_owned(super::payload::describe_render_error(&error, template.source()))),
        ),
    }
}

/// The carriers of one due group, built with the channel of its first member in scope.
fn carriers(group: &DueGroup, channel: &Channel, loaded: &Loaded, lead: &PendingMember) -> Vec<Carrier> {
    let alerts: Vec<GroupedAlert> = group.members.iter().map(GroupedAlert::of).collect();
    let kind = if group.summary { "summary" } else { "group" };
    let parts: Vec<Part> = if channel.discord.is_some() {
        discord_parts(&alerts, &carrier_key(&group.members), group.summary)
    } else if channel.slack.is_some() {
        slack_parts(&alerts, &carrier_key(&group.members), group.summary)
    } else {
        vec![Part { members: (0..alerts.len()).collect(), body: serde_json::Value::Null }]
    };
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(number, part)| {
            let members: Vec<&PendingMember> = part.members.iter().map(|&i| &group.members[i]).collect();
            let carried: Vec<GroupedAlert> = part.members.iter().map(|&i| alerts[i].clone()).collect();
            let key = carrier_key(members.iter().copied());
            let mut summary = format!("{} {}{}", kind.to_uppercase(), headline(&carried), part_label(number, count));
            let body = if channel.webhook.is_some() {
                let description = json!({
                    "kind": kind, "destination": group.key, "count": members.len(),
                    "part": number + 1, "parts": count,
                });
                let (body, error) = webhook_body(channel, loaded, &key, &description, &members);
                if let Some(error) = error {
                    tracing::warn!(target: "runner::alert", channel = %channel.id.as_str(), %error, "the body template failed to render for a group; sending the default body");
                    summary = format!("{summary}; {}", super::template_note(&error));
                }
                body
            } else {
                part.body.to_string()
            };
            Carrier {
                idempotency: key,
                playbook: lead.playbook.clone(),
                file: lead.file.clone(),
                channel: lead.channel.clone(),
                kind: kind.to_string(),
                summary: crate::secret::scrub_owned(summary),
                body: crate::secret::scrub_owned(body),
                members: members.iter().map(|m| m.id).collect(),
            }
        })
        .collect()
}

/// Binds the members of every due group to their carrier messages (then delivered like
/// any message). `scope`: the playbooks whose destinations are looked at (all when
/// `None`); `force`: the windows close now (`runner run`). Returns how many carriers were
/// recorded.
pub async fn form(store: &Arc<dyn Store>, loaded: &[Arc<Loaded>], scope: Option<Vec<String>>, force: bool) -> usize {
    let now = crate::store::now_ms();
    let due = {
        let (store, scope) = (store.clone(), scope.clone());
        tokio::task::spawn_blocking(move || -> Result<Vec<DueGroup>, crate::error::Error> {
            let pending = store.pending_members(scope.as_deref())?;
            let mut counts: HashMap<(String, i64), i64> = HashMap::new();
            Ok(due(&pending, now, force, |key, hour| {
                *counts
                    .entry((key.to_string(), hour))
                    .or_insert_with(|| store.carriers_in(key, hour, hour + HOUR_MS).unwrap_or(i64::MAX))
            }))
        })
        .await
    };
    let due = match due {
        Ok(Ok(due)) => due,
        Ok(Err(error)) => {
            tracing::error!(target: "runner::alert", %error, "cannot read the messages waiting for their group");
            return 0;
        }
        Err(_) => return 0,
    };
    let mut playbooks = super::outbox::Playbooks::new(loaded);
    let mut recorded = 0;
    let mut unbuildable = Vec::new();
    for group in &due {
        let (lead, playbook, channel) = match lead(&mut playbooks, group, scope.as_deref()).await {
            Ok(lead) => lead,
            Err(reasons) => {
                unbuildable.extend(reasons);
                continue;
            }
        };
        let carriers = carriers(group, &channel, &playbook, lead);
        let (store, key) = (store.clone(), group.key.clone());
        match tokio::task::spawn_blocking(move || store.record_group(&key, &carriers, now)).await {
            Ok(Ok(n)) => recorded += n,
            Ok(Err(error)) => tracing::error!(target: "runner::alert", %error, "cannot record a group message"),
            Err(error) => tracing::error!(target: "runner::alert", %error, "cannot record a group message"),
        }
    }
    for (member, reason) in unbuildable {
        super::outbox::unbuildable_member(store, member, reason, now).await;
    }
    recorded
}

/// The member whose channel a group's carriers are built with (its headers, template):
/// the first member of `scope`'s playbooks whose playbook loads here and still has its
/// channel, else the first of any playbook. `None` when no member can lead: each member
/// comes back with why its own playbook or channel cannot be used here, so that it is
/// recorded as undeliverable (shown by `runner alerts`), not left queued in silence.
async fn lead<'g>(
    playbooks: &mut super::outbox::Playbooks<'_>,
    group: &'g DueGroup,
    scope: Option<&[String]>,
) -> Result<(&'g PendingMember, Arc<Loaded>, Channel), Vec<(&'g PendingMember, String)>> {
    let in_scope = |m: &&PendingMember| scope.is_none_or(|names| names.contains(&m.playbook));
    let candidates = group.members.iter().filter(in_scope).chain(group.members.iter().filter(|m| !in_scope(m)));
    let mut reasons = Vec::new();
    for member in candidates {
        match playbooks.of_file(&member.playbook, &member.file).await {
            Ok(playbook) => match playbook.playbook.notify.iter().flatten().find(|c| c.id.as_str() == member.channel) {
                Some(channel) => {
                    let channel = channel.clone();
                    return Ok((member, playbook, channel));
                }
                None => reasons.push((member, format!("channel `{}` is no longer in the playbook", member.channel))),
            },
            Err(reason) => reasons.push((member, crate::secret::scrub_owned(reason.to_string()))),
        }
    }
    Err(reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, key: &str, created_ms: i64, window_ms: i64, max_per_hour: Option<i64>) -> PendingMember {
        PendingMember {
            id,
            idempotency: format!("p:hook:c{id}:problem:run"),
            playbook: "p".into(),
            file: "/p.yaml".into(),
            channel: "hook".into(),
            summary: format!("PROBLEM c{id}"),
            alert: json!({"kind": "problem", "playbook": "p", "stream": format!("c{id}"), "status": "critical",
                "title": format!("CRITICAL p/c{id} (1 failing run)"), "text": "down", "runbook": null})
            .to_string(),
            created_ms,
            window_ms,
            max_per_hour,
            group_key: key.into(),
        }
    }

    fn alert(text_len: usize) -> GroupedAlert {
        GroupedAlert {
            kind: "problem".into(),
            playbook: "p".into(),
            stream: "c".into(),
            status: "critical".into(),
            title: "CRITICAL p/c (1 failing run)".into(),
            text: "x".repeat(text_len),
            runbook: Some("https://runbooks.example/c".into()),
        }
    }

    #[test]
    fn the_destination_key_hides_the_url_and_ignores_the_method_case() {
        let key = destination_key("post", "https://hooks.example/T0/secret-token");
        assert_eq!(key, destination_key("POST", "https://hooks.example/T0/secret-token"));
        assert_eq!(key.len(), 64);
        assert!(!key.contains("secret"));
        assert_ne!(key, destination_key("PUT", "https://hooks.example/T0/secret-token"));
    }

    #[test]
    fn a_window_closes_window_after_its_first_member_unless_forced() {
        let pending = [member(1, "k", 1_000, 60_000, None), member(2, "k", 30_000, 60_000, None)];
        assert!(due(&pending, 60_999, false, |_, _| 0).is_empty());
        let groups = due(&pending, 61_000, false, |_, _| 0);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members.len(), 2);
        assert_eq!(due(&pending, 2_000, true, |_, _| 0).len(), 1, "runner run closes it now");
    }

    #[test]
    fn the_next_close_is_the_earliest_open_window_of_a_groups_first_member() {
        let pending = [
            member(1, "a", 1_000, 60_000, None),
            member(2, "a", 5_000, 1_000, None),
            member(3, "b", 2_000, 30_000, None),
            member(4, "c", 0, 1_000, Some(1)),
        ];
        // a closes at 61 000 (its first member's window), b at 32 000, c closed already.
        assert_eq!(next_close(&pending, 10_000), Some(32_000));
        assert_eq!(next_close(&pending, 40_000), Some(61_000));
        assert_eq!(next_close(&pending, 61_000), None);
        assert_eq!(next_close(&[], 0), None);
    }

    #[test]
    fn past_the_hourly_limit_a_group_waits_for_the_next_hour_and_goes_as_a_summary() {
        let hour = 10 * HOUR_MS;
        let pending =
            [member(1, "k", hour + 100, 1_000, Some(2)), member(2, "k", hour + HOUR_MS - 10, 60_000, Some(2))];
        assert!(due(&pending, hour + 5_000, false, |_, _| 2).is_empty());
        let next = due(&pending, hour + HOUR_MS + 1, false, |_, h| if h == hour { 2 } else { 0 });
        assert_eq!(next.len(), 1);
        assert!(next[0].summary);
        let ordinary = due(&pending, hour + 5_000, false, |_, _| 1);
        assert!(!ordinary[0].summary);
    }

    #[test]
    fn the_carrier_key_is_stable_and_depends_on_the_members() {
        let (a, b) = (member(1, "k", 0, 1, None), member(2, "k", 0, 1, None));
        assert_eq!(carrier_key([&a, &b]), carrier_key([&a, &b]));
        assert_ne!(carrier_key([&a, &b]), carrier_key([&a]));
    }

    fn discord_total(body: &serde_json::Value) -> usize {
        body["embeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                chars(e["title"].as_str().unwrap_or(""))
                    + chars(e["footer"]["text"].as_str().unwrap_or(""))
                    + e["fields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| chars(f["name"].as_str().unwrap()) + chars(f["value"].as_str().unwrap()))
                        .sum::<usize>()
            })
            .sum()
    }

    #[test]
    fn discord_fits_small_alerts_in_one_message_and_splits_large_ones_in_the_fewest() {
        let small: Vec<GroupedAlert> = (0..50).map(|_| alert(10)).collect();
        let parts = discord_parts(&small, "group:k", false);
        assert_eq!(parts.len(), 1, "50 short alerts: 2 embeds of 25 fields");
        assert_eq!(parts[0].body["embeds"].as_array().unwrap().len(), 2);
        // Each about 1,000 characters: as many per message as 6000 allows, and no fewer.
        let large: Vec<GroupedAlert> = (0..50).map(|_| alert(900)).collect();
        let parts = discord_parts(&large, "group:k", false);
        let field = &parts[0].body["embeds"][0]["fields"][0];
        let cost = chars(field["name"].as_str().unwrap()) + chars(field["value"].as_str().unwrap());
        assert!(discord_total(&parts[0].body) + cost > DISCORD_TOTAL, "one more would not fit");
        assert_eq!(parts.len(), 50_usize.div_ceil(parts[0].members.len()));
        for part in &parts {
            assert!(discord_total(&part.body) <= DISCORD_TOTAL);
            assert!(part.body["embeds"].as_array().unwrap().len() <= DISCORD_EMBEDS);
        }
        let carried: usize = parts.iter().map(|p| p.members.len()).sum();
        assert_eq!(carried, 50);
    }

    #[test]
    fn slack_packs_lines_into_sections_within_its_limits() {
        let small: Vec<GroupedAlert> = (0..50).map(|_| alert(10)).collect();
        let parts = slack_parts(&small, "group:k", false);
        assert_eq!(parts.len(), 1);
        let large: Vec<GroupedAlert> = (0..200).map(|_| alert(2_000)).collect();
        let parts = slack_parts(&large, "group:k", false);
        for part in &parts {
            let blocks = part.body["blocks"].as_array().unwrap();
            assert!(blocks.len() <= SLACK_BLOCKS);
            for block in blocks.iter().filter(|b| b["type"] == "section") {
                assert!(chars(block["text"]["text"].as_str().unwrap()) <= SLACK_SECTION);
            }
        }
        assert_eq!(parts.iter().map(|p| p.members.len()).sum::<usize>(), 200);
        // 2,000-character lines: one per section, 6 per message under 12,000 characters.
        assert_eq!(parts.len(), 200_usize.div_ceil(SLACK_BLOCKS_TEXT / 2_100));
    }

    #[test]
    fn a_headline_counts_each_kind() {
        let mut alerts = vec![alert(1), alert(1)];
        alerts.push(GroupedAlert { kind: "recovery".into(), ..alert(1) });
        assert_eq!(headline(&alerts), "3 alerts: 2 problems, 1 recovery");
    }
}
