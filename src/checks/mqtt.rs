//! `mqtt`: a connection to an MQTT broker (3.1.1), with a login when given, and with a
//! `topic` a message published and received back through the broker; metric `latency_ms`.
//!
//! The URL is a secret as a whole (it may hold a password). Packets are rumqttc's codec;
//! the exchange runs over [`super::broker`] inside the probe's future, so the engine's
//! timeout ends it. The message's payload is unique to the attempt: a retained message,
//! or one an earlier run left in flight, cannot pass for it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// An MQTT broker, and optionally a topic to send one message through.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MqttCheck {
    /// `mqtt://HOST[:1883]`, or `mqtts://HOST[:8883]` for TLS (a secret: never printed).
    pub url: SecretText,
    /// The user name (default: the URL's, or none).
    pub username: Option<Text>,
    /// The password (a secret; empty = the URL's, or none). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// Publish one message with a unique payload to this topic and receive it back
    /// (default: connect and log in only). No wildcards (`+`, `#`).
    pub topic: Option<Text>,
}

impl CheckKind for MqttCheck {
    const METRICS: &'static [&'static str] = &["latency_ms"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        SCHEMES.check(&self.url, "`password:`", rules);
        if let Some(topic) = self.topic.as_ref().filter(|t| t.is_valid())
            && let Err(problem) = topic_problem(topic.as_str())
        {
            rules.error(topic.span(), problem, "write a topic name such as `runner/health`");
        }
        let has_password = self.password.as_ref().is_some_and(|p| !p.is_empty());
        let has_username = self.username.as_ref().is_some_and(|u| !u.as_str().is_empty())
            || reqwest::Url::parse(self.url.expose()).is_ok_and(|parsed| !parsed.username().is_empty());
        if has_password && !has_username {
            let span = self.password.as_ref().map_or(self.url.span(), SecretText::span);
            rules.error(
                span,
                "an MQTT password needs a user name",
                "set `username` too (MQTT 3.1.1 sends no password alone)",
            );
        }
    }
}

/// `mqtt://` and `mqtts://`.
const SCHEMES: super::broker::Schemes = super::broker::Schemes {
    protocol: "MQTT",
    plain: ("mqtt", 1883),
    tls: ("mqtts", 8883),
    example: "write e.g. `mqtt://broker.example.com:1883`, or `mqtts://broker.example.com:8883` for TLS",
};

/// Why `topic` cannot be published to, if it cannot.
fn topic_problem(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        Err("the topic is empty".into())
    } else if topic.contains(['+', '#']) {
        Err(format!("`{topic}` has a wildcard (`+` or `#`): a message is published to one topic"))
    } else if topic.contains('\0') {
        Err("the topic has a NUL character".into())
    } else if topic.len() > usize::from(u16::MAX) {
        Err("the topic is longer than 65535 bytes".into())
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4::{ConnAck, Connect, Packet, PubAck, Publish, SubAck, Subscribe, SubscribeReasonCode};
use rumqttc::mqttbytes::{self, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::broker::{self, Endpoint, Socket};
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// The largest packet the probe reads: a bigger retained message on the topic fails the
/// check instead of taking the memory.
const MAX_PACKET: usize = 16 * 1024 * 1024;

/// The packet ids of the probe's one subscription and one message.
const SUBSCRIBE_ID: u16 = 1;
const PUBLISH_ID: u16 = 2;

pub async fn probe(config: &MqttCheck, ctx: &ProbeContext<'_>) -> Observation {
    let target = match Target::of(config) {
        Ok(target) => target,
        Err(problem) => return Observation::unknown(crate::secret::scrub(&problem).into_owned()),
    };
    let started = Instant::now();
    let socket = match broker::connect(&target.endpoint).await {
        Ok(socket) => socket,
        Err(problem) => return Observation::fail(problem.to_string()),
    };
    let mut session = Session { socket, received: BytesMut::new() };
    match session.exchange(&target, config.topic.as_ref().map(|t| t.as_str()), (started, ctx.timeout)).await {
        Ok(observation) => observation,
        Err(problem) => Observation::fail(crate::secret::scrub(&problem).into_owned()),
    }
}

/// Where to connect and as whom, from the URL and the keys that override it.
struct Target {
    endpoint: Endpoint,
    login: Option<(String, String)>,
}

impl Target {
    fn of(config: &MqttCheck) -> Result<Target, String> {
        let (url, endpoint) = SCHEMES.endpoint(config.url.expose()).map_err(|e| e.to_string())?;
        let username = match config.username.as_ref().filter(|u| !u.as_str().is_empty()) {
            Some(user) => user.as_str().to_string(),
            None => crate::secret::percent_decode(url.username()),
        };
        let password = match config.password.as_ref().filter(|p| !p.is_empty()) {
            Some(password) => password.expose().to_string(),
            None => url.password().map(crate::secret::percent_decode).unwrap_or_default(),
        };
        let login = (!username.is_empty()).then_some((username, password));
        Ok(Target { endpoint, login })
    }
}

/// One connection's packets in and out.
struct Session {
    socket: Box<dyn Socket>,
    /// Bytes read and not yet parsed into a packet.
    received: BytesMut,
}

impl Session {
    /// Connects (and logs in), then with a topic sends one message through the broker.
    async fn exchange(
        &mut self,
        target: &Target,
        topic: Option<&str>,
        (started, timeout): (Instant, Duration),
    ) -> Result<Observation, String> {
        let client_id = client_id();
        let mut connect = Connect::new(client_id);
        connect.keep_alive = 60;
        if let Some((username, password)) = &target.login {
            connect.set_login(username.clone(), password.clone());
        }
        self.send(&Packet::Connect(connect)).await?;
        match self.receive().await? {
            Packet::ConnAck(ConnAck { code: rumqttc::ConnectReturnCode::Success, .. }) => {}
            Packet::ConnAck(refused) => return Err(describe_refusal(refused.code)),
            other => {
                return Err(format!(
                    "not an MQTT broker: it answered the connection with {} instead of CONNACK",
                    name(&other)
                ));
            }
        }
        let Some(topic) = topic else {
            let latency_ms = broker::elapsed_ms(started);
            self.goodbye().await;
            let address = target.endpoint.address();
            return Ok(Observation::pass(format!("connected to {address} in {}ms", format_number(latency_ms)))
                .metric("latency_ms", latency_ms));
        };

        let mut subscribe = Subscribe::new(topic, QoS::AtLeastOnce);
        subscribe.pkid = SUBSCRIBE_ID;
        self.send(&Packet::Subscribe(subscribe)).await?;
        loop {
            match self.receive().await? {
                Packet::SubAck(SubAck { pkid: SUBSCRIBE_ID, return_codes }) => {
                    if return_codes.contains(&SubscribeReasonCode::Failure) {
                        return Err(format!(
                            "the broker refused the subscription to `{topic}` (the user may not read it)"
                        ));
                    }
                    break;
                }
                packet => self.acknowledge(&packet).await?,
            }
        }

        let payload = Bytes::from(format!("runner probe {}", broker::unique_token()));
        let mut publish = Publish::new(topic, QoS::AtLeastOnce, payload.to_vec());
        publish.pkid = PUBLISH_ID;
        self.send(&Packet::Publish(publish)).await?;
        let back = async {
            loop {
                let packet = self.receive().await?;
                self.acknowledge(&packet).await?;
                if let Packet::Publish(received) = &packet
                    && received.payload == payload
                {
                    return Ok::<(), String>(());
                }
            }
        };
        // A broker drops a message the user may not publish, or not deliver it to a user
        // who may not read the topic, without a word: say so before the timeout does.
        if tokio::time::timeout_at(broker::answer_deadline(started, timeout), back).await.is_err() {
            return Err(format!(
                "the message published to `{topic}` did not come back: may the user publish to and read this topic?"
            ));
        }
        let latency_ms = broker::elapsed_ms(started);
        self.goodbye().await;
        Ok(Observation::pass(format!(
            "published and received a message on `{topic}` in {}ms",
            format_number(latency_ms)
        ))
        .metric("latency_ms", latency_ms))
    }

    /// Acknowledges a message the broker delivers at QoS 1, as the protocol asks.
    async fn acknowledge(&mut self, packet: &Packet) -> Result<(), String> {
        match packet {
            Packet::Publish(publish) if publish.qos == QoS::AtLeastOnce => {
                self.send(&Packet::PubAck(PubAck::new(publish.pkid))).await
            }
            _ => Ok(()),
        }
    }

    async fn send(&mut self, packet: &Packet) -> Result<(), String> {
        let mut bytes = BytesMut::new();
        packet.write(&mut bytes, MAX_PACKET).map_err(|error| format!("cannot encode {}: {error}", name(packet)))?;
        self.socket.write_all(&bytes).await.map_err(|error| broker::describe_io(&error))?;
        self.socket.flush().await.map_err(|error| broker::describe_io(&error))
    }

    async fn receive(&mut self) -> Result<Packet, String> {
        loop {
            match Packet::read(&mut self.received, MAX_PACKET) {
                Ok(packet) => return Ok(packet),
                Err(mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(error) => return Err(format!("the server did not answer as an MQTT broker ({error})")),
            }
            match self.socket.read_buf(&mut self.received).await {
                Ok(0) => return Err(broker::CLOSED.into()),
                Ok(_) => {}
                Err(error) => return Err(broker::describe_io(&error)),
            }
        }
    }

    /// Says goodbye (the broker then drops no "unexpected disconnect" line in its log);
    /// the check's result does not depend on it.
    async fn goodbye(&mut self) {
        if self.send(&Packet::Disconnect).await.is_ok() {
            let _ = self.socket.shutdown().await;
        }
    }
}

/// A client id every MQTT 3.1.1 broker accepts (at most 23 letters and digits) that no
/// other probe uses at the same time: the broker drops an older session with the same id.
fn client_id() -> String {
    let token: Vec<char> = broker::unique_token().chars().filter(char::is_ascii_alphanumeric).collect();
    let tail: String = token[token.len().saturating_sub(17)..].iter().collect();
    format!("runner{tail}")
}

fn describe_refusal(code: rumqttc::ConnectReturnCode) -> String {
    use rumqttc::ConnectReturnCode as Code;
    match code {
        Code::BadUserNamePassword => "authentication failed: the broker refused the user name or password".into(),
        Code::NotAuthorized => {
            "authentication failed: the broker refused the connection as not authorized (wrong or missing user name and password)".into()
        }
        Code::RefusedProtocolVersion => "the broker refused MQTT 3.1.1 (protocol version)".into(),
        Code::BadClientId => "the broker refused the client id".into(),
        Code::ServiceUnavailable => "the broker refused the connection: server unavailable".into(),
        Code::Success => "connected".into(),
    }
}

fn name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}

#[cfg(test)]
mod tests {
    use super::{client_id, topic_problem};

    #[test]
    fn client_ids_are_what_every_broker_accepts_and_differ() {
        let (first, second) = (client_id(), client_id());
        assert_ne!(first, second);
        for id in [first, second] {
            assert!(id.len() <= 23 && id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }

    #[test]
    fn a_topic_to_publish_to_has_no_wildcard() {
        assert!(topic_problem("runner/health").is_ok());
        assert!(topic_problem("a/+/b").is_err());
        assert!(topic_problem("a/#").is_err());
        assert!(topic_problem("").is_err());
    }
}
