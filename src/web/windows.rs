//! A playbook's maintenance windows as the page shows them: the one open now (until when)
//! and the next to open, worked out at page time by the planner the engine holds messages
//! by (`quiet::maintenance`), from the windows a daemon left in its snapshot. Words, not
//! colour: each says `open now, until …` or `next: … to …`.

use serde::Serialize;

use crate::playbook::Window;
use crate::quiet::maintenance::{self, Planned};

/// One window as it stands.
#[derive(Clone, Debug, Serialize)]
pub struct WindowView {
    pub reason: Option<String>,
    /// `open` now, or `next` to open.
    pub state: String,
    /// RFC 3339.
    pub from: String,
    pub until: String,
    /// `open now, until 2026-06-01T04:00:00Z (in 1h 5m)`, `next: 2026-06-07T03:00:00Z to …`.
    pub words: String,
}

/// The open and next windows of `windows` (a snapshot's) at `now_ms`; `zone` is the
/// schedule's, the zone a window without its own is read in.
pub fn views(windows: &[serde_json::Value], zone: Option<&str>, now_ms: i64) -> Vec<WindowView> {
    if windows.is_empty() {
        return Vec::new();
    }
    let zone = crate::schedule::cron::timezone(zone).unwrap_or_else(|_| jiff::tz::TimeZone::system());
    // A snapshot's window is the playbook's, written as JSON (which is YAML): read back
    // the way the playbook was, so that the planner sees what the engine does.
    let planned: Vec<Planned> = windows
        .iter()
        .map(|value| match value {
            // Unset keys are left out, not written as null.
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect(),
            ),
            other => other.clone(),
        })
        .filter_map(|value| serde_saphyr::from_str::<Window>(&value.to_string()).ok())
        .filter_map(|window| maintenance::plan(&window, &zone, crate::playbook::Span::UNKNOWN).0)
        .collect();
    let Ok(now) = jiff::Timestamp::from_millisecond(now_ms) else { return Vec::new() };
    let mut out = Vec::new();
    let mut after = now;
    if let Some(open) = maintenance::open_at(&planned, now) {
        let left = super::board::ago(now_ms, open.until.as_millisecond());
        // The next window is one that opens after this hold ends.
        after = open.until;
        out.push(view("open", open, |from, until| format!("open now (since {from}), until {until} (in {left})")));
    }
    if let Some(next) = maintenance::next_after(&planned, after) {
        let wait = super::board::ago(now_ms, next.from.as_millisecond());
        out.push(view("next", next, |from, until| format!("next: {from} to {until} (in {wait})")));
    }
    out
}

fn view(state: &str, open: maintenance::Open, words: impl Fn(&str, &str) -> String) -> WindowView {
    let (from, until) =
        (super::board::rfc3339(open.from.as_millisecond()), super::board::rfc3339(open.until.as_millisecond()));
    WindowView { reason: open.reason, state: state.to_string(), words: words(&from, &until), from, until }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_window_says_until_when_and_the_next_one_when() {
        // Sundays 03:00 UTC for 2 hours; now is Sunday 2026-06-07 04:00 UTC.
        let windows = [serde_json::json!({"cron": "0 3 * * 0", "duration": "2h", "reason": "backups"})];
        let now = "2026-06-07T04:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let shown = views(&windows, Some("UTC"), now);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!((shown[0].state.as_str(), shown[0].until.as_str()), ("open", "2026-06-07T05:00:00Z"));
        assert!(shown[0].words.contains("open now") && shown[0].words.contains("in 1h"), "{}", shown[0].words);
        assert_eq!((shown[1].state.as_str(), shown[1].from.as_str()), ("next", "2026-06-14T03:00:00Z"));
        assert_eq!(shown[1].reason.as_deref(), Some("backups"));
        // A one-off window in the past shows nothing; one ahead is next.
        let once = [serde_json::json!({"from": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"})];
        assert!(views(&once, None, now).is_empty());
        let ahead = [serde_json::json!({"from": "2026-07-01T00:00:00Z", "until": "2026-07-02T00:00:00Z"})];
        assert_eq!(views(&ahead, None, now)[0].words, "next: 2026-07-01T00:00:00Z to 2026-07-02T00:00:00Z (in 23d20h)");
    }
}
