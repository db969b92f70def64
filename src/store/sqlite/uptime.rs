//! SQLite's uptime roll-ups (the interface and what they hold: `store::uptime`; their
//! arithmetic: `uptime::rollup`).

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::outcome::Status;
use crate::store::uptime::{Filter, SeriesFigures, SeriesTimeline, UptimeStore};
use crate::uptime::rollup::{self, PLAYBOOK_SERIES, PrunedSeries, Rollup, StoredSeries, mark_from, mark_name};
use crate::uptime::{Incident, IncidentTotals, Mark, Sample, Span, Tail, Totals, raw_figures};

/// One series: a check of a playbook, or the playbook itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeriesKey {
    playbook_id: i64,
    check_ref: i64,
}

impl UptimeStore for SqliteStore {
    fn uptime(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        self.with(|c| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(c, filter)? {
                let figures = rollup::rolled_up(&mut Stored { c, key }, since_ms, now_ms)?;
                out.push(SeriesFigures { playbook, check, figures });
            }
            Ok(out)
        })
    }

    fn uptime_timeline(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesTimeline>, Error> {
        self.with(|c| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(c, filter)? {
                let (spans, state_since_ms) = timeline(c, key, since_ms, now_ms)?;
                out.push(SeriesTimeline { playbook, check, spans, state_since_ms });
            }
            Ok(out)
        })
    }

    fn uptime_raw(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error> {
        self.with(|c| {
            let mut out = Vec::new();
            for (key, playbook, check) in series(c, filter)? {
                let figures = raw_figures(&raw_samples(c, key)?, since_ms, now_ms);
                out.push(SeriesFigures { playbook, check, figures });
            }
            Ok(out)
        })
    }

    fn rebuild_uptime(&self) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            rebuild_all(&tx)?;
            tx.commit()
        })
    }

    fn uptime_playbooks(&self) -> Result<Vec<String>, Error> {
        self.with(|c| {
            let mut statement = c.prepare_cached("SELECT name FROM playbooks ORDER BY name")?;
            let rows = statement.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    #[cfg(test)]
    fn uptime_rows_older(&self, cutoff_ms: i64) -> Result<crate::store::uptime::OlderRows, Error> {
        self.with(|c| {
            c.query_row(
                "SELECT (SELECT count(*) FROM uptime_days WHERE day < ?2), (SELECT count(*) FROM uptime_spans WHERE end_ms <= ?1),
                        (SELECT count(*) FROM uptime_incidents WHERE started_ms < ?1),
                        (SELECT count(*) FROM uptime_tails WHERE at_ms < ?1)",
                params![cutoff_ms, cutoff_ms.div_euclid(rollup::DAY_MS)],
                |r| {
                    Ok(crate::store::uptime::OlderRows {
                        days: r.get(0)?,
                        spans: r.get(1)?,
                        incidents: r.get(2)?,
                        tails: r.get(3)?,
                    })
                },
            )
        })
    }
}

/// Folds one committed run into its series' roll-ups: each check (`(check_ref, mark)`)
/// and the playbook's own series. Called in the run's transaction.
pub(crate) fn record(
    c: &Connection,
    playbook_id: i64,
    at_ms: i64,
    period_ms: Option<i64>,
    marks: &[(i64, Mark)],
) -> rusqlite::Result<()> {
    for (check_ref, mark) in marks {
        step(c, SeriesKey { playbook_id, check_ref: *check_ref }, Sample { at_ms, mark: *mark, period_ms })?;
    }
    // A run without results (all deselected) is no result of the playbook either.
    if !marks.is_empty() {
        let mark = Mark::worst(marks.iter().map(|(_, m)| *m));
        step(c, SeriesKey { playbook_id, check_ref: PLAYBOOK_SERIES }, Sample { at_ms, mark, period_ms })?;
    }
    Ok(())
}

fn step(c: &Connection, key: SeriesKey, sample: Sample) -> rusqlite::Result<()> {
    let mut tail = load_tail(c, key)?;
    if tail.last.is_some_and(|last| sample.at_ms < last.at_ms) {
        // Out of order (a clock set back, a late import): the series is replayed from its
        // raw results, which already hold this one.
        return rebuild_series(c, key);
    }
    let mut rollup = Rollup::default();
    tail.step(sample, |effect| rollup.take(effect));
    write(c, key, &rollup)?;
    save_tail(c, key, &tail)
}

/// Adds `rollup` to the stored roll-ups of `key`: the spans first, for the recoveries'
/// outages are the down time stored inside them.
fn write(c: &Connection, key: SeriesKey, rollup: &Rollup) -> rusqlite::Result<()> {
    let SeriesKey { playbook_id, check_ref } = key;
    let mut spans = rollup.spans.iter();
    if let Some(first) = spans.next() {
        let extended = c
            .prepare_cached(
                "UPDATE uptime_spans SET end_ms = ?4
                 WHERE playbook_id = ?1 AND check_ref = ?2 AND end_ms = ?3 AND up = ?5
                   AND start_ms = (SELECT max(start_ms) FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2)",
            )?
            .execute(params![playbook_id, check_ref, first.start_ms, first.end_ms, first.up])?;
        if extended == 0 {
            insert_span(c, key, first)?;
        }
    }
    for span in spans {
        insert_span(c, key, span)?;
    }
    for incident in &rollup.incidents {
        upsert_incident(c, key, *incident)?;
    }
    for (day, (totals, incidents)) in rollup.days_with_recoveries(&mut Stored { c, key })? {
        upsert_day(c, key, day, totals, incidents)?;
    }
    Ok(())
}

/// Adds a day's totals to the stored ones of `key`.
fn upsert_day(c: &Connection, key: SeriesKey, day: i64, t: Totals, i: IncidentTotals) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO uptime_days (playbook_id, check_ref, day, up_ms, down_ms, up_results, down_results,
           incidents, recovered, recover_ms, longest_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (playbook_id, check_ref, day) DO UPDATE SET up_ms = up_ms + excluded.up_ms,
           down_ms = down_ms + excluded.down_ms, up_results = up_results + excluded.up_results,
           down_results = down_results + excluded.down_results, incidents = incidents + excluded.incidents,
           recovered = recovered + excluded.recovered, recover_ms = recover_ms + excluded.recover_ms,
           longest_ms = CASE WHEN longest_ms IS NULL OR excluded.longest_ms > longest_ms
             THEN excluded.longest_ms ELSE longest_ms END",
    )?
    .execute(params![
        key.playbook_id,
        key.check_ref,
        day,
        t.up_ms,
        t.down_ms,
        t.up_results,
        t.down_results,
        i.started,
        i.recovered,
        i.recover_ms,
        i.longest_ms
    ])?;
    Ok(())
}

fn upsert_incident(c: &Connection, key: SeriesKey, incident: Incident) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO uptime_incidents (playbook_id, check_ref, started_ms, recovered_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (playbook_id, check_ref, started_ms) DO UPDATE SET recovered_ms = excluded.recovered_ms",
    )?
    .execute(params![key.playbook_id, key.check_ref, incident.started_ms, incident.recovered_ms])?;
    Ok(())
}

fn insert_span(c: &Connection, key: SeriesKey, span: &Span) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO uptime_spans (playbook_id, check_ref, start_ms, end_ms, up) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key.playbook_id, key.check_ref, span.start_ms, span.end_ms, span.up])?;
    Ok(())
}

fn load_tail(c: &Connection, key: SeriesKey) -> rusqlite::Result<Tail> {
    let row = c
        .prepare_cached(
            "SELECT at_ms, mark, period_ms, open_incident_ms FROM uptime_tails WHERE playbook_id = ?1 AND check_ref = ?2",
        )?
        .query_row(params![key.playbook_id, key.check_ref], |r| {
            let mark: String = r.get(1)?;
            Ok(Tail {
                last: Some(Sample { at_ms: r.get(0)?, mark: mark_from(&mark), period_ms: r.get(2)? }),
                open_incident_ms: r.get(3)?,
            })
        })
        .optional()?;
    Ok(row.unwrap_or_default())
}

fn save_tail(c: &Connection, key: SeriesKey, tail: &Tail) -> rusqlite::Result<()> {
    let Some(last) = tail.last else { return Ok(()) };
    c.prepare_cached(
        "INSERT OR REPLACE INTO uptime_tails (playbook_id, check_ref, at_ms, mark, period_ms, open_incident_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        key.playbook_id,
        key.check_ref,
        last.at_ms,
        mark_name(last.mark),
        last.period_ms,
        tail.open_incident_ms
    ])?;
    Ok(())
}

/// Replays one series from its raw results.
fn rebuild_series(c: &Connection, key: SeriesKey) -> rusqlite::Result<()> {
    delete_series(c, key)?;
    let (rollup, tail) = Rollup::replay(&raw_samples(c, key)?);
    write(c, key, &rollup)?;
    save_tail(c, key, &tail)
}

/// Rebuilds every series' roll-ups from the raw results (the migration that adds them).
pub(crate) fn rebuild_all(c: &Connection) -> rusqlite::Result<()> {
    let keys: Vec<SeriesKey> = series(c, Filter::default())?.into_iter().map(|(key, _, _)| key).collect();
    for key in keys {
        rebuild_series(c, key)?;
    }
    Ok(())
}

/// Forgets the roll-ups older than the raw results that history retention kept
/// (`rollup::prune_series`): called in the transaction that prunes them, after they went.
pub(crate) fn prune(c: &Connection, playbook: Option<&str>) -> rusqlite::Result<()> {
    for (key, _, _) in series(c, Filter { playbook, check: None })? {
        rollup::prune_series(&mut Stored { c, key })?;
    }
    Ok(())
}

fn delete_series(c: &Connection, key: SeriesKey) -> rusqlite::Result<()> {
    for table in ["uptime_days", "uptime_spans", "uptime_incidents", "uptime_tails"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE playbook_id = ?1 AND check_ref = ?2"),
            params![key.playbook_id, key.check_ref],
        )?;
    }
    Ok(())
}

/// The matching series, a playbook's own before its checks: (key, playbook, check).
fn series(c: &Connection, filter: Filter<'_>) -> rusqlite::Result<Vec<(SeriesKey, String, Option<String>)>> {
    let mut statement = c.prepare(
        "SELECT p.id, p.name, 0, NULL FROM playbooks p WHERE ?1 IS NULL OR p.name = ?1
         UNION ALL
         SELECT p.id, p.name, k.id, k.check_id FROM checks k JOIN playbooks p ON p.id = k.playbook_id
         WHERE (?1 IS NULL OR p.name = ?1)
         ORDER BY 2, 3",
    )?;
    let rows = statement.query_map(params![filter.playbook], |r| {
        Ok((SeriesKey { playbook_id: r.get(0)?, check_ref: r.get(2)? }, r.get::<_, String>(1)?, r.get(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, playbook, check): (SeriesKey, String, Option<String>) = row?;
        // With --check, that check's series only; the playbook's own series is every check's.
        if filter.check.is_some() && check.as_deref() != filter.check {
            continue;
        }
        out.push((key, playbook, check));
    }
    Ok(out)
}

/// A result row as a sample: `(run, started_ms, period_ms, status, quiet)`.
fn sample_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Sample)> {
    let status = Status::from_name(&r.get::<_, String>(3)?).unwrap_or(Status::Unknown);
    let mark = Mark::of(status, r.get::<_, Option<String>>(4)?.as_deref());
    Ok((r.get(0)?, Sample { at_ms: r.get(1)?, mark, period_ms: r.get(2)? }))
}

/// A series' results in time order, from the raw tables.
fn raw_samples(c: &Connection, key: SeriesKey) -> rusqlite::Result<Vec<Sample>> {
    raw_samples_between(c, key, i64::MIN, i64::MAX)
}

/// A series' results of runs started in `[from, to)`, in time order.
fn raw_samples_between(c: &Connection, key: SeriesKey, from: i64, to: i64) -> rusqlite::Result<Vec<Sample>> {
    if key.check_ref != PLAYBOOK_SERIES {
        let mut statement = c.prepare_cached(
            "SELECT runs.id, runs.started_ms, runs.period_ms, results.status, results.quiet
             FROM results JOIN runs ON runs.id = results.run
             WHERE results.check_ref = ?1 AND runs.started_ms >= ?2 AND runs.started_ms < ?3
             ORDER BY runs.started_ms, runs.id",
        )?;
        let rows = statement.query_map(params![key.check_ref, from, to], |r| Ok(sample_row(r)?.1))?;
        return rows.collect();
    }
    let mut statement = c.prepare_cached(
        "SELECT runs.id, runs.started_ms, runs.period_ms, results.status, results.quiet
         FROM runs JOIN results ON results.run = runs.id
         WHERE runs.playbook_id = ?1 AND runs.started_ms >= ?2 AND runs.started_ms < ?3
         ORDER BY runs.started_ms, runs.id",
    )?;
    let rows =
        statement.query_map(params![key.playbook_id, from, to], sample_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rollup::per_run(rows))
}

/// One series' stored roll-ups, read for `rollup::rolled_up` and edited for
/// `rollup::prune_series`.
struct Stored<'a> {
    c: &'a Connection,
    key: SeriesKey,
}

impl StoredSeries for Stored<'_> {
    type Error = rusqlite::Error;

    fn tail(&mut self) -> rusqlite::Result<Tail> {
        load_tail(self.c, self.key)
    }

    fn whole_days(&mut self, from_day: i64, to_day: i64) -> rusqlite::Result<(Totals, IncidentTotals)> {
        self.c
            .prepare_cached(
                "SELECT coalesce(sum(up_ms), 0), coalesce(sum(down_ms), 0), coalesce(sum(up_results), 0), coalesce(sum(down_results), 0),
                        coalesce(sum(incidents), 0), coalesce(sum(recovered), 0), coalesce(sum(recover_ms), 0), max(longest_ms)
                 FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day >= ?3 AND day < ?4",
            )?
            .query_row(params![self.key.playbook_id, self.key.check_ref, from_day, to_day], |r| {
                let totals =
                    Totals { up_ms: r.get(0)?, down_ms: r.get(1)?, up_results: r.get(2)?, down_results: r.get(3)? };
                let incidents = IncidentTotals {
                    started: r.get(4)?,
                    recovered: r.get(5)?,
                    recover_ms: r.get(6)?,
                    longest_ms: r.get(7)?,
                    ongoing: false,
                };
                Ok((totals, incidents))
            })
    }

    fn spans(&mut self, from: i64, to: i64) -> rusqlite::Result<Vec<Span>> {
        let SeriesKey { playbook_id, check_ref } = self.key;
        let span = |r: &rusqlite::Row<'_>| Ok(Span { start_ms: r.get(0)?, end_ms: r.get(1)?, up: r.get(2)? });
        let holding = self
            .c
            .prepare_cached(
                "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms <= ?3
                 ORDER BY start_ms DESC LIMIT 1",
            )?
            .query_row(params![playbook_id, check_ref, from], span)
            .optional()?;
        let mut statement = self.c.prepare_cached(
            "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms > ?3 AND start_ms < ?4",
        )?;
        let inside = statement.query_map(params![playbook_id, check_ref, from, to], span)?;
        holding.into_iter().map(Ok).chain(inside).collect()
    }

    fn unscheduled(&mut self, from: i64, to: i64) -> rusqlite::Result<Vec<(i64, Sample)>> {
        let mut statement = self.c.prepare_cached(
            "SELECT runs.id, runs.started_ms, runs.period_ms, results.status, results.quiet
             FROM runs JOIN results ON results.run = runs.id
             WHERE runs.playbook_id = ?1 AND runs.started_ms >= ?3 AND runs.started_ms < ?4 AND runs.period_ms IS NULL
               AND (?2 = 0 OR results.check_ref = ?2)
             ORDER BY runs.id",
        )?;
        let rows = statement.query_map(params![self.key.playbook_id, self.key.check_ref, from, to], sample_row)?;
        rows.collect()
    }

    fn incidents(&mut self, from: i64, to: i64) -> rusqlite::Result<Vec<Incident>> {
        let mut statement = self.c.prepare_cached(
            "SELECT started_ms, recovered_ms FROM uptime_incidents
             WHERE playbook_id = ?1 AND check_ref = ?2 AND started_ms >= ?3 AND started_ms < ?4",
        )?;
        let rows = statement.query_map(params![self.key.playbook_id, self.key.check_ref, from, to], |r| {
            Ok(Incident { started_ms: r.get(0)?, recovered_ms: r.get(1)? })
        })?;
        rows.collect()
    }

    fn down_ms(&mut self, from: i64, to: i64) -> rusqlite::Result<i64> {
        let mut statement = self.c.prepare_cached(
            "SELECT start_ms, end_ms FROM uptime_spans
             WHERE playbook_id = ?1 AND check_ref = ?2 AND up = 0 AND start_ms < ?4 AND end_ms > ?3",
        )?;
        let rows = statement.query_map(params![self.key.playbook_id, self.key.check_ref, from, to], |r| {
            Ok(Span { start_ms: r.get(0)?, end_ms: r.get(1)?, up: false })
        })?;
        let mut down = 0;
        for span in rows {
            down += span?.overlap_ms(from, to);
        }
        Ok(down)
    }
}

impl PrunedSeries for Stored<'_> {
    /// The playbook's runs are walked in time order (an index) until one holds a result of
    /// the series, so the answer costs a few rows however long the history.
    fn first_result_ms(&mut self) -> rusqlite::Result<Option<i64>> {
        self.c
            .prepare_cached(
                "SELECT runs.started_ms FROM runs WHERE runs.playbook_id = ?1
                   AND EXISTS (SELECT 1 FROM results WHERE results.run = runs.id AND (?2 = 0 OR results.check_ref = ?2))
                 ORDER BY runs.started_ms LIMIT 1",
            )?
            .query_row(params![self.key.playbook_id, self.key.check_ref], |r| r.get(0))
            .optional()
    }

    fn delete_all(&mut self) -> rusqlite::Result<()> {
        delete_series(self.c, self.key)
    }

    fn cut_spans_at(&mut self, first: i64) -> rusqlite::Result<()> {
        let SeriesKey { playbook_id, check_ref } = self.key;
        self.c
            .prepare_cached("DELETE FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND end_ms <= ?3")?
            .execute(params![playbook_id, check_ref, first])?;
        self.c
            .prepare_cached(
                "UPDATE uptime_spans SET start_ms = ?3
                 WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms < ?3 AND end_ms > ?3",
            )?
            .execute(params![playbook_id, check_ref, first])?;
        Ok(())
    }

    fn incident_across(&mut self, first: i64) -> rusqlite::Result<Option<Incident>> {
        self.c
            .prepare_cached(
                "SELECT started_ms, recovered_ms FROM uptime_incidents WHERE playbook_id = ?1 AND check_ref = ?2
                   AND started_ms < ?3 AND (recovered_ms IS NULL OR recovered_ms > ?3)",
            )?
            .query_row(params![self.key.playbook_id, self.key.check_ref, first], |r| {
                Ok(Incident { started_ms: r.get(0)?, recovered_ms: r.get(1)? })
            })
            .optional()
    }

    fn delete_incidents_before(&mut self, first: i64) -> rusqlite::Result<()> {
        self.c
            .prepare_cached(
                "DELETE FROM uptime_incidents WHERE playbook_id = ?1 AND check_ref = ?2 AND started_ms < ?3",
            )?
            .execute(params![self.key.playbook_id, self.key.check_ref, first])?;
        Ok(())
    }

    fn samples_between(&mut self, from: i64, to: i64) -> rusqlite::Result<Vec<Sample>> {
        raw_samples_between(self.c, self.key, from, to)
    }

    fn insert_incident(&mut self, incident: Incident) -> rusqlite::Result<()> {
        upsert_incident(self.c, self.key, incident)
    }

    fn save_tail(&mut self, tail: &Tail) -> rusqlite::Result<()> {
        save_tail(self.c, self.key, tail)
    }

    fn delete_days_before(&mut self, day: i64) -> rusqlite::Result<()> {
        self.c
            .prepare_cached("DELETE FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day < ?3")?
            .execute(params![self.key.playbook_id, self.key.check_ref, day])?;
        Ok(())
    }

    fn replace_day(&mut self, day: i64, totals: Totals, incidents: IncidentTotals) -> rusqlite::Result<()> {
        self.c
            .prepare_cached("DELETE FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day = ?3")?
            .execute(params![self.key.playbook_id, self.key.check_ref, day])?;
        upsert_day(self.c, self.key, day, totals, incidents)
    }
}

/// The spans of one series in `[since_ms, now_ms)` (cut to it, the open one included) and
/// when it last turned between up and down: each an indexed read of its primary key.
fn timeline(c: &Connection, key: SeriesKey, since_ms: i64, now_ms: i64) -> rusqlite::Result<(Vec<Span>, Option<i64>)> {
    let span = |r: &rusqlite::Row<'_>| Ok(Span { start_ms: r.get(0)?, end_ms: r.get(1)?, up: r.get(2)? });
    let mut spans = Vec::new();
    if since_ms < now_ms {
        // The span holding at `since_ms`, then those starting inside: spans never overlap.
        let holding = c
            .prepare_cached(
                "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms <= ?3
                 ORDER BY start_ms DESC LIMIT 1",
            )?
            .query_row(params![key.playbook_id, key.check_ref, since_ms], span)
            .optional()?;
        spans.extend(holding);
        let mut statement = c.prepare_cached(
            "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2
               AND start_ms > ?3 AND start_ms < ?4 ORDER BY start_ms",
        )?;
        for s in statement.query_map(params![key.playbook_id, key.check_ref, since_ms, now_ms], span)? {
            spans.push(s?);
        }
    }
    let tail = load_tail(c, key)?;
    spans.extend(tail.open_span(now_ms));
    // Cut to the window, and run-length again (the open span continues the last stored one).
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
        None => c
            .prepare_cached(
                "SELECT recovered_ms FROM uptime_incidents WHERE playbook_id = ?1 AND check_ref = ?2
                   AND recovered_ms IS NOT NULL ORDER BY started_ms DESC LIMIT 1",
            )?
            .query_row(params![key.playbook_id, key.check_ref], |r| r.get(0))
            .optional()?
            .or(c
                .prepare_cached(
                    "SELECT start_ms FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 ORDER BY start_ms LIMIT 1",
                )?
                .query_row(params![key.playbook_id, key.check_ref], |r| r.get(0))
                .optional()?)
            .or(tail.open_span(now_ms).map(|s| s.start_ms)),
    };
    Ok((merged, state_since_ms))
}

#[cfg(test)]
mod tests {
    //! What is SQLite's own: its migration builds the roll-ups of an existing store. The
    //! roll-ups themselves are the store's contract (`store::contract::uptime`).

    use super::*;
    use crate::uptime::Figures;

    const MIN: i64 = 60_000;
    /// 2026-03-01T22:00:00Z.
    const T0: i64 = 1_772_402_400_000;

    fn at(minute: i64) -> i64 {
        T0 + minute * MIN
    }

    fn figures(rows: &[SeriesFigures], check: Option<&str>) -> Figures {
        rows.iter().find(|r| r.check.as_deref() == check).unwrap().figures.clone()
    }

    #[test]
    fn the_migration_builds_roll_ups_for_an_existing_store() {
        // A store of the schema before uptime (version 3), with three runs in it.
        let dir = tempfile::tempdir().unwrap();
        let mut c = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).unwrap();
        super::super::schema::migrations().to_version(&mut c, 3).unwrap();
        c.execute_batch(
            "INSERT INTO playbooks (id, name) VALUES (1, 'old');
             INSERT INTO checks (id, playbook_id, check_id) VALUES (1, 1, 'c');",
        )
        .unwrap();
        for (i, status) in ["ok", "critical", "ok"].iter().enumerate() {
            let i = i as i64;
            c.execute(
                "INSERT INTO runs (id, run_id, playbook_id, started_ms, duration_ms, status, origin, summary)
                 VALUES (?1, ?1, 1, ?2, 1, ?3, 'daemon', '{}')",
                params![i + 1, at(i * 5), status],
            )
            .unwrap();
            c.execute(
                "INSERT INTO results (run, check_ref, status, duration_ms, attempts, message) VALUES (?1, 1, ?2, 1, 1, '')",
                params![i + 1, status],
            )
            .unwrap();
        }
        drop(c);
        let store = SqliteStore::open(dir.path()).unwrap();
        // Runs stored before the upgrade have no period: they count by result, 2 of 3.
        let rows = store.uptime(Filter::default(), at(-10), at(20)).unwrap();
        let c = figures(&rows, Some("c"));
        assert_eq!(c.weighed_by, Some(crate::uptime::Weighing::Result));
        assert!((c.uptime_percent.unwrap() - 66.6667).abs() < 0.01);
        assert_eq!((c.incidents, c.mean_time_to_recover_ms), (1, Some(5 * MIN)));
        assert_eq!(rows, store.uptime_raw(Filter::default(), at(-10), at(20)).unwrap());
    }
}
