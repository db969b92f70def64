//! The JSON API, `/api/v1/…`, described by `/api/v1/openapi.json` (the document is data,
//! `openapi.json` beside this file; a test compares real answers with it). Lists are
//! `{"items": […]}`, capped by `limit` (1–1000, 100 by default); results page on with
//! `cursor` (the `next_cursor` of the page before). Bad input is a 400 problem, an unknown
//! playbook a 404.

#![expect(clippy::result_large_err, reason = "a refused request's error is its response, built once and sent as it is")]

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::problem::{problem, store_failed};
use super::site::Site;
use super::uptime;
use crate::store::Store;
use crate::store::results::ResultQuery;

/// The document, as served.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The largest `limit`.
const MAX_LIMIT: i64 = 1_000;

/// The spelling of `since` the API takes, the document's `pattern` for it.
const SINCE_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$";

/// The spelling of `cursor`, the document's `pattern`: a positive sequence number that fits
/// an i64 whatever its digits (18 at most), no sign, no leading zero.
const CURSOR_PATTERN: &str = r"^[1-9][0-9]{0,17}$";

fn since_pattern() -> &'static regex::Regex {
    static PATTERN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(SINCE_PATTERN).expect("a valid pattern"));
    &PATTERN
}

fn cursor_pattern() -> &'static regex::Regex {
    static PATTERN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(CURSOR_PATTERN).expect("a valid pattern"));
    &PATTERN
}

pub fn routes() -> Router<Site> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/playbooks", get(playbooks))
        .route("/api/v1/playbooks/{name}", get(playbook))
        .route("/api/v1/checks", get(checks))
        .route("/api/v1/results", get(results))
        .route("/api/v1/runs", get(runs))
        .route("/api/v1/metrics", get(metrics))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/remediations", get(remediations))
        .route("/api/v1/uptime", get(uptime_route))
        .merge(super::silences::routes())
}

/// The query parameters any list takes (each route reads the ones it documents).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    playbook: Option<String>,
    check: Option<String>,
    since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    window: Option<String>,
}

type Answer = Result<Response, Response>;

fn params(query: Result<Query<Params>, QueryRejection>) -> Result<Params, Response> {
    query.map(|Query(p)| p).map_err(|e| problem(StatusCode::BAD_REQUEST, &e.body_text()))
}

fn json_ok(value: &Value) -> Response {
    let body = crate::secret::scrub_owned(value.to_string());
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

impl Params {
    fn limit(&self) -> Result<i64, Response> {
        let Some(text) = &self.limit else { return Ok(100) };
        match text.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => {
                Err(problem(StatusCode::BAD_REQUEST, &format!("limit: expected a whole number from 1 to {MAX_LIMIT}")))
            }
        }
    }

    /// `since` (a duration such as `7d`) as Unix ms; 30 days back by default. The API takes
    /// the duration's compact spelling only ([`SINCE_PATTERN`], as the document says, so that
    /// what the document allows and what is answered 200 are the same set); a duration past
    /// the parser's century means all of history, not an error.
    fn since_ms(&self) -> Result<i64, Response> {
        let back = match &self.since {
            None => std::time::Duration::from_secs(30 * 86_400),
            Some(text) if !since_pattern().is_match(text) => {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "since: expected a duration such as 7d, 1.5h or 1d12h (units ms, s, m, h, d, w)",
                ));
            }
            Some(text) => match crate::duration::parse(text) {
                Ok(back) => back,
                Err(crate::duration::DurationError::TooLong) => return Ok(0),
                Err(e) => {
                    return Err(problem(
                        StatusCode::BAD_REQUEST,
                        &format!("since: {e} (expected a duration such as 7d)"),
                    ));
                }
            },
        };
        let back = i64::try_from(back.as_millis()).unwrap_or(i64::MAX);
        Ok(crate::store::now_ms().saturating_sub(back).max(0))
    }

    fn cursor(&self) -> Result<Option<i64>, Response> {
        self.cursor
            .as_deref()
            .map(|c| cursor_pattern().is_match(c).then(|| c.parse::<i64>().ok()).flatten())
            .map(|c| {
                c.ok_or_else(|| problem(StatusCode::BAD_REQUEST, "cursor: use the next_cursor of the page before"))
            })
            .transpose()
    }

    fn window(&self) -> Result<(&str, i64), Response> {
        let label = self.window.as_deref().unwrap_or("30d");
        uptime::window_ms(label)
            .map(|ms| (label, ms))
            .ok_or_else(|| problem(StatusCode::BAD_REQUEST, "window: one of 24h, 7d, 30d"))
    }
}

/// Runs `read` on the store on the blocking pool.
async fn read<T: Send + 'static>(
    site: &Site,
    read: impl FnOnce(&dyn Store) -> Result<T, crate::error::Error> + Send + 'static,
) -> Result<T, Response> {
    let store = site.store.clone();
    match tokio::task::spawn_blocking(move || read(store.as_ref())).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(store_failed(&error)),
        Err(error) => Err(store_failed(&crate::error::Error::Internal(error.to_string()))),
    }
}

async fn openapi() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn playbooks(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let board = site.board(params.playbook.clone()).await.map_err(|e| store_failed(&e))?;
    Ok(json_ok(&json!({ "items": board.playbooks })))
}

async fn playbook(State(site): State<Site>, Path(name): Path<String>) -> Answer {
    let board = site.board(Some(name.clone())).await.map_err(|e| store_failed(&e))?;
    match board.playbooks.first() {
        Some(playbook) => Ok(json_ok(&json!(playbook))),
        None => Err(problem(StatusCode::NOT_FOUND, &format!("no playbook named `{name}` is stored"))),
    }
}

async fn checks(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let board = site.board(params.playbook.clone()).await.map_err(|e| store_failed(&e))?;
    let items: Vec<Value> = checks_of(&board, params.check.as_deref())
        .map(|(p, c)| {
            json!({
                "playbook": p.name, "id": c.id, "name": c.name, "kind": c.kind, "status": c.status,
                "since": c.since, "message": c.message, "runbook": c.runbook, "last_run": c.last_run, "uptime": c.uptime,
            })
        })
        .collect();
    Ok(json_ok(&json!({ "items": items })))
}

/// The board's checks with their playbook; with `only`, that check's alone.
fn checks_of<'a>(
    board: &'a super::board::Board,
    only: Option<&'a str>,
) -> impl Iterator<Item = (&'a super::board::PlaybookView, &'a super::board::CheckView)> {
    board
        .playbooks
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(move |(_, c)| only.is_none_or(|id| id == c.id))
}

async fn results(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let (limit, since_ms, before) = (params.limit()?, params.since_ms()?, params.cursor()?);
    let rows = read(&site, move |store| {
        store.results(&ResultQuery {
            playbook: params.playbook.as_deref(),
            check: params.check.as_deref(),
            since_ms,
            before,
            limit,
        })
    })
    .await?;
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.seq.to_string())).flatten();
    Ok(json_ok(&json!({ "items": rows, "next_cursor": next })))
}

async fn runs(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let (limit, since_ms) = (params.limit()?, params.since_ms()?);
    let rows =
        read(&site, move |store| store.runs(params.playbook.as_deref(), params.check.as_deref(), since_ms, limit))
            .await?;
    Ok(json_ok(&json!({ "items": rows })))
}

async fn metrics(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let since_ms = params.since_ms()?;
    let rows =
        read(&site, move |store| store.trends(params.playbook.as_deref(), params.check.as_deref(), since_ms)).await?;
    Ok(json_ok(&json!({ "items": rows })))
}

async fn alerts(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let rows = read(&site, move |store| store.all_alert_states(params.playbook.as_deref())).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "playbook": row.playbook, "channel": row.channel, "stream": row.stream,
                "streak": row.state.streak, "status": row.state.status, "notified": row.state.notified,
                "since": row.state.since_ms.map(super::board::rfc3339),
            })
        })
        .collect();
    Ok(json_ok(&json!({ "items": items })))
}

async fn remediations(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let (limit, since_ms) = (params.limit()?, params.since_ms()?);
    let mut rows =
        read(&site, move |store| store.remediations(params.playbook.as_deref(), params.check.as_deref(), since_ms))
            .await?;
    rows.truncate(usize::try_from(limit).unwrap_or(100));
    Ok(json_ok(&json!({ "items": rows })))
}

async fn uptime_route(State(site): State<Site>, query: Result<Query<Params>, QueryRejection>) -> Answer {
    let params = params(query)?;
    let (label, _) = params.window()?;
    let label = label.to_string();
    let board = site.board(params.playbook.clone()).await.map_err(|e| store_failed(&e))?;
    let items: Vec<Value> = checks_of(&board, params.check.as_deref())
        .map(|(p, c)| {
            let percent = c.uptime.get(&label).copied().flatten();
            json!({ "playbook": p.name, "check": c.id, "window": label, "percent": percent, "text": uptime::words(percent) })
        })
        .collect();
    Ok(json_ok(&json!({ "items": items })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns the code checks are the ones the document states, for every parameter.
    #[test]
    fn the_document_states_the_patterns_the_code_checks() {
        let document: Value = serde_json::from_str(OPENAPI).unwrap();
        let mut seen = 0;
        for item in document["paths"].as_object().unwrap().values() {
            for parameter in item["get"]["parameters"].as_array().into_iter().flatten() {
                let expected = match parameter["name"].as_str() {
                    Some("since") => SINCE_PATTERN,
                    Some("cursor") => CURSOR_PATTERN,
                    Some("limit") => {
                        assert_eq!(parameter["schema"]["maximum"], MAX_LIMIT);
                        continue;
                    }
                    _ => continue,
                };
                assert_eq!(parameter["schema"]["pattern"], expected, "{parameter}");
                seen += 1;
            }
        }
        assert!(seen >= 5, "{seen} patterned parameters");
    }

    #[test]
    fn since_and_cursor_take_exactly_their_patterns() {
        let since = |text: &str| Params { since: Some(text.into()), ..Params::default() }.since_ms().is_ok();
        for good in ["7d", "1.5h", "1d12h", "500ms", "99999999999999999999w"] {
            assert!(since(good), "{good}");
        }
        for bad in ["", "7", "1 h", "1hour", "-1d", ".5h", "1.5.3h", "7d "] {
            assert!(!since(bad), "{bad:?}");
        }
        let cursor = |text: &str| Params { cursor: Some(text.into()), ..Params::default() }.cursor().is_ok();
        for good in ["1", "999999999999999999"] {
            assert!(cursor(good), "{good}");
        }
        for bad in ["0", "-1", "+1", "01", "9999999999999999999", "x"] {
            assert!(!cursor(bad), "{bad:?}");
        }
    }
}
