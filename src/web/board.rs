//! What the page, the API and the badges show, read once from the store: every playbook
//! (from the daemons' snapshots, and from stored results for one no daemon described)
//! with its checks' status, since when, last message, runbook, uptime per window and
//! latency over time; open problems; recent remediations; silences and windows (empty
//! until `src/quiet` stores them: [`Board::silences`] is where they plug in).

use serde::Serialize;

use super::uptime;
use crate::error::Error;
use crate::store::Store;
use crate::store::remediations::RemediationRow;
use crate::store::results::{ResultQuery, ResultRow};
use crate::store::snapshots::{CheckOutline, PlaybookSnapshot};

/// The most results read per check: enough for 30 days of a 10-minute check; a faster one
/// shows its most recent ones (roll-ups lift this).
const RESULTS_PER_CHECK: i64 = 5_000;

/// How many points a latency chart keeps.
const LATENCY_POINTS: usize = 120;

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
    /// Status per slot of the last 24 hours (48 half hours), oldest first: the uptime bar.
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

/// Everything a page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Board {
    pub generated_at: String,
    pub playbooks: Vec<PlaybookView>,
    pub problems: Vec<Problem>,
    pub remediations: Vec<RemediationRow>,
    /// Silences in force: filled by the silences store once it lands.
    pub silences: Vec<serde_json::Value>,
}

/// Reads the board (of one playbook, or all) from `store` at `now_ms`.
pub fn read(store: &dyn Store, only: Option<&str>, now_ms: i64) -> Result<Board, Error> {
    let mut snapshots = store.playbook_snapshots()?;
    // A playbook with results but no snapshot (run by `runner run` or a cron line).
    let recent = store.results(&ResultQuery { limit: 1_000, ..ResultQuery::default() })?;
    for row in &recent {
        if !snapshots.iter().any(|s| s.name == row.playbook) {
            snapshots.push(PlaybookSnapshot { name: row.playbook.clone(), ..PlaybookSnapshot::default() });
        }
        let snapshot = snapshots.iter_mut().find(|s| s.name == row.playbook).expect("just added");
        if snapshot.host.is_empty() && !snapshot.checks.iter().any(|c| c.id == row.check) {
            let outline = CheckOutline { id: row.check.clone(), name: row.check.clone(), ..CheckOutline::default() };
            snapshot.checks.push(outline);
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
    Ok(Board { generated_at: rfc3339(now_ms), playbooks, problems, remediations, silences: Vec::new() })
}

fn playbook_view(store: &dyn Store, snapshot: PlaybookSnapshot, now_ms: i64) -> Result<PlaybookView, Error> {
    let mut checks = Vec::new();
    for outline in snapshot.checks {
        let query = ResultQuery {
            playbook: Some(&snapshot.name),
            check: Some(&outline.id),
            since_ms: now_ms - 30 * 86_400_000,
            before: None,
            limit: RESULTS_PER_CHECK,
        };
        let results = store.results(&query)?;
        checks.push(check_view(outline, &results, now_ms));
    }
    let status = checks.iter().map(|c| c.status.as_str()).max_by_key(|s| severity(s)).unwrap_or("none").to_string();
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

fn check_view(outline: CheckOutline, results: &[ResultRow], now_ms: i64) -> CheckView {
    let latest = results.first();
    let status = latest.map_or_else(|| "none".to_string(), |r| r.status.clone());
    let since_ms = latest
        .map(|l| results.iter().take_while(|r| r.status == l.status).last().map_or(l.started_ms, |r| r.started_ms));
    let uptime = uptime::WINDOWS
        .iter()
        .map(|(label, window)| ((*label).to_string(), uptime::percent(results, *window, now_ms)))
        .collect();
    let step = (results.len() / LATENCY_POINTS).max(1);
    let mut latency: Vec<(i64, i64)> =
        results.iter().step_by(step).take(LATENCY_POINTS).map(|r| (r.started_ms, r.duration_ms)).collect();
    latency.reverse();
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
        bar: bar(results, now_ms),
    }
}

/// The worst status in each half hour of the last day, oldest first (`none` where no
/// result fell).
fn bar(results: &[ResultRow], now_ms: i64) -> Vec<String> {
    const SLOT: i64 = 1_800_000;
    let mut slots = vec!["none"; 48];
    for result in results.iter().take_while(|r| r.started_ms > now_ms - 48 * SLOT) {
        let index = 47 - ((now_ms - result.started_ms).max(0) / SLOT).min(47) as usize;
        if severity(&result.status) > severity(slots[index]) {
            slots[index] = result.status.as_str();
        }
    }
    slots.into_iter().map(str::to_string).collect()
}

/// Unix ms as RFC 3339, to the second.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms - ms.rem_euclid(1000)).map(|t| t.to_string()).unwrap_or_default()
}

/// `3h 5m` since `then_ms`.
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    crate::duration::format(std::time::Duration::from_millis((now_ms - then_ms).max(0) as u64))
}
