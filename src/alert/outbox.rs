//! Delivering the outbox: every due message gets one bounded attempt. 2xx delivers; 5xx,
//! timeouts and connection errors retry with exponential backoff; 429 waits as long as
//! Retry-After says; any other 4xx is dropped with its reason (retrying cannot fix it).
//! A message that keeps failing for a day expires.
//!
//! Delivery is at least once, never twice without a cause: a caller's budget only limits
//! when attempts start, and a started attempt runs to its answer or [`ATTEMPT_TIMEOUT`].
//! A message is sent again only after its deliverer died mid-attempt or the receiver
//! answered later than the attempt timeout; every send carries the same idempotency key
//! (header `Idempotency-Key`, and in the payload). Each attempt is recorded in the store
//! before its request goes out and finished with its outcome.
//!
//! The destination (a secret) is not stored with the message: it is looked up in the
//! playbook at delivery time, the one this process loaded or else the file recorded with
//! the message, under this process's environment. A message that cannot be delivered
//! here stays queued and is recorded as undeliverable on this host.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::playbook::{Channel, Loaded};
use crate::probe::http_clients::HttpClients;
use crate::store::Store;
use crate::store::alerts::{NewMessage, OutboxMessage};

/// The first retry waits this long (`RUNNER_OUTBOX_BACKOFF` overrides it), doubling per
/// attempt up to [`MAX_BACKOFF`].
pub const BASE_BACKOFF: Duration = Duration::from_secs(30);
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// A message still undelivered this long after it was queued is dropped.
pub const EXPIRY: Duration = Duration::from_secs(24 * 3600);
/// One attempt never waits longer than this for an answer, whatever budget its caller
/// has left: a reply that arrives in time is never sent twice.
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
    /// Not attempted here: this process cannot load its playbook or the channel's URL
    /// is empty in its environment. It stays queued for a process that can.
    Undeliverable {
        reason: String,
    },
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

/// The method and URL a channel sends to (secrets: never stored; grouping hashes them).
pub(super) fn method_and_url(channel: &Channel) -> Option<(String, String)> {
    if let Some(c) = &channel.discord {
        return Some(("POST".into(), c.webhook_url.expose().to_string()));
    }
    if let Some(c) = &channel.slack {
        return Some(("POST".into(), c.webhook_url.expose().to_string()));
    }
    let c = channel.webhook.as_ref()?;
    let method = c.method.as_ref().map(|m| m.as_str().to_ascii_uppercase()).unwrap_or_else(|| "POST".into());
    Some((method, c.url.expose().to_string()))
}

fn target(channel: &Channel, message: &OutboxMessage) -> Option<Target> {
    let (method, url) = method_and_url(channel)?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
    let Some(c) = channel.webhook.as_ref() else {
        return Some(Target { method, url, headers: json_headers() });
    };
    // The default body is JSON; so is the body a failing template fell back to.
    let json = c.body.is_none() || is_default_webhook_body(message);
    let mut headers: Vec<(String, String)> = if json { json_headers() } else { Vec::new() };
    for (name, value) in c.headers.iter().flatten() {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.expose().to_string()));
    }
    Some(Target { method, url, headers })
}

/// The message carries the default webhook body (the alert with its RunRecord, or a
/// group's list of alerts) rather than its template's output: its body template failed
/// when the message was decided or its group formed.
fn is_default_webhook_body(message: &OutboxMessage) -> bool {
    if !message.body.starts_with("{\"idempotency_key\":") {
        return false;
    }
    match serde_json::from_str::<serde_json::Value>(&message.body) {
        Ok(value) => {
            value.get("idempotency_key").and_then(|k| k.as_str()) == Some(message.idempotency.as_str())
                && ((value.get("alert").is_some() && value.get("run").is_some())
                    || (value.get("alerts").is_some() && value.get("group").is_some()))
        }
        Err(_) => false,
    }
}

fn json_headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into())]
}

/// At most this many attempts are in flight at once.
const IN_FLIGHT: usize = 8;

/// Why a message's playbook cannot be had on this host: the reason its outcome records
/// (scrubbed there, as a diagnostic can quote a value). Clone, as one answer serves every
/// message of a file in a delivery round.
#[derive(Clone, Debug, thiserror::Error)]
pub(super) enum PlaybookUnavailable {
    /// The loading task died (a panic in the loader).
    #[error("cannot load its playbook: {0}")]
    LoaderFailed(#[source] Arc<tokio::task::JoinError>),
    #[error("cannot read its playbook {file}: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// It loads with errors under this process's environment; `first` is the first.
    #[error("its playbook {file} does not load here: {first}")]
    DoesNotLoad { file: String, first: String },
    /// The file now holds another playbook.
    #[error("{file} now holds playbook `{holds}`, not `{wanted}`")]
    Renamed { file: String, holds: String, wanted: String },
}

/// Where a message's playbook comes from: the ones this process has loaded, else its
/// file, loaded under this process's environment (once per delivery round).
pub(super) struct Playbooks<'a> {
    loaded: &'a [Arc<Loaded>],
    from_files: HashMap<String, Result<Arc<Loaded>, PlaybookUnavailable>>,
}

impl<'a> Playbooks<'a> {
    pub(super) fn new(loaded: &'a [Arc<Loaded>]) -> Playbooks<'a> {
        Playbooks { loaded, from_files: HashMap::new() }
    }

    async fn of(&mut self, message: &OutboxMessage) -> Result<Arc<Loaded>, PlaybookUnavailable> {
        self.of_file(&message.playbook, &message.file).await
    }

    /// The playbook `name`, loaded here or from `file`.
    pub(super) async fn of_file(&mut self, name: &str, file: &str) -> Result<Arc<Loaded>, PlaybookUnavailable> {
        if let Some(loaded) = self.loaded.iter().find(|l| l.playbook.name.as_str() == name) {
            return Ok(loaded.clone());
        }
        if let Some(known) = self.from_files.get(file) {
            return known.clone();
        }
        let file = file.to_string();
        let recorded = file.clone();
        let loaded = tokio::task::spawn_blocking(move || load_for_delivery(&file))
            .await
            .unwrap_or_else(|e| Err(PlaybookUnavailable::LoaderFailed(Arc::new(e))))
            .and_then(|loaded| {
                if loaded.playbook.name.as_str() == name {
                    Ok(loaded)
                } else {
                    Err(PlaybookUnavailable::Renamed {
                        file: recorded.clone(),
                        holds: loaded.playbook.name.to_string(),
                        wanted: name.to_string(),
                    })
                }
            });
        self.from_files.insert(recorded.clone(), loaded.clone());
        loaded
    }
}

/// Loads the playbook file recorded with a message, as `runner run` would.
fn load_for_delivery(file: &str) -> Result<Arc<Loaded>, PlaybookUnavailable> {
    let path = std::path::Path::new(file);
    let report = crate::playbook::load::load_file(path, &crate::playbook::load::LoadOptions::default())
        .map_err(|source| PlaybookUnavailable::Unreadable { file: file.to_string(), source: Arc::new(source) })?;
    report.into_loaded(false).map(Arc::new).map_err(|report| {
        let first = report.diagnostics.iter().find(|d| d.is_error()).map(|d| d.message.clone()).unwrap_or_default();
        PlaybookUnavailable::DoesNotLoad { file: file.to_string(), first: crate::secret::scrub_owned(first) }
    })
}

/// What to do with a message before any request: send it to `Target`, or settle it now.
async fn prepare(playbooks: &mut Playbooks<'_>, message: &OutboxMessage) -> Result<Target, Outcome> {
    if crate::store::now_ms() - message.created_ms > EXPIRY.as_millis() as i64 {
        return Err(Outcome::Dropped {
            reason: format!("expired: undelivered for {}", crate::duration::format(EXPIRY)),
        });
    }
    let playbook = playbooks
        .of(message)
        .await
        .map_err(|reason| Outcome::Undeliverable { reason: crate::secret::scrub_owned(reason.to_string()) })?;
    let channel = playbook.playbook.notify.iter().flatten().find(|c| c.id.as_str() == message.channel);
    let Some(channel) = channel else {
        return Err(Outcome::Dropped { reason: format!("channel `{}` is no longer in the playbook", message.channel) });
    };
    if super::is_off(channel) {
        return Err(Outcome::Undeliverable {
            reason: format!("channel `{}` is off here: its URL is empty in this environment", message.channel),
        });
    }
    target(channel, message)
        .ok_or_else(|| Outcome::Dropped { reason: format!("channel `{}` has an invalid HTTP method", message.channel) })
}

/// Delivers messages: starts one attempt for each, at most [`IN_FLIGHT`] at once, while
/// `budget` lasts; an attempt once started runs to its answer or [`ATTEMPT_TIMEOUT`],
/// never cut short by the budget (cutting it would requeue a message the receiver may
/// still accept, and send it twice). Messages not started in time are left queued, due
/// now. Each attempt and outcome is recorded in the store.
///
/// `loaded` are the playbooks this process knows; a message of another playbook is
/// delivered by loading the file recorded with it, and when that cannot be done here
/// (file gone, webhook variable unset) it stays queued, recorded as undeliverable on
/// this host.
pub async fn deliver(
    store: &Arc<dyn Store>,
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
    store: Option<&Arc<dyn Store>>,
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
            release(store, messages.iter().map(|m| m.id).collect()).await;
            return Vec::new();
        }
    };
    let host = crate::host::id();
    let mut playbooks = Playbooks::new(loaded);
    let mut tasks = Attempts(tokio::task::JoinSet::new());
    let mut deliveries = Vec::new();
    let mut not_started = Vec::new();
    let mut queue = messages.into_iter();
    loop {
        // Start what the budget and the in-flight limit allow.
        while tasks.0.len() < IN_FLIGHT && tokio::time::Instant::now() < deadline {
            let Some(message) = queue.next() else { break };
            match prepare(&mut playbooks, &message).await {
                Err(outcome) => {
                    record(store, &message, None, None, &outcome, &host).await;
                    deliveries.push(Delivery::of(&message, outcome));
                }
                Ok(target) => {
                    let (client, store, host) = (client.clone(), store.cloned(), host.clone());
                    let in_flight = InFlight::enter();
                    tasks.0.spawn(async move {
                        let _in_flight = in_flight;
                        let attempt_id = begin(store.as_ref(), &message, &host).await;
                        let (outcome, status) = attempt(&client, &target, &message).await;
                        record(store.as_ref(), &message, attempt_id, status, &outcome, &host).await;
                        Delivery::of(&message, outcome)
                    });
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            not_started.extend(queue.by_ref().map(|m| m.id));
        }
        match tasks.0.join_next().await {
            Some(Ok(delivery)) => deliveries.push(delivery),
            Some(Err(error)) => tracing::error!(target: "runner::alert", %error, "a delivery task failed"),
            None if queue.len() == 0 => break,
            None => {}
        }
    }
    release(store, not_started).await;
    deliveries
}

/// The attempts [`deliver`] started. When its caller is cancelled (Ctrl-C or SIGTERM of
/// `runner run` while it delivers) they are detached, not aborted: each runs to its answer
/// or its timeout and records it, and the process waits for them with [`settle`].
struct Attempts(tokio::task::JoinSet<Delivery>);

impl Drop for Attempts {
    fn drop(&mut self) {
        self.0.detach_all();
    }
}

/// How many attempts are in flight in this process.
static IN_FLIGHT_NOW: AtomicUsize = AtomicUsize::new(0);

/// Counts an attempt in flight for as long as it lives.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        IN_FLIGHT_NOW.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT_NOW.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits (at most an attempt's timeout) for the attempts still in flight: a process that
/// is told to stop calls it before it exits, so that a stop never causes a repeat.
pub async fn settle() {
    let deadline = tokio::time::Instant::now() + ATTEMPT_TIMEOUT + Duration::from_secs(2);
    while IN_FLIGHT_NOW.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Delivery {
    fn of(message: &OutboxMessage, outcome: Outcome) -> Delivery {
        Delivery { id: message.id, channel: message.channel.clone(), summary: message.summary.clone(), outcome }
    }
}

/// One request, bounded by [`ATTEMPT_TIMEOUT`]: its outcome and the HTTP status, if any.
async fn attempt(client: &reqwest::Client, target: &Target, message: &OutboxMessage) -> (Outcome, Option<u16>) {
    let now = crate::store::now_ms();
    let retry = |error: String| Outcome::Retry {
        due_ms: now + backoff(message.attempts).as_millis() as i64,
        error: crate::secret::scrub_owned(error),
    };
    let mut request =
        client.request(target.method.clone(), &target.url).timeout(ATTEMPT_TIMEOUT).body(message.body.clone());
    for (name, value) in &target.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request = request.header("Idempotency-Key", message.idempotency.as_str());
    let exchange = async {
        let response = request.send().await?;
        let status = response.status();
        let after =
            response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = if status.is_success() { String::new() } else { response.text().await.unwrap_or_default() };
        Ok::<_, reqwest::Error>((status, after, body))
    };
    // reqwest's timeout covers connecting, sending and the answer; this one is the
    // backstop that no attempt outlives.
    let (status, after, body) = match tokio::time::timeout(ATTEMPT_TIMEOUT + Duration::from_secs(1), exchange).await {
        Err(_) => return (retry(format!("no answer within {}", crate::duration::format(ATTEMPT_TIMEOUT))), None),
        Ok(Err(error)) => return (retry(crate::checks::http::describe_error(&error, true)), None),
        Ok(Ok(answer)) => answer,
    };
    let code = Some(status.as_u16());
    if status.is_success() {
        return (Outcome::Delivered, code);
    }
    let body: String = crate::secret::scrub_and_cut(&body, 300);
    let text = crate::secret::scrub_owned(format!("HTTP {}: {}", status.as_u16(), body.trim()));
    let outcome = if status.as_u16() == 429 {
        let wait = after.as_deref().and_then(|v| retry_after(v, now)).unwrap_or_else(|| backoff(message.attempts));
        Outcome::Retry { due_ms: now + wait.as_millis() as i64, error: text }
    } else if status.is_server_error() || status.as_u16() == 408 {
        retry(text)
    } else {
        Outcome::Dropped { reason: text }
    };
    (outcome, code)
}

/// Records that an attempt starts; `None` when the store cannot say so (the message is
/// sent anyway: an alert matters more than its audit).
async fn begin(store: Option<&Arc<dyn Store>>, message: &OutboxMessage, host: &str) -> Option<i64> {
    let (store, message, host) = (store?.clone(), message.clone(), host.to_string());
    match tokio::task::spawn_blocking(move || store.begin_attempt(&message, &host)).await {
        Ok(Ok(id)) => Some(id),
        Ok(Err(error)) => {
            tracing::error!(target: "runner::alert", %error, "cannot record a delivery attempt");
            None
        }
        Err(_) => None,
    }
}

/// Whether `reason` is new for this message: the daemon tries every due message on each
/// tick and after each run, and a message stuck for one reason is said to be once, until
/// the reason changes. `None` forgets the message (it was delivered, retried, dropped).
fn newly_undeliverable(message_id: i64, reason: Option<&str>) -> bool {
    static SAID: std::sync::Mutex<Option<HashMap<i64, String>>> = std::sync::Mutex::new(None);
    let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let said = said.get_or_insert_with(HashMap::new);
    match reason {
        Some(reason) => said.insert(message_id, reason.to_string()).as_deref() != Some(reason),
        None => said.remove(&message_id).is_some(),
    }
}

async fn record(
    store: Option<&Arc<dyn Store>>,
    message: &OutboxMessage,
    attempt: Option<i64>,
    http_status: Option<u16>,
    outcome: &Outcome,
    host: &str,
) {
    match outcome {
        Outcome::Delivered => {}
        Outcome::Retry { error, .. } => {
            tracing::warn!(target: "runner::alert", summary = %message.summary, %error, "delivery failed; will retry")
        }
        Outcome::Dropped { reason } => {
            tracing::warn!(target: "runner::alert", summary = %message.summary, %reason, "notification dropped")
        }
        Outcome::Undeliverable { reason } => {
            if newly_undeliverable(message.id, Some(reason)) {
                tracing::warn!(target: "runner::alert", summary = %message.summary, %reason, "cannot deliver here; it stays queued")
            }
        }
    }
    if !matches!(outcome, Outcome::Undeliverable { .. }) {
        newly_undeliverable(message.id, None);
    }
    // A message sent directly (the store refused the run) is recorded by its caller.
    let Some(store) = store.cloned() else { return };
    let (id, outcome, host) = (message.id, outcome.clone(), host.to_string());
    let recorded =
        tokio::task::spawn_blocking(move || store.finish_attempt(id, attempt, http_status, &outcome, &host)).await;
    if let Ok(Err(error)) = recorded {
        tracing::error!(target: "runner::alert", %error, "cannot record a delivery outcome");
    }
}

/// Settles a grouped member whose group cannot be built here (`alert::group::form`: its
/// playbook does not load, or no longer has its channel, and no other member of its group
/// can lead): recorded as undeliverable on this host with `reason` (what `runner alerts`
/// and `/healthz` show) and left queued for a process that can; once older than
/// [`EXPIRY`], dropped like any message, with a finished delivery attempt saying why.
pub(super) async fn unbuildable_member(
    store: &Arc<dyn Store>,
    member: &crate::store::groups_outbox::PendingMember,
    reason: String,
    now_ms: i64,
) {
    let message = OutboxMessage {
        id: member.id,
        idempotency: member.idempotency.clone(),
        playbook: member.playbook.clone(),
        file: member.file.clone(),
        channel: member.channel.clone(),
        kind: "group".to_string(),
        summary: member.summary.clone(),
        body: String::new(),
        created_ms: member.created_ms,
        due_ms: member.created_ms,
        attempts: 0,
        last_error: None,
        delivered_ms: None,
        dropped: None,
    };
    let host = crate::host::id();
    if now_ms - member.created_ms > EXPIRY.as_millis() as i64 {
        let reason = format!(
            "expired: undelivered for {}; its group could not be built: {reason}",
            crate::duration::format(EXPIRY)
        );
        let attempt = begin(Some(store), &message, &host).await;
        record(Some(store), &message, attempt, None, &Outcome::Dropped { reason }, &host).await;
    } else {
        let reason = format!("its group cannot be built here: {reason}");
        record(Some(store), &message, None, None, &Outcome::Undeliverable { reason }, &host).await;
    }
}

/// Gives claimed messages back, due as they were (not attempted by this process).
async fn release(store: Option<&Arc<dyn Store>>, ids: Vec<i64>) {
    let Some(store) = store.cloned() else { return };
    if ids.is_empty() {
        return;
    }
    if let Ok(Err(error)) = tokio::task::spawn_blocking(move || store.release(&ids)).await {
        tracing::error!(target: "runner::alert", %error, "cannot release claimed messages");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undeliverable_message_is_said_once_per_reason() {
        // An id no other test uses: the record is process-wide.
        let id = -4242;
        assert!(newly_undeliverable(id, Some("HOOK_URL is not set")));
        assert!(!newly_undeliverable(id, Some("HOOK_URL is not set")), "the next tick says nothing");
        assert!(newly_undeliverable(id, Some("its file is gone")), "a new reason is said");
        newly_undeliverable(id, None);
        assert!(newly_undeliverable(id, Some("its file is gone")), "stuck again after a retry: said again");
    }

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
