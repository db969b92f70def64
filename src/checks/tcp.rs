//! `tcp`: a connection (optionally TLS); metrics `latency_ms` and, with TLS,
//! `cert_days_left`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::Text;

/// A TCP connection to `host:port`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpCheck {
    /// `host:port`.
    pub address: Text,
    /// Complete a TLS handshake after connecting (default false).
    pub tls: Option<bool>,
    /// With `tls`: verify the certificate (default true).
    pub tls_verify: Option<bool>,
    /// With `tls`: the name to verify (default: the host of `address`).
    pub server_name: Option<Text>,
}

impl CheckKind for TcpCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "cert_days_left"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        if self.address.is_valid() && split_host_port(self.address.as_str()).is_none() {
            rules.error(
                self.address.span(),
                format!("`{}` is not `host:port`", self.address),
                "write e.g. `127.0.0.1:5432` or `[::1]:6379`",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::Instant;

use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

pub async fn probe(config: &TcpCheck, _ctx: &ProbeContext<'_>) -> Observation {
    let address = config.address.as_str();
    let Some((host, port)) = split_host_port(address) else {
        return Observation::unknown(format!("`{address}` is not host:port"));
    };
    let started = Instant::now();
    let stream = match tokio::net::TcpStream::connect((host, port)).await {
        Ok(stream) => stream,
        Err(error) => return Observation::fail(describe_io(&error, address)),
    };
    let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !config.tls.unwrap_or(false) {
        return Observation::pass(format!("connected to {address} in {}ms", format_number(round(connect_ms))))
            .metric("latency_ms", round(connect_ms));
    }
    let verify = config.tls_verify.unwrap_or(true);
    let tls_config = if verify { super::tls::verifying_config() } else { super::tls::insecure_config() };
    let name = config.server_name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_else(|| host.to_string());
    let Ok(server_name) = rustls::pki_types::ServerName::try_from(name.clone()) else {
        return Observation::unknown(format!("`{name}` is not a valid TLS server name"));
    };
    let connector = tokio_rustls::TlsConnector::from(tls_config);
    match connector.connect(server_name, stream).await {
        Err(error) => Observation::fail(describe_tls(&error.to_string())),
        Ok(tls) => {
            let handshake_ms = started.elapsed().as_secs_f64() * 1000.0;
            let (_, session) = tls.get_ref();
            let expiry = session
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|cert| super::tls::days_left(cert.as_ref(), jiff::Timestamp::now()));
            let days = expiry.as_ref().and_then(|read| read.as_ref().ok().copied());
            let mut observation = Observation::pass(format!(
                "TLS handshake with {address} in {}ms{}",
                format_number(round(handshake_ms)),
                days.map(|d| format!(", certificate expires in {} days", d.floor())).unwrap_or_default()
            ))
            .metric("latency_ms", round(handshake_ms));
            match expiry {
                Some(Ok(days)) => observation = observation.metric("cert_days_left", days), // unrounded: outputs turn it into the expiry time
                Some(Err(unreadable)) => observation = observation.detail(unreadable.to_string()),
                None => {}
            }
            observation
        }
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A sentence for a connection error.
pub fn describe_io(error: &std::io::Error, address: &str) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => format!("connection refused ({address})"),
        ErrorKind::TimedOut => format!("connecting to {address} timed out"),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            format!("{address} is unreachable")
        }
        _ => {
            let text = error.to_string();
            if text.contains("failed to lookup address") || text.contains("Name or service not known") {
                format!("cannot resolve {address}")
            } else {
                format!("cannot connect to {address}: {text}")
            }
        }
    }
}

fn describe_tls(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        "TLS: the certificate is not trusted (self-signed or unknown issuer); set `tls_verify: false` to accept it"
            .into()
    } else if lower.contains("expired") {
        "TLS: the certificate has expired".into()
    } else if lower.contains("notvalidforname") {
        "TLS: the certificate is not valid for this host name".into()
    } else {
        format!("TLS handshake failed: {text}")
    }
}

/// `host:port` or `[v6]:port`.
pub fn split_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    (!host.is_empty()).then_some((host, port))
}
