//! The daemon's own routes: `/healthz`, `/metrics` and `/status`, read from the shared
//! [`Liveness`] the scheduling loop updates (what they say is decided in
//! `schedule::liveness`; this file only answers). Every body is scrubbed of secrets.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::schedule::liveness::{self, Liveness, Shared};

/// The routes, over the daemon's shared state.
pub fn routes(live: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .with_state(live)
}

fn snapshot(live: &Shared) -> Liveness {
    live.lock().map(|l| l.clone()).unwrap_or_default()
}

/// A scrubbed body with its content type.
pub fn text(code: StatusCode, content_type: &'static str, body: String) -> Response {
    (code, [(header::CONTENT_TYPE, content_type)], crate::secret::scrub_owned(body)).into_response()
}

async fn healthz(State(live): State<Shared>) -> Response {
    let (code, body) = liveness::health(&snapshot(&live), crate::clock::now());
    text(StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE), "text/plain; charset=utf-8", body)
}

async fn metrics(State(live): State<Shared>) -> Response {
    text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", liveness::metrics(&snapshot(&live)))
}

async fn status(State(live): State<Shared>) -> Response {
    let body = serde_json::to_string_pretty(&snapshot(&live)).unwrap_or_default() + "\n";
    text(StatusCode::OK, "application/json", body)
}

/// What a path nobody serves answers: 404 to a read, 405 to anything else.
pub async fn fallback(method: axum::http::Method) -> Response {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: try /healthz, /metrics or /status\n".into(),
        )
    } else {
        text(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n".into())
    }
}
