//! One check, start to finish: attempts under a hard timeout, retries with a delay,
//! thresholds and severity, into a [`CheckResult`].
//!
//! A failing check is data, never an error. Everything a result says passes the secret
//! scrubber here, once, so that every later view of it (outputs, store, reports,
//! notifications) is clean.

use std::time::Instant;

use super::context::Engine;
use crate::outcome::{CheckResult, Observation, Status, Verdict, format_number};
use crate::playbook::{Check, Loaded, Phase};
use crate::probe::context::ProbeContext;
use crate::secret::scrub_owned;
use crate::style::printable;
use crate::threshold;

/// What the engine needs to run one check.
pub struct CheckRun<'a> {
    pub engine: &'a Engine,
    pub loaded: &'a Loaded,
    pub phase: Option<&'a Phase>,
    pub check: &'a Check,
    pub runner_intervals: Vec<crate::checks::restarts::Interval>,
}

impl CheckRun<'_> {
    /// Runs the attempts and evaluates the last one.
    pub async fn execute(&self) -> CheckResult {
        let playbook = &self.loaded.playbook;
        let check = self.check;
        let started = Instant::now();
        let Some(kind) = check.kind() else {
            return self.result(Status::Unknown, "the check has no kind".into(), Observation::unknown(""), 0, started);
        };
        let timeout = playbook.check_timeout(check);
        let attempts = playbook.check_retries(check).saturating_add(1);
        let delay = playbook.check_retry_delay(check);
        let wanted: Vec<String> = check.thresholds.iter().flat_map(|t| t.keys().cloned()).collect();

        let mut attempt = 0;
        loop {
            attempt += 1;
            let ctx = ProbeContext {
                services: &self.engine.probes,
                playbook: playbook.name.as_str(),
                check,
                base_dir: &self.loaded.base_dir,
                timeout,
                wanted: wanted.clone(),
                runner_intervals: self.runner_intervals.clone(),
            };
            // The hard limit: whatever the probe does, the attempt ends here, and dropping
            // it kills what it started (process groups, connections).
            let observation = match tokio::time::timeout(timeout, crate::checks::probe(kind, &ctx)).await {
                Ok(observation) => observation,
                Err(_) => Observation::fail(format!("timed out after {}", crate::duration::format(timeout))),
            };
            let (status, message) = self.evaluate(&observation);
            if status == Status::Ok || status == Status::Manual || attempt >= attempts {
                let mut message = message;
                if attempt > 1 {
                    message = format!("{message} (attempt {attempt} of {attempts})");
                }
                return self.result(status, message, observation, attempt, started);
            }
            tracing::debug!(target: "runner::engine", check = check.id.as_str(), attempt, %status, "attempt failed, retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// The status and message of an observation: the probe's verdict, the check's
    /// severity for its own failures, then thresholds (crit first), worst wins.
    pub fn evaluate(&self, observation: &Observation) -> (Status, String) {
        let severity = self.loaded.playbook.check_severity(self.check).status();
        let base = match observation.verdict {
            Verdict::Pass => Status::Ok,
            Verdict::Fail => severity,
            Verdict::Unknown => Status::Unknown,
            Verdict::Is(status) => status,
        };
        if base == Status::Manual {
            return (base, observation.message.clone());
        }
        let mut status = base;
        let mut notes = Vec::new();
        // Thresholds speak about metrics of an answer. When the probe itself failed, its
        // failure is the news and a missing metric adds only noise; but a metric it did
        // measure still counts (a crash-looping service is often down when sampled, and
        // its `restarts` must still make it CRITICAL).
        let probe_answered = matches!(observation.verdict, Verdict::Pass | Verdict::Is(_));
        if observation.verdict != Verdict::Unknown {
            for (metric, limits) in self.check.thresholds.iter().flatten() {
                let warn = limits.warn.and_then(|c| c.condition());
                let crit = limits.crit.and_then(|c| c.condition());
                match observation.metrics.get(metric) {
                    None if !probe_answered => {}
                    None => {
                        status = status.worst(Status::Unknown);
                        notes.push(format!("no metric `{metric}`"));
                    }
                    // NaN compares false with everything: it would pass every threshold.
                    Some(value) if value.is_nan() => {
                        status = status.worst(Status::Unknown);
                        notes.push(format!("`{metric}` is not a number (NaN)"));
                    }
                    Some(value) => {
                        let verdict = threshold::evaluate(*value, warn.as_ref(), crit.as_ref());
                        if verdict != Status::Ok {
                            let condition = if verdict == Status::Critical { crit } else { warn };
                            let label = if verdict == Status::Critical { "crit" } else { "warn" };
                            notes.push(format!(
                                "{metric} = {} ({label} {})",
                                format_number(*value),
                                condition.map(|c| c.to_string()).unwrap_or_default()
                            ));
                            status = status.worst(verdict);
                        }
                    }
                }
            }
        }
        let message = if notes.is_empty() {
            observation.message.clone()
        } else if observation.message.is_empty() {
            notes.join("; ")
        } else {
            format!("{}; {}", notes.join("; "), observation.message)
        };
        (status, message)
    }

    fn result(
        &self,
        status: Status,
        message: String,
        observation: Observation,
        attempts: u32,
        started: Instant,
    ) -> CheckResult {
        let check = self.check;
        let Observation { metrics, mut meta, details, .. } = observation;
        // The playbook's thresholds travel with the result, as the ranges perfdata carries.
        for (metric, limits) in check.thresholds.iter().flatten() {
            let entry = meta.entry(metric.clone()).or_default();
            if let Some(warn) = limits.warn.and_then(|c| c.condition()) {
                entry.warn = Some(warn.nagios_range());
            }
            if let Some(crit) = limits.crit.and_then(|c| c.condition()) {
                entry.crit = Some(crit.nagios_range());
            }
        }
        CheckResult {
            id: check.id.to_string(),
            name: scrub_owned(check.display_name()),
            phase: self.phase.map(|p| p.id.to_string()),
            kind: check.kind_name().to_string(),
            status,
            message: printable(scrub_owned(message)),
            metrics,
            meta,
            details: details.into_iter().map(|d| printable(scrub_owned(d))).collect(),
            attempts,
            duration_ms: started.elapsed().as_millis() as u64,
            remediation: None,
            runbook: check.runbook.as_ref().map(|r| scrub_owned(r.to_string())),
            tags: self.loaded.playbook.check_tags(check),
            holds: crate::quiet::Holds::default(),
        }
    }

    /// A result for a check that did not run.
    pub fn not_run(&self, status: Status, message: String) -> CheckResult {
        self.result(status, message, Observation::unknown(""), 0, Instant::now())
    }
}
