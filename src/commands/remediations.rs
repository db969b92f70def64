//! `runner history NAME --remediations`: one row per remediation that ran, from the audit.

use std::io::Write;

use crate::cli::HistoryFormat;
use crate::store::Store;

pub fn print(
    store: &dyn Store,
    name: Option<&str>,
    check: Option<&str>,
    since_ms: i64,
    format: HistoryFormat,
) -> crate::error::Result<i32> {
    let rows = store.remediations(name, check, since_ms)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        HistoryFormat::Json => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        }
        HistoryFormat::Csv => {
            let _ =
                writeln!(out, "started_at,playbook,check,trigger,result,attempt,max_attempts,origin,actions,verify");
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    r.started_at,
                    super::history::csv(&r.playbook),
                    super::history::csv(&r.check),
                    r.trigger,
                    r.result,
                    r.attempt,
                    r.max_attempts,
                    r.origin,
                    super::history::csv(&r.actions_summary()),
                    super::history::csv(r.verify.as_deref().unwrap_or(""))
                );
            }
        }
        HistoryFormat::Human => {
            if rows.is_empty() {
                let _ = writeln!(out, "no remediation ran in that window");
            }
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{}  {}/{}  {} → {} (attempt {} of {}, {})",
                    r.started_at.get(..19).unwrap_or(&r.started_at).replace('T', " "),
                    r.playbook,
                    r.check,
                    r.trigger.to_uppercase(),
                    r.result,
                    r.attempt,
                    r.max_attempts,
                    r.origin
                );
                for action in &r.actions {
                    let code = action.exit_code.map(|c| format!("exit {c}")).unwrap_or_else(|| action.message.clone());
                    let _ = writeln!(out, "    ▸ {}  {code}", action.action);
                }
                if let Some(verify) = &r.verify {
                    let _ = writeln!(out, "    verify: {verify}");
                }
                let _ = writeln!(out, "    guard: {}", r.guard);
            }
        }
    }
    Ok(0)
}
