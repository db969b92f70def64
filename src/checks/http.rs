//! `http`: a request, with expectations on status, body and JSON; metrics `status_code`,
//! `latency_ms`, `body_bytes` and, for https, `cert_days_left`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{Pattern, Text};
use crate::playbook::IntList;

/// An HTTP(S) request and what its answer must look like.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    /// The URL, `http://` or `https://`.
    pub url: Text,
    /// The method (default GET).
    pub method: Option<Text>,
    /// Request headers. Values of `Authorization`, `Cookie` and headers whose name
    /// contains `token`, `key` or `secret` are treated as secrets.
    pub headers: Option<IndexMap<String, Text>>,
    /// A request body.
    pub body: Option<Text>,
    /// Verify the server's certificate (default true).
    pub tls_verify: Option<bool>,
    /// Follow redirects (default true, at most 10).
    pub follow_redirects: Option<bool>,
    /// What the answer must look like (default: any 2xx status).
    pub expect: Option<HttpExpect>,
}

/// Expectations on an HTTP answer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpExpect {
    /// The status code, or a list of acceptable codes (default: any 2xx).
    pub status: Option<IntList>,
    /// A substring the body must contain.
    pub body_contains: Option<Text>,
    /// A regex the body must match.
    pub body_regex: Option<Pattern>,
    /// JSON paths and the values they must have: `{"$.status": "UP"}`.
    pub json: Option<IndexMap<String, serde_json::Value>>,
}

impl HttpCheck {
    pub const METRICS: &'static [&'static str] = &["status_code", "latency_ms", "body_bytes", "cert_days_left"];
}
