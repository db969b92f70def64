//! The status page, `/` and `/p/NAME`: one minijinja template compiled into the binary,
//! rendered on the server with auto-escape on, inline SVG charts, one `<style>` allowed by
//! its hash and no script at all (a `<meta>` refresh reloads it), so the
//! Content-Security-Policy can forbid everything else. Check output goes through
//! [`super::text::visible`] before escaping.

use std::sync::OnceLock;

use base64::Engine as _;
use minijinja::{AutoEscape, Environment, Value};
use serde_json::json;
use sha2::Digest as _;

use super::board::Board;
use super::{svg, text, uptime};

const TEMPLATE: &str = include_str!("templates/page.html");
const CSS: &str = include_str!("templates/page.css");

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_filter("visible", |value: String| text::visible(&value));
        env.add_filter("uptime", |value: Option<f64>| uptime::words(value));
        env.add_template("page.html", TEMPLATE).expect("the page template compiles");
        env
    })
}

/// The Content-Security-Policy of every page: nothing but its own style, by hash.
pub fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CSS.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        )
    })
}

/// The daemon's own health, on pages a daemon serves.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DaemonHealth {
    pub healthy: bool,
    pub problems: Vec<String>,
    pub last_tick: Option<String>,
    pub missed: u64,
    pub invalid: Vec<crate::schedule::liveness::InvalidView>,
}

/// Only web links are links: a runbook of another scheme (`javascript:`) stays text.
fn web_link(link: &str) -> bool {
    let lower = link.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Renders the page of `board` (`single`: the playbook of `/p/NAME`).
pub fn render(board: &Board, single: Option<&str>, daemon: Option<&DaemonHealth>) -> Result<String, minijinja::Error> {
    let mut data = serde_json::to_value(board).unwrap_or_default();
    for (p, playbook) in board.playbooks.iter().enumerate() {
        for (c, check) in playbook.checks.iter().enumerate() {
            let view = &mut data["playbooks"][p]["checks"][c];
            view["bar_svg"] = json!(svg::bar(&check.bar));
            view["latency_svg"] = json!(svg::latency(&check.latency));
            if !check.runbook.as_deref().is_some_and(web_link) {
                view["runbook"] = serde_json::Value::Null;
            }
        }
    }
    for (r, remediation) in board.remediations.iter().enumerate() {
        data["remediations"][r]["summary"] = json!(remediation.actions_summary());
    }
    let context = minijinja::context! {
        board => Value::from(minijinja::value::Serde(&data)),
        single => single,
        daemon => daemon.map(|d| Value::from(minijinja::value::Serde(d))),
        css => Value::from_safe_string(CSS.to_string()),
    };
    environment().get_template("page.html")?.render(context)
}
