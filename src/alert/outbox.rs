//! Delivering the outbox: every due message gets one bounded attempt. 2xx delivers; 5xx,
//! timeouts and connection errors retry with exponential backoff; 429 waits as long as
//! Retry-After says; any other 4xx is dropped with its reason (retrying cannot fix it).
//! A message that keeps failing for a day expires.
//!
//! The destination (a secret) is not stored with the message: it is looked up in the
//! playbook at delivery time.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::context::HttpClients;
use crate::playbook::{Channel, Loaded};
use crate::store::Store;
use crate::store::alerts::{NewMessage, OutboxMessage};

/// The first retry waits this long (`RUNNER_OUTBOX_BACKOFF` overrides it), doubling per
/// attempt up to [`MAX_BACKOFF`].
pub const BASE_BACKOFF: Duration = Duration::from_secs(30);
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// A message still undelivered this long after it was queued is dropped.
pub const EXPIRY: Duration = Duration::from_secs(24 * 3600);
/// One attempt never waits longer than this for an answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Retry {
        due_ms: i64,
        error: String,
    },
    Dropped {
        reason: String,
    },
    /// Not attempted here (its playbook is not loaded in this process).
    NotMine,
}

/// One message's attempt, for the notify stage and logs.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: i64,
    pub channel: String,
    pub summary: String,
    pub outcome: Outcome,
}

fn base_backoff() -> Duration {
    std::env::var("RUNNER_OUTBOX_BACKOFF")
        .ok()
        .and_then(|text| crate::duration::parse(&text).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(BASE_BACKOFF)
}

/// The wait before the next attempt after `attempts` failed ones.
pub fn backoff(attempts: i64) -> Duration {
    let base = base_backoff();
    let factor = 2u32.saturating_pow(attempts.clamp(0, 16) as u32);
    base.saturating_mul(factor).min(MAX_BACKOFF.max(base))
}

/// Seconds to wait from a Retry-After header: a number of seconds or an HTTP date.
pub fn retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let date = jiff::fmt::rfc2822::parse(value).ok()?;
    let ms = date.timestamp().as_millisecond() - now_ms;
    Some(Duration::from_millis(ms.max(0) as u64))
}

/// Where a channel sends: method, URL and headers (secrets; never stored).
struct Target {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
}

fn target(channel: &Channel, message: &OutboxMessage) -> Option<Target> {
    if let Some(c) = &channel.discord {
        return Some(Target {
            method: reqwest::Method::POST,
            url: c.webhook_url.expose().to_string(),
            headers: json_headers(),
        });
    }
    if let Some(c) = &channel.slack {
        return Some(Target {
            method: reqwest::Method::POST,
            url: c.webhook_url.expose().to_string(),
            headers: json_headers(),
        });
    }
    let c = channel.webhook.as_ref()?;
    let method = c.method.as_ref().map(|m| m.as_str().to_ascii_uppercase()).unwrap_or_else(|| "POST".into());
    // The default body is JSON; so is the body a failing template fell back to.
    let json = c.body.is_none() || is_default_webhook_body(message);
    let mut headers: Vec<(String, String)> = if json { json_headers() } else { Vec::new() };
    for (name, value) in c.headers.iter().flatten() {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.expose().to_string()));
    }
    Some(Target {
        method: reqwest::Method::from_bytes(method.as_bytes()).ok()?,
        url: c.url.expose().to_string(),
        headers,
    })
}

/// The message carries the default webhook body (the alert with its RunRecord) rather
/// than its template's output: its body template failed when the message was decided.
fn is_default_webhook_body(message: &OutboxMessage) -> bool {
    if !message.body.starts_with("{\"idempotency_key\":") {
        return false;
    }
    match serde_json::from_str::<serde_json::Value>(&message.body) {
        Ok(value) => {
            value.get("idempotency_key").and_then(|k| k.as_str()) == Some(message.idempotency.as_str())
                && value.get("alert").is_some()
                && value.get("run").is_some()
        }
        Err(_) => false,
    }
}

fn json_headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into())]
}

/// Makes one attempt for each message, concurrently, all within `budget`; records each
/// outcome in the store. `loaded` are the playbooks this process knows; messages of others
/// are left for the process that knows them.
pub async fn deliver(
    store: &Arc<Store>,
    http: &HttpClients,
    loaded: &[Arc<Loaded>],
    messages: Vec<OutboxMessage>,
    budget: Duration,
) -> Vec<Delivery> {
    deliver_and_record(Some(store), http, loaded, messages, budget).await
}

/// One attempt for each of a run's messages that the store could not queue (a full or
/// read-only disk): sent directly, recorded nowhere. A delivery's `id` is its message's
/// index in `messages`: the caller keeps which were delivered, so that queuing them later
/// does not send them again.
pub async fn deliver_unqueued(
    http: &HttpClients,
    loaded: &Arc<Loaded>,
    messages: &[NewMessage],
    budget: Duration,
) -> Vec<Delivery> {
    let now = crate::store::now_ms();
    let unqueued = messages
        .iter()
        .zip(0..)
        .map(|(m, index)| OutboxMessage {
            id: index,
            idempotency: m.idempotency.clone(),
            playbook: m.playbook.clone(),
            file: m.file.clone(),
            channel: m.channel.clone(),
            kind: m.kind.clone(),
            summary: m.summary.clone(),
            body: m.body.clone(),
            created_ms: now,
            due_ms: now,
            attempts: 0,
            last_error: None,
            delivered_ms: None,
            dropped: None,
        })
        .collect();
    deliver_and_record(None, http, std::slice::from_ref(loaded), unqueued, budget).await
}

async fn deliver_and_record(
    store: Option<&Arc<Store>>,
    http: &HttpClients,
    loaded: &[Arc<Loaded>],
    messages: Vec<OutboxMessage>,
    budget: Duration,
) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + budget;
    let client = match http.get(true, false) {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(target: "runner::alert", %error, "cannot build the HTTP client for notifications");
            return Vec::new();
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut deliveries = Vec::new();
    for message in messages {
        let now = crate::store::now_ms();
        let playbook = loaded.iter().find(|l| l.playbook.name.as_str() == message.playbook);
        let Some(playbook) = playbook else {
            deliveries.push(Delivery {
                id: message.id,
                channel: message.channel.clone(),
                summary: message.summary.clone(),
                outcome: Outcome::NotMine,
            });
            continue;
        };
        let channel = playbook.playbook.notify.iter().flatten().find(|c| c.id.as_str() == message.channel);
        let outcome = match channel {
            None => {
                Some(Outcome::Dropped { reason: format!("channel `{}` is no longer in the playbook", message.channel) })
            }
            Some(channel) if super::is_off(channel) => {
                Some(Outcome::Dropped { reason: format!("channel `{}` is off (empty URL)", message.channel) })
            }
            Some(_) if now - message.created_ms > EXPIRY.as_millis() as i64 => Some(Outcome::Dropped {
                reason: format!("expired: undelivered for {}", crate::duration::format(EXPIRY)),
            }),
            Some(_) => None,
        };
        if let Some(outcome) = outcome {
            record(store, &message, &outcome).await;
            deliveries.push(Delivery {
                id: message.id,
                channel: message.channel.clone(),
                summary: message.summary.clone(),
                outcome,
            });
            continue;
        }
        let target = channel.and_then(|c| target(c, &message));
        let Some(target) = target else { continue };
        let client = client.clone();
        tasks.spawn(async move {
            let outcome = attempt(&client, &target, &message, deadline).await;
            (message, outcome)
        });
    }
    loop {
        match tokio::time::timeout_at(deadline + Duration::from_millis(200), tasks.join_next()).await {
            Ok(Some(Ok((message, outcome)))) => {
                record(store, &message, &outcome).await;
                deliveries.push(Delivery {
                    id: message.id,
                    channel: message.channel.clone(),
                    summary: message.summary.clone(),
                    outcome,
                });
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                // The budget is spent; what is still in flight stays queued, due now.
                tasks.abort_all();
                break;
            }
        }
    }
    deliveries
}

async fn attempt(
    client: &reqwest::Client,
    target: &Target,
    message: &OutboxMessage,
    deadline: tokio::time::Instant,
) -> Outcome {
    let now = crate::store::now_ms();
    let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
    let timeout = remaining.min(ATTEMPT_TIMEOUT).max(Duration::from_millis(100));
    let mut request = client.request(target.method.clone(), &target.url).timeout(timeout).body(message.body.clone());
    for (name, value) in &target.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request = request.header("Idempotency-Key", message.idempotency.as_str());
    let retry = |error: String| Outcome::Retry {
        due_ms: now + backoff(message.attempts).as_millis() as i64,
        error: crate::secret::scrub_owned(error),
    };
    match request.send().await {
        Err(error) => retry(crate::checks::http::describe_error(&error, true)),
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                return Outcome::Delivered;
            }
            let after =
                response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
            let body: String = crate::secret::scrub_and_cut(&response.text().await.unwrap_or_default(), 300);
            let text = crate::secret::scrub_owned(format!("HTTP {}: {}", status.as_u16(), body.trim()));
            if status.as_u16() == 429 {
                let wait =
                    after.as_deref().and_then(|v| retry_after(v, now)).unwrap_or_else(|| backoff(message.attempts));
                Outcome::Retry { due_ms: now + wait.as_millis() as i64, error: text }
            } else if status.is_server_error() || status.as_u16() == 408 {
                retry(text)
            } else {
                Outcome::Dropped { reason: text }
            }
        }
    }
}

async fn record(store: Option<&Arc<Store>>, message: &OutboxMessage, outcome: &Outcome) {
    let Some(store) = store.cloned() else { return };
    let id = message.id;
    let outcome = outcome.clone();
    let summary = message.summary.clone();
    let _ = tokio::task::spawn_blocking(move || match &outcome {
        Outcome::Delivered => store.mark_delivered(id),
        Outcome::Retry { due_ms, error } => {
            tracing::warn!(target: "runner::alert", message = %summary, %error, "delivery failed; will retry");
            store.mark_retry(id, *due_ms, error)
        }
        Outcome::Dropped { reason } => {
            tracing::warn!(target: "runner::alert", message = %summary, %reason, "notification dropped");
            store.mark_dropped(id, reason)
        }
        Outcome::NotMine => Ok(()),
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(retry_after("120", 0), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("1.5", 0), Some(Duration::from_millis(1500)));
        let now = jiff::Timestamp::from_second(1_445_412_420).unwrap().as_millisecond();
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(retry_after("soon", 0), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(240));
        assert_eq!(backoff(20), MAX_BACKOFF);
    }
}
