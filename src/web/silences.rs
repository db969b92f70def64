//! Silences through the API: `GET /api/v1/silences` (those in force), `POST
//! /api/v1/silences` (make one: 201 with it) and `POST /api/v1/silences/{id}/expire` (end
//! one now: 200 with it, 404 for an unknown id). Ending is a POST to an action, not a
//! DELETE, because nothing is deleted: an ended silence is kept, with who ended it, for
//! `runner history` and `runner silence list --expired`.
//!
//! A silence is made by the rules of `runner silence add` (`quiet::silence::request`), with
//! maker `api`; the playbooks it may name are those the store knows (results, or a daemon's
//! snapshot). Writes pass the bearer guard (`super::auth`) first, then go through a writer
//! of the store opened for the one write. Malformed JSON is a 400 problem; a request that
//! reads but cannot be made (no end, an end in the past, an unknown playbook or check, with
//! a "did you mean") is a 422.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::problem::{problem, store_failed};
use super::site::Site;
use crate::quiet::silence::{self, RequestError};
use crate::store::Store;

/// Who made a silence through the API.
const MAKER: &str = "api";

pub fn routes() -> Router<Site> {
    Router::new().route("/api/v1/silences", get(list).post(create)).route("/api/v1/silences/{id}/expire", post(expire))
}

type Answer = Result<Response, Response>;

/// The body of `POST /api/v1/silences`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBody {
    playbook: Option<String>,
    check: Option<String>,
    #[serde(default)]
    all: bool,
    #[serde(rename = "for")]
    for_: Option<String>,
    until: Option<String>,
    #[serde(default)]
    until_ok: bool,
    host: Option<String>,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    playbook: Option<String>,
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = crate::secret::scrub_owned(serde_json::to_string(value).unwrap_or_default());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Runs `work` on the blocking pool; a failed store is a 503.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::error::Error> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(store_failed(&error)),
        Err(error) => Err(store_failed(&crate::error::Error::Internal(error.to_string()))),
    }
}

/// Silences in force (those that cover `playbook`, with it).
async fn list(State(site): State<Site>, query: Result<Query<ListParams>, QueryRejection>) -> Answer {
    let Query(params) = query.map_err(|e| problem(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let store = site.store.clone();
    let mut items = blocking(move || store.silences(crate::store::now_ms(), false)).await?;
    if let Some(name) = &params.playbook {
        items.retain(|s| s.playbook.as_deref().is_none_or(|p| p == name));
    }
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": items })))
}

/// Every playbook the store knows, with its check ids: results and daemons' snapshots.
fn known(store: &dyn Store) -> Result<BTreeMap<String, Vec<String>>, crate::error::Error> {
    let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (playbook, check) in store.known_checks()? {
        known.entry(playbook).or_default().push(check);
    }
    for snapshot in store.playbook_snapshots()? {
        known.entry(snapshot.name).or_default().extend(snapshot.checks.into_iter().map(|c| c.id));
    }
    for checks in known.values_mut() {
        checks.sort();
        checks.dedup();
    }
    Ok(known)
}

async fn create(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Answer {
    site.token.check(&headers)?;
    let asked: NewBody = serde_json::from_slice(&body).map_err(|e| {
        problem(StatusCode::BAD_REQUEST, &format!("the body is not a silence: {e} (see /api/v1/openapi.json)"))
    })?;
    let store = site.store.clone();
    let open_writer = site.writer();
    let made = blocking(move || {
        let known = known(store.as_ref())?;
        let request = silence::Request {
            playbook: asked.playbook.as_deref(),
            check: asked.check.as_deref(),
            all: asked.all,
            for_: asked.for_.as_deref(),
            until: asked.until.as_deref(),
            until_ok: asked.until_ok,
            host: asked.host.as_deref(),
            reason: &asked.reason,
            maker: MAKER,
        };
        let new = match silence::request(&request, &known, crate::clock::now()) {
            Ok(new) => new,
            Err(refused) => return Ok(Err(refused)),
        };
        let writer = open_writer()?;
        let id = writer.add_silence(&new)?;
        let made =
            writer.silence(id)?.ok_or_else(|| crate::error::Error::Internal("a silence just made is gone".into()))?;
        Ok(Ok(made))
    })
    .await?;
    match made {
        Ok(made) => Ok(json(StatusCode::CREATED, &made)),
        Err(refused) => Err(refusal(&refused)),
    }
}

/// A silence that cannot be made as asked: 422, saying why.
fn refusal(refused: &RequestError) -> Response {
    // The CLI's flags are the API's fields.
    let detail =
        refused.to_string().replace("--for", "`for`").replace("--until", "`until`").replace("--path", "a daemon");
    problem(StatusCode::UNPROCESSABLE_ENTITY, &detail)
}

async fn expire(State(site): State<Site>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    site.token.check(&headers)?;
    let Ok(number) = id.trim().parse::<i64>() else {
        return Err(problem(StatusCode::NOT_FOUND, &format!("`{id}` is not a silence id (a number)")));
    };
    let open_writer = site.writer();
    let ended = blocking(move || {
        let writer = open_writer()?;
        if writer.silence(number)?.is_none() {
            return Ok(None);
        }
        writer.expire_silence(number, crate::clock::now_ms(), &format!("expired by {MAKER}"))?;
        writer.silence(number)
    })
    .await?;
    match ended {
        Some(silence) => Ok(json(StatusCode::OK, &silence)),
        None => Err(problem(StatusCode::NOT_FOUND, &format!("no silence {number}"))),
    }
}
