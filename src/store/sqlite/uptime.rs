//! SQLite's uptime roll-ups (the interface and what they hold: `store::uptime`).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::outcome::Status;
use crate::store::uptime::{Filter, SeriesFigures, SeriesTimeline, UptimeStore};
use crate::uptime::timeline::Effect;
use crate::uptime::{Figures, Incident, IncidentTotals, Mark, Sample, Span, Tail, Totals, outage_ms, raw_figures};

const DAY_MS: i64 = 86_400_000;

/// The `check_ref` of a playbook's own series.
const PLAYBOOK_SERIES: i64 = 0;

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
                let figures = rolled_up(c, key, since_ms, now_ms)?;
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
    rollup.write(c, key)?;
    save_tail(c, key, &tail)
}

/// What a stretch of the fold adds to the stored roll-ups.
#[derive(Default)]
struct Rollup {
    days: BTreeMap<i64, (Totals, IncidentTotals)>,
    /// Run-length: consecutive spans of one state are merged.
    spans: Vec<Span>,
    /// New incidents, and recoveries of stored ones.
    incidents: Vec<Incident>,
    /// The incidents that recovered: their outage is added to the day they started once
    /// the spans are written (it is the down time inside them).
    recoveries: Vec<Incident>,
}

impl Rollup {
    fn take(&mut self, effect: Effect) {
        match effect {
            Effect::Span(span) => {
                let mut day = span.start_ms.div_euclid(DAY_MS);
                while day * DAY_MS < span.end_ms {
                    self.days.entry(day).or_default().0.add_span(span, day * DAY_MS, (day + 1) * DAY_MS);
                    day += 1;
                }
                match self.spans.last_mut() {
                    Some(last) if last.end_ms == span.start_ms && last.up == span.up => last.end_ms = span.end_ms,
                    _ => self.spans.push(span),
                }
            }
            Effect::Count { at_ms, up } => self.days.entry(at_ms.div_euclid(DAY_MS)).or_default().0.add_count(up),
            Effect::IncidentStarted { at_ms } => {
                self.days.entry(at_ms.div_euclid(DAY_MS)).or_default().1.started += 1;
                self.incidents.push(Incident { started_ms: at_ms, recovered_ms: None });
            }
            Effect::Recovered { started_ms, at_ms } => {
                self.recoveries.push(Incident { started_ms, recovered_ms: Some(at_ms) });
                match self.incidents.iter_mut().find(|i| i.started_ms == started_ms) {
                    Some(incident) => incident.recovered_ms = Some(at_ms),
                    None => self.incidents.push(Incident { started_ms, recovered_ms: Some(at_ms) }),
                }
            }
        }
    }

    /// Adds this to the stored roll-ups of `key`.
    fn write(&self, c: &Connection, key: SeriesKey) -> rusqlite::Result<()> {
        self.write_spans(c, key)?;
        let mut days = self.days.clone();
        for incident in &self.recoveries {
            let recovered_ms = incident.recovered_ms.unwrap_or(incident.started_ms);
            let outage = outage_ms(
                stored_down_ms(c, key, incident.started_ms, recovered_ms)?,
                incident.started_ms,
                recovered_ms,
            );
            let day = incident.started_ms.div_euclid(DAY_MS);
            days.entry(day).or_default().1.add_recovered(recovered_ms - incident.started_ms, outage);
        }
        let mut incident_upsert = c.prepare_cached(
            "INSERT INTO uptime_incidents (playbook_id, check_ref, started_ms, recovered_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (playbook_id, check_ref, started_ms) DO UPDATE SET recovered_ms = excluded.recovered_ms",
        )?;
        for incident in &self.incidents {
            incident_upsert.execute(params![
                key.playbook_id,
                key.check_ref,
                incident.started_ms,
                incident.recovered_ms
            ])?;
        }
        upsert_days(c, key, &days)
    }

    /// Adds the spans to the stored run-length timeline (extending its last span).
    fn write_spans(&self, c: &Connection, key: SeriesKey) -> rusqlite::Result<()> {
        let SeriesKey { playbook_id, check_ref } = key;
        let mut spans = self.spans.iter();
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
        Ok(())
    }
}

/// Adds days' totals to the stored ones of `key`.
fn upsert_days(c: &Connection, key: SeriesKey, days: &BTreeMap<i64, (Totals, IncidentTotals)>) -> rusqlite::Result<()> {
    let SeriesKey { playbook_id, check_ref } = key;
    let mut day_upsert = c.prepare_cached(
        "INSERT INTO uptime_days (playbook_id, check_ref, day, up_ms, down_ms, up_results, down_results,
               incidents, recovered, recover_ms, longest_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (playbook_id, check_ref, day) DO UPDATE SET up_ms = up_ms + excluded.up_ms,
               down_ms = down_ms + excluded.down_ms, up_results = up_results + excluded.up_results,
               down_results = down_results + excluded.down_results, incidents = incidents + excluded.incidents,
               recovered = recovered + excluded.recovered, recover_ms = recover_ms + excluded.recover_ms,
               longest_ms = CASE WHEN longest_ms IS NULL OR excluded.longest_ms > longest_ms
                 THEN excluded.longest_ms ELSE longest_ms END",
    )?;
    for (day, (t, i)) in days {
        day_upsert.execute(params![
            playbook_id,
            check_ref,
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
    }
    Ok(())
}

/// The down time of the stored (closed) spans inside `[from, to)`.
fn stored_down_ms(c: &Connection, key: SeriesKey, from: i64, to: i64) -> rusqlite::Result<i64> {
    let mut statement = c.prepare_cached(
        "SELECT start_ms, end_ms FROM uptime_spans
         WHERE playbook_id = ?1 AND check_ref = ?2 AND up = 0 AND start_ms < ?4 AND end_ms > ?3",
    )?;
    let rows = statement.query_map(params![key.playbook_id, key.check_ref, from, to], |r| {
        Ok(Span { start_ms: r.get(0)?, end_ms: r.get(1)?, up: false })
    })?;
    let mut down = 0;
    for span in rows {
        down += span?.overlap_ms(from, to);
    }
    Ok(down)
}

/// The outage of an incident as it stands at `now_ms`: the stored down spans inside it and
/// the last result's span if it is down.
fn outage_at(c: &Connection, key: SeriesKey, tail: &Tail, incident: Incident, now_ms: i64) -> rusqlite::Result<i64> {
    let end_ms = incident.end_at(now_ms);
    let mut down = stored_down_ms(c, key, incident.started_ms, end_ms)?;
    if let Some(span) = tail.open_span(now_ms).filter(|s| !s.up) {
        down += span.overlap_ms(incident.started_ms, end_ms);
    }
    Ok(outage_ms(down, incident.started_ms, end_ms))
}

fn insert_span(c: &Connection, key: SeriesKey, span: &Span) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO uptime_spans (playbook_id, check_ref, start_ms, end_ms, up) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key.playbook_id, key.check_ref, span.start_ms, span.end_ms, span.up])?;
    Ok(())
}

fn mark_name(mark: Mark) -> &'static str {
    match mark {
        Mark::Up => "up",
        Mark::Down => "down",
        Mark::NoData => "no_data",
    }
}

fn mark_from(name: &str) -> Mark {
    match name {
        "up" => Mark::Up,
        "down" => Mark::Down,
        _ => Mark::NoData,
    }
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
    let mut tail = Tail::default();
    let mut rollup = Rollup::default();
    for sample in raw_samples(c, key)? {
        tail.step(sample, |effect| rollup.take(effect));
    }
    rollup.write(c, key)?;
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

/// Forgets the roll-ups older than the raw results that history retention kept: called in
/// the transaction that prunes them, after they went. Each series' roll-ups become those
/// of a replay from its first kept result (what `uptime_raw` computes), without replaying
/// it: only the boundary changes (the time the last pruned result held, the incident it
/// left open, the day each falls in).
pub(crate) fn prune(c: &Connection, playbook: Option<&str>) -> rusqlite::Result<()> {
    for (key, _, _) in series(c, Filter { playbook, check: None })? {
        prune_series(c, key)?;
    }
    Ok(())
}

fn prune_series(c: &Connection, key: SeriesKey) -> rusqlite::Result<()> {
    let Some(first) = first_result_ms(c, key)? else {
        return delete_series(c, key);
    };
    let SeriesKey { playbook_id, check_ref } = key;
    // Spans: the pruned results' go, and one that ran into the first kept result (merged
    // run-length with its span) starts there.
    c.prepare_cached("DELETE FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND end_ms <= ?3")?
        .execute(params![playbook_id, check_ref, first])?;
    c.prepare_cached(
        "UPDATE uptime_spans SET start_ms = ?3 WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms < ?3 AND end_ms > ?3",
    )?
    .execute(params![playbook_id, check_ref, first])?;
    // The incident a pruned result left open: a replay starts it at its first failing kept
    // result before its recovery (none: it is gone).
    let straddling: Option<(i64, Option<i64>)> = c
        .prepare_cached(
            "SELECT started_ms, recovered_ms FROM uptime_incidents WHERE playbook_id = ?1 AND check_ref = ?2
               AND started_ms < ?3 AND (recovered_ms IS NULL OR recovered_ms > ?3)",
        )?
        .query_row(params![playbook_id, check_ref, first], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    c.prepare_cached("DELETE FROM uptime_incidents WHERE playbook_id = ?1 AND check_ref = ?2 AND started_ms < ?3")?
        .execute(params![playbook_id, check_ref, first])?;
    let mut restarted = None;
    if let Some((started, recovered)) = straddling {
        let until = recovered.unwrap_or(i64::MAX);
        restarted = raw_samples_between(c, key, first, until)?.iter().find(|s| s.mark == Mark::Down).map(|s| s.at_ms);
        if let Some(at) = restarted {
            c.prepare_cached(
                "INSERT INTO uptime_incidents (playbook_id, check_ref, started_ms, recovered_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![playbook_id, check_ref, at, recovered])?;
        }
        let mut tail = load_tail(c, key)?;
        if tail.open_incident_ms == Some(started) {
            tail.open_incident_ms = restarted;
            save_tail(c, key, &tail)?;
        }
    }
    // Days: those before the first kept result go; its day and the restarted incident's
    // are recounted from the timeline above.
    let first_day = first.div_euclid(DAY_MS);
    c.prepare_cached("DELETE FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day < ?3")?
        .execute(params![playbook_id, check_ref, first_day])?;
    recount_day(c, key, first_day)?;
    if let Some(day) = restarted.map(|at| at.div_euclid(DAY_MS)).filter(|day| *day != first_day) {
        recount_day(c, key, day)?;
    }
    Ok(())
}

/// When a series' first stored result is (`None`: it has none left). The playbook's runs
/// are walked in time order (an index) until one holds a result of the series, so the
/// answer costs a few rows however long the history.
fn first_result_ms(c: &Connection, key: SeriesKey) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(
        "SELECT runs.started_ms FROM runs WHERE runs.playbook_id = ?1
           AND EXISTS (SELECT 1 FROM results WHERE results.run = runs.id AND (?2 = 0 OR results.check_ref = ?2))
         ORDER BY runs.started_ms LIMIT 1",
    )?
    .query_row(params![key.playbook_id, key.check_ref], |r| r.get(0))
    .optional()
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

/// Recounts one day's roll-up from the timeline, the incidents and the raw counts.
fn recount_day(c: &Connection, key: SeriesKey, day: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day = ?3")?
        .execute(params![key.playbook_id, key.check_ref, day])?;
    let (from, to) = (day * DAY_MS, (day + 1) * DAY_MS);
    let totals = cut(c, key, from, to)?;
    let mut incidents = IncidentTotals::default();
    let listed = c
        .prepare_cached(
            "SELECT started_ms, recovered_ms FROM uptime_incidents
             WHERE playbook_id = ?1 AND check_ref = ?2 AND started_ms >= ?3 AND started_ms < ?4",
        )?
        .query_map(params![key.playbook_id, key.check_ref, from, to], |r| {
            Ok(Incident { started_ms: r.get(0)?, recovered_ms: r.get(1)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for incident in listed {
        incidents.started += 1;
        if let Some(at) = incident.recovered_ms {
            let outage = outage_ms(stored_down_ms(c, key, incident.started_ms, at)?, incident.started_ms, at);
            incidents.add_recovered(at - incident.started_ms, outage);
        }
    }
    upsert_days(c, key, &BTreeMap::from([(day, (totals, incidents))]))
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

/// A series' results in time order, from the raw tables.
fn raw_samples(c: &Connection, key: SeriesKey) -> rusqlite::Result<Vec<Sample>> {
    raw_samples_between(c, key, i64::MIN, i64::MAX)
}

/// A series' results of runs started in `[from, to)`, in time order.
fn raw_samples_between(c: &Connection, key: SeriesKey, from: i64, to: i64) -> rusqlite::Result<Vec<Sample>> {
    let sample = |at_ms: i64, period_ms: Option<i64>, status: &str, quiet: Option<&str>| Sample {
        at_ms,
        mark: Mark::of(Status::from_name(status).unwrap_or(Status::Unknown), quiet),
        period_ms,
    };
    if key.check_ref != PLAYBOOK_SERIES {
        let mut statement = c.prepare_cached(
            "SELECT runs.started_ms, runs.period_ms, results.status, results.quiet
             FROM results JOIN runs ON runs.id = results.run
             WHERE results.check_ref = ?1 AND runs.started_ms >= ?2 AND runs.started_ms < ?3
             ORDER BY runs.started_ms, runs.id",
        )?;
        let rows = statement.query_map(params![key.check_ref, from, to], |r| {
            Ok(sample(r.get(0)?, r.get(1)?, &r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?.as_deref()))
        })?;
        return rows.collect();
    }
    let mut statement = c.prepare_cached(
        "SELECT runs.id, runs.started_ms, runs.period_ms, results.status, results.quiet
         FROM runs JOIN results ON results.run = runs.id
         WHERE runs.playbook_id = ?1 AND runs.started_ms >= ?2 AND runs.started_ms < ?3
         ORDER BY runs.started_ms, runs.id",
    )?;
    let mut rows = statement.query(params![key.playbook_id, from, to])?;
    let mut samples: Vec<Sample> = Vec::new();
    let mut current_run = None;
    while let Some(r) = rows.next()? {
        let run: i64 = r.get(0)?;
        let one = sample(r.get(1)?, r.get(2)?, &r.get::<_, String>(3)?, r.get::<_, Option<String>>(4)?.as_deref());
        match samples.last_mut() {
            Some(last) if current_run == Some(run) => last.mark = Mark::worst([last.mark, one.mark]),
            _ => samples.push(one),
        }
        current_run = Some(run);
    }
    Ok(samples)
}

/// The figures of one series over `[since_ms, now_ms)` from its roll-ups: whole days from
/// `uptime_days`, the cut days from `uptime_spans` (and raw counts) and
/// `uptime_incidents`, the open span and the open incident from the tail.
fn rolled_up(c: &Connection, key: SeriesKey, since_ms: i64, now_ms: i64) -> rusqlite::Result<Figures> {
    let mut totals = Totals::default();
    let mut incidents = IncidentTotals::default();
    if since_ms >= now_ms {
        return Ok(Figures::of(totals, incidents));
    }
    let tail = load_tail(c, key)?;
    let first_whole_day = (since_ms + DAY_MS - 1).div_euclid(DAY_MS);
    let end_day = now_ms.div_euclid(DAY_MS);
    // A day's incident figures hold recoveries up to the last result: they are whole only
    // when that result is not after now (a clock set back sees results "in the future").
    let whole_incidents = tail.last.is_none_or(|last| last.at_ms <= now_ms);
    if first_whole_day < end_day {
        let (days_totals, days_incidents) = whole_days(c, key, first_whole_day, end_day)?;
        totals.add(days_totals);
        totals.add(cut(c, key, since_ms, first_whole_day * DAY_MS)?);
        totals.add(cut(c, key, end_day * DAY_MS, now_ms)?);
        if whole_incidents {
            incidents.merge(days_incidents);
            incidents.merge(listed_incidents(c, key, &tail, since_ms, first_whole_day * DAY_MS, now_ms)?);
            incidents.merge(listed_incidents(c, key, &tail, end_day * DAY_MS, now_ms, now_ms)?);
            // The days count the open incident as started; how long it lasts is now's.
            if let Some(open) =
                tail.open_incident_ms.filter(|at| (first_whole_day * DAY_MS..end_day * DAY_MS).contains(at))
            {
                let open = Incident { started_ms: open, recovered_ms: None };
                incidents.add_open(outage_at(c, key, &tail, open, now_ms)?);
            }
        } else {
            incidents = listed_incidents(c, key, &tail, since_ms, now_ms, now_ms)?;
        }
    } else {
        totals.add(cut(c, key, since_ms, now_ms)?);
        incidents = listed_incidents(c, key, &tail, since_ms, now_ms, now_ms)?;
    }
    if let Some(span) = tail.open_span(now_ms) {
        totals.add_span(span, since_ms, now_ms);
    }
    Ok(Figures::of(totals, incidents))
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

/// The incidents that started in `[from, to)`, one by one, as they stand at `now_ms`.
fn listed_incidents(
    c: &Connection,
    key: SeriesKey,
    tail: &Tail,
    from: i64,
    to: i64,
    now_ms: i64,
) -> rusqlite::Result<IncidentTotals> {
    let mut statement = c.prepare_cached(
        "SELECT started_ms, recovered_ms FROM uptime_incidents
         WHERE playbook_id = ?1 AND check_ref = ?2 AND started_ms >= ?3 AND started_ms < ?4",
    )?;
    let listed = statement
        .query_map(params![key.playbook_id, key.check_ref, from, to], |r| {
            Ok(Incident { started_ms: r.get(0)?, recovered_ms: r.get(1)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut totals = IncidentTotals::default();
    for incident in listed {
        totals.add(incident, outage_at(c, key, tail, incident, now_ms)?, now_ms);
    }
    Ok(totals)
}

fn whole_days(
    c: &Connection,
    key: SeriesKey,
    from_day: i64,
    to_day: i64,
) -> rusqlite::Result<(Totals, IncidentTotals)> {
    c.prepare_cached(
        "SELECT coalesce(sum(up_ms), 0), coalesce(sum(down_ms), 0), coalesce(sum(up_results), 0), coalesce(sum(down_results), 0),
                coalesce(sum(incidents), 0), coalesce(sum(recovered), 0), coalesce(sum(recover_ms), 0), max(longest_ms)
         FROM uptime_days WHERE playbook_id = ?1 AND check_ref = ?2 AND day >= ?3 AND day < ?4",
    )?
    .query_row(params![key.playbook_id, key.check_ref, from_day, to_day], |r| {
        let totals = Totals { up_ms: r.get(0)?, down_ms: r.get(1)?, up_results: r.get(2)?, down_results: r.get(3)? };
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

/// The closed spans' time in `[from, to)` (part of one day), and the results counted there.
fn cut(c: &Connection, key: SeriesKey, from: i64, to: i64) -> rusqlite::Result<Totals> {
    let mut totals = Totals::default();
    if from >= to {
        return Ok(totals);
    }
    let span = |r: &rusqlite::Row<'_>| Ok(Span { start_ms: r.get(0)?, end_ms: r.get(1)?, up: r.get(2)? });
    // The span holding at `from`, then those starting inside: spans never overlap.
    let holding = c
        .prepare_cached(
            "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms <= ?3
             ORDER BY start_ms DESC LIMIT 1",
        )?
        .query_row(params![key.playbook_id, key.check_ref, from], span)
        .optional()?;
    if let Some(s) = holding {
        totals.add_span(s, from, to);
    }
    let mut statement = c.prepare_cached(
        "SELECT start_ms, end_ms, up FROM uptime_spans WHERE playbook_id = ?1 AND check_ref = ?2 AND start_ms > ?3 AND start_ms < ?4",
    )?;
    for s in statement.query_map(params![key.playbook_id, key.check_ref, from, to], span)? {
        totals.add_span(s?, from, to);
    }
    // Results of runs without a schedule inside the cut, counted from the raw results.
    let mut statement = c.prepare_cached(
        "SELECT runs.id, results.status, results.quiet FROM runs JOIN results ON results.run = runs.id
         WHERE runs.playbook_id = ?1 AND runs.started_ms >= ?3 AND runs.started_ms < ?4 AND runs.period_ms IS NULL
           AND (?2 = 0 OR results.check_ref = ?2)
         ORDER BY runs.id",
    )?;
    let mut rows = statement.query(params![key.playbook_id, key.check_ref, from, to])?;
    let mut runs: Vec<(i64, Mark)> = Vec::new();
    while let Some(r) = rows.next()? {
        let run: i64 = r.get(0)?;
        let status = Status::from_name(&r.get::<_, String>(1)?).unwrap_or(Status::Unknown);
        let mark = Mark::of(status, r.get::<_, Option<String>>(2)?.as_deref());
        match runs.last_mut() {
            Some((last_run, last)) if *last_run == run => *last = Mark::worst([*last, mark]),
            _ => runs.push((run, mark)),
        }
    }
    for (_, mark) in runs {
        if mark != Mark::NoData {
            totals.add_count(mark == Mark::Up);
        }
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    //! The roll-ups against a fixture computed by hand from CLI.md's definition, and
    //! against the raw computation on the same data.

    use super::*;
    use crate::outcome::RunRecord;
    use crate::store::runs::RunStore;

    const MIN: i64 = 60_000;
    /// Minute 0 of the fixture: 2026-03-01T22:00:00Z; UTC midnight falls at minute 120.
    const T0: i64 = 1_772_402_400_000;

    fn at(minute: i64) -> i64 {
        T0 + minute * MIN
    }

    fn run(playbook: &str, minute: i64, period_ms: Option<u64>, checks: &[(&str, &str)]) -> RunRecord {
        let checks: Vec<serde_json::Value> = checks
            .iter()
            .map(|(id, status)| {
                serde_json::json!({"id": id, "name": id, "kind": "command", "status": status, "message": "",
                    "metrics": {}, "attempts": 1, "duration_ms": 1})
            })
            .collect();
        let started = jiff::Timestamp::from_millisecond(at(minute)).unwrap().to_string();
        serde_json::from_value(serde_json::json!({
            "id": format!("{playbook}-{minute}"), "playbook": playbook, "file": "p.yaml", "origin": "daemon",
            "started_at": started, "finished_at": started, "duration_ms": 1, "status": "ok", "exit_code": 0,
            "checks": checks, "summary": crate::outcome::Summary::default(), "period_ms": period_ms,
        }))
        .unwrap()
    }

    const FIVE: Option<u64> = Some(300_000);

    /// The fixture of `shop` (every 5 minutes): `api` as below, `db` always SKIPPED.
    ///
    /// api, minute: status → what it holds (a result holds until the next, at most 10 min):
    ///   0 OK → up 0–5 · 5 OK → up 5–10
    ///   10 CRIT → down 10–15 (incident A starts) · 15 CRIT → down 15–20
    ///   20 OK → up 20–25 (A recovers: 10 min)
    ///   25 SKIPPED → no data 25–30
    ///   30 OK → up 30–35 · 35 OK → up 35–45, then no data 45–60 (a gap of 25 > 2 × 5)
    ///   60 CRIT held by maintenance → no data 60–65 (and no incident)
    ///   65 OK → up 65–70 · 70 OK → up 70–80, no data 80–115
    ///   115 CRIT → down 115–120 (incident B starts, the day before midnight)
    ///   120 CRIT → down 120–125 (midnight: the next UTC day)
    ///   125 MANUAL → no data 125–130 (no data neither ends nor starts an incident)
    ///   130 CRIT → down 130–135
    ///   135 OK → up 135–140 (B recovers: 20 min)
    ///   140, 145, …, 1600 OK → up 140–1600 · 1600 OK → up 1600–now (1603)
    /// (the next UTC midnight falls at minute 1560, inside the last stretch).
    fn shop(store: &SqliteStore) {
        let mut runs = Vec::new();
        let mut api = |minute: i64, status: &'static str| {
            runs.push(run("shop", minute, FIVE, &[("api", status), ("db", "skipped")]));
        };
        for (minute, status) in [
            (0, "ok"),
            (5, "ok"),
            (10, "critical"),
            (15, "critical"),
            (20, "ok"),
            (25, "skipped"),
            (30, "ok"),
            (35, "ok"),
            (60, "critical"),
            (65, "ok"),
            (70, "ok"),
            (115, "critical"),
            (120, "critical"),
            (125, "manual"),
            (130, "critical"),
            (135, "ok"),
        ] {
            api(minute, status);
        }
        let (before, after): (Vec<_>, Vec<_>) = (140..=1600).step_by(5).partition(|m| *m < 700);
        for minute in before {
            api(minute, "ok");
        }
        store.record_runs(&runs).unwrap();
        // The result at minute 60 was held back by a maintenance window. The roll-ups are
        // rebuilt from the raw results, as the migration does.
        store
            .with(|c| {
                c.execute(
                    "UPDATE results SET quiet = 'maintenance' WHERE run = (SELECT id FROM runs WHERE run_id = 'shop-60')
                     AND check_ref = (SELECT id FROM checks WHERE check_id = 'api')",
                    [],
                )
            })
            .unwrap();
        store.rebuild_uptime().unwrap();
        // The rest is recorded run by run, on top of the rebuilt roll-ups.
        for minute in after {
            store.record_run(&run("shop", minute, FIVE, &[("api", "ok"), ("db", "skipped")])).unwrap();
        }
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn figures(rows: &[SeriesFigures], check: Option<&str>) -> Figures {
        rows.iter().find(|r| r.check.as_deref() == check).unwrap().figures.clone()
    }

    fn assert_percent(figures: &Figures, expected: f64) {
        let got = figures.uptime_percent.expect("a figure");
        assert!((got - expected).abs() < 0.01, "uptime {got} % is not {expected} %");
    }

    #[test]
    fn uptime_equals_the_fixture_computed_by_hand() {
        let (_dir, store) = store();
        shop(&store);
        let now = at(1603);
        let filter = Filter { playbook: Some("shop"), check: None };
        for rows in [store.uptime(filter, at(-1000), now).unwrap(), store.uptime_raw(filter, at(-1000), now).unwrap()] {
            // The whole fixture. Up: 5+5+5+5+10+5+10+5 (to minute 140) + 1463 (140–1603)
            // = 1513 min; down: 5+5+5+5+5 = 25 min. 1513 / 1538 = 98.3745 %.
            let api = figures(&rows, Some("api"));
            assert_eq!((api.totals.up_ms, api.totals.down_ms), (1513 * MIN, 25 * MIN));
            assert_percent(&api, 98.3745);
            assert_eq!(api.incidents, 2);
            assert!(!api.ongoing);
            // (10 + 20) / 2 = 15 min to recover. The longest outage is B's down time,
            // 115–125 and 130–135 = 15 min: the no-data 125–130 inside it does not end B
            // (one incident) but is no outage either, so the longest outage (15) stays
            // within the down time (25) though B took 20 min to recover.
            assert_eq!(api.mean_time_to_recover_ms, Some(15 * MIN));
            assert_eq!(api.longest_outage_ms, Some(15 * MIN));
            assert!(api.longest_outage_ms.unwrap() <= api.totals.down_ms);
            // `db` was always skipped: no data is "—", never 100 %.
            let db = figures(&rows, Some("db"));
            assert_eq!(db.uptime_percent, None);
            assert_eq!((db.incidents, db.longest_outage_ms), (0, None));
            // The playbook's own series: `db` counts for nothing, so it is `api`'s.
            assert_eq!(figures(&rows, None), api);
        }
        // `--since 1500m` cuts the first day at minute 103: [103, 1603) holds no data
        // 103–115, down 115–125 and 130–135 (15 min), up 135–1603 (1468 min):
        // 1468 / 1483 = 98.9885 %; only incident B started inside (20 min to recover, an
        // outage of 15 min: its down time).
        let since = now - 1500 * MIN;
        for rows in [store.uptime(filter, since, now).unwrap(), store.uptime_raw(filter, since, now).unwrap()] {
            let api = figures(&rows, Some("api"));
            assert_eq!((api.totals.up_ms, api.totals.down_ms), (1468 * MIN, 15 * MIN));
            assert_percent(&api, 98.9885);
            assert_eq!(
                (api.incidents, api.mean_time_to_recover_ms, api.longest_outage_ms),
                (1, Some(20 * MIN), Some(15 * MIN))
            );
        }
        // A window inside the gap after minute 35, 2 minutes long, ending at 50 (seen from
        // then): 45–50 is no data, 48–50 too: "—".
        let rows = store.uptime(filter, at(48), at(50)).unwrap();
        assert_eq!(figures(&rows, Some("api")).uptime_percent, None);
    }

    #[test]
    fn an_incident_still_open_runs_until_now() {
        let (_dir, store) = store();
        store.record_run(&run("p", 0, FIVE, &[("c", "ok")])).unwrap();
        store.record_run(&run("p", 5, FIVE, &[("c", "warning")])).unwrap();
        store.record_run(&run("p", 10, FIVE, &[("c", "unknown")])).unwrap();
        // At minute 13: up 0–5, down 5–13 → 5 / 13 = 38.4615 %; one incident, open, 8 min.
        let rows = store.uptime(Filter::default(), at(-60), at(13)).unwrap();
        let c = figures(&rows, Some("c"));
        assert_percent(&c, 38.4615);
        assert!(c.ongoing);
        assert_eq!((c.incidents, c.mean_time_to_recover_ms, c.longest_outage_ms), (1, None, Some(8 * MIN)));
    }

    #[test]
    fn a_playbook_without_a_schedule_is_weighted_by_result() {
        let (_dir, store) = store();
        // OK, CRITICAL, OK, OK, SKIPPED at minutes 0, 600, 1200, 1800, 1900 (no period).
        for (minute, status) in [(0, "ok"), (600, "critical"), (1200, "ok"), (1800, "ok"), (1900, "skipped")] {
            store.record_run(&run("manual", minute, None, &[("c", status)])).unwrap();
        }
        let now = at(2000);
        // All: 3 up of 4 counted → 75 %; one incident (600 → 1200: 10 h).
        for rows in [
            store.uptime(Filter::default(), at(-1), now).unwrap(),
            store.uptime_raw(Filter::default(), at(-1), now).unwrap(),
        ] {
            let c = figures(&rows, Some("c"));
            assert_eq!(c.weighed_by, Some(crate::uptime::Weighing::Result));
            assert_percent(&c, 75.0);
            assert_eq!(c.mean_time_to_recover_ms, Some(600 * MIN));
        }
        // Since minute 601 (a cut day): OK, OK → 100 %, no incident started inside.
        let c = figures(&store.uptime(Filter::default(), at(601), now).unwrap(), Some("c"));
        assert_percent(&c, 100.0);
        assert_eq!(c.incidents, 0);
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
        assert_percent(&c, 66.6667);
        assert_eq!((c.incidents, c.mean_time_to_recover_ms), (1, Some(5 * MIN)));
        assert_eq!(rows, store.uptime_raw(Filter::default(), at(-10), at(20)).unwrap());
    }

    /// A small deterministic generator.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// 900 runs of `mixed` (checks `a`, `b`) with random statuses, gaps of up to 3 hours,
    /// and stretches without a schedule; returns the minutes they started at.
    fn mixed(store: &SqliteStore, seed: u64) -> Vec<i64> {
        let mut rng = Lcg(seed);
        let statuses = ["ok", "ok", "ok", "ok", "critical", "warning", "unknown", "skipped", "manual"];
        let mut minute = 0;
        let mut minutes = Vec::new();
        for _ in 0..900 {
            // Mostly every 5 minutes, sometimes a gap of up to 3 hours.
            minute += if rng.next(20) == 0 { 5 + rng.next(180) as i64 } else { 5 };
            minutes.push(minute);
        }
        for (i, minute) in minutes.iter().enumerate() {
            let a = statuses[rng.next(statuses.len() as u64) as usize];
            let b = statuses[rng.next(statuses.len() as u64) as usize];
            let period = if i % 300 < 280 { FIVE } else { None };
            store.record_run(&run("mixed", *minute, period, &[("a", a), ("b", b)])).unwrap();
        }
        minutes
    }

    #[test]
    fn roll_ups_equal_the_raw_computation_for_every_cut() {
        let (_dir, store) = store();
        let minutes = mixed(&store, 7);
        // A run recorded late (a clock set back): its series are rebuilt.
        store.record_run(&run("mixed", 7, FIVE, &[("a", "critical"), ("b", "ok")])).unwrap();
        let last = *minutes.last().unwrap();
        // Now after the last result, and (a clock set back) before it.
        for now in [last, last + 3, last + 60, last - 500, last - 2000] {
            let mut since = -30;
            while since < now {
                let (since_ms, now_ms) = (at(since), at(now));
                let rolled = store.uptime(Filter::default(), since_ms, now_ms).unwrap();
                let raw = store.uptime_raw(Filter::default(), since_ms, now_ms).unwrap();
                assert_eq!(rolled, raw, "since minute {since}, now minute {now}");
                // An incident's outage is its down time: where time is weighed alone, the
                // longest outage never exceeds the down time (no-data inside is no outage).
                for row in rolled.iter().filter(|r| r.figures.totals.up_results + r.figures.totals.down_results == 0) {
                    let figures = &row.figures;
                    assert!(
                        figures.longest_outage_ms.is_none_or(|longest| longest <= figures.totals.down_ms),
                        "since minute {since}, now minute {now}: {figures:?}"
                    );
                }
                since += 37;
            }
        }
        // Rebuilding from scratch changes nothing.
        assert_rebuild_changes_nothing(&store, last);
    }

    fn assert_rebuild_changes_nothing(store: &SqliteStore, last: i64) {
        let before = store.uptime(Filter::default(), at(0), at(last)).unwrap();
        store.rebuild_uptime().unwrap();
        assert_eq!(store.uptime(Filter::default(), at(0), at(last)).unwrap(), before);
    }

    /// Roll-up rows of one table older than `cutoff`.
    fn older_rows(store: &SqliteStore, sql: &str, cutoff: i64) -> i64 {
        store.with(|c| c.query_row(sql, [cutoff], |r| r.get(0))).unwrap()
    }

    #[test]
    fn pruned_history_takes_its_roll_ups_along_and_both_paths_still_agree() {
        use crate::store::history::HistoryStore;
        let (_dir, store) = store();
        let minutes = mixed(&store, 11);
        let last = *minutes.last().unwrap();
        // Some failing results were held back by a maintenance window or a silence: no data.
        store
            .with(|c| {
                c.execute_batch(
                    "UPDATE results SET quiet = 'maintenance' WHERE (run * 7 + check_ref) % 11 = 0;
                     UPDATE results SET quiet = 'silenced' WHERE (run * 5 + check_ref) % 13 = 0;",
                )
            })
            .unwrap();
        store.rebuild_uptime().unwrap();
        // Cutoffs inside incidents, gaps and stretches without a schedule alike, each
        // pruning a little more (as `retention` does after every run).
        for cutoff in [minutes[40] + 2, minutes[41], minutes[150] + 1, minutes[290] - 1, minutes[600] + 3] {
            store.prune(Some("mixed"), at(cutoff)).unwrap();
            let first_day = at(cutoff).div_euclid(DAY_MS);
            assert_eq!(older_rows(&store, "SELECT count(*) FROM uptime_days WHERE day < ?1", first_day), 0);
            assert_eq!(older_rows(&store, "SELECT count(*) FROM uptime_spans WHERE end_ms <= ?1", at(cutoff)), 0);
            assert_eq!(
                older_rows(&store, "SELECT count(*) FROM uptime_incidents WHERE started_ms < ?1", at(cutoff)),
                0
            );
            for now in [last, last + 60] {
                let mut since = cutoff - 100;
                while since < now {
                    let (since_ms, now_ms) = (at(since), at(now));
                    let rolled = store.uptime(Filter::default(), since_ms, now_ms).unwrap();
                    let raw = store.uptime_raw(Filter::default(), since_ms, now_ms).unwrap();
                    assert_eq!(rolled, raw, "cutoff minute {cutoff}, since minute {since}, now minute {now}");
                    for row in
                        rolled.iter().filter(|r| r.figures.totals.up_results + r.figures.totals.down_results == 0)
                    {
                        let figures = &row.figures;
                        assert!(figures.longest_outage_ms.is_none_or(|longest| longest <= figures.totals.down_ms));
                    }
                    since += 293;
                }
            }
        }
        // What the fix-up left equals a replay from the kept results.
        assert_rebuild_changes_nothing(&store, last);
        // Everything pruned: no roll-up is left, and no figure.
        store.prune(Some("mixed"), at(last + 1)).unwrap();
        assert_eq!(older_rows(&store, "SELECT count(*) FROM uptime_tails WHERE at_ms < ?1", at(last + 1)), 0);
        let rows = store.uptime(Filter::default(), at(0), at(last + 60)).unwrap();
        assert!(rows.iter().all(|r| r.figures.uptime_percent.is_none()), "{rows:?}");
    }
}
