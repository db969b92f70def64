//! `sqlite`: a query against a SQLite file, always opened read-only; metrics
//! `latency_ms`, `value` and `rows`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::query_result::{QueryExpect, QueryResult};
use crate::playbook::values::{PathText, Text};

/// A SQLite database and a query.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteCheck {
    /// The database file (relative to the playbook's folder). Never created or changed.
    pub path: PathText,
    /// The query (default `SELECT 1`).
    pub query: Option<Text>,
    /// What the result must be.
    pub expect: Option<QueryExpect>,
    /// Run `PRAGMA quick_check` first (default false).
    pub integrity: Option<bool>,
}

impl CheckKind for SqliteCheck {
    const METRICS: &'static [&'static str] = &["latency_ms", "value", "rows"];
}

// ---------------------------------------------------------------------------------------
// Probe

use std::time::{Duration, Instant};

use rusqlite::{OpenFlags, types::ValueRef};

use crate::outcome::Observation;
use crate::probe::context::ProbeContext;

pub async fn probe(config: &SqliteCheck, ctx: &ProbeContext<'_>) -> Observation {
    let path = config.path.resolved().to_path_buf();
    let shown = config.path.written().to_string();
    let query = config.query.as_ref().map(|q| q.as_str().to_string()).unwrap_or_else(|| "SELECT 1".into());
    let integrity = config.integrity.unwrap_or(false);
    let expect = config.expect.clone();
    let timeout = ctx.timeout;

    // The query runs on a blocking thread; on timeout the connection is interrupted so
    // that the thread ends too.
    let (handle_tx, handle_rx) = std::sync::mpsc::channel::<rusqlite::InterruptHandle>();
    let task =
        tokio::task::spawn_blocking(move || run(&path, &shown, &query, integrity, expect.as_ref(), timeout, handle_tx));
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(observation)) => observation,
        Ok(Err(join)) => Observation::unknown(format!("the query thread failed: {join}")),
        Err(_) => {
            if let Ok(handle) = handle_rx.try_recv() {
                handle.interrupt();
            }
            Observation::fail(format!("timed out after {}", crate::duration::format(timeout)))
        }
    }
}

fn run(
    path: &std::path::Path,
    shown: &str,
    query: &str,
    integrity: bool,
    expect: Option<&QueryExpect>,
    timeout: Duration,
    handle_tx: std::sync::mpsc::Sender<rusqlite::InterruptHandle>,
) -> Observation {
    // Never create or change a database: refuse early when the file is missing (SQLite
    // would otherwise report a less clear error), and open read-only.
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Observation::fail(format!("database file not found: {shown}"));
        }
        Err(error) => return Observation::fail(format!("cannot read {shown}: {error}")),
        Ok(meta) if meta.is_dir() => {
            return Observation::fail(format!("{shown} is a folder, not a database"));
        }
        // SQLite would open it as a new, empty database and answer every query about
        // it: a truncated or never-written file would pass.
        Ok(meta) if meta.len() == 0 => {
            return Observation::fail(format!("{shown}: empty file, not a database"));
        }
        Ok(_) => {}
    }
    let started = Instant::now();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let connection = match rusqlite::Connection::open_with_flags(path, flags) {
        Ok(connection) => connection,
        Err(error) => return Observation::fail(describe(&error, shown)),
    };
    let _ = handle_tx.send(connection.get_interrupt_handle());
    // Wait for a writer's lock for most of the attempt, then say "locked".
    let _ = connection.busy_timeout(timeout.mul_f64(0.8));
    let _ = connection.pragma_update(None, "query_only", true);

    if integrity {
        match connection.query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0)) {
            Ok(result) if result == "ok" => {}
            Ok(result) => {
                return Observation::fail(format!("integrity check failed: {}", result.lines().next().unwrap_or("")))
                    .detail(result);
            }
            Err(error) => return Observation::fail(describe(&error, shown)),
        }
    }

    let mut statement = match connection.prepare(query) {
        Ok(statement) => statement,
        Err(error) => return Observation::fail(describe(&error, shown)),
    };
    // Read-only flags and `query_only` guard the database itself, but not every statement:
    // `VACUUM INTO '/elsewhere'` or `ATTACH` writes a new file. A check only reads.
    if !statement.readonly() {
        return Observation::unknown(format!(
            "the query is not read-only (a check never writes; use a SELECT or a PRAGMA that reads): {shown}"
        ));
    }
    let mut rows = match statement.query([]) {
        Ok(rows) => rows,
        Err(error) => return Observation::fail(describe(&error, shown)),
    };
    let mut count: u64 = 0;
    let mut first: Option<serde_json::Value> = None;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                if count == 0 {
                    first = row.get_ref(0).ok().map(to_json);
                }
                count += 1;
            }
            Ok(None) => break,
            Err(error) => return Observation::fail(describe(&error, shown)),
        }
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    QueryResult { rows: count, first, latency_ms }.judge(expect, Observation::pass(""))
}

fn to_json(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => serde_json::Value::from(i),
        ValueRef::Real(f) => serde_json::Value::from(f),
        ValueRef::Text(t) => serde_json::Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => serde_json::Value::from(format!("<{} bytes>", b.len())),
    }
}

/// A sentence for a SQLite error: missing, locked and corrupt are told apart.
fn describe(error: &rusqlite::Error, shown: &str) -> String {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(failure, message) = error {
        return match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                format!("database is locked: {shown} (another process holds a write lock)")
            }
            ErrorCode::NotADatabase => format!("file is not a SQLite database (corrupt?): {shown}"),
            ErrorCode::DatabaseCorrupt => format!("database is corrupt: {shown}"),
            ErrorCode::CannotOpen => format!("cannot open database {shown}: {}", message.clone().unwrap_or_default()),
            ErrorCode::PermissionDenied => format!("permission denied: {shown}"),
            ErrorCode::ReadOnly => "the query tried to write; sqlite checks are read-only".to_string(),
            ErrorCode::OperationInterrupted => "the query was interrupted (timeout)".to_string(),
            _ => format!("query failed: {}", message.clone().unwrap_or_else(|| error.to_string())),
        };
    }
    format!("query failed: {error}")
}
