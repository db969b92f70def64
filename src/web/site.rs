//! The store's side of the server: the status page, the API and the badges, read through
//! a reader of the store (`store::open_reader`: connections of its own, never the
//! writer's) on the blocking pool, and answered from the [`Cache`] when a fresh answer is
//! there. A daemon adds its own health ([`Site::live`]); `runner serve` has none.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::board::{self, Board};
use super::cache::{Answer, Cache};
use super::page::{self, DaemonHealth};
use super::problem::{problem, store_failed};
use crate::schedule::liveness::{self, Shared};
use crate::store::Store;

/// What every store-side handler reads.
#[derive(Clone)]
pub struct Site {
    pub store: Arc<dyn Store>,
    pub live: Option<Shared>,
    pub token: super::auth::Token,
    /// The state folder: a write (a silence) opens a writer of its store for itself.
    state_dir: Arc<std::path::Path>,
    cache: Arc<Cache>,
}

impl Site {
    pub fn new(store: Arc<dyn Store>, live: Option<Shared>, state_dir: &std::path::Path) -> Site {
        let token = super::auth::Token::from_env();
        Site { store, live, token, state_dir: Arc::from(state_dir), cache: Arc::default() }
    }

    /// Opens a writer of the store, for one write (run it on the blocking pool). Writes
    /// are rare (a person silencing something), so none is held open between them.
    pub fn writer(&self) -> impl FnOnce() -> Result<Arc<dyn Store>, crate::error::Error> + Send + 'static {
        let dir = self.state_dir.clone();
        move || crate::store::open(&dir)
    }

    /// The board of one playbook or all, read on the blocking pool.
    pub async fn board(&self, only: Option<String>) -> Result<Board, crate::error::Error> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || board::read(store.as_ref(), only.as_deref(), crate::store::now_ms()))
            .await
            .map_err(|e| crate::error::Error::Internal(e.to_string()))?
    }

    fn daemon_health(&self) -> Option<DaemonHealth> {
        let live = self.live.as_ref()?.lock().ok()?.clone();
        let (code, body) = liveness::health(&live, crate::clock::now());
        Some(DaemonHealth {
            healthy: code == 200,
            problems: body.lines().filter(|l| l.starts_with("unhealthy: ")).map(str::to_string).collect(),
            last_tick: live.last_tick.clone(),
            missed: live.playbooks.iter().flat_map(|p| p.missed.values()).sum(),
            invalid: live.invalid.clone(),
        })
    }
}

/// Every store-side route; `fallback` answers the rest.
pub fn routes(site: Site) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/p/{name}", get(one_playbook))
        .merge(super::api::routes())
        .merge(super::badge::routes())
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(site.clone(), cached))
        .with_state(site)
}

/// What a path nobody serves answers: a problem under `/api/`, words elsewhere.
pub async fn fallback(request: Request) -> Response {
    let read = matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    match (request.uri().path().starts_with("/api/"), read) {
        (true, true) => problem(StatusCode::NOT_FOUND, "no such API path: see /api/v1/openapi.json"),
        (true, false) => wrong_method(request).await,
        (false, _) => super::liveness::fallback(request.method().clone()).await,
    }
}

/// A method a path does not take: a 405 with a body that says so (a problem under `/api/`,
/// words elsewhere) instead of axum's empty one; axum adds the `Allow` header.
async fn wrong_method(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        problem(StatusCode::METHOD_NOT_ALLOWED, "this API path takes no such method")
    } else {
        let words = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
        (StatusCode::METHOD_NOT_ALLOWED, words, "method not allowed\n").into_response()
    }
}

/// Serves a fresh cached answer to a read, or lets it through and keeps its answer.
async fn cached(State(site): State<Site>, request: Request, next: axum::middleware::Next) -> Response {
    let cacheable = request.method() == axum::http::Method::GET;
    let key = request.uri().to_string();
    if cacheable && let Some(answer) = site.cache.get(&key) {
        // A client that holds this very answer (a badge's ETag) is told so.
        let held = request.headers().get(header::IF_NONE_MATCH);
        if held.is_some() && held == answer.headers.get(header::ETAG) {
            return (StatusCode::NOT_MODIFIED, answer.headers).into_response();
        }
        return (answer.status, answer.headers, answer.body).into_response();
    }
    let write = !cacheable && request.method() != axum::http::Method::HEAD;
    let response = next.run(request).await;
    if write && response.status().is_success() {
        site.cache.clear();
    }
    if !cacheable || response.status().is_server_error() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "the answer could not be read");
    };
    site.cache.put(key, Answer { status: parts.status, headers: parts.headers.clone(), body: body.clone() });
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// A page answer, with its security headers.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(policy) = HeaderValue::from_str(page::content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn render(site: &Site, only: Option<String>) -> Response {
    let board = match site.board(only.clone()).await {
        Ok(board) => board,
        Err(error) => return store_failed(&error),
    };
    if let Some(name) = &only
        && board.playbooks.is_empty()
    {
        return problem(StatusCode::NOT_FOUND, &format!("no playbook named `{name}` is stored"));
    }
    match page::render(&board, only.as_deref(), site.daemon_health().as_ref()) {
        Ok(body) => html(StatusCode::OK, crate::secret::scrub_owned(body)),
        Err(error) => problem(StatusCode::INTERNAL_SERVER_ERROR, &format!("the page could not be rendered: {error}")),
    }
}

async fn index(State(site): State<Site>) -> Response {
    render(&site, None).await
}

async fn one_playbook(State(site): State<Site>, Path(name): Path<String>) -> Response {
    render(&site, Some(name)).await
}
