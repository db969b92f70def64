//! `postgres`: a read-only query against PostgreSQL; metrics `latency_ms`, `value`,
//! `rows`, `server_version_num` and, on a replica, `replication_lag_s`.
//!
//! The URL is a secret as a whole (it may hold a password): it is registered with the
//! scrubber when loaded and never printed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::query_result::{QueryExpect, QueryResult};
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// A PostgreSQL server and a query.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresCheck {
    /// `postgres://USER[:PASS]@HOST[:PORT]/DB[?sslmode=disable|prefer|require|verify-full]` (a secret: never printed).
    pub url: SecretText,
    /// The password (a secret; empty = the URL's). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// One statement (default `SELECT 1`). It runs in a read-only transaction, rolled back.
    pub query: Option<Text>,
    /// What the result must be.
    pub expect: Option<QueryExpect>,
}

impl CheckKind for PostgresCheck {
    const METRICS: &'static [&'static str] =
        &["latency_ms", "value", "rows", "server_version_num", "replication_lag_s"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        let url = self.url.expose();
        if url.is_empty() {
            return;
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            rules.error(
                self.url.span(),
                "the url is not a postgres:// URL",
                "write e.g. `postgres://postgres@127.0.0.1:5432/postgres`",
            );
        } else {
            super::url_syntax::check_written_parses(url, self.url.span(), "`password:`", rules);
            if let Ok(parsed) = reqwest::Url::parse(url)
                && let Err(problem) = tls_mode(&parsed)
            {
                rules.error(self.url.span(), crate::secret::scrub(&problem).into_owned(), PARAMETERS_HINT);
            }
        }
    }
}

/// What `?sslmode=` asks for (libpq's words, those runner does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

const PARAMETERS_HINT: &str = "the one parameter runner knows is `sslmode`: `disable`, `prefer`, `require` (encrypt, no verification) or `verify-full`; e.g. `postgres://postgres@db.example.com:5432/postgres?sslmode=verify-full`";

/// The URL's TLS mode (default `prefer`, as libpq), or why the URL's parameters are not
/// accepted: only `sslmode` is (another one, `options=` above all, could undo the
/// read-only session).
fn tls_mode(url: &reqwest::Url) -> Result<TlsMode, String> {
    let mut mode = TlsMode::Prefer;
    for (key, value) in url.query_pairs() {
        if key != "sslmode" {
            return Err(format!("the url has the parameter `{key}`, which runner does not accept"));
        }
        mode = match value.as_ref() {
            "disable" => TlsMode::Disable,
            "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-full" => TlsMode::VerifyFull,
            other => return Err(format!("`sslmode={other}` is not a mode runner knows")),
        };
    }
    Ok(mode)
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use tokio_postgres::config::SslMode;
use tokio_postgres::{CancelToken, Client, SimpleQueryMessage, error::SqlState};

use super::postgres_tls::RustlsConnector;

use crate::outcome::Observation;
use crate::probe::context::ProbeContext;

/// One attempt. The connection is driven inside this future (not spawned), so that the
/// engine's timeout, which drops the future, ends the socket too.
pub async fn probe(config: &PostgresCheck, ctx: &ProbeContext<'_>) -> Observation {
    let (url_without_parameters, mode) =
        match reqwest::Url::parse(config.url.expose()).map_err(|e| e.to_string()).and_then(|url| {
            let mode = tls_mode(&url)?;
            let mut bare = url;
            bare.set_query(None);
            Ok((bare.to_string(), mode))
        }) {
            Ok(parsed) => parsed,
            Err(problem) => {
                return Observation::unknown(format!("invalid PostgreSQL URL: {}", crate::secret::scrub(&problem)));
            }
        };
    let mut settings: tokio_postgres::Config = match url_without_parameters.parse() {
        Ok(settings) => settings,
        Err(error) => {
            return Observation::unknown(format!(
                "invalid PostgreSQL URL: {}",
                crate::secret::scrub(&with_cause(&error))
            ));
        }
    };
    if let Some(password) = config.password.as_ref().filter(|p| !p.is_empty()) {
        settings.password(password.expose());
    }
    // A check only reads: every transaction of the session is read-only. And the server
    // itself ends a statement that outlives the check (besides the cancel sent when the
    // engine's timeout drops the attempt, see [`CancelOnDrop`]).
    let session =
        format!("-c default_transaction_read_only=on -c statement_timeout={}", ctx.timeout.as_millis().max(1));
    let options = match settings.get_options() {
        Some(options) => format!("{options} {session}"),
        None => session,
    };
    settings.options(&options);
    settings.connect_timeout(ctx.timeout);
    settings.ssl_mode(match mode {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        TlsMode::Require | TlsMode::VerifyFull => SslMode::Require,
    });
    let tls = RustlsConnector::new(mode == TlsMode::VerifyFull);

    let started = Instant::now();
    let (client, connection) = match settings.connect(tls.clone()).await {
        Ok(pair) => pair,
        Err(error) => return Observation::fail(describe(&error)),
    };
    let query = config.query.as_ref().map_or("SELECT 1", |q| q.as_str());
    let cancel = CancelOnDrop(Some((client.cancel_token(), tls)));
    let observation = tokio::select! {
        observation = query_and_judge(&client, query, config.expect.as_ref(), started) => observation,
        ended = connection => match ended {
            Ok(()) => Observation::fail("the server closed the connection"),
            Err(error) => Observation::fail(describe(&error)),
        },
    };
    cancel.disarm();
    observation
}

/// How long the cancel request of an attempt dropped by the engine's timeout may take.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// Cancels the running statement on the server when the attempt is dropped before it
/// ends (the engine's timeout drops the probe's future): closing the socket alone leaves
/// the server running the statement until it next writes to the client, which for
/// `pg_sleep(30)` is 30 seconds. The cancel is a new connection, so it is spawned, for at
/// most [`CANCEL_GRACE`].
struct CancelOnDrop(Option<(CancelToken, RustlsConnector)>);

impl CancelOnDrop {
    /// The attempt ended by itself: nothing to cancel.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some((token, tls)) = self.0.take() else { return };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(CANCEL_GRACE, token.cancel_query(tls)).await;
            });
        }
    }
}

/// The server's state, then the query, then the verdict on its result.
///
/// A check never writes. The session's transactions are read-only by default, but a
/// query text of several statements could begin its own `READ WRITE` transaction; so the
/// text must be one statement (a prepared statement cannot hold several: the server's
/// parser refuses it), and it runs inside a `BEGIN READ ONLY` transaction that has already
/// taken its snapshot (so `SET TRANSACTION READ WRITE` is refused too), rolled back after.
async fn query_and_judge(client: &Client, query: &str, expect: Option<&QueryExpect>, started: Instant) -> Observation {
    if let Err(error) = client.batch_execute("BEGIN READ ONLY").await {
        return Observation::fail(describe(&error));
    }
    let mut observation = Observation::pass("");
    match client
        .simple_query(
            "SELECT current_setting('server_version_num'), \
             CASE WHEN pg_is_in_recovery() \
             THEN COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END",
        )
        .await
    {
        Ok(messages) => {
            let row = first_row(&messages);
            for (index, name) in [(0, "server_version_num"), (1, "replication_lag_s")] {
                if let Some(number) = row.and_then(|r| r.get(index)).and_then(|v| v.parse::<f64>().ok()) {
                    observation = observation.metric(name, number);
                }
            }
        }
        Err(error) => return Observation::fail(describe(&error)),
    }
    if let Err(error) = client.prepare(query).await {
        return Observation::fail(describe_unpreparable(&error));
    }
    let result = read_result(client, query, started).await;
    // After `COMMIT` as the one statement there is no transaction left: a warning, no error.
    let _ = client.batch_execute("ROLLBACK").await;
    match result {
        Ok(result) => result.judge(expect, observation),
        Err(error) => Observation::fail(describe(&error)),
    }
}

/// The query's rows, streamed: only their count and the first row's first value (cut to
/// a bounded length) are kept, so that a huge result costs neither memory nor time.
async fn read_result(client: &Client, query: &str, started: Instant) -> Result<QueryResult, tokio_postgres::Error> {
    let stream = client.simple_query_raw(query).await?;
    futures_util::pin_mut!(stream);
    let mut rows = 0_u64;
    let mut first = None;
    while let Some(message) = futures_util::TryStreamExt::try_next(&mut stream).await? {
        if let SimpleQueryMessage::Row(row) = message {
            if rows == 0 {
                first = Some(to_json(row.get(0).map(super::query_result::kept_text).as_deref()));
            }
            rows += 1;
        }
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    Ok(QueryResult { rows, first, latency_ms })
}

/// Several statements in the query are said as what they are: not allowed.
fn describe_unpreparable(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) if db.message().contains("multiple commands") => {
            "the query must be one statement (a check runs one read-only statement)".into()
        }
        _ => describe(error),
    }
}

fn first_row(messages: &[SimpleQueryMessage]) -> Option<&tokio_postgres::SimpleQueryRow> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    })
}

/// A value as the simple protocol gives it (text): numbers and booleans become JSON
/// numbers and booleans, so that `expect.value: 2` and `true` compare as written.
fn to_json(text: Option<&str>) -> serde_json::Value {
    match text {
        None => serde_json::Value::Null,
        Some("t") => serde_json::Value::Bool(true),
        Some("f") => serde_json::Value::Bool(false),
        Some(text) => match text.parse::<i64>() {
            Ok(integer) => serde_json::Value::from(integer),
            Err(_) => match text.parse::<f64>() {
                Ok(real) if real.is_finite() => serde_json::Value::from(real),
                _ => serde_json::Value::from(text),
            },
        },
    }
}

/// The error and its cause (tokio-postgres keeps the detail there: "invalid connection
/// string" is followed by which option).
fn with_cause(error: &tokio_postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// A sentence for a PostgreSQL error: refused, authentication, unknown database and TLS
/// are said plainly. Never the URL (it may hold a password); the text is scrubbed.
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let message = crate::secret::scrub(db.message()).into_owned();
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            format!("authentication failed (wrong password or user): {message}")
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("no such database: {message}")
        } else {
            format!("query failed: {message} (SQLSTATE {})", code.code())
        };
    }
    let text = crate::secret::scrub(&with_cause(error)).into_owned();
    let io_kind = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let lower = text.to_lowercase();
    if io_kind == Some(std::io::ErrorKind::ConnectionRefused) || lower.contains("connection refused") {
        "connection refused".into()
    } else if io_kind == Some(std::io::ErrorKind::TimedOut) || lower.contains("timeout") {
        "timed out connecting to PostgreSQL".into()
    } else if lower.contains("server does not support tls") {
        "TLS: the server does not offer TLS, and the url asks for it (`sslmode=require` or `verify-full`): enable TLS on the server or use `sslmode=prefer`".into()
    } else if lower.contains("tls") || lower.contains("ssl") {
        format!("TLS: {text}")
    } else if lower.contains("password") {
        format!("authentication failed: {text}")
    } else {
        text
    }
}
