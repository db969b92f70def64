//! `http`: a request, with expectations on status, body and JSON; metrics `status_code`,
//! `latency_ms`, `body_bytes` and, for https, `cert_days_left`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::IntList;
use crate::playbook::values::{Pattern, Text};

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

/// One of the methods an HTTP check or a webhook may use, in any case.
pub fn is_http_method(method: &str) -> bool {
    matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS")
}

impl CheckKind for HttpCheck {
    const METRICS: &'static [&'static str] = &["status_code", "latency_ms", "body_bytes", "cert_days_left"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        let url = self.url.as_str();
        if self.url.is_valid() && !(url.starts_with("http://") || url.starts_with("https://")) {
            rules.error(
                self.url.span(),
                format!("`{}` is not an http(s) URL", self.url),
                "write the full URL, e.g. `http://127.0.0.1:8080/health`",
            );
        } else {
            super::url_syntax::check_parses(&self.url, "an `Authorization` header", rules);
        }
        if let Some(method) = &self.method
            && !is_http_method(method.as_str())
        {
            rules.error(
                method.span(),
                format!("`{method}` is not an HTTP method"),
                "use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
            );
        }
        for (name, value) in self.headers.iter().flatten() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                rules.error(
                    value.span(),
                    format!("`{name}` is not a valid HTTP header name"),
                    "header names are letters, digits and `-` (e.g. `X-Api-Key`)",
                );
            } else if reqwest::header::HeaderValue::from_str(value.as_str()).is_err() {
                // The value may be secret: say what is wrong, never what it is.
                rules.error(
                    value.span(),
                    format!("the value of header `{name}` is not a valid HTTP header value"),
                    "a header value is one line of visible ASCII (no newline or control characters)",
                );
            }
        }
        if let Some(expect) = &self.expect {
            for code in expect.status.iter().flat_map(|s| s.0.iter()) {
                if !(100..=599).contains(code) {
                    rules.error(
                        rules.check.id.span(),
                        format!("`{code}` is not an HTTP status code"),
                        "status codes are 100–599",
                    );
                }
            }
            for json_path in expect.json.iter().flat_map(|j| j.keys()) {
                if let Err(message) = crate::jsonpath::JsonPath::parse(json_path) {
                    rules.error(
                        rules.check.id.span(),
                        format!("invalid JSON path `{json_path}`: {message}"),
                        "write e.g. `$.status` or `$.items[0].name`",
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::Instant;

use crate::jsonpath::{JsonPath, matches_expected};
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// How much of a body is read for expectations; the rest is counted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Header names whose values are secrets even when written literally.
fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "authorization"
        || lower == "cookie"
        || lower == "proxy-authorization"
        || ["token", "key", "secret"].iter().any(|w| lower.contains(w))
}

pub async fn probe(config: &HttpCheck, ctx: &ProbeContext<'_>) -> Observation {
    let verify = config.tls_verify.unwrap_or(true);
    let client = match ctx.services.http.get(verify, config.follow_redirects.unwrap_or(true)) {
        Ok(client) => client,
        Err(error) => return Observation::unknown(error.to_string()),
    };
    let method = config.method.as_ref().map(|m| m.as_str().to_ascii_uppercase()).unwrap_or_else(|| "GET".into());
    let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
        return Observation::unknown(format!("`{method}` is not an HTTP method"));
    };
    let mut request = client.request(method, config.url.as_str()).timeout(ctx.timeout);
    for (name, value) in config.headers.iter().flatten() {
        if is_sensitive_header(name) {
            crate::secret::register(value.as_str());
        }
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &config.body {
        request = request.body(body.as_str().to_string());
    }

    let started = Instant::now();
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return Observation::fail(describe_error(&error, verify)),
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status();
    let mut observation =
        Observation::pass("").metric("status_code", f64::from(status.as_u16())).metric("latency_ms", round(latency_ms));
    let certificate = response.extensions().get::<reqwest::tls::TlsInfo>().and_then(|info| info.peer_certificate());
    match certificate.map(|der| super::tls::days_left(der, jiff::Timestamp::now())) {
        Some(Ok(days)) => observation = observation.metric("cert_days_left", days), // unrounded: outputs turn it into the expiry time
        Some(Err(unreadable)) => observation = observation.detail(unreadable.to_string()),
        None => {}
    }

    // The body: kept up to BODY_LIMIT for expectations, counted to the end.
    let mut body = Vec::new();
    let mut body_bytes: u64 = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body_bytes += chunk.len() as u64;
                let room = BODY_LIMIT.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..room.min(chunk.len())]);
            }
            Ok(None) => break,
            Err(error) => {
                let mut failed =
                    Observation::fail(format!("reading the body failed: {}", describe_error(&error, verify)));
                failed.metrics = observation.metrics;
                return failed;
            }
        }
    }
    observation = observation.metric("body_bytes", body_bytes as f64);
    let text = String::from_utf8_lossy(&body);

    let expect = config.expect.as_ref();
    let status_ok = match expect.and_then(|e| e.status.as_ref()) {
        Some(codes) => codes.contains(i64::from(status.as_u16())),
        None => status.is_success(),
    };
    let summary = format!(
        "{} {} in {}ms",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        format_number(round(latency_ms))
    );
    let summary = summary.replace("  ", " ");
    let mut failures = Vec::new();
    if !status_ok {
        let wanted = match expect.and_then(|e| e.status.as_ref()) {
            Some(codes) => codes.0.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" or "),
            None => "2xx".into(),
        };
        failures.push(format!("expected status {wanted}, got {}", status.as_u16()));
        observation = observation.detail(format!("body: {}", excerpt(&text)));
    }
    if let Some(needle) = expect.and_then(|e| e.body_contains.as_ref())
        && !text.contains(needle.as_str())
    {
        failures.push(format!("body does not contain {:?}", needle.as_str()));
    }
    if let Some(pattern) = expect.and_then(|e| e.body_regex.as_ref())
        && let Some(regex) = pattern.regex()
        && !regex.is_match(&text)
    {
        failures.push(format!("body does not match /{}/", pattern.source()));
    }
    if let Some(json_expectations) = expect.and_then(|e| e.json.as_ref()) {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Err(error) => failures.push(format!("body is not JSON: {error}")),
            Ok(document) => {
                for (path, expected) in json_expectations {
                    let Ok(parsed) = JsonPath::parse(path) else {
                        failures.push(format!("invalid JSON path {path}"));
                        continue;
                    };
                    match parsed.find(&document) {
                        Err(several) => failures.push(format!("{path} {several}")),
                        Ok(None) => failures.push(format!("{path} is missing")),
                        Ok(Some(actual)) if !matches_expected(expected, actual) => {
                            failures.push(format!("{path} is {actual}, expected {expected}"))
                        }
                        Ok(Some(_)) => {}
                    }
                }
            }
        }
    }
    if failures.is_empty() {
        observation.message = summary;
        observation
    } else {
        let mut failed = Observation::fail(format!("{} ({summary})", failures.join("; ")));
        failed.metrics = observation.metrics;
        failed.details = observation.details;
        failed
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn excerpt(text: &str) -> String {
    let trimmed = crate::secret::scrub_and_cut(text.trim(), 300);
    if text.trim().chars().count() > 300 { format!("{trimmed}…") } else { trimmed }
}

/// A sentence for a reqwest error: what went wrong, not the error chain's noise.
pub fn describe_error(error: &reqwest::Error, verify: bool) -> String {
    let chain = error_chain(error);
    let lower = chain.to_lowercase();
    if error.is_timeout() || lower.contains("timed out") || lower.contains("deadline has elapsed") {
        return "timed out waiting for the response".into();
    }
    if error.is_redirect() || lower.contains("too many redirects") || lower.contains("redirect loop") {
        return "too many redirects (a redirect loop?)".into();
    }
    if lower.contains("connection refused") {
        return format!("connection refused ({})", host_of(error));
    }
    if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
    {
        return format!("cannot resolve host {}", host_of(error));
    }
    if lower.contains("unknownissuer")
        || lower.contains("unknown issuer")
        || lower.contains("self-signed")
        || lower.contains("self signed")
    {
        return "TLS: the certificate is not trusted (self-signed or unknown issuer); set `tls_verify: false` to accept it".into();
    }
    if lower.contains("expired") && lower.contains("certificate") {
        return "TLS: the certificate has expired".into();
    }
    if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        return "TLS: the certificate is not valid for this host name".into();
    }
    if lower.contains("certificate") && verify {
        return format!("TLS: {}", last_cause(&chain));
    }
    if lower.contains("connection reset") {
        return "the connection was reset by the server".into();
    }
    if lower.contains("connection closed") || lower.contains("incomplete message") || lower.contains("unexpected eof") {
        return "the server closed the connection without an answer".into();
    }
    crate::secret::scrub_owned(last_cause(&chain))
}

fn host_of(error: &reqwest::Error) -> String {
    error
        .url()
        .map(|u| format!("{}{}", u.host_str().unwrap_or("?"), u.port().map(|p| format!(":{p}")).unwrap_or_default()))
        .unwrap_or_else(|| "?".into())
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

fn last_cause(chain: &str) -> String {
    chain.rsplit(": ").next().unwrap_or(chain).to_string()
}
