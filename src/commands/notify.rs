//! `runner notify test PLAYBOOK CHANNEL`: sends a test message through a playbook's
//! channel, through the outbox like any alert, and says whether it arrived.

use std::sync::Arc;

use crate::alert::message;
use crate::alert::policy::AlertKind;
use crate::cli::{Cli, NotifyArgs, NotifyCommand};
use crate::error::{Error, exit};
use crate::outcome::{Origin, RunRecord, Status, Summary};
use crate::store::alerts::NewMessage;

pub fn run(cli: &Cli, args: &NotifyArgs) -> crate::error::Result<i32> {
    let NotifyCommand::Test { playbook, channel } = &args.command;
    let loaded = Arc::new(super::run::load_for_run(playbook)?);
    let Some(config) = loaded.playbook.notify.iter().flatten().find(|c| c.id.as_str() == channel) else {
        let known: Vec<&str> = loaded.playbook.notify.iter().flatten().map(|c| c.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "playbook `{}` has no channel `{channel}` (its channels: {})",
            loaded.playbook.name,
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        )));
    };
    if crate::alert::is_off(config) {
        eprintln!("channel `{channel}` is off: its URL is empty (set the variable it reads)");
        return Ok(exit::DATA);
    }
    let store = crate::store::open(&super::run::state_dir(cli.state.as_deref()))?;
    let now = crate::clock::now().to_string();
    let record = RunRecord {
        id: crate::engine::new_run_id(),
        playbook: loaded.playbook.name.to_string(),
        description: loaded.playbook.description.as_ref().map(|d| d.to_string()),
        file: loaded.path.display().to_string(),
        origin: Origin::Manual,
        started_at: now.clone(),
        finished_at: now,
        duration_ms: 0,
        status: Status::Ok,
        exit_code: 0,
        dry_run: false,
        phases: Vec::new(),
        checks: Vec::new(),
        summary: Summary::default(),
        stages: Vec::new(),
        notes: Vec::new(),
        stands_for: None,
        scheduled_for: None,
        period_ms: None,
        decisions: Vec::new(),
    };
    let alert = message::build(AlertKind::Test, &record, channel, None, record.status, 0, None, None);
    let body = crate::alert::body(&alert, &record, &loaded, config)?;
    let mut summary = format!("TEST {}", alert.title);
    // A body template that fails to render: the default body goes instead (as for an
    // alert), and the command says so and exits 65 (the playbook's template is wrong).
    let template_error = body.template_error.clone();
    if let Some(error) = &template_error {
        eprintln!("warning: channel `{channel}`: {}", crate::alert::template_note(error));
        summary = format!("{summary}; {}", crate::alert::template_note(error));
    }
    let body = body.text;
    let ids = store.enqueue(&[NewMessage {
        group: None,
        idempotency: alert.idempotency_key.clone(),
        playbook: record.playbook.clone(),
        file: crate::alert::recorded_file(&loaded),
        channel: channel.clone(),
        kind: "test".into(),
        summary,
        body,
    }])?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
    let http = crate::probe::http_clients::HttpClients::default();
    let messages: Vec<_> = ids.iter().filter_map(|id| store.message(*id).ok().flatten()).collect();
    let deliveries = runtime.block_on(crate::alert::outbox::deliver(
        &store,
        &http,
        std::slice::from_ref(&loaded),
        messages,
        crate::pipeline::DELIVERY_BUDGET,
    ));
    use crate::alert::outbox::Outcome;
    match deliveries.first().map(|d| &d.outcome) {
        Some(Outcome::Delivered) => match &template_error {
            None => {
                super::print_stdout(&format!("sent a test message through `{channel}`\n"))?;
                Ok(exit::OK)
            }
            Some(error) => {
                super::print_stdout(&format!(
                    "sent a test message through `{channel}` with the default body: its body template failed ({})\n",
                    crate::secret::scrub(error)
                ))?;
                Ok(exit::DATA)
            }
        },
        Some(Outcome::Retry { error, .. }) => {
            eprintln!("the test message was not delivered: {error} (it stays queued and will be retried)");
            Ok(exit::IO)
        }
        Some(Outcome::Dropped { reason }) => {
            eprintln!("the test message was refused: {reason}");
            Ok(exit::IO)
        }
        _ => {
            eprintln!("the test message was not attempted");
            Ok(exit::IO)
        }
    }
}
