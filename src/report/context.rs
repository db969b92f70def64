//! The template context of a run: what report templates, report paths and notification
//! bodies see. Documented in docs/playbook-reference.md ("Report"); keep the two in step.
//!
//! - `playbook`: name, description, file, tags, schedule, timezone
//! - `run`: id, started_at, finished_at, duration_ms, status, exit_code, origin, dry_run,
//!   stands_for, notes
//! - `phases`: id, name, status, actions, duration_ms, message
//! - `checks`: id, name, phase, kind, status, message, metrics, attempts, duration_ms,
//!   details, remediation, runbook, tags
//! - `summary`: total and a count per status
//! - `remediations`: the checks that were remediated (check, result, attempt,
//!   max_attempts, message)
//! - `uptime` (reports only, with a store): the playbook's and each check's uptime over
//!   the last 30 days (`report::uptime`)
//! - `decisions`: per check and channel, the message sent (or none) and every reason
//!   that held it back
//! - `silences`: the silences that held a result of this run (id, reason, checks)
//! - `vars`, `env`

use minijinja::Value;
use serde_json::json;

use crate::outcome::RunRecord;
use crate::playbook::Loaded;

/// The playbook's timezone (for `strftime`): its schedule's, else the machine's.
pub fn zone(loaded: &Loaded) -> jiff::tz::TimeZone {
    loaded
        .playbook
        .schedule
        .as_ref()
        .and_then(|s| s.timezone.as_ref())
        .and_then(|t| jiff::tz::TimeZone::get(t.as_str()).ok())
        .unwrap_or_else(jiff::tz::TimeZone::system)
}

/// The context as JSON (without `env`, which is looked up lazily).
pub fn json(record: &RunRecord, loaded: &Loaded) -> serde_json::Value {
    let playbook = &loaded.playbook;
    let schedule = playbook.schedule.as_ref();
    let remediations: Vec<serde_json::Value> = record
        .checks
        .iter()
        .filter_map(|c| {
            c.remediation.as_ref().map(|r| {
                json!({"check": c.id, "result": r.result, "attempt": r.attempt, "max_attempts": r.max_attempts, "message": r.message})
            })
        })
        .collect();
    json!({
        "playbook": {
            "name": playbook.name.as_str(),
            "description": playbook.description.as_ref().map(|d| d.to_string()),
            "file": record.file,
            "tags": playbook.tags.clone().unwrap_or_default(),
            "schedule": schedule.map(|s| s.cron.as_str().to_string()),
            "timezone": schedule.and_then(|s| s.timezone.as_ref()).map(|t| t.as_str().to_string()),
        },
        "run": {
            "id": record.id,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "duration_ms": record.duration_ms,
            "status": record.status,
            "exit_code": record.exit_code,
            "origin": record.origin,
            "dry_run": record.dry_run,
            "stands_for": record.stands_for,
            "notes": record.notes,
        },
        "phases": record.phases,
        "checks": record.checks,
        "summary": record.summary,
        "remediations": remediations,
        "decisions": record.decisions,
        "silences": silences_of(record),
        "vars": playbook.vars.clone().unwrap_or_default(),
    })
}

/// The context for minijinja, with `env`.
pub fn value(record: &RunRecord, loaded: &Loaded) -> Value {
    value_with(record, loaded, None)
}

/// [`value`], with `uptime` when there is one (a report's context).
pub fn value_with(record: &RunRecord, loaded: &Loaded, uptime: Option<&serde_json::Value>) -> Value {
    let base = Value::from(minijinja::value::Serde(json(record, loaded)));
    let env = crate::playbook::interpolate::env_object(crate::playbook::interpolate::process_env());
    match uptime {
        Some(uptime) => {
            let uptime = Value::from(minijinja::value::Serde(uptime.clone()));
            minijinja::context! { env => env, uptime => uptime, ..base }
        }
        None => minijinja::context! { env => env, ..base },
    }
}

/// The silences that held a result of this run: id, reason and the checks they held.
fn silences_of(record: &RunRecord) -> Vec<serde_json::Value> {
    let mut found: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
    for check in &record.checks {
        for hold in check.holds.iter() {
            if let crate::quiet::Hold::Silenced { id, note } = hold {
                match found.iter_mut().find(|(known, _, _)| known == id) {
                    Some((_, _, checks)) => checks.push(check.id.clone()),
                    None => found.push((id.clone(), note.clone(), vec![check.id.clone()])),
                }
            }
        }
    }
    found.into_iter().map(|(id, reason, checks)| json!({"id": id, "reason": reason, "checks": checks})).collect()
}
