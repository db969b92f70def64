//! Errors of the HTTP API as JSON problem details (RFC 9457): a status, a title and a
//! sentence saying what was wrong. Bad input is a 4xx, never a 5xx.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A problem answer.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": crate::secret::scrub(detail),
    });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// The store failed: a 503 (the server is fine; its store is not, for now).
pub fn store_failed(error: &crate::error::Error) -> Response {
    problem(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}"))
}
