//! What the message-broker kinds (`mqtt`, `amqp`, `nats`) share: the connection of a kind
//! that speaks its protocol itself (TCP to `host:port`, wrapped in TLS for `mqtts://` and
//! `amqps://`), their TLS configuration, the sentences for what goes wrong on the way
//! (refused, unresolvable, a TLS handshake with a port that does not speak TLS), unique
//! tokens for what a probe sends, and the deadline of a wait for an answer.
//!
//! `mqtt` and `amqp` use a maintained library's codec for their packets and drive the
//! exchange over [`connect`]'s socket inside the probe's own future: the engine's
//! timeout, which drops the future, closes the socket, and no background task or thread
//! outlives the check. TLS verifies with the system's roots, as `http` and `tcp` do (the
//! same rustls setup), and offers no ALPN: a broker is not an HTTP server.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};

use super::rules::KindRules;
use crate::playbook::values::SecretText;

/// Why a broker's URL or connection could not be had. `Display` is the check's message;
/// none names the URL (it may hold a password), only the address.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The TCP connection failed: the sentence of `tcp::describe_io`, which names the address.
    #[error("{0}")]
    Unreachable(String),
    #[error("`{host}` is not a valid TLS server name")]
    InvalidServerName { host: String },
    /// The TLS handshake failed: the sentence of `describe_tls`.
    #[error("{0}")]
    Tls(String),
    #[error("invalid {protocol} URL: {source}")]
    InvalidUrl {
        protocol: &'static str,
        #[source]
        source: url::ParseError,
    },
    #[error("the url must start with {plain}:// or {tls}://")]
    WrongScheme { plain: &'static str, tls: &'static str },
    #[error("the {protocol} URL has no host")]
    NoHost { protocol: &'static str },
}

/// A byte stream to a broker: plain TCP or TLS over it.
pub trait Socket: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Socket for T {}

/// Connects to the endpoint, with a TLS handshake when it says TLS. The error is a sentence that
/// names the address (never a URL: it may hold a password).
pub async fn connect(endpoint: &Endpoint) -> Result<Box<dyn Socket>, BrokerError> {
    let (host, address) = (endpoint.host.as_str(), endpoint.address());
    let stream = tokio::net::TcpStream::connect((host, endpoint.port))
        .await
        .map_err(|error| BrokerError::Unreachable(super::tcp::describe_io(&error, &address)))?;
    let _ = stream.set_nodelay(true);
    if !endpoint.tls {
        return Ok(Box::new(stream));
    }
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| BrokerError::InvalidServerName { host: host.to_string() })?;
    let connector = tokio_rustls::TlsConnector::from(client_config());
    match connector.connect(name, stream).await {
        Ok(tls) => Ok(Box::new(tls)),
        Err(error) => Err(BrokerError::Tls(describe_tls(&error, &address))),
    }
}

/// The TLS client configuration of the broker kinds: the one `http` and `tcp` verify with
/// (the system's roots, loaded on the first handshake), without HTTP's ALPN.
pub fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut config = (*super::tls::verifying_config()).clone();
            config.alpn_protocols.clear();
            Arc::new(config)
        })
        .clone()
}

/// True when a TLS client's error (in lowercase) says the server answered the ClientHello
/// with bytes that are not TLS, or hung up on it.
pub fn is_plain_text_answer(lower: &str) -> bool {
    ["corrupt message", "invalidcontenttype", "eof", "reset"].iter().any(|sign| lower.contains(sign))
}

/// A sentence for a failed TLS handshake. A plain-text server answers a ClientHello with
/// bytes that are not TLS, or hangs up: both say "this port does not speak TLS".
pub fn describe_tls(error: &std::io::Error, address: &str) -> String {
    let text = crate::secret::scrub(&error.to_string()).into_owned();
    let lower = text.to_lowercase();
    if is_plain_text_answer(&lower) {
        format!("TLS handshake with {address} failed ({text}): the server does not speak TLS on this port")
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        format!("TLS handshake with {address} failed: the certificate is not trusted (self-signed or unknown issuer)")
    } else if lower.contains("notvalidforname") {
        format!("TLS handshake with {address} failed: the certificate is not valid for this host name")
    } else if lower.contains("expired") {
        format!("TLS handshake with {address} failed: the certificate has expired")
    } else {
        format!("TLS handshake with {address} failed: {text}")
    }
}

/// The URL schemes of a broker kind: plain and TLS, with their default ports.
pub struct Schemes {
    /// The protocol's name in messages (`MQTT`).
    pub protocol: &'static str,
    pub plain: (&'static str, u16),
    pub tls: (&'static str, u16),
    /// The hint of a URL with another scheme.
    pub example: &'static str,
}

/// Where a broker kind connects.
pub struct Endpoint {
    /// A host name or IP address (an IPv6 literal without its brackets).
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl Schemes {
    /// The rule on the URL: one of the two schemes, and a URL that parses. `other_way`
    /// says where else a password goes.
    pub fn check(&self, url: &SecretText, other_way: &str, rules: &mut KindRules<'_>) {
        let written = url.expose();
        if written.is_empty() {
            return;
        }
        let (plain, tls) = (self.plain.0, self.tls.0);
        if written.starts_with(&format!("{plain}://")) || written.starts_with(&format!("{tls}://")) {
            super::url_syntax::check_written_parses(written, url.span(), other_way, rules);
        } else {
            rules.error(url.span(), format!("the url must start with {plain}:// or {tls}://"), self.example);
        }
    }

    /// The parsed URL (for its user info and path) and where it points.
    pub fn endpoint(&self, url: &str) -> Result<(reqwest::Url, Endpoint), BrokerError> {
        let protocol = self.protocol;
        let url = reqwest::Url::parse(url).map_err(|source| BrokerError::InvalidUrl { protocol, source })?;
        let (tls, default_port) = match url.scheme() {
            scheme if scheme == self.plain.0 => (false, self.plain.1),
            scheme if scheme == self.tls.0 => (true, self.tls.1),
            _ => return Err(BrokerError::WrongScheme { plain: self.plain.0, tls: self.tls.0 }),
        };
        let host = url.host_str().filter(|host| !host.is_empty()).ok_or(BrokerError::NoHost { protocol })?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).to_string();
        let port = url.port().unwrap_or(default_port);
        Ok((url, Endpoint { host, port, tls }))
    }
}

impl Endpoint {
    /// `host:port`, as messages show it.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A token no other probe of this process, and no earlier run, used: a probe's client id
/// and the payload it must see come back (a stale message from an earlier run cannot pass
/// for it).
pub fn unique_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// What a broker kind says when the broker hangs up.
pub const CLOSED: &str = "the broker closed the connection";

/// A sentence for a read or write that failed on an open connection.
pub fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof => {
            CLOSED.into()
        }
        _ => format!("talking to the broker failed: {error}"),
    }
}

/// Milliseconds since `started`, to a tenth.
pub fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// How long before the check's timeout a probe stops waiting for an answer, so that it
/// can say what it was waiting for instead of the engine's bare "timed out".
const SAY_WHY_BEFORE_TIMEOUT: Duration = Duration::from_millis(150);

/// When a probe that started at `started` with `timeout` stops waiting for an answer.
pub fn answer_deadline(started: Instant, timeout: Duration) -> tokio::time::Instant {
    let wait = timeout.saturating_sub(SAY_WHY_BEFORE_TIMEOUT).max(timeout / 2);
    tokio::time::Instant::from_std(started + wait)
}
