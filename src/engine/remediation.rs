//! Remediation: when a check fails the way `remediate.when` says, for `after` runs in a
//! row, run its actions, wait `settle`, and verify by running the check again — inside
//! guard rails that make it safe to leave on at night:
//!
//! - at most `max_attempts` remediations `within` a window, counted across runs and
//!   processes (the audit in the store), and no closer together than `cooldown`; once
//!   the guard is spent, the result says "remediation exhausted" and monitoring goes on;
//! - one remediation per check at a time, even between the daemon and a manual run (a
//!   lock file per check);
//! - every remediation that ran is audited (actions with exit codes and output, verify
//!   result, guard state, origin), and its actions are recorded as runner's own, so that
//!   the restarts they cause are not counted as crashes;
//! - a dry run prints the plan with the guard's state and runs nothing.

use std::time::Duration;

use super::check::CheckRun;
use crate::outcome::{ActionResult, CheckResult, Origin, RemediationOutcome, Status};
use crate::playbook::{Remediate, RemediateWhen, default};
use crate::store::remediations::RemediationRow;

/// What the run asks of remediation.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    pub dry_run: bool,
    pub origin: Origin,
}

/// Does this status trigger the remediation?
fn triggers(when: RemediateWhen, status: Status) -> bool {
    match when {
        RemediateWhen::Critical => status == Status::Critical,
        RemediateWhen::Warning => matches!(status, Status::Warning | Status::Unknown | Status::Critical),
    }
}

fn now_ms() -> i64 {
    crate::clock::now().as_millisecond()
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

fn outcome(result: &str, attempt: u32, max_attempts: u32, message: String) -> RemediationOutcome {
    RemediationOutcome { result: result.into(), attempt, max_attempts, message: crate::secret::scrub_owned(message) }
}

/// The commands of a remediation, for people: `systemctl restart api; sleep 5s`.
fn plan(config: &Remediate) -> String {
    config.actions.iter().map(|a| a.describe()).collect::<Vec<_>>().join("; ")
}

/// Remediates a finished check if its result calls for it; returns the result to report
/// (the verify result when a remediation ran and verified).
///
/// `gate` is what quiet times say (`quiet::remediation_gate`): the streak counts either
/// way, but a gated remediation that is due does not start.
pub async fn apply(
    run: &CheckRun<'_>,
    result: CheckResult,
    mode: Mode,
    run_id: &str,
    gate: &crate::quiet::RemediationGate,
) -> CheckResult {
    let Some(config) = &run.check.remediate else { return result };
    let playbook = run.loaded.playbook.name.as_str();
    let check = run.check.id.as_str();
    let state = &run.engine.probes.state;
    let streak_key = crate::probe::state::StateKey::new(playbook, check, "remediate-streak");

    if !result.status.counts() {
        return result;
    }
    if !triggers(config.when.unwrap_or_default(), result.status) {
        state.save(&streak_key, "0");
        return result;
    }
    let streak: u32 = state.load(&streak_key).and_then(|s| s.parse().ok()).unwrap_or(0) + 1;
    state.save(&streak_key, &streak.to_string());
    let after = config.after.unwrap_or(default::REMEDIATE_AFTER).max(1);
    let max_attempts = config.max_attempts.unwrap_or(default::MAX_ATTEMPTS).max(1);
    let within = config.within.map(|d| d.get()).unwrap_or(default::WITHIN);
    let mut result = result;
    if streak < after {
        result.message = format!("{}; remediation after {after} failing runs ({streak} so far)", result.message);
        return result;
    }
    // Quiet times: the streak above counted; the remediation does not start. The check's
    // message is left alone (quiet times never change what a run says it saw).
    match gate {
        crate::quiet::RemediationGate::Run => {}
        crate::quiet::RemediationGate::NotStarted(why) => {
            result.remediation = Some(outcome("not_started", 0, max_attempts, why.clone()));
            return result;
        }
        crate::quiet::RemediationGate::Held(why) => {
            result.remediation = Some(outcome("held", 0, max_attempts, why.clone()));
            return result;
        }
    }

    // The guard, from the audit.
    let now = now_ms();
    let (p, c) = (playbook.to_string(), check.to_string());
    let since = now - within.as_millis() as i64;
    let times = match run.engine.journal.clone() {
        Some(journal) => {
            tokio::task::spawn_blocking(move || journal.remediation_times(&p, &c, since)).await.unwrap_or_default()
        }
        // A dry run before the store exists: nothing has been remediated yet, and the
        // plan says what the first real run would do.
        None if mode.dry_run && run.engine.lock_dir.is_some() => Vec::new(),
        None => {
            let message = "remediation needs the state store (this run keeps no state: --no-store)".to_string();
            result.remediation = Some(outcome("skipped", 0, max_attempts, message));
            return result;
        }
    };
    let used = times.len() as u32;
    let window = crate::duration::format(within);
    if used >= max_attempts {
        let message = format!("remediation exhausted ({used} of {max_attempts} within {window})");
        result.message = format!("{}; {message}", result.message);
        result.remediation = Some(outcome("exhausted", used, max_attempts, message));
        return result;
    }
    if let (Some(cooldown), Some(last)) = (config.cooldown.filter(|c| !c.get().is_zero()), times.last()) {
        let ready = last + cooldown.get().as_millis() as i64;
        if now < ready {
            let wait = crate::duration::format(Duration::from_millis((ready - now) as u64));
            let message = format!("remediation waits for its cooldown ({wait} left)");
            result.message = format!("{}; {message}", result.message);
            result.remediation = Some(outcome("cooldown", used, max_attempts, message));
            return result;
        }
    }
    let attempt = used + 1;
    let guard = format!("attempt {attempt} of {max_attempts} within {window}");
    if mode.dry_run {
        let message = format!("would run `{}`: {guard}", plan(config));
        result.remediation = Some(outcome("planned", attempt, max_attempts, message));
        return result;
    }
    // Not a dry run: the store is open whenever the guard could be read above.
    let Some(journal) = run.engine.journal.clone() else {
        let message = "remediation needs the state store".to_string();
        result.remediation = Some(outcome("skipped", used, max_attempts, message));
        return result;
    };

    // One at a time per check, across processes.
    let _lock = match &run.engine.lock_dir {
        Some(dir) => match crate::lock::acquire(dir, &format!("remediate-{playbook}-{check}")) {
            Ok(lock) => Some(lock),
            Err(crate::error::Error::Locked { .. }) => {
                let message = "another remediation of this check is in progress".to_string();
                result.remediation = Some(outcome("busy", used, max_attempts, message));
                return result;
            }
            Err(_) => None,
        },
        None => None,
    };

    tracing::warn!(target: "runner::remediation", playbook, check, attempt, max_attempts, "remediating");
    let started = now_ms();
    let mut actions: Vec<ActionResult> = Vec::new();
    for action in &config.actions {
        let action_started = now_ms();
        let done = super::action::run(action, &run.loaded.playbook, &run.loaded.base_dir, run.engine).await;
        let failed = done.failed();
        let (journal, p, what) = (journal.clone(), playbook.to_string(), done.action.clone());
        let action_finished = now_ms();
        let _ = tokio::task::spawn_blocking(move || journal.record_action(&p, &what, action_started, action_finished))
            .await;
        actions.push(done);
        if failed {
            break;
        }
    }
    let failed_action = actions.iter().find(|a| a.failed()).cloned();
    let verify = config.verify.unwrap_or(true);
    let (final_result, verdict, verify_line) = match (&failed_action, verify) {
        (Some(action), _) => {
            let message = format!("remediation failed: `{}` {} ({guard})", action.action, action.message);
            (result.clone(), ("failed", message), None)
        }
        (None, false) => {
            let message = format!("remediation ran `{}`, not verified ({guard})", plan(config));
            (result.clone(), ("unverified", message), None)
        }
        (None, true) => {
            if let Some(settle) = config.settle.map(|d| d.get()).filter(|d| !d.is_zero()) {
                tokio::time::sleep(settle).await;
            }
            let verified = run.execute().await;
            let line = format!("{}: {}", verified.status.label(), verified.message);
            if verified.status == Status::Ok {
                let message = format!("fixed by remediation: ran `{}`, verified OK ({guard})", plan(config));
                state.save(&streak_key, "0");
                (verified, ("fixed", message), Some(line))
            } else {
                let message = format!(
                    "remediation ran `{}` but the check is still {} ({guard})",
                    plan(config),
                    verified.status.label()
                );
                (verified, ("failed", message), Some(line))
            }
        }
    };
    let finished = now_ms();
    let row = RemediationRow {
        playbook: playbook.to_string(),
        check: check.to_string(),
        run_id: Some(run_id.to_string()),
        started_at: time(started),
        finished_at: time(finished),
        trigger: result.status.name().to_string(),
        result: verdict.0.to_string(),
        attempt,
        max_attempts,
        origin: match mode.origin {
            Origin::Manual => "manual".into(),
            Origin::Daemon => "daemon".into(),
        },
        actions: actions.clone(),
        verify: verify_line.map(crate::secret::scrub_owned),
        guard: guard.clone(),
    };
    {
        let journal = journal.clone();
        let _ = tokio::task::spawn_blocking(move || journal.record_remediation(&row)).await;
    }
    let mut reported = final_result;
    reported.remediation = Some(outcome(verdict.0, attempt, max_attempts, verdict.1.clone()));
    if verdict.0 != "fixed" {
        reported.message = format!("{}; {}", reported.message, verdict.1);
    }
    for action in &actions {
        reported.details.push(crate::secret::scrub_owned(format!(
            "remediation action `{}`: {} {}",
            action.action,
            action.message,
            action.output.trim()
        )));
    }
    reported
}
