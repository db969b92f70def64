//! `amqp`: a login to an AMQP 0-9-1 broker (RabbitMQ) and its virtual host, and with a
//! `queue` that queue's depth and consumers; metrics `latency_ms`, `messages`, `consumers`.
//!
//! The queue is looked at by a *passive* declare, which never creates it: a queue that
//! does not exist is a failure that says so, not a new empty queue that passes. The URL is
//! a secret as a whole (it holds a password).
//!
//! Frames are lapin's codec (`amq-protocol`), without lapin's connection: lapin drives
//! each connection from a thread of its own, with reconnection, that the engine's timeout
//! could not end. The handful of methods a check needs run over [`super::broker`] inside
//! the probe's future instead.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// An AMQP 0-9-1 broker, and optionally a queue on it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmqpCheck {
    /// `amqp://USER:PASS@HOST[:5672]/VHOST`, or `amqps://` for TLS (port 5671) (a secret:
    /// never printed). No user means `guest:guest`; no `/VHOST` (or `/` alone) means the
    /// vhost `/`, written `%2F` otherwise.
    pub url: SecretText,
    /// A queue whose depth (`messages`) and `consumers` to read. It is looked at, never
    /// created: a queue that does not exist fails the check.
    pub queue: Option<Text>,
}

impl CheckKind for AmqpCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "messages", "consumers"];

    /// `messages` and `consumers` come with a `queue` only.
    fn metric_names(&self) -> Option<Vec<String>> {
        let names = if self.queue.is_some() { Self::METRICS } else { &Self::METRICS[..1] };
        Some(names.iter().map(|name| name.to_string()).collect())
    }

    fn validate(&self, rules: &mut KindRules<'_>) {
        SCHEMES.check(&self.url, "`${AMQP_PASSWORD}`, percent-encoded", rules);
        if let Some(queue) = self.queue.as_ref().filter(|q| q.is_valid()) {
            if queue.as_str().is_empty() {
                rules.error(queue.span(), "the queue name is empty", "name the queue to look at, or leave `queue` out");
            } else if queue.as_str().len() > 255 {
                rules.error(
                    queue.span(),
                    "the queue name is longer than 255 bytes",
                    "AMQP queue names are at most 255 bytes",
                );
            }
        }
    }
}

/// `amqp://` and `amqps://`.
const SCHEMES: super::broker::Schemes = super::broker::Schemes {
    protocol: "AMQP",
    plain: ("amqp", 5672),
    tls: ("amqps", 5671),
    example: "write e.g. `amqp://USER:PASSWORD@rabbitmq.example.com:5672/%2F`",
};

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use amq_protocol::frame::{AMQPFrame, ProtocolVersion, WriteContext, gen_frame, parse_frame};
use amq_protocol::protocol::{AMQPClass, channel, connection, queue};
use amq_protocol::types::{AMQPValue, FieldTable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::broker::{self, Endpoint, Socket};
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// The channel the queue is looked at on (channel 0 is the connection's).
const CHANNEL: u16 = 1;

/// The most bytes a frame the probe reads may take (RabbitMQ's default `frame_max` is
/// 128 KiB; the probe receives only small methods).
const MAX_FRAME: usize = 1024 * 1024;

/// How long the probe waits for the broker to confirm its goodbye.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

pub async fn probe(config: &AmqpCheck, _ctx: &ProbeContext<'_>) -> Observation {
    let target = match Target::of(config.url.expose()) {
        Ok(target) => target,
        Err(problem) => return Observation::unknown(crate::secret::scrub(&problem).into_owned()),
    };
    let started = Instant::now();
    let socket = match broker::connect(&target.endpoint).await {
        Ok(socket) => socket,
        Err(problem) => return Observation::fail(problem.to_string()),
    };
    let mut session = Session { socket, received: Vec::new() };
    let result = session.exchange(&target, config.queue.as_ref().map(|q| q.as_str()), started).await;
    match result {
        Ok(observation) => observation,
        Err(problem) => Observation::fail(crate::secret::scrub(&problem).into_owned()),
    }
}

/// Where to connect, as whom, to which vhost.
struct Target {
    endpoint: Endpoint,
    username: String,
    password: String,
    vhost: String,
}

impl Target {
    /// Read from the URL with the URL crate (amq-protocol-uri takes any IP address for
    /// `localhost`). A path of `/` alone is the vhost `/`, as in most clients.
    fn of(url: &str) -> Result<Target, String> {
        let (url, endpoint) = SCHEMES.endpoint(url).map_err(|e| e.to_string())?;
        let decode = crate::secret::percent_decode;
        let username = if url.username().is_empty() { "guest".to_string() } else { decode(url.username()) };
        let password = url.password().map_or_else(|| "guest".to_string(), decode);
        let vhost = match url.path() {
            "" | "/" => "/".to_string(),
            path => decode(&path[1..]),
        };
        Ok(Target { endpoint, username, password, vhost })
    }
}

/// One connection's frames in and out.
struct Session {
    socket: Box<dyn Socket>,
    /// Bytes read and not yet parsed into a frame.
    received: Vec<u8>,
}

impl Session {
    /// The handshake (login and vhost), then the queue's passive declare when asked.
    async fn exchange(
        &mut self,
        target: &Target,
        queue: Option<&str>,
        started: Instant,
    ) -> Result<Observation, String> {
        self.send(AMQPFrame::ProtocolHeader(ProtocolVersion::amqp_0_9_1())).await?;
        let start = match self.receive(0).await? {
            AMQPClass::Connection(connection::AMQPMethod::Start(start)) => start,
            other => return Err(unexpected("Connection.Start", &other)),
        };
        if !start.mechanisms.to_string().split(' ').any(|mechanism| mechanism == "PLAIN") {
            return Err(format!("the broker offers no PLAIN login (it offers: {})", start.mechanisms));
        }
        let start_ok = connection::StartOk {
            client_properties: client_properties(),
            mechanism: "PLAIN".into(),
            response: format!("\0{}\0{}", target.username, target.password).into(),
            locale: "en_US".into(),
        };
        self.send_method(0, AMQPClass::Connection(connection::AMQPMethod::StartOk(start_ok))).await?;
        let tune = match self.receive(0).await {
            Ok(AMQPClass::Connection(connection::AMQPMethod::Tune(tune))) => tune,
            Ok(AMQPClass::Connection(connection::AMQPMethod::Close(close))) => return Err(refused(&close, target)),
            Ok(other) => return Err(unexpected("Connection.Tune", &other)),
            // A broker that does not say why (no `authentication_failure_close`) hangs up.
            Err(closed) if closed == broker::CLOSED => {
                return Err("authentication failed: the broker closed the connection after the login".into());
            }
            Err(problem) => return Err(problem),
        };
        let tune_ok = connection::TuneOk {
            channel_max: tune.channel_max,
            frame_max: if tune.frame_max == 0 { 131_072 } else { tune.frame_max },
            heartbeat: 0, // the check is over long before a heartbeat would be due
        };
        self.send_method(0, AMQPClass::Connection(connection::AMQPMethod::TuneOk(tune_ok))).await?;
        let open = connection::Open { virtual_host: target.vhost.as_str().into() };
        self.send_method(0, AMQPClass::Connection(connection::AMQPMethod::Open(open))).await?;
        match self.receive(0).await? {
            AMQPClass::Connection(connection::AMQPMethod::OpenOk(_)) => {}
            AMQPClass::Connection(connection::AMQPMethod::Close(close)) => return Err(refused(&close, target)),
            other => return Err(unexpected("Connection.OpenOk", &other)),
        }

        let Some(queue) = queue else {
            let latency_ms = broker::elapsed_ms(started);
            self.goodbye().await;
            return Ok(Observation::pass(format!(
                "logged in to vhost `{}` in {}ms",
                target.vhost,
                format_number(latency_ms)
            ))
            .metric("latency_ms", latency_ms));
        };
        let declared = self.look_at(queue, target).await?;
        let latency_ms = broker::elapsed_ms(started);
        self.goodbye().await;
        let (messages, consumers) = (f64::from(declared.message_count), f64::from(declared.consumer_count));
        Ok(Observation::pass(format!(
            "queue `{queue}`: {} message{}, {} consumer{} in {}ms",
            declared.message_count,
            if declared.message_count == 1 { "" } else { "s" },
            declared.consumer_count,
            if declared.consumer_count == 1 { "" } else { "s" },
            format_number(latency_ms)
        ))
        .metric("latency_ms", latency_ms)
        .metric("messages", messages)
        .metric("consumers", consumers))
    }

    /// A passive declare of `queue` on a channel of its own: the broker answers with the
    /// queue's counts, or closes the channel when there is no such queue.
    async fn look_at(&mut self, queue: &str, target: &Target) -> Result<queue::DeclareOk, String> {
        self.send_method(CHANNEL, AMQPClass::Channel(channel::AMQPMethod::Open(channel::Open {}))).await?;
        match self.receive(CHANNEL).await? {
            AMQPClass::Channel(channel::AMQPMethod::OpenOk(_)) => {}
            AMQPClass::Connection(connection::AMQPMethod::Close(close)) => return Err(refused(&close, target)),
            other => return Err(unexpected("Channel.OpenOk", &other)),
        }
        let declare = queue::Declare {
            queue: queue.into(),
            passive: true,
            durable: false,
            exclusive: false,
            auto_delete: false,
            nowait: false,
            arguments: FieldTable::default(),
        };
        self.send_method(CHANNEL, AMQPClass::Queue(queue::AMQPMethod::Declare(declare))).await?;
        match self.receive(CHANNEL).await? {
            AMQPClass::Queue(queue::AMQPMethod::DeclareOk(declared)) => Ok(declared),
            AMQPClass::Channel(channel::AMQPMethod::Close(close)) => Err(match close.reply_code {
                404 => format!("queue `{queue}` does not exist in vhost `{}`", target.vhost),
                403 => format!("access to queue `{queue}` refused: {}", close.reply_text),
                _ => format!("the broker refused to look at queue `{queue}`: {}", close.reply_text),
            }),
            AMQPClass::Connection(connection::AMQPMethod::Close(close)) => Err(refused(&close, target)),
            other => Err(unexpected("Queue.DeclareOk", &other)),
        }
    }

    /// Closes the connection as the protocol asks (the broker then logs no "client
    /// unexpectedly closed the connection"); the check's result does not depend on it.
    async fn goodbye(&mut self) {
        let close = connection::Close { reply_code: 200, reply_text: "OK".into(), class_id: 0, method_id: 0 };
        if self.send_method(0, AMQPClass::Connection(connection::AMQPMethod::Close(close))).await.is_ok() {
            let _ = tokio::time::timeout(CLOSE_WAIT, self.receive(0)).await;
        }
        let _ = self.socket.shutdown().await;
    }

    async fn send_method(&mut self, channel: u16, method: AMQPClass) -> Result<(), String> {
        self.send(AMQPFrame::Method(channel, method)).await
    }

    async fn send(&mut self, frame: AMQPFrame) -> Result<(), String> {
        let bytes = gen_frame(&frame)(WriteContext::from(Vec::new()))
            .map_err(|error| format!("cannot encode an AMQP frame: {error}"))?
            .into_inner()
            .0;
        self.socket.write_all(&bytes).await.map_err(|error| broker::describe_io(&error))?;
        self.socket.flush().await.map_err(|error| broker::describe_io(&error))
    }

    /// The next method on `channel`, or a connection-level one (a `Connection.Close`
    /// comes on channel 0 whatever was asked). Heartbeats and other frames are skipped.
    async fn receive(&mut self, channel: u16) -> Result<AMQPClass, String> {
        loop {
            match self.next_frame().await? {
                AMQPFrame::Method(on, method) if on == channel || on == 0 => return Ok(method),
                AMQPFrame::ProtocolHeader(version) => {
                    return Err(format!("the server speaks AMQP {version}, not 0-9-1"));
                }
                _ => {}
            }
        }
    }

    async fn next_frame(&mut self) -> Result<AMQPFrame, String> {
        loop {
            match parse_frame(self.received.as_slice()) {
                Ok((rest, frame)) => {
                    let used = self.received.len() - rest.len();
                    self.received.drain(..used);
                    return Ok(frame);
                }
                Err(error) if error.is_incomplete() => {}
                Err(_) => return Err("the server did not answer as an AMQP 0-9-1 broker".into()),
            }
            if self.received.len() > MAX_FRAME {
                return Err("the server sent a frame larger than 1 MiB".into());
            }
            match self.socket.read_buf(&mut self.received).await {
                Ok(0) => return Err(broker::CLOSED.into()),
                Ok(_) => {}
                Err(error) => return Err(broker::describe_io(&error)),
            }
        }
    }
}

/// Who is connecting, and that it wants to hear why a login fails instead of being hung
/// up on (RabbitMQ's `authentication_failure_close`).
fn client_properties() -> FieldTable {
    let mut capabilities = FieldTable::default();
    capabilities.insert("authentication_failure_close".into(), AMQPValue::Boolean(true));
    let mut properties = FieldTable::default();
    properties.insert("product".into(), AMQPValue::LongString("runner".into()));
    properties.insert("version".into(), AMQPValue::LongString(env!("CARGO_PKG_VERSION").into()));
    properties.insert("connection_name".into(), AMQPValue::LongString("runner check".into()));
    properties.insert("capabilities".into(), AMQPValue::FieldTable(capabilities));
    properties
}

/// A sentence for the broker closing the connection: a refused login, a refused vhost.
fn refused(close: &connection::Close, target: &Target) -> String {
    let text = close.reply_text.as_str();
    match close.reply_code {
        403 => format!("authentication failed (wrong user or password): {text}"),
        530 => format!("access to vhost `{}` refused: {text}", target.vhost),
        code => format!("the broker closed the connection ({code}): {text}"),
    }
}

fn unexpected(wanted: &str, got: &AMQPClass) -> String {
    format!("the broker answered {}.{} where {wanted} was due", got.get_amqp_class_id(), got.get_amqp_method_id())
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn the_url_gives_the_endpoint_the_login_and_the_vhost() {
        let target = Target::of("amqp://app:p%40ss@10.0.0.7:5673/%2Fprod").unwrap();
        let (endpoint, login) = (&target.endpoint, (&target.username[..], &target.password[..]));
        assert_eq!((endpoint.host.as_str(), endpoint.port, endpoint.tls), ("10.0.0.7", 5673, false));
        assert_eq!(login, ("app", "p@ss"));
        assert_eq!(target.vhost, "/prod");

        for (url, vhost) in
            [("amqp://h", "/"), ("amqp://h/", "/"), ("amqp://h/%2F", "/"), ("amqp://h/orders", "orders")]
        {
            assert_eq!(Target::of(url).unwrap().vhost, vhost, "{url}");
        }
        let target = Target::of("amqps://[::1]").unwrap();
        assert_eq!((target.endpoint.host.as_str(), target.endpoint.port, target.endpoint.tls), ("::1", 5671, true));
        assert_eq!((target.username.as_str(), target.password.as_str()), ("guest", "guest"));
        assert_eq!(target.endpoint.address(), "[::1]:5671");
        assert!(Target::of("http://h").is_err());
    }
}
