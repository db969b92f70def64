//! Badges, `/badge/NAME.svg` and `/badge/NAME/CHECK.svg` (`?show=status|uptime&window=7d`):
//! shields.io's flat style (a grey label, a coloured value, both in words), cacheable for a
//! short while (`Cache-Control: max-age=30`) and revalidated by an ETag (304 when it
//! still matches).

use std::hash::{Hash, Hasher};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::problem::{problem, store_failed};
use super::site::Site;
use super::uptime;

pub fn routes() -> Router<Site> {
    Router::new().route("/badge/{name}", get(playbook_badge)).route("/badge/{name}/{check}", get(check_badge))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BadgeQuery {
    show: Option<String>,
    window: Option<String>,
}

async fn playbook_badge(
    State(site): State<Site>,
    Path(name): Path<String>,
    headers: HeaderMap,
    query: Result<Query<BadgeQuery>, QueryRejection>,
) -> Response {
    let Some(name) = name.strip_suffix(".svg") else {
        return problem(StatusCode::NOT_FOUND, "a badge's path ends in .svg");
    };
    badge(&site, name, None, &headers, query).await
}

async fn check_badge(
    State(site): State<Site>,
    Path((name, check)): Path<(String, String)>,
    headers: HeaderMap,
    query: Result<Query<BadgeQuery>, QueryRejection>,
) -> Response {
    let Some(check) = check.strip_suffix(".svg") else {
        return problem(StatusCode::NOT_FOUND, "a badge's path ends in .svg");
    };
    badge(&site, &name, Some(check), &headers, query).await
}

async fn badge(
    site: &Site,
    name: &str,
    check: Option<&str>,
    headers: &HeaderMap,
    query: Result<Query<BadgeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return problem(StatusCode::BAD_REQUEST, "a badge takes show=status|uptime and window=24h|7d|30d");
    };
    let show = query.show.as_deref().unwrap_or("status");
    let window = query.window.as_deref().unwrap_or("30d");
    if !matches!(show, "status" | "uptime") || uptime::window_ms(window).is_none() {
        return problem(StatusCode::BAD_REQUEST, "a badge takes show=status|uptime and window=24h|7d|30d");
    }
    let board = match site.board(Some(name.to_string())).await {
        Ok(board) => board,
        Err(error) => return store_failed(&error),
    };
    let Some(playbook) = board.playbooks.first() else {
        return problem(StatusCode::NOT_FOUND, &format!("no playbook named `{name}` is stored"));
    };
    let checks: Vec<_> = playbook.checks.iter().filter(|c| check.is_none_or(|id| c.id == id)).collect();
    if checks.is_empty() {
        return problem(StatusCode::NOT_FOUND, &format!("`{name}` has no check `{}`", check.unwrap_or_default()));
    }
    let label = check.map_or_else(|| name.to_string(), |c| format!("{name}/{c}"));
    let (value, colour) = if show == "status" {
        let status =
            checks.iter().map(|c| c.status.as_str()).max_by_key(|s| super::board::severity(s)).unwrap_or("none");
        (if status == "none" { "no data".to_string() } else { status.to_string() }, colour_of(status))
    } else {
        // The worst check's uptime stands for the playbook.
        let worst = checks.iter().filter_map(|c| c.uptime.get(window).copied().flatten()).reduce(f64::min);
        let colour = match worst {
            None => "#9f9f9f",
            Some(p) if p >= 99.9 => "#4c1",
            Some(p) if p >= 99.0 => "#dfb317",
            Some(_) => "#e05d44",
        };
        (format!("{} {window}", uptime::words(worst)), colour)
    };
    let body = svg(&label, &value, colour);
    let tag = etag(&body);
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == tag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, "image/svg+xml")], body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=30"));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, tag);
    }
    response
}

fn colour_of(status: &str) -> &'static str {
    match status {
        "ok" => "#4c1",
        "warning" => "#dfb317",
        "critical" => "#e05d44",
        "unknown" => "#8250df",
        _ => "#9f9f9f",
    }
}

fn etag(body: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

/// XML-escaped text.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A flat two-part badge; widths by a fixed advance per character (Verdana 11 is about 7).
fn svg(label: &str, value: &str, colour: &str) -> String {
    let width = |text: &str| text.chars().count() * 7 + 10;
    let (lw, vw) = (width(label), width(value));
    let total = lw + vw;
    let (label, value) = (xml(label), xml(value));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/><rect width="{total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{vx}" y="14">{value}</text></g></svg>"##,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}
