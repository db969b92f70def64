//! `tcp`: a connection (optionally TLS); metrics `latency_ms` and, with TLS,
//! `cert_days_left`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

impl TcpCheck {
    pub const METRICS: &'static [&'static str] = &["latency_ms", "cert_days_left"];
}
