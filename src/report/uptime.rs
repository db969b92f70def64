//! `uptime` in the report template context: the playbook's and each check's figures
//! (CLI.md's definition, read from the store's roll-ups) over the 30 days that end at
//! the run, the default window of `runner uptime` too. Documented in
//! docs/playbook-reference.md ("Report").
//!
//! Each figure comes as a number (`uptime_percent`, `…_ms`; null without data) and as the
//! text `runner uptime` prints (`uptime`: "99.95 %" or "—"), so a template needs no
//! arithmetic to say it right.

use serde_json::{Value, json};

use crate::store::Store;
use crate::store::uptime::Filter;
use crate::uptime::Figures;
use crate::uptime::render::{duration_text, percent_text};

/// The report's uptime window.
pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// The `uptime` value of a playbook's report context; `None` when the store cannot say.
pub fn context(store: &dyn Store, playbook: &str) -> Option<Value> {
    let now = crate::clock::now();
    let until_ms = now.as_millisecond();
    let since_ms = until_ms - i64::try_from(WINDOW.as_millis()).ok()?;
    let series = match store.uptime(Filter { playbook: Some(playbook), check: None }, since_ms, until_ms) {
        Ok(series) => series,
        Err(error) => {
            tracing::warn!(target: "runner::report", %error, "cannot read uptime for the report");
            return None;
        }
    };
    let mut whole = Value::Null;
    let mut checks = serde_json::Map::new();
    for s in series {
        match s.check {
            None => whole = figures(&s.figures),
            Some(check) => {
                checks.insert(check, figures(&s.figures));
            }
        }
    }
    Some(json!({
        "window": crate::duration::format(WINDOW),
        "from": jiff::Timestamp::from_millisecond(since_ms).ok()?.to_string(),
        "until": now.to_string(),
        "playbook": whole,
        "checks": checks,
    }))
}

fn figures(f: &Figures) -> Value {
    let mut value = serde_json::to_value(f).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("uptime".into(), percent_text(f.uptime_percent).into());
        map.insert("mean_time_to_recover".into(), duration_text(f.mean_time_to_recover_ms).into());
        map.insert("longest_outage".into(), duration_text(f.longest_outage_ms).into());
    }
    value
}
