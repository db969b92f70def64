//! Recording runs in PostgreSQL: one transaction per call, and per run a fixed handful of
//! statements whatever its size (results, series and metrics go in as arrays, unnested),
//! prepared once per connection. Names are interned for the whole fleet; the run and its
//! metrics are this host's.
//!
//! A run id is stored once: a run recorded again (a spool flushed twice) changes nothing,
//! and only this host's placeholder of a begun run (`status = 'running'`, or marked
//! interrupted) gives way to it.
//! Runs of one host and playbook are recorded one at a time (an advisory lock), because
//! each folds into the uptime roll-ups that the previous one left.

use std::collections::HashMap;

use postgres::Transaction;

use super::{PostgresStore, Prepared};
use crate::error::Error;
use crate::outcome::RunRecord;
use crate::store::decisions::DecisionRow;
use crate::store::runs::{ResultColumns, RunColumns, RunStore, stored_metrics};

impl RunStore for PostgresStore {
    fn record_run(&self, record: &RunRecord) -> Result<(), Error> {
        if record.dry_run {
            return Ok(());
        }
        self.record_runs(std::slice::from_ref(record))
    }

    /// Many runs in one transaction.
    fn record_runs(&self, records: &[RunRecord]) -> Result<(), Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let mut tx = client.transaction()?;
            let playbooks: Vec<&str> = records.iter().map(|r| r.playbook.as_str()).collect();
            lock_playbooks(&mut tx, prepared, host, &playbooks)?;
            for record in records {
                insert_run(&mut tx, prepared, host, record)?;
            }
            tx.commit()
        })
    }
}

/// Takes, until the transaction ends, the lock under which this host's runs of each of
/// `playbooks` are recorded (and their roll-ups rebuilt); in name order, so that two
/// batches never wait on each other crosswise.
pub(crate) fn lock_playbooks(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    host: &str,
    playbooks: &[&str],
) -> Result<(), postgres::Error> {
    let mut names: Vec<&str> = playbooks.to_vec();
    names.sort_unstable();
    names.dedup();
    let lock = prepared.get(
        tx,
        "SELECT pg_advisory_xact_lock(hashtext($1), hashtext(name))::text FROM UNNEST($2::text[]) WITH ORDINALITY AS n(name, i) ORDER BY i",
    )?;
    tx.query(&lock, &[&host, &names])?;
    Ok(())
}

/// The id of playbook `name`, interned when new (by whichever host comes first).
pub(crate) fn intern_playbook(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    name: &str,
) -> Result<i64, postgres::Error> {
    let select = prepared.get(tx, "SELECT id FROM playbooks WHERE name = $1")?;
    if let Some(row) = tx.query_opt(&select, &[&name])? {
        return Ok(row.get(0));
    }
    let insert =
        prepared.get(tx, "INSERT INTO playbooks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id")?;
    if let Some(row) = tx.query_opt(&insert, &[&name])? {
        return Ok(row.get(0));
    }
    // Another process interned it meanwhile: the conflict waited for it to commit.
    Ok(tx.query_one(&select, &[&name])?.get(0))
}

/// The ids of `checks` of `playbook`, in their order, interning the new ones in that order
/// (a run's checks are read back in the order they were first stored).
fn intern_checks(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    playbook: i64,
    checks: &[&str],
) -> Result<Vec<i64>, postgres::Error> {
    let select = prepared.get(tx, "SELECT check_id, id FROM checks WHERE playbook_id = $1 AND check_id = ANY($2)")?;
    let mut known: HashMap<String, i64> =
        tx.query(&select, &[&playbook, &checks])?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let missing: Vec<&str> = checks.iter().copied().filter(|c| !known.contains_key(*c)).collect();
    if !missing.is_empty() {
        let insert = prepared.get(
            tx,
            "INSERT INTO checks (playbook_id, check_id)
             SELECT $1, check_id FROM UNNEST($2::text[]) WITH ORDINALITY AS n(check_id, i) ORDER BY i
             ON CONFLICT DO NOTHING",
        )?;
        tx.execute(&insert, &[&playbook, &missing])?;
        known.extend(tx.query(&select, &[&playbook, &missing])?.iter().map(|r| (r.get(0), r.get(1))));
    }
    // Every one is known now; a missing id (0) would be refused by the foreign key.
    Ok(checks.iter().map(|c| known.get(*c).copied().unwrap_or_default()).collect())
}

/// One metric of the run: its check, name, value and meta (JSON).
struct Measured<'a> {
    check_ref: i64,
    metric: &'a str,
    value: f64,
    meta: Option<String>,
}

/// The series ids of `measured`, in order, interning new series and keeping each one's
/// meta when it changed (written only when it differs from what is stored).
fn intern_series(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    measured: &[Measured<'_>],
) -> Result<Vec<i64>, postgres::Error> {
    let select = prepared.get(
        tx,
        "SELECT s.check_ref, s.metric, s.id, s.meta FROM series s
         JOIN UNNEST($1::bigint[], $2::text[]) AS v(check_ref, metric) ON s.check_ref = v.check_ref AND s.metric = v.metric",
    )?;
    let known_of = |rows: Vec<postgres::Row>| {
        rows.into_iter().map(|r| ((r.get::<_, i64>(0), r.get::<_, String>(1)), (r.get::<_, i64>(2), r.get(3))))
    };
    let refs: Vec<i64> = measured.iter().map(|m| m.check_ref).collect();
    let names: Vec<&str> = measured.iter().map(|m| m.metric).collect();
    let mut known: HashMap<(i64, String), (i64, Option<String>)> =
        known_of(tx.query(&select, &[&refs, &names])?).collect();
    let missing: Vec<&Measured<'_>> =
        measured.iter().filter(|m| !known.contains_key(&(m.check_ref, m.metric.to_string()))).collect();
    if !missing.is_empty() {
        let insert = prepared.get(
            tx,
            "INSERT INTO series (check_ref, metric, meta) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[])
             ON CONFLICT DO NOTHING",
        )?;
        let refs: Vec<i64> = missing.iter().map(|m| m.check_ref).collect();
        let names: Vec<&str> = missing.iter().map(|m| m.metric).collect();
        let metas: Vec<Option<&str>> = missing.iter().map(|m| m.meta.as_deref()).collect();
        tx.execute(&insert, &[&refs, &names, &metas])?;
        known.extend(known_of(tx.query(&select, &[&refs, &names])?));
    }
    let mut ids = Vec::with_capacity(measured.len());
    let (mut changed, mut metas) = (Vec::new(), Vec::new());
    for m in measured {
        let (id, stored) = known.get(&(m.check_ref, m.metric.to_string())).cloned().unwrap_or_default();
        if m.meta.is_some() && stored != m.meta {
            changed.push(id);
            metas.push(m.meta.as_deref());
        }
        ids.push(id);
    }
    if !changed.is_empty() {
        let update = prepared.get(
            tx,
            "UPDATE series SET meta = v.meta FROM UNNEST($1::bigint[], $2::text[]) AS v(id, meta) WHERE series.id = v.id",
        )?;
        tx.execute(&update, &[&changed, &metas])?;
    }
    Ok(ids)
}

/// Stores one run in the caller's transaction, with its results, metrics, decisions and
/// uptime roll-ups (the caller holds its playbook's lock, see [`lock_playbooks`]; alerting
/// commits a run and its alert state together so).
pub(crate) fn insert_run(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    host: &str,
    record: &RunRecord,
) -> Result<(), postgres::Error> {
    let playbook = intern_playbook(tx, prepared, &record.playbook)?;
    let RunColumns { started_ms, origin, summary, period_ms, scheduled_ms } = RunColumns::of(record);
    // This host's placeholder, written when the run started (`begin_run`) and perhaps
    // marked interrupted since, gives way; a finished run stays (recorded once).
    let placeholder =
        prepared.get(tx, "DELETE FROM runs WHERE run_id = $1 AND host = $2 AND (status = 'running' OR interrupted)")?;
    tx.execute(&placeholder, &[&record.id, &host])?;
    let insert = prepared.get(
        tx,
        "INSERT INTO runs (run_id, host, playbook_id, started_ms, duration_ms, status, origin, dry_run, stands_for,
           scheduled_ms, summary, period_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (run_id) DO NOTHING RETURNING id",
    )?;
    let duration_ms = i64::try_from(record.duration_ms).unwrap_or(i64::MAX);
    let stands_for = record.stands_for.map(i64::from);
    let inserted = tx.query_opt(
        &insert,
        &[
            &record.id,
            &host,
            &playbook,
            &started_ms,
            &duration_ms,
            &record.status.name(),
            &origin,
            &record.dry_run,
            &stands_for,
            &scheduled_ms,
            &summary,
            &period_ms,
        ],
    )?;
    // Recorded already (a spool flushed again): the first recording stands.
    let Some(inserted) = inserted else { return Ok(()) };
    let run: i64 = inserted.get(0);

    let ids: Vec<&str> = record.checks.iter().map(|c| c.id.as_str()).collect();
    let check_refs = intern_checks(tx, prepared, playbook, &ids)?;
    let columns: Vec<ResultColumns> = record.checks.iter().map(ResultColumns::of).collect();
    if !record.checks.is_empty() {
        let insert = prepared.get(
            tx,
            "INSERT INTO results (run, check_ref, status, duration_ms, attempts, message, details, remediation, quiet, holds)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
               $8::text[], $9::text[], $10::text[])",
        )?;
        let statuses: Vec<&str> = record.checks.iter().map(|c| c.status.name()).collect();
        let durations: Vec<i64> =
            record.checks.iter().map(|c| i64::try_from(c.duration_ms).unwrap_or(i64::MAX)).collect();
        let attempts: Vec<i64> = record.checks.iter().map(|c| i64::from(c.attempts)).collect();
        let messages: Vec<&str> = record.checks.iter().map(|c| c.message.as_str()).collect();
        let details: Vec<Option<&str>> = columns.iter().map(|c| c.details.as_deref()).collect();
        let remediations: Vec<Option<&str>> = columns.iter().map(|c| c.remediation.as_deref()).collect();
        let quiet: Vec<Option<&str>> = columns.iter().map(|c| c.quiet).collect();
        let holds: Vec<Option<&str>> = columns.iter().map(|c| c.holds.as_deref()).collect();
        tx.execute(
            &insert,
            &[&run, &check_refs, &statuses, &durations, &attempts, &messages, &details, &remediations, &quiet, &holds],
        )?;
    }

    let measured: Vec<Measured<'_>> = record
        .checks
        .iter()
        .zip(&check_refs)
        .flat_map(|(check, check_ref)| {
            stored_metrics(check).map(|(metric, value, meta)| Measured { check_ref: *check_ref, metric, value, meta })
        })
        .collect();
    if !measured.is_empty() {
        let series = intern_series(tx, prepared, &measured)?;
        let values: Vec<f64> = measured.iter().map(|m| m.value).collect();
        let insert = prepared.get(
            tx,
            "INSERT INTO metrics (host, series, at, run, value)
             SELECT $1, series, $2, $3, value FROM UNNEST($4::bigint[], $5::float8[]) AS v(series, value)
             ON CONFLICT (host, series, at, run) DO UPDATE SET value = excluded.value",
        )?;
        tx.execute(&insert, &[&host, &started_ms, &run, &series, &values])?;
    }

    insert_decisions(tx, prepared, &record.id, &record.decisions)?;
    let marks: Vec<(i64, crate::uptime::Mark)> =
        check_refs.iter().copied().zip(columns.iter().map(|c| c.mark)).collect();
    super::uptime::record(tx, prepared, host, playbook, started_ms, period_ms, &marks)
}

/// Writes a run's decisions (one row per check and channel; `decisions`, of the alerting
/// half of the schema) in its transaction. A pair listed twice keeps its last decision,
/// as SQLite's `INSERT OR REPLACE` does.
fn insert_decisions(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    run_id: &str,
    rows: &[DecisionRow],
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut last: HashMap<(&str, &str), &DecisionRow> = HashMap::new();
    let mut order = Vec::new();
    for row in rows {
        if last.insert((row.check.as_str(), row.channel.as_str()), row).is_none() {
            order.push((row.check.as_str(), row.channel.as_str()));
        }
    }
    let kept: Vec<&DecisionRow> = order.iter().filter_map(|key| last.get(key).copied()).collect();
    let checks: Vec<&str> = kept.iter().map(|r| r.check.as_str()).collect();
    let channels: Vec<&str> = kept.iter().map(|r| r.channel.as_str()).collect();
    let kinds: Vec<Option<&str>> = kept.iter().map(|r| r.kind.as_deref()).collect();
    let reasons: Vec<String> =
        kept.iter().map(|r| serde_json::to_string(&r.reasons).unwrap_or_else(|_| "[]".into())).collect();
    let insert = prepared.get(
        tx,
        "INSERT INTO decisions (run_id, check_id, channel, kind, reasons)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[])",
    )?;
    tx.execute(&insert, &[&run_id, &checks, &channels, &kinds, &reasons])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Two daemons on one database (PostgreSQL only: SQLite is one host's): each keeps and
    //! reads its own runs, results, metrics, last run, latest results, uptime and probe
    //! state; a run recorded twice is stored once.

    use std::sync::Arc;

    use crate::outcome::Status;
    use crate::probe::state::StateKey;
    use crate::store::Store;
    use crate::store::contract::{fresh_postgres_database, record};
    use crate::store::results::ResultQuery;
    use crate::store::uptime::Filter;

    const T0: i64 = 1_750_000_000_000;

    fn run_ids(store: &Arc<dyn Store>) -> Vec<String> {
        store.runs(None, None, 0, 10).unwrap().into_iter().map(|r| r.run_id).collect()
    }

    #[test]
    fn two_hosts_on_one_database_keep_their_host_scoped_data_apart() {
        let (location, _database) = fresh_postgres_database();
        let a = crate::store::open_shared(&location, "host-a").unwrap();
        let b = crate::store::open_shared(&location, "host-b").unwrap();
        a.record_run(&record("a1", "web", T0, &[("disk", Status::Ok, &[("used", 10.0)])])).unwrap();
        b.record_run(&record("b1", "web", T0 + 1_000, &[("disk", Status::Critical, &[("used", 90.0)])])).unwrap();

        assert_eq!(run_ids(&a), ["a1"]);
        assert_eq!(run_ids(&b), ["b1"]);
        assert_eq!(b.run_counts(None, None, 0).unwrap(), [("critical".into(), 1)]);
        let query = ResultQuery { limit: 10, ..ResultQuery::default() };
        let statuses = |s: &Arc<dyn Store>| -> Vec<String> {
            s.results(&query).unwrap().into_iter().map(|r| format!("{}/{}", r.run_id, r.status)).collect()
        };
        assert_eq!((statuses(&a), statuses(&b)), (vec!["a1/ok".to_string()], vec!["b1/critical".to_string()]));
        assert_eq!(a.samples("web", "disk", "used", 0).unwrap(), [(T0 / 1000, 10.0)]);
        assert_eq!(b.trends(None, None, 0).unwrap()[0].max, 90.0);
        let a_last = a.last_run("web").unwrap().expect("a's last run");
        let b_last = b.last_run("web").unwrap().expect("b's last run");
        assert_eq!((a_last.status.as_str(), a_last.last_success_ms), ("ok", Some(T0)));
        assert_eq!((b_last.status.as_str(), b_last.last_success_ms), ("critical", None));
        assert_eq!(a.latest_result("web", "disk").map(|r| r.status), Some(Status::Ok));
        assert_eq!(b.latest_result("web", "disk").map(|r| r.status), Some(Status::Critical));
        let incidents = |s: &Arc<dyn Store>| -> Vec<u32> {
            s.uptime(Filter::default(), 0, T0 + 60_000).unwrap().into_iter().map(|f| f.figures.incidents).collect()
        };
        assert_eq!((incidents(&a), incidents(&b)), (vec![0, 0], vec![1, 1]), "the playbook's series, then disk's");

        let key = StateKey::new("web", "log", "offset");
        a.save(&key, "10");
        assert_eq!(b.load(&key), None);
        b.save(&key, "20");
        assert_eq!((a.load(&key).as_deref(), b.load(&key).as_deref()), (Some("10"), Some("20")));

        // The same run again (a spool flushed twice) changes nothing.
        a.record_run(&record("a1", "web", T0, &[("disk", Status::Critical, &[("used", 99.0)])])).unwrap();
        assert_eq!(run_ids(&a), ["a1"]);
        assert_eq!(statuses(&a), ["a1/ok"]);
        assert_eq!(a.samples("web", "disk", "used", 0).unwrap(), [(T0 / 1000, 10.0)]);

        // A host prunes its own history only.
        assert_eq!(b.prune(None, T0 + 10_000).unwrap(), 1);
        assert!(run_ids(&b).is_empty());
        assert_eq!(run_ids(&a), ["a1"]);
        assert_eq!(a.samples("web", "disk", "used", 0).unwrap().len(), 1);
    }
}
