//! `nats`: a connection to a NATS server (with a user and password or a token), with a
//! `subject` a request/reply round trip through the server, and with a JetStream `stream`
//! (and `consumer`) its message count and what is pending; metrics `latency_ms`,
//! `messages`, `pending`.
//!
//! The round trip is answered by the probe itself: it subscribes a responder on a subject
//! of its own under `subject` (`SUBJECT.<unique token>`), sends a request there and waits
//! for its unique payload to come back. So the check says whether the server routes a
//! request and its reply, whatever services run; another responder on `subject` cannot
//! answer for it, and a service's own health is a `command` or `http` check.
//!
//! async-nats connects inside the probe's future and then drives the connection from a
//! task of its own, which ends when the client is dropped: when the probe ends, or when
//! the engine's timeout drops it. It never reconnects on the probe's behalf. The URL is a
//! secret as a whole (it may hold a password or a token).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// A NATS server, and optionally a round trip and a JetStream stream or consumer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatsCheck {
    /// `nats://HOST[:4222]`, or `tls://HOST[:4222]` to require TLS; `USER:PASS@` or
    /// `TOKEN@` in it log in (a secret: never printed).
    pub url: SecretText,
    /// The user name (with `password`; default: the URL's).
    pub username: Option<Text>,
    /// The password (a secret; empty = the URL's). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// The token (a secret; empty = the URL's). Not with `username`.
    pub token: Option<SecretText>,
    /// A request/reply round trip through the server: the probe answers its own request on
    /// `SUBJECT.<unique token>` (the user needs publish and subscribe rights on `SUBJECT.>`
    /// and `_INBOX.>`). No wildcards.
    pub subject: Option<Text>,
    /// A JetStream stream: `messages` is its message count, `pending` what its consumers
    /// have not finished, summed (without `consumer`).
    pub stream: Option<Text>,
    /// A consumer of `stream`: `pending` is its messages not yet delivered plus those
    /// delivered and not yet acknowledged.
    pub consumer: Option<Text>,
}

impl CheckKind for NatsCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "messages", "pending"];

    /// `messages` and `pending` come with a `stream` only.
    fn metric_names(&self) -> Option<Vec<String>> {
        let names = if self.stream.is_some() { Self::METRICS } else { &Self::METRICS[..1] };
        Some(names.iter().map(|name| name.to_string()).collect())
    }

    fn validate(&self, rules: &mut KindRules<'_>) {
        SCHEMES.check(&self.url, "`password:` or `token:`", rules);
        let written = |text: Option<&Text>| text.is_some_and(|t| !t.as_str().is_empty());
        let secret = |text: Option<&SecretText>| text.is_some_and(|t| !t.is_empty());
        let (has_username, has_password) = (written(self.username.as_ref()), secret(self.password.as_ref()));
        if let Some(token) = self.token.as_ref().filter(|t| !t.is_empty())
            && (has_username || has_password)
        {
            rules.error(token.span(), "`token` and `username`/`password` are two ways to log in", "keep one of them");
        }
        // A user name goes with a password, from the keys or the URL's `USER:PASS@`.
        let url = reqwest::Url::parse(self.url.expose()).ok();
        let url_has_password = url.as_ref().is_some_and(|u| u.password().is_some());
        let url_has_user = url.as_ref().is_some_and(|u| !u.username().is_empty());
        if let Some(username) = self.username.as_ref().filter(|_| has_username && !has_password && !url_has_password) {
            rules.error(username.span(), "`username` needs a password", "set `password` too, or log in with `token`");
        }
        if let Some(password) = self.password.as_ref().filter(|_| has_password && !has_username && !url_has_user) {
            rules.error(password.span(), "`password` needs a user name", "set `username` too, or log in with `token`");
        }
        // `nats://NAME@host` (no `:PASS`) is a token URL: a `password` beside it would turn
        // the token into a user name, silently.
        if let Some(password) =
            self.password.as_ref().filter(|_| has_password && !has_username && url_has_user && !url_has_password)
        {
            rules.error(
                password.span(),
                "`password` beside a token URL: the URL's `NAME@` without `:PASS` is a token",
                "for a user and password, write the user in `username` (or `nats://USER:PASS@…`); for a token, remove `password`",
            );
        }
        if let Some(subject) = self.subject.as_ref().filter(|s| s.is_valid())
            && let Err(problem) = subject_problem(subject.as_str())
        {
            rules.error(subject.span(), problem, "write a subject such as `runner.health`");
        }
        for (key, name) in [("stream", &self.stream), ("consumer", &self.consumer)] {
            if let Some(name) = name.as_ref().filter(|n| n.is_valid())
                && let Err(problem) = name_problem(key, name.as_str())
            {
                rules.error(name.span(), problem, "JetStream names have no spaces, `.`, `*`, `>`, `/` or `\\`");
            }
        }
        if let Some(consumer) = &self.consumer
            && self.stream.is_none()
        {
            rules.error(
                consumer.span(),
                "`consumer` needs `stream`",
                "name the stream the consumer belongs to in `stream`",
            );
        }
    }
}

/// `nats://` and `tls://` (TLS required).
const SCHEMES: super::broker::Schemes = super::broker::Schemes {
    protocol: "NATS",
    plain: ("nats", 4222),
    tls: ("tls", 4222),
    example: "write e.g. `nats://nats.example.com:4222`, or `tls://nats.example.com:4222` to require TLS",
};

/// Why `subject` cannot carry the probe's request, if it cannot.
fn subject_problem(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        Err("the subject is empty".into())
    } else if subject.chars().any(char::is_whitespace) {
        Err(format!("the subject `{subject}` has white space"))
    } else if subject.split('.').any(|token| token == "*" || token == ">") {
        Err(format!("the subject `{subject}` has a wildcard (`*` or `>`): a request goes to one subject"))
    } else if subject.split('.').any(str::is_empty) {
        Err(format!("the subject `{subject}` has an empty token (a leading, trailing or double `.`)"))
    } else {
        Ok(())
    }
}

/// Why `name` cannot name a stream or a consumer, if it cannot.
fn name_problem(key: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err(format!("the {key} name is empty"))
    } else if name.chars().any(|c| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\')) {
        Err(format!("`{name}` is not a valid {key} name"))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::{Client, ConnectErrorKind, ConnectOptions};
use futures_util::StreamExt;

use super::broker;
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

pub async fn probe(config: &NatsCheck, ctx: &ProbeContext<'_>) -> Observation {
    let (address, options) = match connect_options(config, ctx.timeout) {
        Ok(target) => target,
        Err(problem) => return Observation::unknown(crate::secret::scrub(&problem).into_owned()),
    };
    let started = Instant::now();
    let client = match options.connect(address.as_str()).await {
        Ok(client) => client,
        Err(error) => return Observation::fail(describe_connect(&error, &address, address.starts_with("tls://"))),
    };
    let mut said = vec![format!("connected to {}", address.split_once("://").map_or(address.as_str(), |(_, a)| a))];
    if let Some(subject) = &config.subject {
        let deadline = broker::answer_deadline(started, ctx.timeout);
        match tokio::time::timeout_at(deadline, round_trip(&client, subject.as_str())).await {
            Ok(Ok(())) => said.push(format!("a request on `{}.*` came back", subject.as_str())),
            Ok(Err(problem)) => return Observation::fail(crate::secret::scrub(&problem).into_owned()),
            Err(_) => {
                return Observation::fail(format!(
                    "the request on `{}.*` did not come back: may the user publish to and subscribe to `{0}.>` and `_INBOX.>`?",
                    subject.as_str()
                ));
            }
        }
    }
    let mut observation = Observation::pass("");
    if let Some(stream) = &config.stream {
        let consumer = config.consumer.as_ref().map(|c| c.as_str());
        match jetstream_counts(&client, stream.as_str(), consumer, ctx.timeout).await {
            Ok((messages, pending)) => {
                said.push(match consumer {
                    Some(consumer) => {
                        format!("stream `{stream}`: {messages} messages, consumer `{consumer}`: {pending} pending")
                    }
                    None => format!("stream `{stream}`: {messages} messages, {pending} pending"),
                });
                #[expect(clippy::cast_precision_loss, reason = "message counts are far below 2^52")]
                let (messages, pending) = (messages as f64, pending as f64);
                observation = observation.metric("messages", messages).metric("pending", pending);
            }
            Err(problem) => return Observation::fail(crate::secret::scrub(&problem).into_owned()),
        }
    }
    let latency_ms = broker::elapsed_ms(started);
    observation.message =
        crate::secret::scrub(&format!("{} in {}ms", said.join("; "), format_number(latency_ms))).into_owned();
    observation.metric("latency_ms", latency_ms)
}

/// The server's address (without credentials) and how to log in: the keys `username`,
/// `password` and `token` override the URL's `USER:PASS@` or `TOKEN@`.
fn connect_options(config: &NatsCheck, timeout: Duration) -> Result<(String, ConnectOptions), String> {
    let (url, endpoint) = SCHEMES.endpoint(config.url.expose()).map_err(|e| e.to_string())?;
    let tls = endpoint.tls;
    let address = format!("{}://{}", url.scheme(), endpoint.address());

    let given = |text: Option<&SecretText>| text.filter(|t| !t.is_empty()).map(|t| t.expose().to_string());
    let url_user = Some(crate::secret::percent_decode(url.username())).filter(|u| !u.is_empty());
    let url_password = url.password().map(crate::secret::percent_decode);
    let username = config.username.as_ref().map(|u| u.as_str().to_string()).filter(|u| !u.is_empty());
    let password = given(config.password.as_ref());
    let token = given(config.token.as_ref());

    // Each key overrides its part of the URL; a URL's `NAME@` alone (no password from the
    // URL or a key) is a token.
    let url_token = url_user.clone().filter(|_| url_password.is_none() && password.is_none() && username.is_none());
    let options = match (token.or(url_token), username.or(url_user), password.or(url_password)) {
        (Some(token), _, _) => ConnectOptions::with_token(token),
        (None, Some(user), Some(password)) => ConnectOptions::with_user_and_password(user, password),
        _ => ConnectOptions::new(),
    };
    let options = options
        .name("runner check")
        .connection_timeout(timeout)
        .request_timeout(Some(timeout))
        .require_tls(tls)
        .tls_client_config((*broker::client_config()).clone())
        // One server, one attempt: a probe does not wait on reconnections.
        .ignore_discovered_servers()
        .max_reconnects(1);
    Ok((address, options))
}

/// A request through the server answered by the probe's own responder, on a subject no
/// one else uses; the reply must carry the request's unique payload.
async fn round_trip(client: &Client, prefix: &str) -> Result<(), String> {
    let token = broker::unique_token().replace(['.', '*', '>'], "-");
    let subject = format!("{prefix}.{token}");
    let payload = bytes::Bytes::from(format!("runner probe {token}"));
    let mut responder = client
        .subscribe(subject.clone())
        .await
        .map_err(|error| format!("cannot subscribe to `{prefix}.*`: {error}"))?;
    // The subscription is on the server before the request leaves.
    client.flush().await.map_err(|error| format!("the server did not confirm the subscription: {error}"))?;
    let answer = async {
        let request = responder.next().await.ok_or("the subscription ended before the request came")?;
        let reply = request.reply.ok_or("the request came without a reply subject")?;
        client.publish(reply, request.payload).await.map_err(|_| "cannot send the reply")?;
        client.flush().await.map_err(|_| "cannot send the reply")
    };
    // The responder runs until the reply is in; a request that fails (no responders)
    // does not wait for it.
    let request = client.request(subject, payload.clone());
    tokio::pin!(request, answer);
    let mut answered = false;
    let reply = loop {
        tokio::select! {
            reply = &mut request => break reply,
            result = &mut answer, if !answered => {
                result.map_err(str::to_string)?;
                answered = true;
            }
        }
    };
    let reply = reply.map_err(|error| {
        if error.kind() == async_nats::RequestErrorKind::NoResponders {
            format!("no responder on `{prefix}.*`: the server did not route the request to the probe's subscription (permissions?)")
        } else {
            format!("the request on `{prefix}.*` failed: {error}")
        }
    })?;
    if reply.payload == payload {
        Ok(())
    } else {
        Err(format!("the reply on `{prefix}.*` did not carry the request's payload"))
    }
}

/// The stream's message count, and the pending messages of `consumer` or of all its
/// consumers.
async fn jetstream_counts(
    client: &Client,
    stream_name: &str,
    consumer: Option<&str>,
    timeout: Duration,
) -> Result<(u64, u64), String> {
    let mut context = jetstream::new(client.clone());
    context.set_timeout(timeout);
    let stream = context.get_stream(stream_name).await.map_err(|error| {
        let text = error.to_string();
        if text.contains("10059") || text.to_lowercase().contains("stream not found") {
            format!("JetStream stream `{stream_name}` does not exist")
        } else if matches!(error.kind(), jetstream::context::GetStreamErrorKind::Request) {
            format!("JetStream did not answer (is it enabled on the server?): {text}")
        } else {
            format!("cannot read JetStream stream `{stream_name}`: {text}")
        }
    })?;
    let messages = stream.cached_info().state.messages;
    let pending = |info: &jetstream::consumer::Info| info.num_pending + info.num_ack_pending as u64;
    let pending = match consumer {
        Some(name) => {
            let info = stream.consumer_info(name).await.map_err(|error| {
                use jetstream::context::ConsumerInfoErrorKind as Kind;
                match error.kind() {
                    Kind::NotFound => format!("consumer `{name}` of stream `{stream_name}` does not exist"),
                    _ if error.to_string().contains("10014") => {
                        format!("consumer `{name}` of stream `{stream_name}` does not exist")
                    }
                    _ => format!("cannot read consumer `{name}` of stream `{stream_name}`: {error}"),
                }
            })?;
            pending(&info)
        }
        None => {
            let mut sum = 0;
            let mut consumers = stream.consumers();
            while let Some(info) = consumers.next().await {
                let info =
                    info.map_err(|error| format!("cannot list the consumers of stream `{stream_name}`: {error}"))?;
                sum += pending(&info);
            }
            sum
        }
    };
    Ok((messages, pending))
}

/// A sentence for a failed connection: refused, a refused login and TLS said plainly.
fn describe_connect(error: &async_nats::ConnectError, address: &str, tls: bool) -> String {
    let text = crate::secret::scrub(&with_sources(error)).into_owned();
    let lower = text.to_lowercase();
    let address = address.split_once("://").map_or(address, |(_, a)| a);
    match error.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            "authentication failed: the server refused the login (authorization violation)".into()
        }
        ConnectErrorKind::Tls | ConnectErrorKind::Io if tls && broker::is_plain_text_answer(&lower) => {
            format!("TLS with {address} failed ({text}): the server does not speak TLS on this port")
        }
        ConnectErrorKind::Tls => format!("TLS with {address} failed: {text}"),
        ConnectErrorKind::TimedOut => format!("timed out connecting to {address}"),
        ConnectErrorKind::Dns => format!("cannot resolve {address}"),
        _ if lower.contains("connection refused") => format!("connection refused ({address})"),
        _ => format!("cannot connect to {address}: {text}"),
    }
}

/// The error and its causes (async-nats keeps the detail in the source chain).
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{name_problem, subject_problem};

    #[test]
    fn a_subject_for_the_round_trip_is_one_concrete_subject() {
        assert!(subject_problem("runner.health").is_ok());
        for bad in ["", "runner.>", "runner.*.x", "runner..x", ".runner", "runner.", "run ner"] {
            assert!(subject_problem(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stream_and_consumer_names_are_single_tokens() {
        assert!(name_problem("stream", "ORDERS_eu-1").is_ok());
        for bad in ["", "orders.eu", "a*", "a>", "a/b", "a\\b", "a b"] {
            assert!(name_problem("stream", bad).is_err(), "{bad}");
        }
    }
}
