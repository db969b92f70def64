//! `runner alerts [NAME]`: the current alert state per channel and stream, what waits
//! in the outbox, and which waiting messages a host said it cannot deliver.

use std::io::Write;

use crate::cli::{AlertsArgs, Cli};
use crate::store::Store;
use crate::style::Style;

pub fn run(cli: &Cli, args: &AlertsArgs) -> crate::error::Result<i32> {
    let dir = super::run::state_dir(cli.state.as_deref());
    let Some(store) = crate::store::open_read_only(&dir)? else {
        if let Some(name) = args.name.as_deref() {
            return Err(crate::error::Error::Usage(format!(
                "no playbook `{name}`: the store in {} is empty",
                dir.display()
            )));
        }
        super::print_stdout(&format!("no alert state yet in {}\n", dir.display()))?;
        return Ok(0);
    };
    let name = args.name.as_deref();
    if let Some(name) = name {
        known_playbook(store.as_ref(), name)?;
    }
    let states = store.all_alert_states(name)?;
    let style = Style::for_stdout();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if states.is_empty() {
        let _ = writeln!(out, "no alert state{}", name.map(|n| format!(" for `{n}`")).unwrap_or_default());
    }
    let width = states.iter().map(|s| s.playbook.len() + s.channel.len() + s.stream.len() + 2).max().unwrap_or(0);
    for row in &states {
        let key = format!("{}/{}/{}", row.playbook, row.channel, row.stream);
        let state = &row.state;
        let status = state.status.map(|s| s.label()).unwrap_or("-");
        let open = match (state.notified, state.notified_ms) {
            (Some(notified), Some(ms)) => format!("ALERTING ({} alert raised {})", notified.label(), ago(ms)),
            _ if state.streak > 0 => {
                format!("failing, not yet alerted ({} run{})", state.streak, if state.streak == 1 { "" } else { "s" })
            }
            _ => "quiet".to_string(),
        };
        let since = state.since_ms.map(|ms| format!(", failing since {}", ago(ms))).unwrap_or_default();
        let flap = match &state.flap {
            Some(flap) if flap.flapping => format!(", FLAPPING ({:.1}% state changes)", flap.percent),
            Some(flap) => format!(", not flapping ({:.1}%)", flap.percent),
            None => String::new(),
        };
        let line = format!("{key:<width$}  {status:<8}  streak {:<3} {open}{since}{flap}", state.streak);
        let line = if state.notified.is_some() { style.red(&line) } else { line };
        let _ = writeln!(out, "{line}");
    }
    quiet_times(&mut out, store.as_ref(), name)?;
    let pending = store.pending_count(name)?;
    let _ = writeln!(out);
    // The count and the listing are one set: what waits to be sent (a grouped member is
    // sent inside its group's digest, which is counted; delivered and dropped are not).
    let _ = writeln!(
        out,
        "outbox: {pending} message{} waiting to be sent (not delivered, not dropped; a group's digest counts once)",
        if pending == 1 { "" } else { "s" }
    );
    let waiting = store.waiting_messages(name, LISTED)?;
    for message in &waiting {
        let due = crate::clock::local_display(message.due_ms);
        let _ = writeln!(
            out,
            "  {}: {} (attempts {}, next {due}{})",
            message.channel,
            message.summary,
            message.attempts,
            message.last_error.as_ref().map(|e| format!(", last error: {e}")).unwrap_or_default()
        );
    }
    if pending > waiting.len() as i64 {
        let _ = writeln!(out, "  … and {} more", pending - waiting.len() as i64);
    }
    let here = crate::host::id();
    for message in store.undeliverable(name)? {
        let place = if message.host == here { format!("here ({here})") } else { format!("on {}", message.host) };
        let _ = writeln!(
            out,
            "  undeliverable {place}: {}/{}: {}: {} (noted {})",
            message.playbook,
            message.channel,
            message.summary,
            message.reason,
            ago(message.noted_ms)
        );
    }
    Ok(0)
}

/// How many waiting messages are listed under the count.
const LISTED: i64 = 10;

/// A playbook this store knows nothing of is a usage error with the closest name.
fn known_playbook(store: &dyn Store, name: &str) -> crate::error::Result<()> {
    let mut names: Vec<String> = store.known_checks()?.into_iter().map(|(playbook, _)| playbook).collect();
    names.extend(store.uptime_playbooks()?);
    names.sort();
    names.dedup();
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    let hint = crate::playbook::suggest::did_you_mean(name, names.iter().map(String::as_str))
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(crate::error::Error::Usage(format!("no playbook `{name}` in the store{hint}")))
}

fn ago(ms: i64) -> String {
    let seconds = ((crate::clock::now().as_millisecond() - ms) / 1000).max(0) as u64;
    format!("{} ago", crate::duration::format(std::time::Duration::from_secs(seconds)))
}

/// The silences in force (that touch `name`), and the latest decisions that something
/// held back, with their reasons.
fn quiet_times(out: &mut impl Write, store: &dyn Store, name: Option<&str>) -> crate::error::Result<()> {
    let now = crate::clock::now_ms();
    let silences: Vec<_> = store
        .silences(now, false)?
        .into_iter()
        .filter(|s| name.is_none_or(|n| s.playbook.as_deref().is_none_or(|p| p == n)))
        .collect();
    if !silences.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "silences in force:");
    }
    for silence in &silences {
        let until = crate::clock::local_display(silence.expires_ms);
        let until_ok = if silence.until_ok { " or each check's first OK" } else { "" };
        let _ = writeln!(
            out,
            "  {} {} until {until}{until_ok}, by {}: {}",
            silence.id,
            silence.scope(),
            silence.maker,
            silence.reason
        );
    }
    let held: Vec<_> = store.latest_decisions(name)?.into_iter().filter(|(_, _, d)| !d.reasons.is_empty()).collect();
    if !held.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "held at the latest run:");
    }
    for (playbook, _, decision) in held {
        let _ = writeln!(out, "  {playbook}/{}/{}: {}", decision.channel, decision.check, decision.reasons.join(", "));
    }
    Ok(())
}
