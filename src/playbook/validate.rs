//! The semantic rules of a playbook: everything serde cannot see. Every rule runs, and
//! every finding is returned, so that one `runner validate` shows all of them.
//!
//! Rules that need the filesystem (report template files) read it; nothing here runs a
//! check or touches the network. Rules that relate playbooks to each other (names unique
//! in a folder) are in [`names_unique_across`].

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::diagnostic::Diagnostic;
use super::schedule_values;
use super::span::Span;
use super::suggest::did_you_mean;
use super::types::*;
use super::values::{Dur, Id, Located};
use crate::checks::Kind;
use crate::checks::http::is_http_method;
use crate::checks::rules::KindRules;
use crate::outcome::Status;
use crate::schedule::cron;

/// More attempts than this is a typo, not a plan (and `1 + u32::MAX` would wrap). The
/// same for a check's `retries` and `defaults.retries`.
const MAX_RETRIES: u32 = 100;
const MAX_RETRIES_HINT: &str = "a check that needs that many attempts needs a longer `retry_delay` instead";

/// How far ahead DST hazards are looked for.
const DST_HORIZON: Duration = Duration::from_secs(366 * 86_400);

/// All semantic findings for one playbook. `base_dir` is its folder; `source` its text
/// (to point at top-level keys, which the model does not locate).
pub fn validate(playbook: &Playbook, base_dir: &Path, source: &str) -> Vec<Diagnostic> {
    let mut v = Validator { out: Vec::new(), playbook, source, base_dir };
    v.top_level();
    let period = v.schedule();
    v.structure();
    v.checks(period);
    v.actions();
    v.notify();
    v.report(base_dir);
    v.maintenance();
    v.out
}

/// A check with where it sits: its phase (index and phase) if any, and its index.
type Placed<'a> = (Option<(usize, &'a Phase)>, usize, &'a Check);

struct Validator<'p> {
    out: Vec<Diagnostic>,
    playbook: &'p Playbook,
    source: &'p str,
    /// The playbook's folder, against which relative paths resolve.
    base_dir: &'p Path,
}

/// Where the top-level `key:` is written (block style, as playbooks are), or `None`.
fn top_level_key(source: &str, key: &str) -> Option<Span> {
    source.lines().enumerate().find_map(|(index, line)| {
        let rest = line.strip_prefix(key).or_else(|| line.strip_prefix(&format!("\"{key}\"")))?;
        rest.trim_start().starts_with(':').then(|| Span::new(index as u32 + 1, 1, (line.len() - rest.len()) as u32))
    })
}

/// The logical path of a check: `checks[2] "api"` or `phases[1].checks[0] "smoke"`.
fn check_path(phase: Option<(usize, &Phase)>, index: usize, check: &Check) -> String {
    match phase {
        Some((p, _)) => format!("phases[{p}].checks[{index}] \"{}\"", check.id),
        None => format!("checks[{index}] \"{}\"", check.id),
    }
}

impl<'p> Validator<'p> {
    /// The place of a top-level key, else the start of the file (never `name`: an error
    /// about `version` or `checks` must not point at the name).
    fn key_span(&self, keys: &[&str]) -> Span {
        keys.iter().find_map(|key| top_level_key(self.source, key)).unwrap_or(Span::new(1, 1, 0))
    }

    /// Where `key:` is written in the block under the top-level `parent:`, else `parent`.
    fn nested_key(&self, parent: &str, key: &str) -> Span {
        let parent_span = self.key_span(&[parent]);
        let block = self.source.lines().enumerate().skip(parent_span.line as usize);
        let found = block.take_while(|(_, line)| line.is_empty() || line.starts_with([' ', '\t', '#'])).find_map(
            |(index, line)| {
                let indent = line.len() - line.trim_start().len();
                top_level_key(line.trim_start(), key)
                    .map(|_| Span::new(index as u32 + 1, indent as u32 + 1, key.len() as u32))
            },
        );
        found.unwrap_or(parent_span)
    }

    /// Of two top-level keys, the one written later (the one that is too many).
    fn later_key(&self, a: &str, b: &str) -> Span {
        let (a, b) = (self.key_span(&[a]), self.key_span(&[b]));
        if (b.line, b.col) > (a.line, a.col) { b } else { a }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(Diagnostic::error(span, message));
        self.out.last_mut().expect("just pushed")
    }

    fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(Diagnostic::warning(span, message));
        self.out.last_mut().expect("just pushed")
    }

    /// A duration that must be more than zero.
    fn positive(&mut self, key: &str, duration: Option<&Dur>, path: Option<&str>) {
        if let Some(mut diagnostic) = zero_duration(key, duration) {
            diagnostic.path = path.map(str::to_string);
            self.out.push(diagnostic);
        }
    }

    /// `run_on` and `quorum` (PLAYBOOK.md, "Fleet"): a quorum gathers the hosts' results
    /// of one fire, so it needs fires, and hosts that each run the playbook.
    fn fleet(&mut self) {
        let p = self.playbook;
        let Some(quorum) = p.quorum else { return };
        let span = self.key_span(&["quorum"]);
        if quorum == 0 {
            self.error(span, "`quorum: 0` would alert with no host failing").hint =
                Some("quorum is how many hosts must see a check failing at one fire: 1 or more".into());
        } else if p.run_on == Some(super::types::RunOn::OneHost) {
            self.error(
                span,
                "`quorum` is for `every-host` playbooks: each fire of a `one-host` playbook is seen by one host",
            )
            .hint = Some("remove `quorum`, or `run_on: one-host`".into());
        } else if p.schedule.is_none() {
            self.error(span, "`quorum` needs a schedule: the hosts' results are gathered per fire").hint =
                Some("add a `schedule`, or remove `quorum`".into());
        }
    }

    fn top_level(&mut self) {
        let p = self.playbook;
        if p.version != 1 {
            let span = self.key_span(&["version"]);
            self.error(span, format!("unsupported playbook version {}", p.version)).hint =
                Some("this runner reads `version: 1`".into());
        }
        self.positive("timeout", p.timeout.as_ref(), None);
        self.positive("retention", p.retention.as_ref(), None);
        self.fleet();
        if let Some(defaults) = &p.defaults {
            self.positive("defaults.timeout", defaults.timeout.as_ref(), None);
            if let Some(retries) = defaults.retries.filter(|r| *r > MAX_RETRIES) {
                let span = self.nested_key("defaults", "retries");
                let d = self.error(span, format!("`defaults.retries: {retries}` is more than {MAX_RETRIES}"));
                d.hint = Some(MAX_RETRIES_HINT.into());
            }
        }
        for tag in p.tags.iter().flatten() {
            if tag.trim().is_empty() || tag.contains(',') {
                let span = self.key_span(&["tags"]);
                self.error(span, format!("tag `{tag}` cannot be empty or contain a comma"));
            }
        }
    }

    /// Checks the schedule; returns its period when it parses.
    fn schedule(&mut self) -> Option<Duration> {
        let schedule = self.playbook.schedule.as_ref()?;
        let zone = match &schedule.timezone {
            None => Some(jiff::tz::TimeZone::system()),
            Some(name) => match schedule_values::timezone(name.as_str(), name.span()) {
                Ok((zone, note)) => {
                    self.out.extend(note);
                    Some(zone)
                }
                Err(diagnostic) => {
                    self.out.push(diagnostic);
                    None
                }
            },
        };
        let parsed = match schedule_values::cron(schedule.cron.as_str(), schedule.cron.span()) {
            Ok(parsed) => parsed,
            Err(diagnostic) => {
                self.out.push(diagnostic);
                return None;
            }
        };
        {
            let (key, d) = ("grace", &schedule.grace);
            self.positive(key, d.as_ref(), Some("schedule"));
        }
        let zone = zone?;
        let analysis = cron::analyse(schedule.cron.as_str(), &parsed, &zone, DST_HORIZON);
        if analysis.next.is_none() {
            self.error(schedule.cron.span(), format!("`{}` never fires", schedule.cron.as_str())).hint =
                Some("no date matches it (e.g. the 30th of February); check the day and month fields".into());
            return None;
        }
        let period = analysis.period;
        for hazard in analysis.hazards {
            let zone_name = zone.iana_name().unwrap_or("its timezone").to_string();
            let message = if hazard.gap {
                format!(
                    "`{}` fires at {}, which does not exist on {} in {zone_name} (clocks skip {}); that day it runs once, right after the gap",
                    schedule.cron.as_str(),
                    hazard.time,
                    hazard.date,
                    hazard.window
                )
            } else {
                format!(
                    "`{}` fires at {}, which happens twice on {} in {zone_name} (clocks repeat {}); it runs once, at the first",
                    schedule.cron.as_str(),
                    hazard.time,
                    hazard.date,
                    hazard.window
                )
            };
            self.warning(schedule.cron.span(), message).hint =
                Some("pick a time outside the DST change (e.g. 04:00), or set `timezone: UTC`".into());
        }
        if let (Some(period), Some(grace)) = (period, schedule.grace)
            && grace.is_valid()
            && grace.get() > period
        {
            self.warning(
                grace.span(),
                format!(
                    "grace {} is longer than the schedule's period {}",
                    crate::duration::format(grace.get()),
                    crate::duration::format(period)
                ),
            )
            .hint = Some("a fire later than one period is already the next fire; lower `grace`".into());
        }
        if let (Some(period), Some(timeout)) = (period, self.playbook.timeout)
            && timeout.is_valid()
            && timeout.get() > period
        {
            self.warning(
                timeout.span(),
                format!(
                    "the run timeout {} is longer than the schedule's period {}",
                    crate::duration::format(timeout.get()),
                    crate::duration::format(period)
                ),
            )
            .hint = Some("a run should end before the next fire; lower `timeout`".into());
        }
        period
    }

    /// The maintenance windows of the playbook and of each check (quiet::maintenance
    /// reads them; the rules are its own).
    fn maintenance(&mut self) {
        let p = self.playbook;
        let any = p.maintenance.is_some() || p.all_checks().iter().any(|(_, check)| check.maintenance.is_some());
        if !any {
            // Reading the zone (the system's, for a playbook without one) costs more than
            // the rest of validating a heartbeat: only when there is a window to plan.
            return;
        }
        let zone = crate::quiet::maintenance::default_zone(p);
        let now = crate::clock::now();
        let top = self.key_span(&["maintenance"]);
        let mut windows: Vec<(&crate::playbook::Window, Span, Option<String>)> =
            p.maintenance.iter().flatten().map(|w| (w, top, Some("maintenance".to_string()))).collect();
        for (_, check) in p.all_checks() {
            let path = format!("check \"{}\" maintenance", check.id);
            windows.extend(check.maintenance.iter().flatten().map(|w| (w, check.id.span(), Some(path.clone()))));
        }
        for (window, at, path) in windows {
            let (planned, mut found) = crate::quiet::maintenance::plan(window, &zone, at);
            if let Some(planned) = planned {
                found.extend(crate::quiet::maintenance::validate(window, &planned, now));
            }
            for mut diagnostic in found {
                diagnostic.path.clone_from(&path);
                self.out.push(diagnostic);
            }
        }
    }

    fn structure(&mut self) {
        let p = self.playbook;
        match (&p.checks, &p.phases) {
            (Some(_), Some(_)) => {
                let span = self.later_key("checks", "phases");
                self.error(span, "a playbook has `checks` or `phases`, not both").hint =
                    Some("move the top-level checks into a phase".into());
            }
            (None, None) => {
                let span = self.key_span(&["checks", "phases"]);
                self.error(span, "the playbook has no `checks` and no `phases`").hint =
                    Some("add `checks:` with at least one check".into());
            }
            // Refused like a phase without checks: `0 of 0 checks ok` would report health
            // nobody checked.
            (Some(checks), None) if checks.is_empty() => {
                let span = self.key_span(&["checks"]);
                self.error(span, "`checks` is empty: a playbook needs at least one check").hint =
                    Some("add a check under `checks:`".into());
            }
            _ => {}
        }
        let mut phase_ids: HashMap<&str, Span> = HashMap::new();
        for (index, phase) in p.phases.iter().flatten().enumerate() {
            self.unique(&mut phase_ids, &phase.id, "phase", &format!("phases[{index}]"));
            let empty_actions = phase.actions.as_ref().is_none_or(Vec::is_empty);
            let empty_checks = phase.checks.as_ref().is_none_or(Vec::is_empty);
            if empty_actions && empty_checks {
                self.error(phase.id.span(), format!("phase `{}` has no actions and no checks", phase.id)).hint =
                    Some("a phase runs `actions` (in order) and then `checks`".into());
            }
        }
    }

    fn unique<'a>(&mut self, seen: &mut HashMap<&'a str, Span>, id: &'a Id, what: &str, path: &str) {
        if let Some(first) = seen.get(id.as_str()) {
            let line = first.line;
            let d = self.error(id.span(), format!("duplicate {what} id `{id}`"));
            d.hint = Some(format!("the first `{id}` is on line {line}; {what} ids must be unique"));
            d.path = Some(path.to_string());
        } else {
            seen.insert(id.as_str(), id.span());
        }
    }

    fn checks(&mut self, period: Option<Duration>) {
        let p = self.playbook;
        // Every check, with its phase index, in order.
        let mut all: Vec<Placed<'_>> = Vec::new();
        for (i, check) in p.checks.iter().flatten().enumerate() {
            all.push((None, i, check));
        }
        for (pi, phase) in p.phases.iter().flatten().enumerate() {
            for (i, check) in phase.checks.iter().flatten().enumerate() {
                all.push((Some((pi, phase)), i, check));
            }
        }
        let mut ids: HashMap<&str, Span> = HashMap::new();
        let phase_of: HashMap<&str, usize> =
            all.iter().map(|(phase, _, c)| (c.id.as_str(), phase.map(|(i, _)| i).unwrap_or(0))).collect();
        let all_ids: Vec<&str> = all.iter().map(|(_, _, c)| c.id.as_str()).collect();

        for (phase, index, check) in &all {
            let path = check_path(*phase, *index, check);
            self.unique(&mut ids, &check.id, "check", &path);
            self.one_kind(check, &path);
            self.positive("timeout", check.timeout.as_ref(), Some(&path));
            if let (Some(period), Some(timeout)) = (period, check.timeout)
                && timeout.is_valid()
                && timeout.get() > period
            {
                let d = self.warning(
                    timeout.span(),
                    format!(
                        "timeout {} is longer than the schedule's period {}",
                        crate::duration::format(timeout.get()),
                        crate::duration::format(period)
                    ),
                );
                d.hint = Some("the check could still be running at the next fire; lower its timeout".into());
                d.path = Some(path.clone());
            }
            if let Some(retries) = check.retries.filter(|r| *r > MAX_RETRIES) {
                let d = self.error(check.id.span(), format!("`retries: {retries}` is more than {MAX_RETRIES}"));
                d.hint = Some(MAX_RETRIES_HINT.into());
                d.path = Some(path.clone());
            }
            self.thresholds(check, &path);
            self.needs(check, &path, phase.map(|(i, _)| i).unwrap_or(0), &phase_of, &all_ids);
            self.depends_on(check, &path, phase.map(|(i, _)| i).unwrap_or(0), &phase_of, &all_ids);
            if let Some(kind) = check.kind() {
                let playbook = (self.playbook.name.as_str(), self.base_dir);
                kind.validate(&mut KindRules::new(check, &path, playbook, &all_ids, &mut self.out));
            }
            if let Some(remediate) = &check.remediate {
                self.remediate(remediate, check, &path);
            }
            for tag in check.tags.iter().flatten() {
                if tag.trim().is_empty() || tag.contains(',') {
                    self.error(check.id.span(), format!("tag `{tag}` cannot be empty or contain a comma")).path =
                        Some(path.clone());
                }
            }
        }
        self.wait_cycles(&all);
    }

    fn one_kind(&mut self, check: &Check, path: &str) {
        let kinds = check.kinds();
        match kinds.len() {
            1 => {}
            0 => {
                let d = self.error(check.id.span(), format!("check `{}` has no kind", check.id));
                d.hint = Some(format!(
                    "add exactly one of: {}",
                    Kind::ALL.iter().map(|k| format!("`{}`", k.name())).collect::<Vec<_>>().join(", ")
                ));
                d.path = Some(path.to_string());
            }
            _ => {
                let names: Vec<String> = kinds.iter().map(|k| format!("`{}`", k.kind().name())).collect();
                let d = self.error(
                    check.id.span(),
                    format!("check `{}` has {} kinds: {}", check.id, kinds.len(), names.join(" and ")),
                );
                d.hint = Some("a check has exactly one kind; split it into one check per kind".into());
                d.path = Some(path.to_string());
            }
        }
    }

    fn thresholds(&mut self, check: &Check, path: &str) {
        let Some(thresholds) = &check.thresholds else {
            return;
        };
        let known = check.kind().and_then(|k| k.metric_names());
        for (metric, threshold) in thresholds {
            let span = threshold.warn.map(|c| c.span()).or(threshold.crit.map(|c| c.span())).unwrap_or(check.id.span());
            match (threshold.warn.and_then(|c| c.condition()), threshold.crit.and_then(|c| c.condition())) {
                (Some(warn), Some(crit)) => {
                    if let Err(reason) = crate::threshold::check_pair(&warn, &crit) {
                        let d = self.error(
                            threshold.crit.map(|c| c.span()).unwrap_or(span),
                            format!("threshold on `{metric}`: {reason}"),
                        );
                        d.hint = Some("warn is the milder condition: with `>` use e.g. warn `> 20`, crit `> 80`; with `<`, warn `< 20`, crit `< 5`".into());
                        d.path = Some(path.to_string());
                    }
                }
                _ if threshold.warn.is_none() && threshold.crit.is_none() => {
                    let d =
                        self.error(check.id.span(), format!("threshold on `{metric}` has neither `warn` nor `crit`"));
                    d.hint = Some("write e.g. `{warn: \"> 20\", crit: \"> 80\"}`".into());
                    d.path = Some(path.to_string());
                }
                _ => {}
            }
            if let Some(known) = &known
                && !known.iter().any(|k| k == metric)
            {
                let kind = check.kind_name();
                let hint = match did_you_mean(metric, known.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None if known.is_empty() => format!("`{kind}` checks produce no metrics"),
                    None => format!(
                        "`{kind}` checks produce: {}",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                let d = self.warning(
                    span,
                    format!(
                        "check `{}` never produces metric `{metric}`; this threshold would make it UNKNOWN",
                        check.id
                    ),
                );
                d.hint = Some(hint);
                d.path = Some(path.to_string());
            }
        }
    }

    fn needs(&mut self, check: &Check, path: &str, my_phase: usize, phase_of: &HashMap<&str, usize>, all_ids: &[&str]) {
        for need in check.needs.iter().flatten() {
            if need.as_str() == check.id.as_str() {
                let d = self.error(need.span(), format!("check `{}` needs itself", check.id));
                d.path = Some(path.to_string());
                continue;
            }
            match phase_of.get(need.as_str()) {
                None => {
                    let d = self
                        .error(need.span(), format!("`needs` names `{need}`, which is not a check of this playbook"));
                    d.hint = Some(match did_you_mean(need.as_str(), all_ids.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "`needs` takes ids of checks in the same or an earlier phase".into(),
                    });
                    d.path = Some(path.to_string());
                }
                Some(&phase) if phase > my_phase => {
                    let d = self.error(need.span(), format!("`needs` names `{need}`, which runs in a later phase"));
                    d.hint = Some("`needs` takes checks of the same or an earlier phase".into());
                    d.path = Some(path.to_string());
                }
                _ => {}
            }
        }
    }

    /// `depends_on`: ids of this playbook (or `PLAYBOOK/ID`, checked across the folder by
    /// `dependencies::dependencies_across`), not itself, not in a later phase (this check
    /// waits for its dependencies in this run, so they must run first).
    fn depends_on(
        &mut self,
        check: &Check,
        path: &str,
        my_phase: usize,
        phase_of: &HashMap<&str, usize>,
        all_ids: &[&str],
    ) {
        let own = self.playbook.name.as_str();
        for dependency in check.depends_on.iter().flatten() {
            if dependency.other_playbook(own).is_some() {
                continue;
            }
            let id = dependency.check.as_str();
            if id == check.id.as_str() {
                let d = self.error(dependency.span(), format!("check `{}` depends on itself", check.id));
                d.hint = Some("`depends_on` names the checks whose failure explains this one's".into());
                d.path = Some(path.to_string());
                continue;
            }
            match phase_of.get(id) {
                None => {
                    let d = self.error(
                        dependency.span(),
                        format!("`depends_on` names `{dependency}`, which is not a check of this playbook"),
                    );
                    d.hint = Some(match did_you_mean(id, all_ids.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "`depends_on` takes ids of checks of this playbook, or `PLAYBOOK/ID`".into(),
                    });
                    d.path = Some(path.to_string());
                }
                Some(&phase) if phase > my_phase => {
                    let d = self.error(
                        dependency.span(),
                        format!("`depends_on` names `{dependency}`, which runs in a later phase"),
                    );
                    d.hint = Some(
                        "a dependency is judged by its result in this run, so it must run first: move it to this or an earlier phase".into(),
                    );
                    d.path = Some(path.to_string());
                }
                _ => {}
            }
        }
    }

    /// A check waits for what it `needs` and for what it `depends_on` in this playbook:
    /// together they must form no cycle (checks of one phase start together, so a cycle
    /// would never start).
    fn wait_cycles(&mut self, all: &[Placed<'_>]) {
        use super::dependencies::{Edge, Via, cycles};
        let own = self.playbook.name.as_str();
        let nodes: Vec<String> = all.iter().map(|(_, _, c)| c.id.to_string()).collect();
        let mut edges = Vec::new();
        for (_, _, check) in all {
            for need in check.needs.iter().flatten() {
                edges.push(Edge {
                    from: check.id.to_string(),
                    to: need.to_string(),
                    span: need.span(),
                    via: Via::Needs,
                });
            }
            for dependency in check.depends_on.iter().flatten().filter(|d| d.other_playbook(own).is_none()) {
                edges.push(Edge {
                    from: check.id.to_string(),
                    to: dependency.check.clone(),
                    span: dependency.span(),
                    via: Via::DependsOn,
                });
            }
        }
        for cycle in cycles(&nodes, &edges) {
            let hint = if cycle.edges.iter().all(|e| e.via == Via::Needs) {
                "checks in a cycle can never start; remove one of these `needs`"
            } else {
                "a check waits for what it needs and depends on, so checks in a cycle can never start; remove one of these"
            };
            let d = self.error(cycle.closing.span, cycle.message());
            d.hint = Some(hint.into());
        }
    }

    fn remediate(&mut self, remediate: &Remediate, check: &Check, path: &str) {
        if remediate.actions.is_empty() {
            let d = self.error(check.id.span(), "`remediate` has no actions");
            d.hint = Some("add `actions:`, e.g. `- run: [systemctl, restart, api]`".into());
            d.path = Some(path.to_string());
        }
        for (key, value) in [("max_attempts", remediate.max_attempts), ("after", remediate.after)] {
            if value == Some(0) {
                let d = self.error(check.id.span(), format!("`remediate.{key}` must be at least 1"));
                d.path = Some(path.to_string());
            }
        }
        self.positive("within", remediate.within.as_ref(), Some(path));
        for (i, action) in remediate.actions.iter().enumerate() {
            self.action(action, &format!("{path}.remediate.actions[{i}]"));
        }
    }

    fn actions(&mut self) {
        for (pi, phase) in self.playbook.phases.iter().flatten().enumerate() {
            for (i, action) in phase.actions.iter().flatten().enumerate() {
                self.action(action, &format!("phases[{pi}].actions[{i}]"));
            }
        }
    }

    fn action(&mut self, action: &Located<Action>, path: &str) {
        let span = action.span();
        let kinds = action.kinds();
        match kinds.len() {
            1 => {}
            0 => {
                let d = self.error(span, "an action needs one of `run`, `shell`, `sleep` or `http`");
                d.path = Some(path.to_string());
            }
            _ => {
                let d = self.error(
                    span,
                    format!("an action has one of `run`, `shell`, `sleep` or `http`, not {}", kinds.join(" and ")),
                );
                d.hint = Some("split it into several actions; they run in order".into());
                d.path = Some(path.to_string());
            }
        }
        if action.run.as_ref().is_some_and(|argv| argv.is_empty() || argv[0].is_empty()) {
            let d = self.error(span, "`run` is empty");
            d.hint = Some("write the program and its arguments: `run: [systemctl, restart, api]`".into());
            d.path = Some(path.to_string());
        }
        self.positive("timeout", action.timeout.as_ref(), Some(path));
        if let Some(http) = &action.http {
            let url = http.url.as_str();
            if http.url.is_valid() && !(url.starts_with("http://") || url.starts_with("https://")) {
                let d = self.error(http.url.span(), format!("`{}` is not an http(s) URL", http.url));
                d.path = Some(path.to_string());
            }
        }
    }

    fn notify(&mut self) {
        let mut ids: HashMap<&str, Span> = HashMap::new();
        for (index, channel) in self.playbook.notify.iter().flatten().enumerate() {
            let path = format!("notify[{index}] \"{}\"", channel.id);
            self.unique(&mut ids, &channel.id, "notify channel", &path);
            let kinds = channel.kinds();
            if kinds.len() != 1 {
                let message = if kinds.is_empty() {
                    format!("channel `{}` has no notifier", channel.id)
                } else {
                    format!("channel `{}` has {} notifiers: {}", channel.id, kinds.len(), kinds.join(" and "))
                };
                let d = self.error(channel.id.span(), message);
                d.hint = Some("a channel has exactly one of `discord`, `slack` or `webhook`".into());
                d.path = Some(path.clone());
            }
            for status in channel.on.iter().flatten() {
                let valid = ["warning", "critical", "unknown"];
                if !valid.contains(&status.as_str()) {
                    let message = match Status::from_name(status.as_str()) {
                        Some(_) => format!("`{status}` is not a failing status; `on` lists the statuses that alert"),
                        None => format!("`{status}` is not a status"),
                    };
                    let hint = match did_you_mean(status.as_str(), valid) {
                        Some(best) if Status::from_name(status.as_str()).is_none() => format!("did you mean `{best}`?"),
                        _ => "`on` takes `warning`, `critical` and `unknown`; recoveries are sent by `recovery: true`"
                            .into(),
                    };
                    let d = self.error(status.span(), message);
                    d.hint = Some(hint);
                    d.path = Some(path.clone());
                }
            }
            if channel.after == Some(0) {
                let d = self.error(channel.id.span(), "`after` must be at least 1");
                d.path = Some(path.clone());
            }
            self.positive("repeat", channel.repeat.as_ref(), Some(&path));
            if let Some(group) = &channel.group {
                self.positive("group.window", group.window.as_ref(), Some(&path));
                if let Some(window) = group.window.as_ref().filter(|w| w.get() > crate::alert::outbox::EXPIRY) {
                    let d = self.error(window.span(), "`group.window` is longer than a day");
                    d.hint = Some("an outbox message undelivered for a day expires; use a window of minutes".into());
                    d.path = Some(path.clone());
                }
                if group.max_per_hour == Some(0) {
                    let d = self.error(channel.id.span(), "`group.max_per_hour` must be at least 1");
                    d.hint = Some("remove `max_per_hour` for no hourly limit".into());
                    d.path = Some(path.clone());
                }
            }
            if let Some(flapping) = &channel.flapping {
                self.flapping(flapping, channel, &path);
            }
            if let Some(webhook) = &channel.webhook
                && let Some(method) = &webhook.method
                && !is_http_method(method.as_str())
            {
                let d = self.error(method.span(), format!("`{method}` is not an HTTP method"));
                d.path = Some(path.clone());
            }
        }
    }

    /// `flapping`: window ≥ 2, 0 ≤ low < high ≤ 100 %.
    fn flapping(&mut self, flapping: &Flapping, channel: &Channel, path: &str) {
        if let Some(window) = flapping.window.filter(|w| *w < 2) {
            let d = self.error(channel.id.span(), format!("`flapping.window: {window}` must be at least 2"));
            d.hint = Some("the flap percent weighs the changes between consecutive results; 21 is usual".into());
            d.path = Some(format!("{path}.flapping.window"));
        }
        for (key, percent) in [("high", flapping.high), ("low", flapping.low)] {
            if let Some(value) = percent.and_then(|p| p.get()).filter(|v| !(0.0..=100.0).contains(v)) {
                let d = self.error(
                    percent.map_or(channel.id.span(), |p| p.span()),
                    format!("`flapping.{key}: {value}%` is not between 0% and 100%"),
                );
                d.path = Some(format!("{path}.flapping.{key}"));
            }
        }
        let config = flapping.config();
        if config.low >= config.high {
            let span = flapping.low.or(flapping.high).map_or(channel.id.span(), |p| p.span());
            let d = self.error(
                span,
                format!("`flapping.low` ({}%) must be lower than `flapping.high` ({}%)", config.low, config.high),
            );
            d.hint = Some("flapping starts above `high` and stops below `low`, e.g. `{high: 50%, low: 25%}`".into());
            d.path = Some(format!("{path}.flapping"));
        }
    }

    fn report(&mut self, base_dir: &Path) {
        let Some(report) = &self.playbook.report else {
            return;
        };
        if let (Some(keep), Some(_)) = (&report.keep, &report.keep_last) {
            self.error(keep.span(), "`keep` and `keep_last` cannot both be set").hint =
                Some("`keep: 30d` deletes by age; `keep_last: 100` by count; choose one".into());
        }
        self.positive("keep", report.keep.as_ref(), Some("report"));
        if report.keep_last == Some(0) {
            self.error(report.path.span(), "`keep_last` must be at least 1");
        }
        if report.path.source().trim().is_empty() {
            self.error(report.path.span(), "the report `path` is empty");
        }
        let Some(template) = &report.template else {
            return;
        };
        let name = template.as_str();
        if let Some(builtin) = name.strip_prefix("builtin:") {
            let builtins = ["markdown", "html", "json"];
            if !builtins.contains(&builtin) {
                let d = self.error(template.span(), format!("`{name}` is not a builtin template"));
                d.hint = Some(match did_you_mean(builtin, builtins) {
                    Some(best) => format!("did you mean `builtin:{best}`?"),
                    None => "use `builtin:markdown`, `builtin:html`, `builtin:json`, or a template file".into(),
                });
            }
            return;
        }
        let file = super::interpolate::resolve_against(base_dir, name);
        match std::fs::read_to_string(&file) {
            Err(error) => {
                self.error(template.span(), format!("cannot read template `{name}`: {error}")).hint =
                    Some("template paths are relative to the playbook's folder".into());
            }
            Ok(source) => {
                let mut env = minijinja::Environment::new();
                crate::template::register_filters(&mut env, || jiff::tz::TimeZone::UTC);
                if let Err(error) = env.template_from_named_str(name, &source) {
                    let line = error.line().map(|l| format!(" (line {l})")).unwrap_or_default();
                    let detail = error.detail().map(str::to_string).unwrap_or_else(|| error.kind().to_string());
                    self.error(template.span(), format!("template `{name}` does not compile{line}: {detail}")).hint =
                        Some("fix the template file; it is minijinja (Jinja2) syntax".into());
                }
            }
        }
    }
}

/// The error for a duration under `key` that is zero, or `None`.
pub fn zero_duration(key: &str, duration: Option<&Dur>) -> Option<Diagnostic> {
    let duration = duration.filter(|d| d.is_valid() && d.get().is_zero())?;
    let diagnostic = Diagnostic::error(duration.span(), format!("`{key}` must be more than zero"));
    Some(diagnostic.with_hint(format!("give `{key}` a positive duration such as `5s`, or remove it")))
}

/// `name` must be unique among the playbooks of a folder: one diagnostic per later
/// duplicate, as (index of the report, diagnostic).
pub fn names_unique_across(reports: &[super::FileReport]) -> Vec<(usize, Diagnostic)> {
    let mut first: HashMap<(std::path::PathBuf, String), (usize, Span)> = HashMap::new();
    let mut out = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        let Some(playbook) = &report.playbook else {
            continue;
        };
        let folder = report.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let key = (folder, playbook.name.as_str().to_string());
        match first.get(&key) {
            Some((other, _)) => {
                let other_path = reports[*other].display_path();
                out.push((
                    index,
                    Diagnostic::error(
                        playbook.name.span(),
                        format!("playbook name `{}` is already used by {other_path}", playbook.name),
                    )
                    .with_hint("names are unique in a folder: the store and `runner history` know playbooks by name"),
                ));
            }
            None => {
                first.insert(key, (index, playbook.name.span()));
            }
        }
    }
    out
}
