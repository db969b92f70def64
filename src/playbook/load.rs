//! Loading a playbook file: limits, YAML with locations (serde-saphyr), `${ENV}` and
//! `{{ vars }}`, then validation — into a [`FileReport`] that holds the playbook (when it
//! parsed) and every diagnostic.
//!
//! Loading never panics and never stops at the first problem it can get past: a syntax
//! error ends the parse of that file, unless it is a value YAML cannot read unquoted
//! (`> 80`, `@daily`), which is quoted in a copy (`requote`) to read on; an unknown key or
//! a wrong type ends serde's typed parse, and then the file's YAML tree is walked against
//! the schema (`shape`) so that every other such mistake is reported too; everything else
//! is collected. The walk runs
//! only for files that failed: the happy path parses once. This module owns the order of
//! those steps and the translation of serde-saphyr's errors into diagnostics; the rules
//! themselves live in `validate` and `shape`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::diagnostic::Diagnostic;
use super::interpolate::{EnvLookup, LoadContext, expand_env, process_env};
use super::requote::{self, Requoted};
use super::shape;
use super::span::Span;
use super::tree::Node;
use super::types::Playbook;
use super::validate;

/// A playbook over this size is refused before parsing (PLAYBOOK.md's limit).
pub const MAX_BYTES: usize = 1024 * 1024;
/// Deeper nesting is refused.
pub const MAX_DEPTH: usize = 64;
/// Alias expansion beyond this many nodes is refused (a "billion laughs" bomb).
pub const MAX_ALIAS_NODES: usize = 10_000;

/// How to load.
#[derive(Clone)]
pub struct LoadOptions {
    /// Where `${VAR}` values come from.
    pub env: EnvLookup,
    /// Also warn about the loose YAML forms the JSON Schema rejects (`name: 123`): a second
    /// walk of the whole file, so only `validate --strict` asks for it; `runner run`, the
    /// daemon and a plain `validate` keep their one parse.
    pub loose_forms: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { env: process_env(), loose_forms: false }
    }
}

/// Everything known about one playbook file after loading it.
#[derive(Clone)]
pub struct FileReport {
    /// The path as given (for messages).
    pub path: PathBuf,
    pub source: Arc<str>,
    /// The playbook, when it parsed (it may still have semantic errors).
    pub playbook: Option<Playbook>,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// The loaded playbook when it has no errors (warnings allowed, unless `strict`).
    pub fn into_loaded(self, strict: bool) -> Result<Loaded, Box<FileReport>> {
        let failed = self.has_errors() || (strict && !self.diagnostics.is_empty());
        match (failed, self.playbook) {
            (false, Some(playbook)) => Ok(Loaded {
                base_dir: base_dir(&self.path),
                path: self.path,
                source: self.source,
                playbook,
                warnings: self.diagnostics,
                quiet: std::sync::OnceLock::new(),
            }),
            (_, playbook) => Err(Box::new(FileReport { playbook, ..self })),
        }
    }
}

/// A valid playbook, ready to run.
#[derive(Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// The playbook's folder: relative paths resolve against it.
    pub base_dir: PathBuf,
    pub source: Arc<str>,
    pub playbook: Playbook,
    pub warnings: Vec<Diagnostic>,
    /// The quiet-time plan, made at the first run of this load (see `quiet::plan`).
    quiet: std::sync::OnceLock<Arc<crate::quiet::plan::Plan>>,
}

impl Loaded {
    /// The quiet-time plan of this load: made once, at first use (it may read the
    /// playbook's folder for the periods of the playbooks `depends_on` names).
    pub fn quiet_plan(&self) -> Arc<crate::quiet::plan::Plan> {
        self.quiet.get_or_init(|| Arc::new(crate::quiet::plan::Plan::new(self))).clone()
    }
}

fn base_dir(path: &Path) -> PathBuf {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Reads and loads a playbook file. `Err` only when the file cannot be read at all.
pub fn load_file(path: &Path, options: &LoadOptions) -> std::io::Result<FileReport> {
    let metadata = std::fs::metadata(path)?;
    // A FIFO would block the read forever and a device (/dev/zero) never ends.
    if !metadata.is_file() {
        let what = if metadata.is_dir() { "a folder" } else { "not a regular file" };
        return Err(std::io::Error::other(format!("it is {what}")));
    }
    if metadata.len() > MAX_BYTES as u64 {
        // Refuse without reading a huge file into memory.
        return Ok(too_big(path, metadata.len()));
    }
    // The file may grow between the size check and the read: read at most one byte
    // past the limit.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(std::fs::File::open(path)?, MAX_BYTES as u64 + 1), &mut bytes)?;
    if bytes.len() > MAX_BYTES {
        return Ok(too_big(path, bytes.len() as u64));
    }
    Ok(load_bytes(path, &bytes, options))
}

fn too_big(path: &Path, len: u64) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        source: Arc::from(""),
        playbook: None,
        diagnostics: vec![
            Diagnostic::error(
                Span::new(1, 1, 0),
                format!("the playbook is {:.1} MiB; the limit is 1 MiB", len as f64 / (1024.0 * 1024.0)),
            )
            .with_hint("split it into several playbooks"),
        ],
    }
}

/// Loads a playbook from bytes, as if read from `path`.
pub fn load_bytes(path: &Path, bytes: &[u8], options: &LoadOptions) -> FileReport {
    if bytes.len() > MAX_BYTES {
        return too_big(path, bytes.len() as u64);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or_default();
            let line = valid.matches('\n').count() as u32 + 1;
            let col = valid.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u32 + 1;
            let shown = String::from_utf8_lossy(bytes).into_owned();
            return FileReport {
                path: path.to_path_buf(),
                source: Arc::from(shown),
                playbook: None,
                diagnostics: vec![
                    Diagnostic::error(Span::new(line, col, 1), "the file is not UTF-8 text (binary data?)")
                        .with_hint("a playbook is a YAML text file in UTF-8"),
                ],
            };
        }
    };
    load_str(path, text, options)
}

/// Loads a playbook from text, as if read from `path`.
pub fn load_str(path: &Path, text: &str, options: &LoadOptions) -> FileReport {
    let source: Arc<str> = Arc::from(text);
    let mut report =
        FileReport { path: path.to_path_buf(), source: source.clone(), playbook: None, diagnostics: Vec::new() };

    if is_blank(text) {
        report.diagnostics.push(
            Diagnostic::error(Span::new(1, 1, 0), "the playbook is empty")
                .with_hint("a playbook starts with `version: 1`, a `name`, and `checks` or `phases`"),
        );
        return report;
    }
    if let Some(position) = text.find('\0') {
        let before = &text[..position];
        let line = before.matches('\n').count() as u32 + 1;
        let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u32 + 1;
        report.diagnostics.push(
            Diagnostic::error(Span::new(line, col, 1), "the file contains a NUL byte (binary data?)")
                .with_hint("a playbook is a YAML text file in UTF-8"),
        );
        return report;
    }

    // Pass 1: `vars`, expanded, so that pass 2 can render `{{ vars.x }}` anywhere.
    let (vars, mut diagnostics) = read_vars(text, &options.env);

    // Pass 2: the model, with the load context installed for the value types.
    let context = LoadContext::new(options.env.clone(), base_dir(path), source.clone(), vars);
    let (parsed, context) = context.install(|| serde_saphyr::from_str_with_options::<Playbook>(text, parse_options()));
    diagnostics.extend(context.diagnostics);
    match parsed {
        Ok(playbook) => {
            diagnostics.extend(validate::validate(&playbook, &base_dir(path), text));
            if options.loose_forms {
                // A value already said to be wrong is not also said to be loose.
                let loose: Vec<Diagnostic> = loose_forms(text)
                    .into_iter()
                    .filter(|w| !diagnostics.iter().any(|d| d.is_error() && d.span == w.span))
                    .collect();
                diagnostics.extend(loose);
            }
            report.playbook = Some(playbook);
        }
        Err(error) => diagnostics.extend(parse_failure(text, &error)),
    }
    diagnostics.sort_by_key(|d| (d.span.line, d.span.col));
    diagnostics.dedup();
    report.diagnostics = diagnostics;
    report
}

/// Warnings for the loose YAML forms of a valid file that the JSON Schema rejects
/// ([`shape::loose_forms`]): `validate` and the schema then agree, `--strict` refusing them.
fn loose_forms(text: &str) -> Vec<Diagnostic> {
    let mut options = parse_options();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::FirstWins;
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(tree) => shape::loose_forms(&tree, text),
        Err(_) => Vec::new(),
    }
}

/// The diagnostics of a file whose typed parse failed: serde's error, and every other
/// unknown key and wrong type, found by walking the file's YAML tree against the schema.
/// Where both speak of the same place the walk's message is kept: it names the key.
/// A value YAML cannot read unquoted (`> 80`, `{{ x }}`) is reported and quoted in a copy
/// of the source, so that the walk still sees the rest of the file.
fn parse_failure(text: &str, error: &serde_saphyr::Error) -> Vec<Diagnostic> {
    let mut first = serde_error(error);
    let unquoted = unquoted_value_near(text, error, first.span);
    let found_unquoted = unquoted.is_some();
    if let Some((message, hint, span)) = unquoted {
        first = Diagnostic::error(span, message).with_hint(hint);
    }
    if !is_shape_error(error) && !found_unquoted {
        return vec![first];
    }
    let mut found = match walk_requoted(text) {
        Ok(found) => found,
        Err(mut quoting) => {
            quoting.push(first);
            quoting.sort_by_key(|d| (d.span.line, d.span.col));
            quoting.dedup_by_key(|d| d.span);
            return quoting;
        }
    };
    if found.iter().any(|d| d.span == first.span) {
        return found;
    }
    // The same missing key: serde's place (where the map ended) with the walk's path.
    match found.iter_mut().find(|d| d.message == first.message) {
        Some(same) => same.span = first.span,
        None => found.push(first),
    }
    found
}

/// At most this many unquoted values are quoted to read past them.
const MAX_REQUOTES: usize = 50;

/// Reads the file's YAML tree, quoting each unquoted value that stops the parse, and
/// walks it against the schema: the unquoted values' diagnostics and the walk's, at their
/// places in `text`. `Err` with the unquoted values found when the tree cannot be read
/// for another reason.
fn walk_requoted(text: &str) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let mut copy = Requoted::new(text);
    let mut quoting = Vec::new();
    loop {
        let mut options = parse_options();
        // A duplicate key is serde's error already; the walk goes on past it.
        options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::FirstWins;
        let error = match serde_saphyr::from_str_with_options::<Node>(&copy.text, options) {
            Ok(tree) => {
                let mut found = shape::check(&tree, &copy.text);
                for diagnostic in &mut found {
                    diagnostic.span = copy.original(diagnostic.span);
                }
                found.extend(quoting);
                return Ok(found);
            }
            Err(error) => error,
        };
        let Some((message, hint, span)) = unquoted_value_near(&copy.text, &error, serde_error(&error).span) else {
            return Err(quoting);
        };
        let original = copy.original(span);
        if quoting.len() >= MAX_REQUOTES || !copy.quote_at(span) {
            return Err(quoting);
        }
        quoting.push(Diagnostic::error(original, message).with_hint(hint));
    }
}

/// [`unquoted_value`] where the error points, else at the start of the value the error is
/// in (YAML may notice `url: {{ vars.u }}/health` only after the `}}`), with where it is.
fn unquoted_value_near(text: &str, error: &serde_saphyr::Error, span: Span) -> Option<(&'static str, String, Span)> {
    if let Some((message, hint)) = unquoted_value(text, error, span) {
        return Some((message, hint, span));
    }
    let line = text.lines().nth((span.line as usize).checked_sub(1)?)?;
    let before: Vec<char> = line.chars().take(span.col.saturating_sub(1) as usize).collect();
    let value_start = (1..before.len()).rev().find(|&i| before[i] == ' ' && matches!(before[i - 1], ':' | '-'))? + 2;
    let start = Span::new(span.line, value_start as u32, 0);
    unquoted_value(text, error, start).map(|(message, hint)| (message, hint, start))
}

/// What YAML made of a value that was not quoted, when the error points at one: `{{ … }}`
/// (read as a flow map), `> 80` (a folded block of text), `*/5 * * * *` (an alias),
/// `@hourly` (a reserved character). As (message, hint). Never for a breached limit: an
/// alias bomb is no quoting mistake.
fn unquoted_value(text: &str, error: &serde_saphyr::Error, span: Span) -> Option<(&'static str, String)> {
    use serde_saphyr::Error as E;
    let inner = error.without_snippet();
    let unknown_anchor = matches!(inner, E::UnknownAnchor { .. });
    let breached_limit = matches!(
        inner,
        E::Budget { .. }
            | E::AliasReplayCounterOverflow { .. }
            | E::AliasReplayLimitExceeded { .. }
            | E::AliasExpansionLimitExceeded { .. }
            | E::AliasReplayStackDepthExceeded { .. }
    );
    if breached_limit {
        return None;
    }
    let line = text.lines().nth((span.line as usize).checked_sub(1)?)?;
    let value: String = line.chars().skip(span.col.saturating_sub(1) as usize).collect();
    let value = value.trim_start();
    if unknown_anchor {
        return value
            .starts_with('*')
            .then(|| ("an unquoted `*` starts a YAML alias", "quote the value: write `\"*/5 * * * *\"`".to_string()));
    }
    if value.starts_with("{{") {
        Some(("an unquoted `{{` starts a YAML map, not a template", shape::QUOTE_TEMPLATE_HINT.to_string()))
    } else if value.starts_with('>') {
        Some(("an unquoted `>` starts a folded block of text, not a comparison", quote_as_written(line, span)))
    } else if value.starts_with(['@', '`']) {
        Some((
            "YAML reserves `@` and `` ` `` at the start of an unquoted value",
            "quote the value: write `\"@hourly\"`".to_string(),
        ))
    } else {
        None
    }
}

/// The hint for an unquoted comparison: the user's own value that starts at `span` in
/// `line` (`>= 90`, up to a comment or the end of its flow item), quoted.
fn quote_as_written(line: &str, span: Span) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut start = span.col.saturating_sub(1) as usize;
    while chars.get(start).is_some_and(|c| c.is_whitespace()) {
        start += 1;
    }
    let written: String = chars[start..requote::value_end(&chars, start)].iter().collect();
    format!("quote the value: write `\"{}\"`", written.replace('"', "\\\""))
}

/// True for the errors a tree walk can add to: a key or value of the wrong shape. Not
/// for syntax errors (the tree would not parse either) nor for breached limits (reading
/// the file again would only breach them again).
fn is_shape_error(error: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    match error.without_snippet() {
        E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::SerdeUnknownField { .. }
        | E::SerdeMissingField { .. }
        | E::DuplicateMappingKey { .. }
        | E::Unexpected { .. }
        | E::InvalidScalar { .. }
        | E::InvalidBooleanStrict { .. }
        | E::NullIntoString { .. } => true,
        E::Message { msg, .. } => !msg.contains("recursion"),
        _ => false,
    }
}

/// True when the text holds no YAML content (empty, whitespace, comments, `---`).
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

/// serde-saphyr's options: duplicate keys are errors (its default), and the limits of
/// PLAYBOOK.md.
fn parse_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: 100_000,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_NODES,
        },
    }
}

/// Reads `vars` (ignoring everything else), expanding `${ENV}` in their strings.
///
/// Only the top-level `vars:` block is parsed (padded with empty lines, so that line
/// numbers stay right): parsing the whole file twice would double the cost of loading.
/// When the block cannot be parsed on its own (it uses an anchor defined elsewhere, the
/// file is in flow style), the whole file is.
fn read_vars(text: &str, env: &super::interpolate::EnvLookup) -> (minijinja::Value, Vec<Diagnostic>) {
    #[derive(Deserialize)]
    struct VarsOnly {
        #[serde(default)]
        vars: Option<IndexMap<String, Spanned<serde_json::Value>>>,
    }

    let mut diagnostics = Vec::new();
    if !text.contains("vars") {
        return (minijinja::Value::from(()), diagnostics);
    }
    let parsed = vars_block(text)
        .and_then(|block| serde_saphyr::from_str_with_options::<VarsOnly>(&block, parse_options()).ok())
        .or_else(|| serde_saphyr::from_str_with_options::<VarsOnly>(text, parse_options()).ok());
    let Some(VarsOnly { vars: Some(vars) }) = parsed else {
        return (minijinja::Value::from(()), diagnostics);
    };
    let mut out = serde_json::Map::new();
    for (name, value) in vars {
        let span = Span::from(value.referenced);
        let mut expanded = expand_json(value.value, &**env, span, &mut diagnostics);
        // A var may build on the vars above it, as in Ansible.
        if let serde_json::Value::String(text) = &expanded
            && super::interpolate::has_template_syntax(text)
        {
            let earlier = serde_json::Value::Object(out.clone());
            match super::interpolate::render_var(text, &earlier, env.clone(), span) {
                Ok(rendered) => expanded = serde_json::Value::String(rendered),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        out.insert(name, expanded);
    }
    (minijinja::Value::from(minijinja::value::Serde(&serde_json::Value::Object(out))), diagnostics)
}

/// The top-level `vars:` block of a file, preceded by as many empty lines as come before
/// it, or `None` when there is no such block.
fn vars_block(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|line| line.starts_with("vars:"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|line| !line.is_empty() && !line.starts_with([' ', '\t', '#']))
        .map(|offset| start + 1 + offset)
        .unwrap_or(lines.len());
    let mut block = "\n".repeat(start);
    block.push_str(&lines[start..end].join("\n"));
    block.push('\n');
    Some(block)
}

fn expand_json(
    value: serde_json::Value,
    env: &dyn Fn(&str) -> Option<String>,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => match expand_env(&s, env) {
            Ok(expanded) => {
                for secret in &expanded.secret_values {
                    crate::secret::register(secret);
                }
                Value::String(expanded.value)
            }
            Err(errors) => {
                for error in errors {
                    let mut d = Diagnostic::error(span, error.message);
                    if let Some(hint) = error.hint {
                        d = d.with_hint(hint);
                    }
                    diagnostics.push(d);
                }
                Value::String(String::new())
            }
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| expand_json(v, env, span, diagnostics)).collect())
        }
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, expand_json(v, env, span, diagnostics))).collect())
        }
        other => other,
    }
}

/// Turns serde-saphyr's error into a diagnostic: location, a plain sentence, and a hint
/// ("did you mean `timeout`?").
fn serde_error(error: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let span = error.location().map(Span::from).unwrap_or(Span::new(1, 1, 0));
    let inner = error.without_snippet();
    match inner {
        E::SerdeUnknownField { field, expected, .. } => super::shape::unknown_key(span, field, expected),
        E::SerdeUnknownVariant { variant, expected, .. } => super::shape::unknown_value(span, variant, expected),
        E::SerdeMissingField { field, .. } => {
            Diagnostic::error(span, format!("missing key `{field}`")).with_hint(missing_key_hint(field))
        }
        E::DuplicateMappingKey { .. } => {
            let message = strip_location(&inner.to_string());
            let key = message
                .strip_prefix("duplicate mapping key: ")
                .and_then(|rest| rest.split(',').next())
                .unwrap_or("?")
                .to_string();
            Diagnostic::error(span, format!("duplicate key `{key}`"))
                .with_hint("each key may appear once in a map; remove or rename one of them")
        }
        E::Unexpected { expected, .. } => {
            let (message, hint) = match *expected {
                "sequence start" => ("expected a list here", "write one `- item` per line, or `[a, b]`"),
                "mapping start" if span.line <= 1 && span.col <= 1 => {
                    ("a playbook is a map", "start with `version: 1`, a `name`, and `checks` or `phases`")
                }
                "mapping start" => ("expected a map here", "write `key: value` lines, or `{key: value}`"),
                _ => return Diagnostic::error(span, strip_location(&inner.to_string())),
            };
            Diagnostic::error(span, message).with_hint(hint)
        }
        other => {
            let text = strip_location(&other.to_string());
            if text.contains("alias replay") || text.contains("alias expansion") {
                return Diagnostic::error(span, format!("YAML aliases expand beyond {MAX_ALIAS_NODES} nodes"))
                    .with_hint("this looks like an alias bomb; write the values out or use fewer aliases");
            }
            if text.contains("recursion limit exceeded") {
                return Diagnostic::error(span, format!("the playbook is nested deeper than {MAX_DEPTH} levels"))
                    .with_hint("playbooks are small, shallow maps; is this the right file?");
            }
            if text.contains("budget breached") {
                if text.contains("Documents") {
                    return Diagnostic::error(span, "a playbook file holds one YAML document")
                        .with_hint("remove the `---` separator, or split the file into one playbook per file");
                }
                let message = if text.contains("Depth") || text.contains("depth") {
                    format!("the playbook is nested deeper than {MAX_DEPTH} levels")
                } else {
                    format!("the playbook is too large to parse ({text})")
                };
                return Diagnostic::error(span, message)
                    .with_hint("playbooks are small, shallow maps; is this the right file?");
            }
            let (message, hint) = humanize(&text);
            let mut d = Diagnostic::error(span, message);
            if let Some(hint) = hint {
                d = d.with_hint(hint);
            }
            d
        }
    }
}

/// How to add a missing key.
pub fn missing_key_hint(key: &str) -> String {
    match key {
        "version" => "add `version: 1` at the top".to_string(),
        "name" => "add `name: my-playbook` (a slug, unique in its folder)".to_string(),
        "id" => "every item here needs an `id` (a slug)".to_string(),
        other => format!("add `{other}:`"),
    }
}

/// Rewrites serde's terse type errors into sentences with a hint.
fn humanize(text: &str) -> (String, Option<String>) {
    if let Some(rest) = text.strip_prefix("invalid ")
        && ["u32", "u64", "u16", "i64", "i32", "u8"].iter().any(|t| rest.starts_with(*t))
    {
        return ("expected a whole number".into(), Some("write a number without quotes or units, e.g. `3`".into()));
    }
    if text.starts_with("invalid type: ") {
        let message = text.replace("invalid type: ", "wrong type: found ");
        let hint = if message.contains("struct Playbook") {
            Some("a playbook is a map with `version`, `name`, and `checks` or `phases`".into())
        } else if message.contains("expected a sequence") {
            Some("write a list: `[a, b]` or one `- item` per line".into())
        } else if message.contains("expected a boolean") || message.contains("expected bool") {
            Some("write `true` or `false`".into())
        } else {
            None
        };
        return (message, hint);
    }
    if text.contains("cannot deserialize null into string") || text.contains("null") && text.contains("string") {
        return (
            "expected a string, found nothing".into(),
            Some("write a value after the colon, or quote an empty string: `\"\"`".into()),
        );
    }
    if text.contains("multiple documents") || text.contains("MultipleDocuments") {
        return (
            "a playbook file holds one YAML document".into(),
            Some("remove the `---` separator, or split the file".into()),
        );
    }
    (text.to_string(), None)
}

/// serde-saphyr appends " at line N, column M"; the diagnostic says it already.
fn strip_location(text: &str) -> String {
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text.to_string(),
    }
}
