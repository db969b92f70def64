//! Recording runs in SQLite: one transaction per run (the run, its check results, their
//! metrics), with check ids and metric names interned.

use rusqlite::{OptionalExtension, Transaction, params};

use super::SqliteStore;
use crate::error::Error;
use crate::outcome::RunRecord;
use crate::store::runs::{ResultColumns, RunColumns, RunStore, stored_metrics};

pub(crate) fn intern_playbook(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
    if let Some(id) = tx.query_row("SELECT id FROM playbooks WHERE name = ?1", [name], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    tx.execute("INSERT INTO playbooks (name) VALUES (?1)", [name])?;
    Ok(tx.last_insert_rowid())
}

pub(crate) fn intern_check(tx: &Transaction<'_>, playbook: i64, check: &str) -> rusqlite::Result<i64> {
    let mut select = tx.prepare_cached("SELECT id FROM checks WHERE playbook_id = ?1 AND check_id = ?2")?;
    if let Some(id) = select.query_row(params![playbook, check], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    tx.execute("INSERT INTO checks (playbook_id, check_id) VALUES (?1, ?2)", params![playbook, check])?;
    Ok(tx.last_insert_rowid())
}

/// The series of `metric`, keeping `meta` (its unit and ranges, as JSON) when it changed:
/// written only when it differs from what is stored, so a run with the same units writes
/// nothing more.
fn intern_series(tx: &Transaction<'_>, check: i64, metric: &str, meta: Option<&str>) -> rusqlite::Result<i64> {
    let mut select = tx.prepare_cached("SELECT id, meta FROM series WHERE check_ref = ?1 AND metric = ?2")?;
    let found: Option<(i64, Option<String>)> =
        select.query_row(params![check, metric], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    match found {
        Some((id, stored)) => {
            if meta.is_some() && stored.as_deref() != meta {
                tx.prepare_cached("UPDATE series SET meta = ?1 WHERE id = ?2")?.execute(params![meta, id])?;
            }
            Ok(id)
        }
        None => {
            tx.execute(
                "INSERT INTO series (check_ref, metric, meta) VALUES (?1, ?2, ?3)",
                params![check, metric, meta],
            )?;
            Ok(tx.last_insert_rowid())
        }
    }
}

impl RunStore for SqliteStore {
    fn record_run(&self, record: &RunRecord) -> Result<(), Error> {
        if record.dry_run {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_run(&tx, record)?;
            tx.commit()
        })
    }

    /// Many runs in one transaction.
    fn record_runs(&self, records: &[RunRecord]) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for record in records {
                insert_run(&tx, record)?;
            }
            tx.commit()
        })
    }
}

pub(crate) fn insert_run(tx: &Transaction<'_>, record: &RunRecord) -> rusqlite::Result<()> {
    let playbook = intern_playbook(tx, &record.playbook)?;
    let RunColumns { started_ms, origin, summary, period_ms, scheduled_ms } = RunColumns::of(record);
    // The placeholder written when the run started (see `begin_run`) gives way to the run.
    tx.prepare_cached("DELETE FROM runs WHERE run_id = ?1")?.execute([&record.id])?;
    tx.prepare_cached(
        "INSERT INTO runs (run_id, playbook_id, started_ms, duration_ms, status, origin, dry_run, stands_for, scheduled_ms, summary, period_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        record.id,
        playbook,
        started_ms,
        record.duration_ms as i64,
        record.status.name(),
        origin,
        record.dry_run,
        record.stands_for,
        scheduled_ms,
        summary,
        period_ms
    ])?;
    let run = tx.last_insert_rowid();
    let mut uptime_marks = Vec::with_capacity(record.checks.len());
    let mut insert_result = tx.prepare_cached(
        "INSERT INTO results (run, check_ref, status, duration_ms, attempts, message, details, remediation, quiet, holds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut insert_metric =
        tx.prepare_cached("INSERT OR REPLACE INTO metrics (series, at, run, value) VALUES (?1, ?2, ?3, ?4)")?;
    for check in &record.checks {
        let check_ref = intern_check(tx, playbook, &check.id)?;
        let columns = ResultColumns::of(check);
        insert_result.execute(params![
            run,
            check_ref,
            check.status.name(),
            check.duration_ms as i64,
            check.attempts,
            check.message,
            columns.details,
            columns.remediation,
            columns.quiet,
            columns.holds
        ])?;
        uptime_marks.push((check_ref, columns.mark));
        for (metric, value, meta) in stored_metrics(check) {
            let series = intern_series(tx, check_ref, metric, meta.as_deref())?;
            insert_metric.execute(params![series, started_ms, run, value])?;
        }
    }
    super::decisions::insert(tx, &record.id, &record.decisions)?;
    super::uptime::record(tx, playbook, started_ms, period_ms, &uptime_marks)
}
