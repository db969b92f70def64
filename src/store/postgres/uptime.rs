//! PostgreSQL's uptime roll-ups (the interface and what they hold: `store::uptime`; their
//! arithmetic: `uptime::rollup`), per host: every series is one host's.
//!
//! A run's steps of all its series are written together (a handful of statements over
//! arrays, whatever the number of checks), under the lock its recording holds
//! (`runs::lock_playbooks`), so the tails read are the ones the previous run left.

use std::collections::HashMap;

use postgres::{GenericClient, Row, Transaction};

use super::runs::lock_playbooks;
use super::{PostgresStore, Prepared};
use crate::error::Error;
use crate::outcome::Status;
use crate::store::uptime::{Filter, SeriesFigures, SeriesTimeline, UptimeStore};
use crate::uptime::rollup::{self, PLAYBOOK_SERIES, PrunedSeries, Rollup, StoredSeries, mark_from, mark_name};
use crate::uptime::{Incident, IncidentTotals, Mark, Sample, Span, Tail, Totals, raw_figures};

/// One series of this host: a check of a playbook, or the playbook itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeriesKey {
    playbook_id: i64,
    check_ref: i64,
}

impl UptimeStore for PostgresStore {
    fn uptime(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(client, prepared, host, filter)? {
                let mut stored = Stored { client: &mut *client, prepared: &mut *prepared, host, key };
                let figures = rollup::rolled_up(&mut stored, since_ms, now_ms)?;
                out.push(SeriesFigures { playbook, check, figures });
            }
            Ok(out)
        })
    }

    fn uptime_timeline(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesTimeline>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(client, prepared, host, filter)? {
                let mut stored = Stored { client: &mut *client, prepared: &mut *prepared, host, key };
                let (spans, state_since_ms) = stored.timeline(since_ms, now_ms)?;
                out.push(SeriesTimeline { playbook, check, spans, state_since_ms });
            }
            Ok(out)
        })
    }

    fn uptime_raw(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(client, prepared, host, filter)? {
                let figures = raw_figures(&raw_samples(client, prepared, host, key)?, since_ms, now_ms);
                out.push(SeriesFigures { playbook, check, figures });
            }
            Ok(out)
        })
    }

    fn rebuild_uptime(&self) -> Result<(), Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let all = series(client, prepared, host, Filter::default())?;
            let mut tx = client.transaction()?;
            let mut names: Vec<&str> = all.iter().map(|(_, playbook, _)| playbook.as_str()).collect();
            names.dedup();
            lock_playbooks(&mut tx, prepared, host, &names)?;
            for (key, _, _) in &all {
                rebuild_series(&mut tx, prepared, host, *key)?;
            }
            tx.commit()
        })
    }

    fn uptime_playbooks(&self) -> Result<Vec<String>, Error> {
        let host = self.host();
        self.with_prepared(|client, prepared| {
            let statement = prepared.get(
                client,
                "SELECT p.name FROM playbooks p WHERE EXISTS (SELECT 1 FROM runs r WHERE r.host = $1 AND r.playbook_id = p.id)
                 ORDER BY p.name COLLATE \"C\"",
            )?;
            Ok(client.query(&statement, &[&host])?.iter().map(|r| r.get(0)).collect())
        })
    }

    #[cfg(test)]
    fn uptime_rows_older(&self, cutoff_ms: i64) -> Result<crate::store::uptime::OlderRows, Error> {
        let host = self.host().to_string();
        self.with(move |client| {
            let r = client.query_one(
                "SELECT (SELECT count(*) FROM uptime_days WHERE host = $1 AND day < $3),
                        (SELECT count(*) FROM uptime_spans WHERE host = $1 AND end_ms <= $2),
                        (SELECT count(*) FROM uptime_incidents WHERE host = $1 AND started_ms < $2),
                        (SELECT count(*) FROM uptime_tails WHERE host = $1 AND at_ms < $2)",
                &[&host, &cutoff_ms, &cutoff_ms.div_euclid(rollup::DAY_MS)],
            )?;
            Ok(crate::store::uptime::OlderRows {
                days: r.get(0),
                spans: r.get(1),
                incidents: r.get(2),
                tails: r.get(3),
            })
        })
    }
}

/// Folds one run into its series' roll-ups: each check (`(check_ref, mark)`) and the
/// playbook's own series. Called in the run's transaction, under its lock.
pub(crate) fn record(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    host: &str,
    playbook_id: i64,
    at_ms: i64,
    period_ms: Option<i64>,
    marks: &[(i64, Mark)],
) -> Result<(), postgres::Error> {
    // A run without results (all deselected) is no result of the playbook either.
    if marks.is_empty() {
        return Ok(());
    }
    let mut samples: Vec<(i64, Sample)> =
        marks.iter().map(|(check_ref, mark)| (*check_ref, Sample { at_ms, mark: *mark, period_ms })).collect();
    let worst = Mark::worst(marks.iter().map(|(_, m)| *m));
    samples.push((PLAYBOOK_SERIES, Sample { at_ms, mark: worst, period_ms }));
    let refs: Vec<i64> = samples.iter().map(|(check_ref, _)| *check_ref).collect();
    let load = prepared.get(
        tx,
        "SELECT check_ref, at_ms, mark, period_ms, open_incident_ms FROM uptime_tails
         WHERE host = $1 AND playbook_id = $2 AND check_ref = ANY($3)",
    )?;
    let tails: HashMap<i64, Tail> =
        tx.query(&load, &[&host, &playbook_id, &refs])?.iter().map(|r| (r.get(0), tail_of(r, 1))).collect();
    let mut batch = Batch::default();
    for (check_ref, sample) in samples {
        let key = SeriesKey { playbook_id, check_ref };
        let mut tail = tails.get(&check_ref).copied().unwrap_or_default();
        if tail.last.is_some_and(|last| sample.at_ms < last.at_ms) {
            // Out of order (a clock set back, a late import): the series is replayed from
            // its raw results, which already hold this one.
            rebuild_series(tx, prepared, host, key)?;
            continue;
        }
        let mut rollup = Rollup::default();
        tail.step(sample, |effect| rollup.take(effect));
        batch.add(check_ref, rollup, &tail);
    }
    batch.write(tx, prepared, host, playbook_id)
}

/// A tail from the row's columns `at_ms, mark, period_ms, open_incident_ms`, from `first`.
fn tail_of(r: &Row, first: usize) -> Tail {
    let mark: String = r.get(first + 1);
    Tail {
        last: Some(Sample { at_ms: r.get(first), mark: mark_from(&mark), period_ms: r.get(first + 2) }),
        open_incident_ms: r.get(first + 3),
    }
}

/// What a run adds to the roll-ups of its series (or a replay to one series), as columns.
#[derive(Default)]
struct Batch {
    /// Per series: what the fold adds (its days are written once its spans are stored).
    rollups: Vec<(i64, Rollup)>,
    /// Each series' first span, which may extend the last stored one.
    first_spans: Vec<(i64, Span)>,
    spans: Vec<(i64, Span)>,
    incidents: Vec<(i64, Incident)>,
    tails: Vec<(i64, Sample, Option<i64>)>,
}

impl Batch {
    fn add(&mut self, check_ref: i64, rollup: Rollup, tail: &Tail) {
        let mut spans = rollup.spans.iter();
        self.first_spans.extend(spans.next().map(|span| (check_ref, *span)));
        self.spans.extend(spans.map(|span| (check_ref, *span)));
        self.incidents.extend(rollup.incidents.iter().map(|incident| (check_ref, *incident)));
        self.tails.extend(tail.last.map(|last| (check_ref, last, tail.open_incident_ms)));
        self.rollups.push((check_ref, rollup));
    }

    /// Adds this to the stored roll-ups of `playbook_id` on `host`: the spans first, for the
    /// recoveries' outages are the down time stored inside them.
    fn write(
        mut self,
        tx: &mut Transaction<'_>,
        prepared: &mut Prepared,
        host: &str,
        playbook_id: i64,
    ) -> Result<(), postgres::Error> {
        if !self.first_spans.is_empty() {
            let (refs, starts, ends, ups) = span_columns(&self.first_spans);
            let extend = prepared.get(
                tx,
                "UPDATE uptime_spans s SET end_ms = v.end_ms
                 FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[]) AS v(check_ref, start_ms, end_ms, up)
                 WHERE s.host = $1 AND s.playbook_id = $2 AND s.check_ref = v.check_ref AND s.end_ms = v.start_ms
                   AND s.up = v.up AND s.start_ms = (SELECT max(t.start_ms) FROM uptime_spans t
                     WHERE t.host = $1 AND t.playbook_id = $2 AND t.check_ref = v.check_ref)
                 RETURNING s.check_ref",
            )?;
            let extended: Vec<i64> = tx
                .query(&extend, &[&host, &playbook_id, &refs, &starts, &ends, &ups])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            self.spans.extend(self.first_spans.iter().filter(|(check_ref, _)| !extended.contains(check_ref)));
        }
        if !self.spans.is_empty() {
            let (refs, starts, ends, ups) = span_columns(&self.spans);
            let insert = prepared.get(
                tx,
                "INSERT INTO uptime_spans (host, playbook_id, check_ref, start_ms, end_ms, up)
                 SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[])
                 ON CONFLICT (host, playbook_id, check_ref, start_ms) DO UPDATE SET end_ms = excluded.end_ms, up = excluded.up",
            )?;
            tx.execute(&insert, &[&host, &playbook_id, &refs, &starts, &ends, &ups])?;
        }
        if !self.incidents.is_empty() {
            let upsert = prepared.get(
                tx,
                "INSERT INTO uptime_incidents (host, playbook_id, check_ref, started_ms, recovered_ms)
                 SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[])
                 ON CONFLICT (host, playbook_id, check_ref, started_ms) DO UPDATE SET recovered_ms = excluded.recovered_ms",
            )?;
            let refs: Vec<i64> = self.incidents.iter().map(|(check_ref, _)| *check_ref).collect();
            let started: Vec<i64> = self.incidents.iter().map(|(_, i)| i.started_ms).collect();
            let recovered: Vec<Option<i64>> = self.incidents.iter().map(|(_, i)| i.recovered_ms).collect();
            tx.execute(&upsert, &[&host, &playbook_id, &refs, &started, &recovered])?;
        }
        if !self.tails.is_empty() {
            let upsert = prepared.get(
                tx,
                "INSERT INTO uptime_tails (host, playbook_id, check_ref, at_ms, mark, period_ms, open_incident_ms)
                 SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[])
                 ON CONFLICT (host, playbook_id, check_ref) DO UPDATE SET at_ms = excluded.at_ms, mark = excluded.mark,
                   period_ms = excluded.period_ms, open_incident_ms = excluded.open_incident_ms",
            )?;
            let refs: Vec<i64> = self.tails.iter().map(|t| t.0).collect();
            let at: Vec<i64> = self.tails.iter().map(|t| t.1.at_ms).collect();
            let marks: Vec<&str> = self.tails.iter().map(|t| mark_name(t.1.mark)).collect();
            let periods: Vec<Option<i64>> = self.tails.iter().map(|t| t.1.period_ms).collect();
            let open: Vec<Option<i64>> = self.tails.iter().map(|t| t.2).collect();
            tx.execute(&upsert, &[&host, &playbook_id, &refs, &at, &marks, &periods, &open])?;
        }
        let mut days: Vec<(i64, i64, Totals, IncidentTotals)> = Vec::new();
        for (check_ref, rollup) in &self.rollups {
            let key = SeriesKey { playbook_id, check_ref: *check_ref };
            let mut stored = Stored { client: &mut *tx, prepared: &mut *prepared, host, key };
            let added = rollup.days_with_recoveries(&mut stored)?;
            days.extend(added.into_iter().map(|(day, (totals, incidents))| (*check_ref, day, totals, incidents)));
        }
        upsert_days(tx, prepared, host, playbook_id, &days)
    }
}

/// Adds days' totals (`(series, day, totals, incidents)`, one row per series and day) to
/// the stored ones of `playbook_id` on `host`.
fn upsert_days(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    host: &str,
    playbook_id: i64,
    days: &[(i64, i64, Totals, IncidentTotals)],
) -> Result<(), postgres::Error> {
    if days.is_empty() {
        return Ok(());
    }
    let upsert = prepared.get(
        tx,
        "INSERT INTO uptime_days AS d (host, playbook_id, check_ref, day, up_ms, down_ms, up_results, down_results,
           incidents, recovered, recover_ms, longest_ms)
         SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
           $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
         ON CONFLICT (host, playbook_id, check_ref, day) DO UPDATE SET up_ms = d.up_ms + excluded.up_ms,
           down_ms = d.down_ms + excluded.down_ms, up_results = d.up_results + excluded.up_results,
           down_results = d.down_results + excluded.down_results, incidents = d.incidents + excluded.incidents,
           recovered = d.recovered + excluded.recovered, recover_ms = d.recover_ms + excluded.recover_ms,
           longest_ms = GREATEST(d.longest_ms, excluded.longest_ms)",
    )?;
    let column = |f: fn(&(i64, i64, Totals, IncidentTotals)) -> i64| -> Vec<i64> { days.iter().map(f).collect() };
    let longest: Vec<Option<i64>> = days.iter().map(|d| d.3.longest_ms).collect();
    tx.execute(
        &upsert,
        &[
            &host,
            &playbook_id,
            &column(|d| d.0),
            &column(|d| d.1),
            &column(|d| d.2.up_ms),
            &column(|d| d.2.down_ms),
            &column(|d| d.2.up_results),
            &column(|d| d.2.down_results),
            &column(|d| d.3.started),
            &column(|d| d.3.recovered),
            &column(|d| d.3.recover_ms),
            &longest,
        ],
    )?;
    Ok(())
}

/// Spans as columns: series, start, end, up.
fn span_columns(spans: &[(i64, Span)]) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<bool>) {
    (
        spans.iter().map(|(check_ref, _)| *check_ref).collect(),
        spans.iter().map(|(_, s)| s.start_ms).collect(),
        spans.iter().map(|(_, s)| s.end_ms).collect(),
        spans.iter().map(|(_, s)| s.up).collect(),
    )
}

/// Replays one series of this host from its raw results.
fn rebuild_series(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    host: &str,
    key: SeriesKey,
) -> Result<(), postgres::Error> {
    delete_series(tx, prepared, host, key)?;
    let (rollup, tail) = Rollup::replay(&raw_samples(tx, prepared, host, key)?);
    let mut batch = Batch::default();
    batch.add(key.check_ref, rollup, &tail);
    batch.write(tx, prepared, host, key.playbook_id)
}

/// Forgets a series' roll-ups on this host, its tail too.
fn delete_series(
    client: &mut impl GenericClient,
    prepared: &mut Prepared,
    host: &str,
    key: SeriesKey,
) -> Result<(), postgres::Error> {
    for delete in [
        "DELETE FROM uptime_days WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
        "DELETE FROM uptime_spans WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
        "DELETE FROM uptime_incidents WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
        "DELETE FROM uptime_tails WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
    ] {
        let statement = prepared.get(client, delete)?;
        client.execute(&statement, &[&host, &key.playbook_id, &key.check_ref])?;
    }
    Ok(())
}

/// The series of this host whose roll-ups a prune fixes up (`rollup::prune_series`) once
/// their old runs went: listed, and their playbooks locked as for recording, before that.
pub(crate) struct Pruning {
    keys: Vec<SeriesKey>,
}

impl Pruning {
    /// Lists the series of `playbook` (all: `None`) and takes their playbooks' lock.
    pub(crate) fn begin(
        tx: &mut Transaction<'_>,
        prepared: &mut Prepared,
        host: &str,
        playbook: Option<&str>,
    ) -> Result<Pruning, postgres::Error> {
        let all = series(tx, prepared, host, Filter { playbook, check: None })?;
        let mut names: Vec<&str> = all.iter().map(|(_, playbook, _)| playbook.as_str()).collect();
        names.dedup();
        lock_playbooks(tx, prepared, host, &names)?;
        Ok(Pruning { keys: all.into_iter().map(|(key, _, _)| key).collect() })
    }

    /// Forgets the roll-ups older than the raw results the prune kept, in its transaction.
    pub(crate) fn finish(
        self,
        tx: &mut Transaction<'_>,
        prepared: &mut Prepared,
        host: &str,
    ) -> Result<(), postgres::Error> {
        for key in self.keys {
            rollup::prune_series(&mut Stored { client: &mut *tx, prepared: &mut *prepared, host, key })?;
        }
        Ok(())
    }
}

/// This host's matching series, a playbook's own before its checks: (key, playbook,
/// check). A playbook is this host's when it ran here; a check, when it has a result here
/// (its roll-ups have a tail).
fn series(
    client: &mut impl GenericClient,
    prepared: &mut Prepared,
    host: &str,
    filter: Filter<'_>,
) -> Result<Vec<(SeriesKey, String, Option<String>)>, postgres::Error> {
    let statement = prepared.get(
        client,
        "SELECT p.id, p.name COLLATE \"C\" AS name, 0::bigint AS check_ref, NULL::text FROM playbooks p
         WHERE ($2::text IS NULL OR p.name = $2)
           AND (EXISTS (SELECT 1 FROM runs r WHERE r.host = $1 AND r.playbook_id = p.id)
             OR EXISTS (SELECT 1 FROM uptime_tails t WHERE t.host = $1 AND t.playbook_id = p.id))
         UNION ALL
         SELECT p.id, p.name COLLATE \"C\", k.id, k.check_id FROM checks k JOIN playbooks p ON p.id = k.playbook_id
         WHERE ($2::text IS NULL OR p.name = $2)
           AND EXISTS (SELECT 1 FROM uptime_tails t WHERE t.host = $1 AND t.playbook_id = p.id AND t.check_ref = k.id)
         ORDER BY name, check_ref",
    )?;
    let mut out = Vec::new();
    for r in client.query(&statement, &[&host, &filter.playbook])? {
        let check: Option<String> = r.get(3);
        // With --check, that check's series only; the playbook's own series is every check's.
        if filter.check.is_some() && check.as_deref() != filter.check {
            continue;
        }
        out.push((SeriesKey { playbook_id: r.get(0), check_ref: r.get(2) }, r.get(1), check));
    }
    Ok(out)
}

/// A result row as a sample: `(run, started_ms, period_ms, status, quiet)`.
fn sample_row(r: &Row) -> (i64, Sample) {
    let status = Status::from_name(r.get(3)).unwrap_or(Status::Unknown);
    let mark = Mark::of(status, r.get::<_, Option<&str>>(4));
    (r.get(0), Sample { at_ms: r.get(1), mark, period_ms: r.get(2) })
}

/// A series' results on this host in time order, from the raw tables.
fn raw_samples(
    client: &mut impl GenericClient,
    prepared: &mut Prepared,
    host: &str,
    key: SeriesKey,
) -> Result<Vec<Sample>, postgres::Error> {
    raw_samples_between(client, prepared, host, key, i64::MIN, i64::MAX)
}

/// A series' results on this host of runs started in `[from, to)`, in time order.
fn raw_samples_between(
    client: &mut impl GenericClient,
    prepared: &mut Prepared,
    host: &str,
    key: SeriesKey,
    from: i64,
    to: i64,
) -> Result<Vec<Sample>, postgres::Error> {
    // A check has one result per run; the playbook's own series is its runs' worst.
    let statement = prepared.get(
        client,
        "SELECT r.id, r.started_ms, r.period_ms, x.status, x.quiet FROM runs r JOIN results x ON x.run = r.id
         WHERE r.host = $1 AND r.playbook_id = $2 AND ($3::bigint = 0 OR x.check_ref = $3)
           AND r.started_ms >= $4 AND r.started_ms < $5
         ORDER BY r.started_ms, r.id",
    )?;
    let rows = client.query(&statement, &[&host, &key.playbook_id, &key.check_ref, &from, &to])?;
    Ok(rollup::per_run(rows.iter().map(sample_row)))
}

/// One series' stored roll-ups on this host, read for `rollup::rolled_up` (on a client)
/// and edited for `rollup::prune_series` (in a transaction).
struct Stored<'a, C: GenericClient> {
    client: &'a mut C,
    prepared: &'a mut Prepared,
    host: &'a str,
    key: SeriesKey,
}

impl<C: GenericClient> Stored<'_, C> {
    /// The rows of `sql` with parameters host, playbook, series, then `more`.
    fn rows(&mut self, sql: &'static str, more: &[i64]) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.prepared.get(self.client, sql)?;
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            vec![&self.host, &self.key.playbook_id, &self.key.check_ref];
        params.extend(more.iter().map(|m| m as &(dyn postgres::types::ToSql + Sync)));
        self.client.query(&statement, &params)
    }

    /// Runs `sql` with parameters host, playbook, series, then `more`.
    fn execute(&mut self, sql: &'static str, more: &[i64]) -> Result<(), postgres::Error> {
        let statement = self.prepared.get(self.client, sql)?;
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            vec![&self.host, &self.key.playbook_id, &self.key.check_ref];
        params.extend(more.iter().map(|m| m as &(dyn postgres::types::ToSql + Sync)));
        self.client.execute(&statement, &params)?;
        Ok(())
    }
}

impl<C: GenericClient> Stored<'_, C> {
    /// The series' spans cut to `[since_ms, now_ms)` (run-length, the open one included),
    /// and when its state last turned: as the SQLite backend reads them.
    fn timeline(&mut self, since_ms: i64, now_ms: i64) -> Result<(Vec<Span>, Option<i64>), postgres::Error> {
        let span = |r: &Row| Span { start_ms: r.get(0), end_ms: r.get(1), up: r.get(2) };
        let mut spans = Vec::new();
        if since_ms < now_ms {
            let holding = self.rows(
                "SELECT start_ms, end_ms, up FROM uptime_spans WHERE host = $1 AND playbook_id = $2 AND check_ref = $3
                   AND start_ms <= $4 ORDER BY start_ms DESC LIMIT 1",
                &[since_ms],
            )?;
            spans.extend(holding.iter().map(span));
            let inside = self.rows(
                "SELECT start_ms, end_ms, up FROM uptime_spans WHERE host = $1 AND playbook_id = $2 AND check_ref = $3
                   AND start_ms > $4 AND start_ms < $5 ORDER BY start_ms",
                &[since_ms, now_ms],
            )?;
            spans.extend(inside.iter().map(span));
        }
        let tail = StoredSeries::tail(self)?;
        spans.extend(tail.open_span(now_ms));
        let mut merged: Vec<Span> = Vec::new();
        for s in spans {
            let s = Span { start_ms: s.start_ms.max(since_ms), end_ms: s.end_ms.min(now_ms), up: s.up };
            match merged.last_mut() {
                _ if s.start_ms >= s.end_ms => {}
                Some(last) if last.end_ms == s.start_ms && last.up == s.up => last.end_ms = s.end_ms,
                _ => merged.push(s),
            }
        }
        let state_since_ms = match tail.open_incident_ms {
            Some(open) => Some(open),
            None => {
                let recovered = self.rows(
                    "SELECT recovered_ms FROM uptime_incidents WHERE host = $1 AND playbook_id = $2 AND check_ref = $3
                       AND recovered_ms IS NOT NULL ORDER BY started_ms DESC LIMIT 1",
                    &[],
                )?;
                let first = self.rows(
                    "SELECT start_ms FROM uptime_spans WHERE host = $1 AND playbook_id = $2 AND check_ref = $3
                     ORDER BY start_ms LIMIT 1",
                    &[],
                )?;
                recovered
                    .first()
                    .map(|r| r.get::<_, i64>(0))
                    .or(first.first().map(|r| r.get::<_, i64>(0)))
                    .or(tail.open_span(now_ms).map(|s| s.start_ms))
            }
        };
        Ok((merged, state_since_ms))
    }
}

impl<C: GenericClient> StoredSeries for Stored<'_, C> {
    type Error = postgres::Error;

    fn tail(&mut self) -> Result<Tail, postgres::Error> {
        let rows = self.rows(
            "SELECT at_ms, mark, period_ms, open_incident_ms FROM uptime_tails
             WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
            &[],
        )?;
        Ok(rows.first().map(|r| tail_of(r, 0)).unwrap_or_default())
    }

    fn whole_days(&mut self, from_day: i64, to_day: i64) -> Result<(Totals, IncidentTotals), postgres::Error> {
        let rows = self.rows(
            "SELECT coalesce(sum(up_ms), 0)::bigint, coalesce(sum(down_ms), 0)::bigint, coalesce(sum(up_results), 0)::bigint,
                    coalesce(sum(down_results), 0)::bigint, coalesce(sum(incidents), 0)::bigint,
                    coalesce(sum(recovered), 0)::bigint, coalesce(sum(recover_ms), 0)::bigint, max(longest_ms)
             FROM uptime_days WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND day >= $4 AND day < $5",
            &[from_day, to_day],
        )?;
        let Some(r) = rows.first() else { return Ok(Default::default()) };
        let totals = Totals { up_ms: r.get(0), down_ms: r.get(1), up_results: r.get(2), down_results: r.get(3) };
        let incidents = IncidentTotals {
            started: r.get(4),
            recovered: r.get(5),
            recover_ms: r.get(6),
            longest_ms: r.get(7),
            ongoing: false,
        };
        Ok((totals, incidents))
    }

    fn spans(&mut self, from: i64, to: i64) -> Result<Vec<Span>, postgres::Error> {
        let rows = self.rows(
            "(SELECT start_ms, end_ms, up FROM uptime_spans
              WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND start_ms <= $4 ORDER BY start_ms DESC LIMIT 1)
             UNION ALL
             (SELECT start_ms, end_ms, up FROM uptime_spans
              WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND start_ms > $4 AND start_ms < $5)",
            &[from, to],
        )?;
        Ok(rows.iter().map(|r| Span { start_ms: r.get(0), end_ms: r.get(1), up: r.get(2) }).collect())
    }

    fn unscheduled(&mut self, from: i64, to: i64) -> Result<Vec<(i64, Sample)>, postgres::Error> {
        let rows = self.rows(
            "SELECT r.id, r.started_ms, r.period_ms, x.status, x.quiet FROM runs r JOIN results x ON x.run = r.id
             WHERE r.host = $1 AND r.playbook_id = $2 AND r.started_ms >= $4 AND r.started_ms < $5 AND r.period_ms IS NULL
               AND ($3::bigint = 0 OR x.check_ref = $3)
             ORDER BY r.id",
            &[from, to],
        )?;
        Ok(rows.iter().map(sample_row).collect())
    }

    fn incidents(&mut self, from: i64, to: i64) -> Result<Vec<Incident>, postgres::Error> {
        let rows = self.rows(
            "SELECT started_ms, recovered_ms FROM uptime_incidents
             WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND started_ms >= $4 AND started_ms < $5",
            &[from, to],
        )?;
        Ok(rows.iter().map(|r| Incident { started_ms: r.get(0), recovered_ms: r.get(1) }).collect())
    }

    fn down_ms(&mut self, from: i64, to: i64) -> Result<i64, postgres::Error> {
        let rows = self.rows(
            "SELECT coalesce(sum(LEAST(end_ms, $5) - GREATEST(start_ms, $4)), 0)::bigint FROM uptime_spans
             WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND NOT up AND start_ms < $5 AND end_ms > $4",
            &[from, to],
        )?;
        Ok(rows.first().map(|r| r.get(0)).unwrap_or(0))
    }
}

impl<C: GenericClient> PrunedSeries for Stored<'_, C> {
    fn first_result_ms(&mut self) -> Result<Option<i64>, postgres::Error> {
        let rows = self.rows(
            "SELECT r.started_ms FROM runs r WHERE r.host = $1 AND r.playbook_id = $2
               AND EXISTS (SELECT 1 FROM results x WHERE x.run = r.id AND ($3::bigint = 0 OR x.check_ref = $3))
             ORDER BY r.started_ms LIMIT 1",
            &[],
        )?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn delete_all(&mut self) -> Result<(), postgres::Error> {
        delete_series(self.client, self.prepared, self.host, self.key)
    }

    fn cut_spans_at(&mut self, first: i64) -> Result<(), postgres::Error> {
        self.execute(
            "DELETE FROM uptime_spans WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND end_ms <= $4",
            &[first],
        )?;
        self.execute(
            "UPDATE uptime_spans SET start_ms = $4
             WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND start_ms < $4 AND end_ms > $4",
            &[first],
        )
    }

    fn incident_across(&mut self, first: i64) -> Result<Option<Incident>, postgres::Error> {
        let rows = self.rows(
            "SELECT started_ms, recovered_ms FROM uptime_incidents WHERE host = $1 AND playbook_id = $2 AND check_ref = $3
               AND started_ms < $4 AND (recovered_ms IS NULL OR recovered_ms > $4)",
            &[first],
        )?;
        Ok(rows.first().map(|r| Incident { started_ms: r.get(0), recovered_ms: r.get(1) }))
    }

    fn delete_incidents_before(&mut self, first: i64) -> Result<(), postgres::Error> {
        self.execute(
            "DELETE FROM uptime_incidents WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND started_ms < $4",
            &[first],
        )
    }

    fn samples_between(&mut self, from: i64, to: i64) -> Result<Vec<Sample>, postgres::Error> {
        raw_samples_between(self.client, self.prepared, self.host, self.key, from, to)
    }

    fn insert_incident(&mut self, incident: Incident) -> Result<(), postgres::Error> {
        let statement = self.prepared.get(
            self.client,
            "INSERT INTO uptime_incidents (host, playbook_id, check_ref, started_ms, recovered_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (host, playbook_id, check_ref, started_ms) DO UPDATE SET recovered_ms = excluded.recovered_ms",
        )?;
        let params: [&(dyn postgres::types::ToSql + Sync); 5] =
            [&self.host, &self.key.playbook_id, &self.key.check_ref, &incident.started_ms, &incident.recovered_ms];
        self.client.execute(&statement, &params)?;
        Ok(())
    }

    fn save_tail(&mut self, tail: &Tail) -> Result<(), postgres::Error> {
        let Some(last) = tail.last else { return Ok(()) };
        let statement = self.prepared.get(
            self.client,
            "UPDATE uptime_tails SET at_ms = $4, mark = $5, period_ms = $6, open_incident_ms = $7
             WHERE host = $1 AND playbook_id = $2 AND check_ref = $3",
        )?;
        let params: [&(dyn postgres::types::ToSql + Sync); 7] = [
            &self.host,
            &self.key.playbook_id,
            &self.key.check_ref,
            &last.at_ms,
            &mark_name(last.mark),
            &last.period_ms,
            &tail.open_incident_ms,
        ];
        self.client.execute(&statement, &params)?;
        Ok(())
    }

    fn delete_days_before(&mut self, day: i64) -> Result<(), postgres::Error> {
        self.execute(
            "DELETE FROM uptime_days WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND day < $4",
            &[day],
        )
    }

    fn replace_day(&mut self, day: i64, totals: Totals, incidents: IncidentTotals) -> Result<(), postgres::Error> {
        self.execute(
            "DELETE FROM uptime_days WHERE host = $1 AND playbook_id = $2 AND check_ref = $3 AND day = $4",
            &[day],
        )?;
        let statement = self.prepared.get(
            self.client,
            "INSERT INTO uptime_days (host, playbook_id, check_ref, day, up_ms, down_ms, up_results, down_results,
               incidents, recovered, recover_ms, longest_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )?;
        let params: [&(dyn postgres::types::ToSql + Sync); 12] = [
            &self.host,
            &self.key.playbook_id,
            &self.key.check_ref,
            &day,
            &totals.up_ms,
            &totals.down_ms,
            &totals.up_results,
            &totals.down_results,
            &incidents.started,
            &incidents.recovered,
            &incidents.recover_ms,
            &incidents.longest_ms,
        ];
        self.client.execute(&statement, &params)?;
        Ok(())
    }
}
