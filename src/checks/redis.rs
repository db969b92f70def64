//! `redis`: a command (PING by default) against a Redis server, with AUTH; metrics
//! `latency_ms` and the requested INFO fields.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// A Redis server and what to ask it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisCheck {
    /// `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
    pub url: Text,
    /// The password (a secret; empty = no AUTH). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// The ACL user name (default: from the URL, or none).
    pub username: Option<Text>,
    /// The command and its arguments (default `[PING]`).
    pub command: Option<Vec<Text>>,
    /// The reply the command must give (default for PING: `PONG`).
    pub expect: Option<Text>,
    /// INFO fields to report as metrics: `used_memory`, `connected_clients`, …
    pub info: Option<Vec<String>>,
}

impl CheckKind for RedisCheck {
    /// `latency_ms` and the INFO fields the check reads.
    fn metric_names(&self) -> Option<Vec<String>> {
        let mut names = vec!["latency_ms".to_string()];
        names.extend(self.info.iter().flatten().cloned());
        Some(names)
    }

    fn validate(&self, rules: &mut KindRules<'_>) {
        let url = self.url.as_str();
        if self.url.is_valid()
            && !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("redis+unix://")
                || url.starts_with("unix://"))
        {
            rules.error(
                self.url.span(),
                format!("`{}` is not a redis:// or rediss:// URL", self.url),
                "write e.g. `redis://127.0.0.1:6379/0`",
            );
        } else {
            super::url_syntax::check_parses(&self.url, "`password:`", rules);
        }
        if self.command.as_ref().is_some_and(Vec::is_empty) {
            rules.error(self.url.span(), "`command` is empty", "write e.g. `[PING]` or `[GET, mykey]`");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::Instant;

use redis::{ErrorKind, IntoConnectionInfo, Value};

use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

pub async fn probe(config: &RedisCheck, ctx: &ProbeContext<'_>) -> Observation {
    let mut info = match config.url.as_str().into_connection_info() {
        Ok(info) => info,
        Err(error) => {
            return Observation::unknown(format!("invalid Redis URL: {}", crate::secret::scrub(&error.to_string())));
        }
    };
    let mut settings = info.redis_settings().clone();
    if let Some(password) = config.password.as_ref().filter(|p| !p.is_empty()) {
        settings = settings.set_password(password.expose());
    }
    if let Some(user) = config.username.as_ref().filter(|u| !u.is_empty()) {
        settings = settings.set_username(user.as_str());
    }
    info = info.set_redis_settings(settings);
    let client = match redis::Client::open(info) {
        Ok(client) => client,
        Err(error) => return Observation::unknown(describe(&error)),
    };
    let connection_config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(ctx.timeout))
        .set_response_timeout(Some(ctx.timeout));
    let started = Instant::now();
    let mut connection = match client.get_multiplexed_async_connection_with_config(&connection_config).await {
        Ok(connection) => connection,
        Err(error) => return Observation::fail(describe(&error)),
    };

    let words: Vec<String> = match &config.command {
        Some(words) if !words.is_empty() => words.iter().map(|w| w.as_str().to_string()).collect(),
        _ => vec!["PING".to_string()],
    };
    let mut command = redis::cmd(&words[0]);
    for arg in &words[1..] {
        command.arg(arg);
    }
    let reply: Value = match command.query_async(&mut connection).await {
        Ok(reply) => reply,
        Err(error) => return Observation::fail(describe(&error)),
    };
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let reply_text = value_text(&reply);
    let expected = config
        .expect
        .as_ref()
        .map(|e| e.as_str().to_string())
        .or_else(|| (words[0].eq_ignore_ascii_case("PING") && words.len() == 1).then(|| "PONG".to_string()));

    let mut observation = Observation::pass("").metric("latency_ms", latency_ms);
    if let Some(fields) = &config.info {
        let info_text: String = match redis::cmd("INFO").query_async::<String>(&mut connection).await {
            Ok(text) => text,
            Err(error) => return Observation::fail(format!("INFO failed: {}", describe(&error))),
        };
        let parsed = parse_info(&info_text);
        for field in fields {
            match parsed.iter().find(|(k, _)| k == field) {
                Some((_, value)) => match value.parse::<f64>() {
                    Ok(number) => observation = observation.metric(field.clone(), number),
                    Err(_) => observation = observation.detail(format!("{field}: {value} (not a number)")),
                },
                None => observation = observation.detail(format!("INFO has no field `{field}`")),
            }
        }
    }
    let shown_reply = crate::secret::scrub_and_cut(&reply_text, 200);
    match expected {
        Some(expected) if expected != reply_text => {
            let mut failed = Observation::fail(format!("expected reply {expected:?}, got {shown_reply:?}"));
            failed.metrics = observation.metrics;
            failed.details = observation.details;
            failed
        }
        _ => {
            let extras: Vec<String> = observation
                .metrics
                .iter()
                .filter(|(k, _)| *k != "latency_ms")
                .map(|(k, v)| format!("{k}={}", format_number(*v)))
                .collect();
            observation.message = if extras.is_empty() {
                format!("{shown_reply} in {}ms", format_number(latency_ms))
            } else {
                format!("{shown_reply} in {}ms ({})", format_number(latency_ms), extras.join(", "))
            };
            observation
        }
    }
}

/// `field:value` lines of INFO.
pub fn parse_info(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Nil => "(nil)".into(),
        Value::Int(i) => i.to_string(),
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Double(d) => format_number(*d),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) | Value::Set(items) => {
            format!("[{}]", items.iter().map(value_text).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// A sentence for a Redis error: authentication, refusal and timeouts are said plainly.
pub fn describe(error: &redis::RedisError) -> String {
    let text = crate::secret::scrub(&error.to_string()).into_owned();
    let lower = text.to_lowercase();
    if error.kind() == ErrorKind::AuthenticationFailed
        || lower.contains("wrongpass")
        || lower.contains("invalid password")
        || lower.contains("invalid username-password")
    {
        return "authentication failed (wrong password or user)".into();
    }
    if lower.contains("noauth") {
        return "authentication required: the server wants a password (set `password`)".into();
    }
    if error.is_connection_refusal() || lower.contains("connection refused") {
        return "connection refused".into();
    }
    if error.is_timeout() || lower.contains("timed out") {
        return "timed out waiting for Redis".into();
    }
    if lower.contains("tls") || lower.contains("certificate") {
        return format!("TLS: {text}");
    }
    text
}
