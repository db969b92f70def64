//! `command`: a program (argv) or a shell line, with expectations on exit code and
//! output; metrics `exit_code`, `duration_ms` and the declared ones. With `nagios: true`
//! a Nagios plugin's exit code is the status and its perfdata become metrics.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::IntList;
use crate::playbook::values::{PathText, Pattern, Text};

/// A command to run.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::playbook::schema_rules::command_check)]
pub struct CommandCheck {
    /// The program and its arguments, run without a shell.
    #[schemars(transform = crate::playbook::schema_rules::program_and_arguments)]
    pub run: Option<Vec<Text>>,
    /// A line for `sh -c`.
    pub shell: Option<Text>,
    /// The working directory (default: the playbook's folder).
    pub cwd: Option<PathText>,
    /// Extra environment variables.
    pub env: Option<IndexMap<String, Text>>,
    /// What the command must do (default: exit 0).
    pub expect: Option<CommandExpect>,
    /// Metrics from the output: a regex with one capture group, or a JSON path (`$.a.b`)
    /// into stdout parsed as JSON.
    pub metrics: Option<IndexMap<String, Text>>,
    /// A Nagios plugin: exit 0/1/2/3 is OK/WARNING/CRITICAL/UNKNOWN and perfdata after
    /// `|` become metrics.
    pub nagios: Option<bool>,
}

/// Expectations on a command.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandExpect {
    /// The exit code, or a list of acceptable codes (default 0).
    pub exit: Option<IntList>,
    /// A substring stdout must contain.
    pub stdout_contains: Option<Text>,
    /// A regex stdout must match.
    pub stdout_regex: Option<Pattern>,
}

/// How a declared metric is read from a command's output.
#[derive(Clone, Debug)]
pub enum MetricExtractor {
    /// A regex on stdout; its one capture group is the number.
    Regex(regex::Regex),
    /// A JSON path into stdout parsed as JSON.
    Json(crate::jsonpath::JsonPath),
}

/// Why a declared metric's source cannot read a number. `Display` is the reason the
/// playbook's diagnostic (and a run's "metric … was not found" detail) gives.
#[derive(Debug, thiserror::Error)]
pub enum MetricSourceError {
    #[error("invalid JSON path: {0}")]
    JsonPath(#[source] crate::jsonpath::InvalidJsonPath),
    /// `reason` is the regex crate's last `error:` line, the one that says what is wrong.
    #[error("invalid regex: {reason}")]
    Regex {
        reason: String,
        #[source]
        source: regex::Error,
    },
    #[error("the regex has {0} capture groups; it needs exactly one (the number)")]
    CaptureGroups(usize),
}

/// Parses a metric source: a JSON path (starting with `$`) or a regex with exactly one
/// capture group.
pub fn metric_extractor(source: &str) -> Result<MetricExtractor, MetricSourceError> {
    if source.trim_start().starts_with('$') {
        return crate::jsonpath::JsonPath::parse(source)
            .map(MetricExtractor::Json)
            .map_err(MetricSourceError::JsonPath);
    }
    let regex = regex::Regex::new(source).map_err(|source| {
        let text = source.to_string();
        let reason = text
            .lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .unwrap_or(text.as_str())
            .trim_start_matches("error: ")
            .to_string();
        MetricSourceError::Regex { reason, source }
    })?;
    match regex.captures_len() - 1 {
        1 => Ok(MetricExtractor::Regex(regex)),
        n => Err(MetricSourceError::CaptureGroups(n)),
    }
}

impl CheckKind for CommandCheck {
    /// `exit_code`, `duration_ms` and the declared metrics; open for a Nagios plugin,
    /// whose perfdata names its own.
    fn metric_names(&self) -> Option<Vec<String>> {
        if self.nagios == Some(true) {
            return None;
        }
        let mut names = vec!["exit_code".to_string(), "duration_ms".to_string()];
        names.extend(self.metrics.iter().flat_map(|m| m.keys().cloned()));
        Some(names)
    }

    fn validate(&self, rules: &mut KindRules<'_>) {
        let how = "`run: [prog, arg]` runs without a shell; `shell: \"…\"` runs `sh -c`";
        rules.exactly_one_of("a command", ("run", self.run.is_some()), ("shell", self.shell.is_some()), how);
        if let (Some(argv), None) = (&self.run, &self.shell)
            && (argv.is_empty() || argv[0].is_empty())
        {
            let id = rules.check.id.span();
            rules.error(id, "`run` is empty", "write the program and its arguments: `run: [df, -h]`");
        }
        for (name, source) in self.metrics.iter().flatten() {
            if let Some(problem) = declared_metric_name_problem(name) {
                rules.error(source.span(), problem, "name it with letters, digits and `_`, e.g. `queue_depth`");
            }
            if let Err(error) = metric_extractor(source.as_str()) {
                rules.error(
                    source.span(),
                    format!("metric `{name}`: {error}"),
                    "a metric is a regex with one capture group, e.g. `used=(\\d+)`, or a JSON path such as `$.stats.used`",
                );
            }
        }
    }
}

/// What is wrong with the name of a command check's declared metric, if anything: runner's
/// own metrics of command checks (a declared one would overwrite them) and control
/// characters (they would break every output that names the metric).
fn declared_metric_name_problem(name: &str) -> Option<String> {
    if ["exit_code", "duration_ms"].contains(&name) {
        return Some(format!("`{name}` is runner's own metric for command checks; choose another name"));
    }
    name.chars().find(|c| c.is_control()).map(|c| {
        format!(
            "metric name {name:?} has a control character ({}); names are printed in every output",
            c.escape_default()
        )
    })
}

// ---------------------------------------------------------------------------------------
// Probe

use crate::outcome::{MetricMeta, Observation, Status, format_number};
use crate::probe::context::ProbeContext;
use crate::process_group::{self, CommandSpec};

/// The command line of a check or action: argv or `sh -c`, its folder and extra env.
pub fn spec(
    run: Option<&Vec<crate::playbook::values::Text>>,
    shell: Option<&crate::playbook::values::Text>,
    cwd: Option<&PathText>,
    env: Option<&IndexMap<String, Text>>,
    base_dir: &std::path::Path,
) -> Option<CommandSpec> {
    let cwd = cwd.map(|c| c.resolved().to_path_buf()).unwrap_or_else(|| base_dir.to_path_buf());
    let mut spec = match (run, shell) {
        (Some(argv), _) if !argv.is_empty() => CommandSpec {
            program: argv[0].as_str().to_string(),
            args: argv[1..].iter().map(|a| a.as_str().to_string()).collect(),
            cwd,
            env: Vec::new(),
        },
        (_, Some(line)) => CommandSpec::shell(line.as_str(), cwd),
        _ => return None,
    };
    spec.env = env.into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().to_string())).collect();
    Some(spec)
}

pub async fn probe(config: &CommandCheck, ctx: &ProbeContext<'_>) -> Observation {
    let Some(spec) =
        spec(config.run.as_ref(), config.shell.as_ref(), config.cwd.as_ref(), config.env.as_ref(), ctx.base_dir)
    else {
        return Observation::unknown("the command has neither `run` nor `shell`");
    };
    // The engine's own timeout is the backstop; giving the limit to the runner lets it
    // kill the process group itself and report the partial output.
    let owner = ctx.services.owner(ctx.playbook);
    let finished = match process_group::run_owned(&spec, ctx.timeout, owner.as_ref()).await {
        Ok(finished) => finished,
        Err(error) => return Observation::fail(describe_spawn(&error, &spec)),
    };
    let stdout = finished.stdout.text();
    let stderr = finished.stderr.text();
    let duration_ms = (finished.elapsed.as_secs_f64() * 1000.0).round();
    let mut base = Observation::pass("").metric("duration_ms", duration_ms);
    if let Some(code) = finished.exit_code {
        base = base.metric("exit_code", f64::from(code));
    }
    let output = finished.combined_output();
    if !output.trim().is_empty() {
        base = base.detail(output.trim_end().to_string());
    }
    if finished.timed_out {
        let mut failed = Observation::fail(format!(
            "timed out after {}; its process group was killed",
            crate::duration::format(ctx.timeout)
        ));
        failed.metrics = base.metrics;
        failed.details = base.details;
        return failed;
    }
    let Some(code) = finished.exit_code else {
        let mut failed = Observation::fail(format!("killed by signal {}", finished.signal.unwrap_or(0)));
        failed.details = base.details;
        return failed;
    };

    // Declared metrics.
    let mut metric_problems = Vec::new();
    for (name, source) in config.metrics.iter().flatten() {
        match metric_extractor(source.as_str()) {
            Ok(extractor) => match extract(&extractor, &stdout) {
                Ok(Some(value)) => base = base.metric(name.clone(), value),
                Ok(None) => metric_problems.push(name.clone()),
                Err(several) => metric_problems.push(format!("{name} (its JSON path {several})")),
            },
            Err(error) => metric_problems.push(format!("{name} ({error})")),
        }
    }
    for missing in &metric_problems {
        base = base.detail(format!("metric `{missing}` was not found in the output"));
    }

    if config.nagios.unwrap_or(false) {
        let plugin = parse_nagios(&stdout);
        for perf in plugin.perfdata {
            // A plugin's label never overwrites runner's own measurements (exit_code,
            // duration_ms, the declared metrics): it is kept under `plugin.` instead.
            let name = if base.metrics.contains_key(&perf.label) {
                let renamed = format!("plugin.{}", perf.label);
                base = base.detail(format!(
                    "perfdata label `{}` is one of runner's own metrics: kept as `{renamed}`",
                    perf.label
                ));
                renamed
            } else {
                perf.label
            };
            if let Some(note) = perf.meta.unit.as_deref().and_then(|unit| unit_note(&name, unit)) {
                base = base.detail(note);
            }
            base.metrics.insert(name.clone(), perf.value);
            if perf.meta != MetricMeta::default() {
                base.meta.insert(name, perf.meta);
            }
        }
        let base = with_shared_name_notes(base);
        let status = Status::from_nagios_code(code);
        let message = if plugin.text.is_empty() { format!("exit {code}") } else { plugin.text };
        let mut observation = Observation::with_status(status, message);
        observation.metrics = base.metrics;
        observation.meta = base.meta;
        observation.details = base.details;
        return observation;
    }

    let mut base = with_shared_name_notes(base);
    let expect = config.expect.as_ref();
    let exit_ok = match expect.and_then(|e| e.exit.as_ref()) {
        Some(codes) => codes.contains(i64::from(code)),
        None => code == 0,
    };
    let first_line = stdout.lines().chain(stderr.lines()).find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let first_line = crate::secret::scrub_and_cut(first_line, 160);
    let mut failures = Vec::new();
    if !exit_ok {
        failures.push(format!("exit {code}"));
    }
    if let Some(needle) = expect.and_then(|e| e.stdout_contains.as_ref())
        && !stdout.contains(needle.as_str())
    {
        failures.push(format!("stdout does not contain {:?}", needle.as_str()));
    }
    if let Some(pattern) = expect.and_then(|e| e.stdout_regex.as_ref())
        && pattern.regex().is_some_and(|r| !r.is_match(&stdout))
    {
        failures.push(format!("stdout does not match /{}/", pattern.source()));
    }
    let tail = if first_line.is_empty() { String::new() } else { format!(": {first_line}") };
    if failures.is_empty() {
        base.message = format!("exit {code} in {}ms{tail}", format_number(duration_ms));
        base
    } else {
        let mut failed = Observation::fail(format!("{}{tail}", failures.join("; ")));
        failed.metrics = base.metrics;
        failed.details = base.details;
        failed
    }
}

/// Adds to the details the metrics whose Prometheus names meet (all are kept, numbered).
fn with_shared_name_notes(mut observation: Observation) -> Observation {
    let notes = crate::output::prometheus::shared_name_notes("command", &observation.metrics, &observation.meta);
    observation.details.extend(notes);
    observation
}

fn describe_spawn(error: &std::io::Error, spec: &CommandSpec) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound if !spec.cwd.exists() => {
            format!("working folder {} does not exist", spec.cwd.display())
        }
        std::io::ErrorKind::NotFound => format!("command not found: {}", spec.program),
        std::io::ErrorKind::PermissionDenied => format!("permission denied: {}", spec.program),
        _ => format!("cannot start {}: {error}", spec.program),
    }
}

/// What becomes of a plugin's unit that the Nagios guidelines do not list (`Gb`, `ns`,
/// `rpm`): converted to its base unit, or dropped when runner does not know it.
fn unit_note(label: &str, unit: &str) -> Option<String> {
    use crate::output::units::{NAGIOS_UNITS, base_unit};
    if NAGIOS_UNITS.contains(&unit) {
        return None;
    }
    Some(match base_unit(unit) {
        Some(base) => format!(
            "perfdata `{label}` is in `{unit}`, not a Nagios guideline unit: the outputs convert it to {} (Prometheus: `{}`)",
            base.nagios, base.suffix
        ),
        None => format!(
            "perfdata `{label}` is in `{unit}`, a unit runner does not know: the outputs show the number without it"
        ),
    })
}

/// The metric's number, `None` when the output does not hold one; an error when a JSON
/// path selects several values and so names no single number.
fn extract(extractor: &MetricExtractor, stdout: &str) -> Result<Option<f64>, crate::jsonpath::SeveralValues> {
    match extractor {
        MetricExtractor::Regex(regex) => {
            Ok(regex.captures(stdout).and_then(|c| c.get(1)?.as_str().trim().parse().ok()))
        }
        MetricExtractor::Json(path) => {
            let Ok(document) = serde_json::from_str::<serde_json::Value>(stdout) else {
                return Ok(None);
            };
            Ok(path.find(&document)?.and_then(crate::jsonpath::as_number))
        }
    }
}

/// What a Nagios plugin printed: the text of its first line and its performance data.
#[derive(Debug, Default, PartialEq)]
pub struct PluginOutput {
    pub text: String,
    pub perfdata: Vec<PerfItem>,
}

/// One perfdata item: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, PartialEq)]
pub struct PerfItem {
    pub label: String,
    pub value: f64,
    /// The unit and the plugin's own ranges, as it printed them.
    pub meta: MetricMeta,
}

/// Parses plugin output (Nagios plugin API): `TEXT | perfdata` on the first line, then
/// optional long text whose lines after a `|` carry more perfdata.
pub fn parse_nagios(stdout: &str) -> PluginOutput {
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or("");
    let (text, first_perf) = match first.split_once('|') {
        Some((text, perf)) => (text.trim(), perf),
        None => (first.trim(), ""),
    };
    let mut perf = first_perf.to_string();
    let mut in_perf = false;
    for line in lines {
        if in_perf {
            perf.push(' ');
            perf.push_str(line);
        } else if let Some((_, more)) = line.split_once('|') {
            in_perf = true;
            perf.push(' ');
            perf.push_str(more);
        }
    }
    PluginOutput { text: text.to_string(), perfdata: parse_perfdata(&perf) }
}

/// `'label'=value[UOM];[warn];[crit];[min];[max]` items, space separated; labels may be
/// quoted with `'` (and then contain spaces). Values that are not numbers (`U`) are left
/// out.
pub fn parse_perfdata(text: &str) -> Vec<PerfItem> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let label: String = if chars[i] == '\'' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() {
                if chars[end] == '\'' && chars.get(end + 1) == Some(&'\'') {
                    end += 2;
                    continue;
                }
                if chars[end] == '\'' {
                    break;
                }
                end += 1;
            }
            let label = chars[start..end.min(chars.len())].iter().collect::<String>().replace("''", "'");
            i = end + 1;
            label
        } else {
            let start = i;
            while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
                i += 1;
            }
            chars[start..i].iter().collect()
        };
        if chars.get(i) != Some(&'=') {
            // Not perfdata; skip the word.
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            continue;
        }
        i += 1;
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let item: String = chars[start..i].iter().collect();
        let mut fields = item.split(';');
        let value = fields.next().unwrap_or("");
        let number: String =
            value.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')).collect();
        let unit = &value[number.len()..];
        let mut range = || fields.next().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        let (warn, crit) = (range(), range());
        let (min, max) = (range().and_then(|m| m.parse().ok()), range().and_then(|m| m.parse().ok()));
        let unit = (!unit.is_empty()).then(|| unit.to_string());
        if let Ok(value) = number.parse::<f64>()
            && !label.is_empty()
        {
            out.push(PerfItem { label, value, meta: MetricMeta { unit, warn, crit, min, max } });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plugin_output_and_perfdata() {
        let out = "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968 'inode ratio'=12%;80;90\n/ 15272 MB\n| /boot=68MB;88;93;0;98\n";
        let parsed = parse_nagios(out);
        assert_eq!(parsed.text, "DISK OK - free space: / 3326 MB (56%);");
        let pairs = |items: Vec<PerfItem>| items.into_iter().map(|p| (p.label, p.value)).collect::<Vec<_>>();
        assert_eq!(
            pairs(parsed.perfdata),
            vec![("/".to_string(), 2643.0), ("inode ratio".to_string(), 12.0), ("/boot".to_string(), 68.0)]
        );
        assert_eq!(pairs(parse_perfdata("load1=0.250;8;12;0 load5=U;;")), vec![("load1".to_string(), 0.25)]);
        let time = parse_perfdata("time=0.000381s;1.5;~:3;0;10").remove(0);
        assert_eq!(time.value, 0.000381);
        assert_eq!(
            time.meta,
            MetricMeta {
                unit: Some("s".into()),
                warn: Some("1.5".into()),
                crit: Some("~:3".into()),
                min: Some(0.0),
                max: Some(10.0)
            }
        );
        assert_eq!(parse_perfdata("rpm=300rpm").remove(0).meta.unit.as_deref(), Some("rpm"));
        assert_eq!(parse_perfdata("k=11Gb").remove(0).meta.unit.as_deref(), Some("Gb"));
        assert_eq!(parse_nagios("PING OK").perfdata, vec![]);
    }
}
