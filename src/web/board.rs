//! What the page, the API and the badges show, read once from the store: every playbook
//! (from the daemons' snapshots, and from the uptime roll-ups for one no daemon described)
//! with its checks' status, since when, last message, runbook, uptime per window, the
//! 24-hour bar and latency over its last runs; open problems; recent remediations;
//! silences in force and maintenance windows, open and next.
//!
//! Nothing here reads a check's whole history: the uptime figures, the bar and "since
//! when" come from the roll-ups (`UptimeStore`), and the rest from the last
//! [`LATENCY_POINTS`] results of each check (an indexed read), so that a year of results
//! costs what a day does.

use serde::Serialize;

use super::windows::{self, WindowView};
use crate::error::Error;
use crate::quiet::silence::Silence;
use crate::store::Store;
use crate::store::remediations::RemediationRow;
use crate::store::results::ResultRow;
use crate::store::snapshots::{CheckOutline, PlaybookSnapshot};
use crate::store::uptime::{Filter, SeriesTimeline};
use crate::uptime::Span;

/// How many of a check's last results are read: its latency chart, and its status, message
/// and "since when" when the status changed among them.
const LATENCY_POINTS: i64 = 120;

use super::uptime::WINDOWS;

/// The bar: 48 half hours.
const SLOT_MS: i64 = 1_800_000;
const SLOTS: i64 = 48;

/// One check, as shown.
#[derive(Clone, Debug, Serialize)]
pub struct CheckView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub runbook: Option<String>,
    /// `ok`, `warning`, `critical`, `unknown`, `skipped`, or `none` before any result.
    pub status: String,
    /// When the current status began (RFC 3339).
    pub since: Option<String>,
    pub since_ms: Option<i64>,
    pub message: String,
    pub last_run: Option<String>,
    /// Uptime per window (`24h`, `7d`, `30d`), 0–100; absent without data.
    pub uptime: indexmap::IndexMap<String, Option<f64>>,
    /// (start, duration) in ms, oldest first.
    pub latency: Vec<(i64, i64)>,
    /// Per slot of the last 24 hours (48 half hours), oldest first: `down` when the check
    /// was down at any time in it, else `up` when it was up, else `none` (no data): the bar.
    pub bar: Vec<String>,
}

/// One playbook, as shown.
#[derive(Clone, Debug, Serialize)]
pub struct PlaybookView {
    pub name: String,
    pub description: Option<String>,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub file: Option<String>,
    pub host: Option<String>,
    pub windows: Vec<serde_json::Value>,
    /// Its maintenance windows as they stand: the one open now, the next to open.
    pub maintenance: Vec<WindowView>,
    /// The worst status of its checks.
    pub status: String,
    pub checks: Vec<CheckView>,
}

/// A failing check, with how long it has failed.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub playbook: String,
    pub check: String,
    pub status: String,
    pub since: Option<String>,
    pub age: String,
    pub message: String,
}

/// A silence in force, as shown.
#[derive(Clone, Debug, Serialize)]
pub struct SilenceView {
    #[serde(flatten)]
    pub silence: Silence,
    /// `everything`, `playbook web`, `web/api`, with `on HOST`.
    pub scope: String,
    /// When it ends at the latest (RFC 3339), and how long until then.
    pub until: String,
    pub left: String,
}

/// Everything a page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Board {
    pub generated_at: String,
    pub playbooks: Vec<PlaybookView>,
    pub problems: Vec<Problem>,
    pub remediations: Vec<RemediationRow>,
    /// Silences in force (of the playbook shown, or all), with their end in words.
    pub silences: Vec<SilenceView>,
}

/// Reads the board (of one playbook, or all) from `store` at `now_ms`.
pub fn read(store: &dyn Store, only: Option<&str>, now_ms: i64) -> Result<Board, Error> {
    let mut snapshots = store.playbook_snapshots()?;
    // A playbook with results but no snapshot (run by `runner run` or a cron line).
    for name in store.uptime_playbooks()? {
        if !snapshots.iter().any(|s| s.name == name) {
            snapshots.push(PlaybookSnapshot { name, ..PlaybookSnapshot::default() });
        }
    }
    snapshots.sort_by(|a, b| a.name.cmp(&b.name));
    snapshots.retain(|s| only.is_none_or(|name| s.name == name));
    let mut playbooks = Vec::new();
    for snapshot in snapshots {
        playbooks.push(playbook_view(store, snapshot, now_ms)?);
    }
    let problems = playbooks
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(|(_, c)| matches!(c.status.as_str(), "warning" | "critical" | "unknown"))
        .map(|(p, c)| Problem {
            playbook: p.name.clone(),
            check: c.id.clone(),
            status: c.status.clone(),
            since: c.since.clone(),
            age: c.since_ms.map(|ms| ago(ms, now_ms)).unwrap_or_default(),
            message: c.message.clone(),
        })
        .collect();
    let mut remediations = store.remediations(only, None, now_ms - 7 * 86_400_000)?;
    remediations.truncate(20);
    let silences = store
        .silences(now_ms, false)?
        .into_iter()
        .filter(|s| only.is_none_or(|name| s.playbook.as_deref().is_none_or(|p| p == name)))
        .map(|silence| SilenceView {
            scope: silence.scope(),
            until: rfc3339(silence.expires_ms),
            left: ago(now_ms, silence.expires_ms),
            silence,
        })
        .collect();
    Ok(Board { generated_at: rfc3339(now_ms), playbooks, problems, remediations, silences })
}

fn playbook_view(store: &dyn Store, snapshot: PlaybookSnapshot, now_ms: i64) -> Result<PlaybookView, Error> {
    let filter = Filter { playbook: Some(&snapshot.name), check: None };
    let mut figures: Vec<indexmap::IndexMap<String, Option<f64>>> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    for (label, window) in WINDOWS {
        for row in store.uptime(filter, now_ms - window, now_ms)? {
            let Some(check) = row.check else { continue };
            let at = series.iter().position(|c| *c == check).unwrap_or_else(|| {
                series.push(check);
                figures.push(indexmap::IndexMap::new());
                series.len() - 1
            });
            figures[at].insert(label.to_string(), row.figures.uptime_percent);
        }
    }
    let timelines = store.uptime_timeline(filter, now_ms - SLOTS * SLOT_MS, now_ms)?;
    let mut outlines = snapshot.checks;
    // A playbook no daemon described shows the checks it has results of.
    if snapshot.host.is_empty() {
        for check in &series {
            if !outlines.iter().any(|c| c.id == *check) {
                outlines.push(CheckOutline { id: check.clone(), name: check.clone(), ..CheckOutline::default() });
            }
        }
    }
    let mut checks = Vec::new();
    for outline in outlines {
        let results = store.latest_results(&snapshot.name, &outline.id, LATENCY_POINTS)?;
        let uptime = series.iter().position(|c| *c == outline.id).map(|at| figures[at].clone());
        let timeline = timelines.iter().find(|t| t.check.as_deref() == Some(outline.id.as_str()));
        checks.push(check_view(outline, &results, uptime, timeline, now_ms));
    }
    let status = checks.iter().map(|c| c.status.as_str()).max_by_key(|s| severity(s)).unwrap_or("none").to_string();
    let maintenance = windows::views(&snapshot.windows, snapshot.timezone.as_deref(), now_ms);
    let host = (!snapshot.host.is_empty()).then_some(snapshot.host);
    let file = (!snapshot.file.is_empty()).then_some(snapshot.file);
    Ok(PlaybookView {
        name: snapshot.name,
        description: snapshot.description,
        schedule: snapshot.schedule,
        timezone: snapshot.timezone,
        file,
        host,
        windows: snapshot.windows,
        maintenance,
        status,
        checks,
    })
}

/// How bad a status is, for the worst of several.
pub fn severity(status: &str) -> u8 {
    match status {
        "critical" => 5,
        "unknown" => 4,
        "warning" => 3,
        "ok" => 2,
        "skipped" => 1,
        _ => 0,
    }
}

fn check_view(
    outline: CheckOutline,
    results: &[ResultRow],
    uptime: Option<indexmap::IndexMap<String, Option<f64>>>,
    timeline: Option<&SeriesTimeline>,
    now_ms: i64,
) -> CheckView {
    let latest = results.first();
    let status = latest.map_or_else(|| "none".to_string(), |r| r.status.clone());
    let since_ms = latest.map(|l| {
        let streak = results.iter().take_while(|r| r.status == l.status).last().map_or(l.started_ms, |r| r.started_ms);
        // The status held through every result read: it began before them, when the
        // roll-ups say the check last turned (for a status that counts as up or down).
        let counted = matches!(l.status.as_str(), "ok" | "warning" | "critical" | "unknown");
        match timeline.and_then(|t| t.state_since_ms) {
            Some(turned)
                if counted
                    && results.len() as i64 == LATENCY_POINTS
                    && streak == results[results.len() - 1].started_ms =>
            {
                turned.min(streak)
            }
            _ => streak,
        }
    });
    let uptime = WINDOWS
        .iter()
        .map(|(label, _)| ((*label).to_string(), uptime.as_ref().and_then(|u| u.get(*label).copied().flatten())))
        .collect();
    let latency: Vec<(i64, i64)> = results.iter().rev().map(|r| (r.started_ms, r.duration_ms)).collect();
    CheckView {
        name: if outline.name.is_empty() { outline.id.clone() } else { outline.name },
        id: outline.id,
        kind: outline.kind,
        runbook: outline.runbook,
        status,
        since: since_ms.map(rfc3339),
        since_ms,
        message: latest.map(|r| r.message.clone()).unwrap_or_default(),
        last_run: latest.map(|r| rfc3339(r.started_ms)),
        uptime,
        latency,
        bar: bar(timeline.map_or(&[][..], |t| &t.spans), now_ms),
    }
}

/// Each half hour of the last day, oldest first: `down` if the check was down at any time
/// in it, else `up` if it was up, else `none`.
fn bar(spans: &[Span], now_ms: i64) -> Vec<String> {
    let start = now_ms - SLOTS * SLOT_MS;
    (0..SLOTS)
        .map(|slot| {
            let (from, to) = (start + slot * SLOT_MS, start + (slot + 1) * SLOT_MS);
            let touching = spans.iter().filter(|s| s.overlap_ms(from, to) > 0);
            let (mut up, mut down) = (false, false);
            for span in touching {
                if span.up { up = true } else { down = true }
            }
            if down {
                "down"
            } else if up {
                "up"
            } else {
                "none"
            }
            .to_string()
        })
        .collect()
}

/// Unix ms as RFC 3339, to the second.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms - ms.rem_euclid(1000)).map(|t| t.to_string()).unwrap_or_default()
}

/// `3h 5m` since `then_ms`.
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    // To the second: `1h59m59s`, not `7199.985s`.
    let seconds = ((now_ms - then_ms).max(0) + 500) / 1000;
    crate::duration::format(std::time::Duration::from_secs(seconds as u64))
}
