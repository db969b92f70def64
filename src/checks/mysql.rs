//! `mysql`: a read-only query against MySQL or MariaDB; metrics `latency_ms`, `value`,
//! `rows` and, on a replica, `replication_lag_s`.
//!
//! The URL is a secret as a whole (it may hold a password): it is registered with the
//! scrubber when loaded and never printed.
//!
//! The client is mysql_async, built without its default features: the Rust zlib backend
//! (no C zlib), rustls on the ring provider and TLS 1.2 that runner already compiles for
//! `http` and `tcp`, no pool use, no chrono/time/decimal conversions. It speaks both
//! MySQL's and MariaDB's handshakes and authentication plugins, which is the part not worth
//! writing again; sqlx's MySQL driver was the other candidate and brings sqlx-core, a
//! larger tree for one query. The probe owns its connection (no pool), and closes it itself
//! when the engine's timeout drops the probe (see [`Connection`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::query_result::{QueryExpect, QueryResult};
use super::rules::KindRules;
use crate::playbook::values::{SecretText, Text};

/// A MySQL or MariaDB server and a query.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlCheck {
    /// `mysql://USER[:PASS]@HOST[:PORT]/DB[?require_ssl=true]` (a secret: never printed).
    pub url: SecretText,
    /// The password (a secret; empty = the URL's). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// One statement (default `SELECT 1`). It runs in a read-only transaction, rolled back.
    pub query: Option<Text>,
    /// What the result must be.
    pub expect: Option<QueryExpect>,
}

impl CheckKind for MysqlCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "value", "rows", "replication_lag_s"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        let url = self.url.expose();
        if url.is_empty() {
            return;
        }
        if !url.starts_with("mysql://") {
            rules.error(
                self.url.span(),
                "the url is not a mysql:// URL",
                "write e.g. `mysql://root@127.0.0.1:3306/test` (MariaDB too)",
            );
            return;
        }
        super::url_syntax::check_written_parses(url, self.url.span(), "`password:`", rules);
        // What the client itself refuses besides the syntax (said above): an unknown
        // `?parameter`, a bad value, no host.
        if let Err(error) = mysql_async::Opts::from_url(url)
            && !matches!(error, mysql_async::UrlError::Parse(_))
        {
            rules.error(
                self.url.span(),
                format!("the url is not one the MySQL client accepts: {}", crate::secret::scrub(&error.to_string())),
                PARAMETERS_HINT,
            );
            return;
        }
        // Only the TLS parameters: the client accepts others too (`socket=` would move the check
        // to a Unix socket, pool and cache sizes mean nothing for one query).
        if let Ok(parsed) = reqwest::Url::parse(url)
            && let Some((unknown, _)) = parsed.query_pairs().find(|(key, _)| !TLS_PARAMETERS.contains(&key.as_ref()))
        {
            rules.error(
                self.url.span(),
                format!("the url has the parameter `{}`, which runner does not accept", crate::secret::scrub(&unknown)),
                PARAMETERS_HINT,
            );
        }
    }
}

/// The URL parameters a check accepts: the client's TLS settings.
const TLS_PARAMETERS: &[&str] = &["require_ssl", "verify_ca", "verify_identity", "built_in_roots"];
const PARAMETERS_HINT: &str = "parameters runner knows: `require_ssl=true` (TLS), `verify_ca=false`, `verify_identity=false`, `built_in_roots=false`; e.g. `mysql://root@127.0.0.1:3306/test?require_ssl=true`";

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, DriverError, IoError, Opts, OptsBuilder, Row, Value};

use crate::outcome::Observation;
use crate::probe::context::ProbeContext;

/// A check only reads: every transaction of the session, autocommitted statements
/// included, is read-only (a write fails with "Cannot execute statement in a READ ONLY
/// transaction").
const READ_ONLY: &str = "SET SESSION TRANSACTION READ ONLY";

/// One attempt. The connection is this future's own (no pool, nothing spawned), so
/// that the engine's timeout, which drops the future, ends the socket too.
pub async fn probe(config: &MysqlCheck, ctx: &ProbeContext<'_>) -> Observation {
    let opts = match Opts::from_url(config.url.expose()) {
        Ok(opts) => opts,
        Err(error) => {
            return Observation::unknown(format!("invalid MySQL URL: {}", crate::secret::scrub(&error.to_string())));
        }
    };
    if opts.ssl_opts().is_some() {
        super::tls::install_provider();
    }
    // The URL's `[::1]` stays bracketed in the client's options, where a name lookup of
    // it fails: the connector takes the bare address.
    let host = opts.ip_or_hostname().trim_start_matches('[').trim_end_matches(']').to_string();
    let address = if host.contains(':') {
        format!("[{host}]:{}", opts.tcp_port())
    } else {
        format!("{host}:{}", opts.tcp_port())
    };
    let mut settings = OptsBuilder::from_opts(opts)
        .ip_or_hostname(host)
        // The client would otherwise move to the server's Unix socket when it finds one
        // on this host: a check tests the address it was given.
        .prefer_socket(false)
        .init(vec![READ_ONLY]);
    if let Some(password) = config.password.as_ref().filter(|p| !p.is_empty()) {
        settings = settings.pass(Some(password.expose()));
    }

    let started = Instant::now();
    let mut connection = match Conn::new(settings).await {
        Ok(conn) => Connection(Some(conn)),
        Err(error) => return Observation::fail(describe_connect(&error, &address)),
    };
    let Some(conn) = connection.0.as_mut() else { return Observation::unknown("the connection is gone") };
    let observation = replication_lag(conn, ctx.wants("replication_lag_s")).await;
    let query = config.query.as_ref().map_or("SELECT 1", |q| q.as_str());
    let result = match read_only_result(conn, query, started).await {
        Ok(result) => result,
        Err(error) => return Observation::fail(describe(&error)),
    };
    connection.quit().await;
    result.judge(config.expect.as_ref(), observation)
}

/// The query's result, read so that the check never writes: the text must be one
/// statement (it runs as a prepared statement, which cannot hold several: the server
/// refuses them), inside a `START TRANSACTION READ ONLY` rolled back after, in a session
/// whose every later transaction is read-only too (a DDL statement's implicit commit
/// starts one). The rows are streamed: only their count and the first row's first value
/// (cut to a bounded length) are kept.
async fn read_only_result(conn: &mut Conn, query: &str, started: Instant) -> Result<QueryResult, mysql_async::Error> {
    conn.query_drop("START TRANSACTION READ ONLY").await?;
    let mut rows = 0_u64;
    let mut first = None;
    {
        let mut result = conn.exec_iter(query, ()).await?;
        while let Some(row) = result.next().await? {
            if rows == 0 {
                first = Some(to_json(row.as_ref(0)));
            }
            rows += 1;
        }
        // Any further result set (a procedure's) is read to its end, not kept.
        result.drop_result().await?;
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    conn.query_drop("ROLLBACK").await?;
    Ok(QueryResult { rows, first, latency_ms })
}

/// How long a connection dropped by the engine's timeout may take to say COM_QUIT.
const QUIT_GRACE: Duration = Duration::from_secs(1);

/// The probe's connection, so that it ends with the probe. mysql_async's own `Conn`,
/// dropped before it is disconnected (the engine's timeout drops the probe mid-query),
/// spawns a task that first reads the rest of the pending result: against a server that
/// never answers, that task and its socket would outlive the check for good, in a daemon
/// one more at each timeout. Dropped here, the connection is instead closed by a task that
/// only sends COM_QUIT, for at most [`QUIT_GRACE`] (`disconnect` marks the connection closed
/// at its first poll, so dropping it then spawns nothing more).
struct Connection(Option<Conn>);

impl Connection {
    /// COM_QUIT, so that the server does not log an aborted connection.
    async fn quit(mut self) {
        if let Some(conn) = self.0.take() {
            let _ = conn.disconnect().await;
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(conn) = self.0.take() else { return };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(QUIT_GRACE, conn.disconnect()).await;
            });
        }
    }
}

/// `replication_lag_s` when the server is a replica: `Seconds_Behind_Master` (MariaDB,
/// MySQL before 8.0.22) or `Seconds_Behind_Source` of `SHOW REPLICA STATUS`, or of
/// `SHOW SLAVE STATUS` on servers that do not know the newer words. No row (a primary)
/// means no metric. A user without the REPLICATION CLIENT privilege gets no metric
/// either; that is said in a detail only when a threshold asks for the lag.
async fn replication_lag(conn: &mut Conn, wanted: bool) -> Observation {
    let observation = Observation::pass("");
    let status = match conn.query_first::<Row, _>("SHOW REPLICA STATUS").await {
        Err(mysql_async::Error::Server(error)) if error.code == ER_PARSE_ERROR => {
            conn.query_first::<Row, _>("SHOW SLAVE STATUS").await
        }
        other => other,
    };
    let row = match status {
        Ok(Some(row)) => row,
        Ok(None) => return observation,
        Err(error) if wanted => {
            return observation.detail(format!("replication status not read: {}", describe(&error)));
        }
        Err(_) => return observation,
    };
    let lag = ["Seconds_Behind_Master", "Seconds_Behind_Source"]
        .into_iter()
        .find_map(|column| row.columns_ref().iter().position(|c| c.name_str() == column))
        .and_then(|index| row.as_ref(index))
        .map(|value| to_json(Some(value)));
    match lag.as_ref().and_then(serde_json::Value::as_f64) {
        Some(seconds) => observation.metric("replication_lag_s", seconds),
        // NULL: the replica's SQL thread is not running, so there is no lag to read.
        None => observation.detail("this server is a replica whose replication is not running (lag is NULL)"),
    }
}

/// A value as the server sent it: the text protocol gives bytes, so numbers are read
/// back as JSON numbers (that `expect.value: 2` compares as written); anything else is
/// its text.
fn to_json(value: Option<&Value>) -> serde_json::Value {
    match value {
        None | Some(Value::NULL) => serde_json::Value::Null,
        Some(Value::Int(integer)) => serde_json::Value::from(*integer),
        Some(Value::UInt(integer)) => serde_json::Value::from(*integer),
        Some(Value::Float(real)) => serde_json::Value::from(f64::from(*real)),
        Some(Value::Double(real)) => serde_json::Value::from(*real),
        Some(Value::Bytes(bytes)) => {
            // At most 4 bytes a character: the kept characters are all in this prefix.
            let prefix = &bytes[..bytes.len().min(4 * super::query_result::KEPT_VALUE_CHARS + 4)];
            let lossy = String::from_utf8_lossy(prefix);
            let text = super::query_result::kept_text(&lossy);
            if let Ok(integer) = text.parse::<i64>() {
                serde_json::Value::from(integer)
            } else if let Some(real) = text.parse::<f64>().ok().filter(|r| r.is_finite()) {
                serde_json::Value::from(real)
            } else {
                serde_json::Value::from(text.into_owned())
            }
        }
        // Dates and times (typed in the binary protocol) as their SQL text, unquoted.
        Some(other) => serde_json::Value::from(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// `ER_PARSE_ERROR`: the server does not know the statement (`SHOW REPLICA STATUS` on
/// MySQL before 8.0.22 and MariaDB before 10.5).
const ER_PARSE_ERROR: u16 = 1064;
/// `ER_ACCESS_DENIED_ERROR`: wrong user or password.
const ER_ACCESS_DENIED: u16 = 1045;
/// `ER_DBACCESS_DENIED_ERROR`: the user may not use the database.
const ER_DB_ACCESS_DENIED: u16 = 1044;
/// `ER_BAD_DB_ERROR`: no such database.
const ER_BAD_DB: u16 = 1049;

/// A sentence for a failed connection, naming the server's address (no URL: it may hold a
/// password) when the failure is the network's or the TLS's.
fn describe_connect(error: &mysql_async::Error, address: &str) -> String {
    let said = describe(error);
    match error {
        mysql_async::Error::Server(_) => said,
        _ => format!("{said} ({address})"),
    }
}

/// A sentence for a MySQL error: refused, authentication, unknown database and TLS are
/// said plainly. Never the URL (it may hold a password); the text is scrubbed.
fn describe(error: &mysql_async::Error) -> String {
    let scrub = |text: &str| crate::secret::scrub(text).into_owned();
    match error {
        mysql_async::Error::Server(server) => {
            let message = scrub(&server.message);
            match server.code {
                ER_ACCESS_DENIED => format!("authentication failed (wrong password or user): {message}"),
                ER_DB_ACCESS_DENIED => format!("access denied to the database: {message}"),
                ER_BAD_DB => format!("no such database: {message}"),
                code => format!("query failed: {message} (error {code}, SQLSTATE {})", server.state),
            }
        }
        mysql_async::Error::Io(IoError::Io(io)) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::TimedOut => "timed out connecting to MySQL".into(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                "the server closed the connection".into()
            }
            _ => format!("cannot connect to MySQL: {}", scrub(&io.to_string())),
        },
        mysql_async::Error::Io(IoError::Tls(tls)) => format!("TLS: {}", scrub(&tls.to_string())),
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => {
            "TLS: the server does not offer TLS, and the url asks for it (`require_ssl=true`): enable TLS on the server or remove the parameter".into()
        }
        mysql_async::Error::Driver(DriverError::ConnectionClosed) => "the server closed the connection".into(),
        other => scrub(&other.to_string()),
    }
}
