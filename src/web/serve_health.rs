//! `/healthz` and `/metrics` of `runner serve` (CLI.md lists both for every server): serve
//! has no scheduling loop, so its health is whether it can read the store, and its metrics
//! are its own (`runner_build_info`, `runner_store_up`, `process_*`). The daemon answers
//! these from its loop instead (`web::liveness`).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::liveness::text;
use crate::output::prometheus::{Exposition, build_info};
use crate::store::Store;

/// The routes, over the store this server reads.
pub fn routes(store: Arc<dyn Store>) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(store)
}

/// Whether the store answers a read now: `Err` with the reason.
async fn store_reads(store: Arc<dyn Store>) -> Result<(), String> {
    match tokio::task::spawn_blocking(move || store.uptime_playbooks().map(|_| ())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.store_reason()),
        Err(_) => Err("the read did not finish".into()),
    }
}

async fn healthz(State(store): State<Arc<dyn Store>>) -> Response {
    let described = store.describe();
    match store_reads(store).await {
        Ok(()) => text(StatusCode::OK, "text/plain; charset=utf-8", format!("ok: serving the store at {described}\n")),
        Err(reason) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            format!("unhealthy: the store at {described} cannot be read: {reason}\n"),
        ),
    }
}

async fn metrics(State(store): State<Arc<dyn Store>>) -> Response {
    let up = store_reads(store).await.is_ok();
    let mut out = Exposition::default();
    build_info(&mut out);
    out.sample(
        "runner_store_up",
        "Whether the store answered a read (1) or not (0).",
        "gauge",
        "",
        f64::from(u8::from(up)),
    );
    crate::schedule::self_metrics::process_samples(&mut out);
    text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", out.render())
}
