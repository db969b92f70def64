//! What the daemon says about itself, over HTTP (`--listen`): `/healthz` (503 when the
//! scheduling loop has not ticked recently, a playbook is overdue beyond its grace, the
//! store cannot be written, or there is nothing to watch),
//! `/metrics` (Prometheus text) and `/status` (JSON). The loop updates a shared
//! [`Liveness`] on every tick; the HTTP server (`crate::web`) only reads it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::outcome::CheckResult;
use crate::output::prometheus::{self, Exposition, label};

/// A per-playbook gauge: (name, help, how to read it).
type Gauge = (&'static str, &'static str, fn(&PlaybookView) -> Option<f64>);

/// One scheduled playbook, as the daemon sees it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlaybookView {
    pub name: String,
    pub file: String,
    pub schedule: String,
    pub timezone: String,
    pub grace_ms: u64,
    pub next_fire: Option<String>,
    pub last_run: Option<String>,
    pub last_status: Option<String>,
    pub last_success: Option<String>,
    pub running: bool,
    pub runs: BTreeMap<String, u64>,
    pub missed: BTreeMap<String, u64>,
    /// The last reload of its file failed: the last good version keeps running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload_problem: Option<String>,
    /// The last run's checks.
    #[serde(skip)]
    pub checks: Vec<CheckResult>,
}

/// A file that is not scheduled because it is invalid.
#[derive(Clone, Debug, Serialize)]
pub struct InvalidView {
    pub file: String,
    pub errors: Vec<String>,
}

/// The daemon's state for the outside world.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Liveness {
    pub started_at: String,
    pub last_tick: Option<String>,
    #[serde(skip)]
    pub last_tick_at: Option<Timestamp>,
    /// The loop's longest nap (a tick is overdue after a few of these).
    #[serde(skip)]
    pub nap: Duration,
    pub clock_jumps_forward: u64,
    pub clock_jumps_backward: u64,
    pub playbooks: Vec<PlaybookView>,
    pub invalid: Vec<InvalidView>,
    pub stopping: bool,
    /// Queued notifications this daemon cannot deliver (their playbook file is gone or
    /// does not load here, or their webhook variable is unset here).
    pub undeliverable: Vec<crate::store::alerts::Undeliverable>,
    /// Why no playbook is scheduled (no readable path, no playbook file, none valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nothing_to_watch: Option<String>,
    /// Whether the store takes writes, and what waits for it.
    pub store: crate::store::backlog::StoreHealth,
    /// Hosts of the fleet that have fallen silent (host, last heard as RFC 3339), when
    /// the store is shared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silent_hosts: Vec<(String, String)>,
    /// The alert streams of channels with `flapping:`, as last stored.
    #[serde(skip)]
    pub flapping: Vec<crate::store::alerts::StateRow>,
}

pub type Shared = Arc<Mutex<Liveness>>;

/// `/healthz`: (status code, body).
pub fn health(live: &Liveness, now: Timestamp) -> (u16, String) {
    let mut problems = Vec::new();
    let stall = (live.nap * 3).max(Duration::from_secs(45));
    match live.last_tick_at {
        None => problems.push("the scheduling loop has not ticked yet".to_string()),
        Some(tick) if (now.as_millisecond() - tick.as_millisecond()) as u128 > stall.as_millis() => {
            problems.push(format!("the scheduling loop has not ticked for {}", ago(tick, now)));
        }
        _ => {}
    }
    if let Some(reason) = &live.nothing_to_watch {
        problems.push(format!("nothing to watch: {reason}"));
    }
    if let Some(reason) = &live.store.problem {
        problems.push(format!(
            "the store cannot be written: {reason} ({} run{} kept in memory, {} dropped)",
            live.store.waiting,
            if live.store.waiting == 1 { "" } else { "s" },
            live.store.dropped
        ));
    }
    for playbook in &live.playbooks {
        let Some(next) = playbook.next_fire.as_ref().and_then(|n| n.parse::<Timestamp>().ok()) else { continue };
        let overdue = now.as_millisecond() - next.as_millisecond() - playbook.grace_ms as i64;
        if overdue > 0 && !playbook.running {
            problems.push(format!("`{}` is overdue: its fire at {next} has not run", playbook.name));
        }
    }
    for message in &live.undeliverable {
        problems.push(format!(
            "notification {}/{} cannot be delivered here: {} ({})",
            message.playbook, message.channel, message.reason, message.summary
        ));
    }
    let mut body = String::new();
    let fleet_lines: Vec<String> = live
        .silent_hosts
        .iter()
        .map(|(host, heard)| format!("fleet: runner on {host} is silent (last heard {heard})\n"))
        .collect();
    if problems.is_empty() {
        body.push_str("ok\n");
    } else {
        for problem in &problems {
            body.push_str(&format!("unhealthy: {problem}\n"));
        }
    }
    for line in &fleet_lines {
        body.push_str(line);
    }
    for invalid in &live.invalid {
        body.push_str(&format!(
            "invalid, not scheduled: {} ({} error{})\n",
            invalid.file,
            invalid.errors.len(),
            if invalid.errors.len() == 1 { "" } else { "s" }
        ));
    }
    for playbook in live.playbooks.iter().filter(|p| p.reload_problem.is_some()) {
        body.push_str(&format!(
            "`{}` runs its last good version: {}\n",
            playbook.name,
            playbook.reload_problem.as_deref().unwrap_or("")
        ));
    }
    (if problems.is_empty() { 200 } else { 503 }, body)
}

fn ago(then: Timestamp, now: Timestamp) -> String {
    crate::duration::format(Duration::from_millis((now.as_millisecond() - then.as_millisecond()).max(0) as u64))
}

fn seconds(text: &Option<String>) -> Option<f64> {
    text.as_deref().and_then(prometheus::unix_seconds)
}

/// `/metrics`: Prometheus text exposition, named by the Prometheus naming guide:
/// `runner_build_info`, the process's own `process_*`, the loop's `runner_daemon_*`, and
/// the last run's checks with the same families as `run --format prometheus`.
pub fn metrics(live: &Liveness) -> String {
    let mut out = Exposition::default();
    prometheus::build_info(&mut out);
    super::self_metrics::process_samples(&mut out);
    out.sample(
        "runner_daemon_last_tick_timestamp_seconds",
        "When the scheduling loop last ticked.",
        "gauge",
        "",
        seconds(&live.last_tick).unwrap_or(0.0),
    );
    for (direction, jumps) in [("forward", live.clock_jumps_forward), ("backward", live.clock_jumps_backward)] {
        out.sample(
            "runner_daemon_clock_jumps_total",
            "Wall-clock jumps the loop noticed (forward: suspend or a step ahead).",
            "counter",
            &format!("direction=\"{direction}\""),
            jumps as f64,
        );
    }
    for (state, count) in [("scheduled", live.playbooks.len()), ("invalid", live.invalid.len())] {
        out.sample(
            "runner_daemon_playbooks",
            "Playbooks by state.",
            "gauge",
            &format!("state=\"{state}\""),
            count as f64,
        );
    }
    out.sample(
        "runner_store_write_failures_total",
        "Writes the state store refused (a full or read-only disk).",
        "counter",
        "",
        live.store.write_failures as f64,
    );
    let per_playbook: [Gauge; 3] = [
        ("runner_daemon_last_run_timestamp_seconds", "When the playbook last ran.", |p| seconds(&p.last_run)),
        ("runner_daemon_last_success_timestamp_seconds", "When the playbook last ran OK.", |p| {
            seconds(&p.last_success)
        }),
        ("runner_daemon_next_fire_timestamp_seconds", "The playbook's next scheduled fire.", |p| seconds(&p.next_fire)),
    ];
    for (name, help, value) in per_playbook {
        out.declare(name, help, "gauge");
        for playbook in &live.playbooks {
            if let Some(v) = value(playbook) {
                out.sample(name, help, "gauge", &format!("playbook=\"{}\"", label(&playbook.name)), v);
            }
        }
    }
    for playbook in &live.playbooks {
        let pb = label(&playbook.name);
        out.sample(
            "runner_daemon_running",
            "1 while a run of the playbook is in progress.",
            "gauge",
            &format!("playbook=\"{pb}\""),
            f64::from(u8::from(playbook.running)),
        );
        for status in ["ok", "warning", "critical", "unknown"] {
            out.sample(
                "runner_daemon_runs_total",
                "Runs since the daemon started, by status.",
                "counter",
                &format!("playbook=\"{pb}\",status=\"{status}\""),
                playbook.runs.get(status).copied().unwrap_or(0) as f64,
            );
        }
        for reason in ["late", "overlap", "locked", "shutdown"] {
            out.sample(
                "runner_daemon_missed_fires_total",
                "Scheduled fires that did not run, by reason.",
                "counter",
                &format!("playbook=\"{pb}\",reason=\"{reason}\""),
                playbook.missed.get(reason).copied().unwrap_or(0) as f64,
            );
        }
    }
    flapping_samples(&mut out, &live.flapping);
    for playbook in &live.playbooks {
        let ran_at = seconds(&playbook.last_run).unwrap_or(0.0);
        for check in &playbook.checks {
            prometheus::check_samples(&mut out, &playbook.name, check, ran_at);
        }
    }
    out.render()
}

/// Per check (stream) and channel with `flapping:`: whether it flaps, and its percent.
fn flapping_samples(out: &mut Exposition, rows: &[crate::store::alerts::StateRow]) {
    for row in rows {
        let Some(flap) = &row.state.flap else { continue };
        let labels = format!(
            "playbook=\"{}\",channel=\"{}\",check=\"{}\"",
            label(&row.playbook),
            label(&row.channel),
            label(&row.stream)
        );
        out.sample(
            "runner_alert_flapping",
            "1 while the check is flapping on the channel (its messages held).",
            "gauge",
            &labels,
            f64::from(u8::from(flap.flapping)),
        );
        out.sample(
            "runner_alert_flap_percent",
            "The check's weighted share of state changes over the channel's flapping window.",
            "gauge",
            &labels,
            flap.percent,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(last_tick: &str, next: &str) -> Liveness {
        Liveness {
            last_tick_at: Some(last_tick.parse().unwrap()),
            last_tick: Some(last_tick.into()),
            nap: Duration::from_secs(15),
            playbooks: vec![PlaybookView {
                name: "hb".into(),
                next_fire: Some(next.into()),
                grace_ms: 60_000,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn flapping_is_a_gauge_per_check_and_channel() {
        let mut live = live("2026-11-22T09:59:50Z", "2026-11-22T10:04:00Z");
        let flap = crate::quiet::flapping::FlapState { flapping: true, recent: Vec::new(), percent: 61.25 };
        live.flapping = vec![crate::store::alerts::StateRow {
            playbook: "hb".into(),
            channel: "ops".into(),
            stream: "api".into(),
            state: crate::alert::policy::AlertState { flap: Some(flap), ..Default::default() },
        }];
        let text = metrics(&live);
        assert!(text.contains("runner_alert_flapping{playbook=\"hb\",channel=\"ops\",check=\"api\"} 1\n"), "{text}");
        assert!(
            text.contains("runner_alert_flap_percent{playbook=\"hb\",channel=\"ops\",check=\"api\"} 61.25\n"),
            "{text}"
        );
    }

    #[test]
    fn healthy_stalled_and_overdue() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(health(&live("2026-11-22T09:59:50Z", "2026-11-22T10:04:00Z"), now).0, 200);
        let (code, body) = health(&live("2026-11-22T09:58:00Z", "2026-11-22T10:04:00Z"), now);
        assert_eq!(code, 503);
        assert!(body.contains("has not ticked for 2m"), "{body}");
        let (code, body) = health(&live("2026-11-22T09:59:55Z", "2026-11-22T09:58:30Z"), now);
        assert_eq!(code, 503);
        assert!(body.contains("`hb` is overdue"), "{body}");
        // Within grace is not overdue yet.
        assert_eq!(health(&live("2026-11-22T09:59:55Z", "2026-11-22T09:59:30Z"), now).0, 200);
    }

    #[test]
    fn a_blind_daemon_is_unhealthy_and_says_why() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut blind = live("2026-11-22T09:59:50Z", "2026-11-22T10:04:00Z");
        blind.store.problem = Some("no space left on device".into());
        blind.store.waiting = 3;
        let (code, body) = health(&blind, now);
        assert_eq!(code, 503);
        assert!(body.contains("the store cannot be written: no space left on device (3 runs kept in memory"), "{body}");
        let mut idle = live("2026-11-22T09:59:50Z", "2026-11-22T10:04:00Z");
        idle.nothing_to_watch = Some("no playbook file in p".into());
        let (code, body) = health(&idle, now);
        assert_eq!(code, 503);
        assert!(body.contains("nothing to watch: no playbook file in p"), "{body}");
    }
}
