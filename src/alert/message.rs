//! An alert: what a notifier says, built from a decision and the run. Every notifier
//! renders the same [`Alert`]; the idempotency key lets receivers drop duplicates (delivery
//! is at least once).

use serde::Serialize;

use super::policy::AlertKind;
use crate::outcome::{CheckResult, RunRecord, Status};

/// One message to send.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// `playbook:channel:stream:kind:run-id`: the same decision always has the same key.
    pub idempotency_key: String,
    pub playbook: String,
    pub channel: String,
    /// The check id, or `playbook` for `scope: playbook`.
    pub stream: String,
    pub status: Status,
    /// The status before (escalations), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Status>,
    /// Consecutive failing runs.
    pub streak: u32,
    /// When the problem began (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// One line for people.
    pub title: String,
    /// The details: the check's message (or the failing checks), remediation, runbook.
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    pub run_id: String,
    pub at: String,
}

/// Says, on a flapping message, how much the check flapped and over how many results.
pub fn flapping_text(alert: &mut Alert, percent: f64, window: u32) {
    if matches!(alert.kind, AlertKind::FlappingStarted | AlertKind::FlappingStopped) {
        alert.text = format!("{percent:.1}% weighted state changes over the last {window} results\n{}", alert.text);
    }
}

/// The failing checks of a run that nothing holds back, one line each: a held check's
/// failure is not told (PLAYBOOK.md, "How quiet times decide").
fn failing_lines(record: &RunRecord) -> Vec<String> {
    record
        .checks
        .iter()
        .filter(|c| c.status.is_failing() && c.holds.is_empty())
        .map(|c| format!("{} {}: {}", c.status.label(), c.id, first_line(&c.message)))
        .collect()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Builds the alert for a decision about `stream` (a check, or `None` for the playbook),
/// whose status is `status` (a check's own; for a playbook, the worst nothing holds back).
#[expect(clippy::too_many_arguments, reason = "one alert is made of all of them; a struct would only rename them")]
pub fn build(
    kind: AlertKind,
    record: &RunRecord,
    channel: &str,
    check: Option<&CheckResult>,
    status: Status,
    streak: u32,
    previous: Option<Status>,
    since_ms: Option<i64>,
) -> Alert {
    let stream = check.map(|c| c.id.clone()).unwrap_or_else(|| "playbook".into());
    let subject = match check {
        Some(c) => format!("{}/{}", record.playbook, c.id),
        None => record.playbook.clone(),
    };
    let since = since_ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
    let lasting =
        since.and_then(|s| record.started_at.parse::<jiff::Timestamp>().ok().map(|now| (now, s))).map(|(now, s)| {
            crate::duration::format(std::time::Duration::from_secs((now.as_second() - s.as_second()).max(0) as u64))
        });
    let runs = if streak == 1 { "1 failing run".to_string() } else { format!("{streak} failing runs") };
    let title = match kind {
        AlertKind::Problem => format!("{} {subject} ({runs})", status.label()),
        AlertKind::Escalation => {
            format!("{subject} escalated: {} → {}", previous.map(|p| p.label()).unwrap_or("?"), status.label())
        }
        AlertKind::Reminder => match &lasting {
            Some(d) => format!("{subject} still {} after {d}", status.label()),
            None => format!("{subject} still {}", status.label()),
        },
        AlertKind::Recovery => match &lasting {
            Some(d) => format!("{subject} recovered (OK after {d})"),
            None => format!("{subject} recovered (OK)"),
        },
        AlertKind::Test => format!("test message from runner for {subject}"),
        AlertKind::FlappingStarted => {
            format!("{subject} started flapping ({}); no messages until it settles", status.label())
        }
        AlertKind::FlappingStopped => format!("{subject} stopped flapping: {}", status.label()),
    };
    let mut text = match (kind, check) {
        (AlertKind::Test, _) => "If you can read this, the channel works.".to_string(),
        (_, Some(c)) => first_line(&c.message).to_string(),
        (_, None) if kind == AlertKind::Recovery => record.summary.sentence(),
        (_, None) => failing_lines(record).join("\n"),
    };
    if let Some(remediation) = check.and_then(|c| c.remediation.as_ref()) {
        text.push_str(&format!("\nremediation: {}", remediation.message));
    }
    if check.is_none() && kind != AlertKind::Test {
        for c in record.checks.iter().filter(|c| c.remediation.is_some()) {
            text.push_str(&format!(
                "\nremediation of {}: {}",
                c.id,
                c.remediation.as_ref().map(|r| r.message.as_str()).unwrap_or("")
            ));
        }
    }
    let runbook = check.and_then(|c| c.runbook.clone()).filter(|_| kind != AlertKind::Recovery);
    Alert {
        idempotency_key: format!(
            "{}:{channel}:{stream}:{}:{}",
            record.playbook,
            kind.label().to_lowercase(),
            record.id
        ),
        kind,
        playbook: record.playbook.clone(),
        channel: channel.to_string(),
        stream,
        status: if kind == AlertKind::Recovery { Status::Ok } else { status },
        previous,
        streak,
        since: since.map(|s| s.to_string()),
        title: crate::secret::scrub_owned(title),
        text: crate::secret::scrub_owned(text),
        runbook: runbook.map(crate::secret::scrub_owned),
        run_id: record.id.clone(),
        at: record.finished_at.clone(),
    }
}
