//! Strings as users write them: `${ENV}` / `${ENV:-default}` expansion, `{{ vars.x }}`
//! rendering, and secret detection — applied while the playbook is deserialized.
//!
//! Why during deserialization: the values that need expanding live in dozens of typed
//! fields across every check kind. Rather than walk the whole model afterwards, the value
//! types of [`super::values`] (`Text`, `Dur`, …) resolve themselves as serde builds them,
//! reading the [`LoadContext`] that [`super::load`] installs for the current thread. A
//! problem (an unset variable, a bad template) becomes a [`Diagnostic`] in the context
//! instead of a serde error, so one file reports all of them at once.
//!
//! This module owns the expansion grammar and the context; it does not know the model.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Object, Value as JinjaValue};

use super::diagnostic::Diagnostic;
use super::span::Span;
use crate::secret;

/// Where `${VAR}` values come from. The process environment in production; a map in tests.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment.
pub fn process_env() -> EnvLookup {
    Arc::new(|name: &str| std::env::var(name).ok())
}

/// Words that make a variable's value a secret when they appear anywhere in its name.
const SECRET_NAME_PARTS: [&str; 5] = ["PASSWORD", "TOKEN", "SECRET", "KEY", "WEBHOOK"];

/// Words that make a variable's value a secret when one is a whole `_`-separated word of
/// its name: `DB_PWD`, `BASIC_AUTH`, but not `BYPASS_X` or `AUTHOR` (as substrings they
/// would mark far too much).
const SECRET_NAME_WORDS: [&str; 7] = ["PASS", "PASSWD", "PWD", "AUTH", "CREDENTIAL", "CREDENTIALS", "PRIVATE"];

/// The shell's own variables that the word rule would mark, and that are never secrets.
const NEVER_SECRET_NAMES: [&str; 2] = ["PWD", "OLDPWD"];

/// True when a variable with this name holds a secret (by the PLAYBOOK.md rule).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NEVER_SECRET_NAMES.contains(&upper.as_str()) {
        return false;
    }
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
        || upper.split('_').any(|word| SECRET_NAME_WORDS.contains(&word))
}

/// The result of expanding the `${…}` references of one string.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expanded {
    pub value: String,
    /// A variable with a secret-looking name took part.
    pub secret: bool,
    /// The non-empty values of secret variables, for the scrubber.
    pub secret_values: Vec<String>,
}

/// An expansion problem, at a character offset inside the string.
#[derive(Debug, PartialEq, Eq)]
pub struct ExpandError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Expands `${NAME}` and `${NAME:-default}`; `$${` is a literal `${`. A `$` not followed
/// by `{` is kept as written. All errors in the string are returned, not just the first.
pub fn expand_env(raw: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Expanded, Vec<ExpandError>> {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = Expanded::default();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1) == Some(&'$') && chars.get(i + 2) == Some(&'{') {
            out.value.push_str("${");
            i += 3;
            continue;
        }
        if c != '$' || chars.get(i + 1) != Some(&'{') {
            out.value.push(c);
            i += 1;
            continue;
        }
        let start = i;
        let Some(close) = chars[i + 2..].iter().position(|&c| c == '}').map(|p| p + i + 2) else {
            errors.push(ExpandError {
                offset: start,
                len: chars.len() - start,
                message: "unterminated `${`".into(),
                hint: Some("close it with `}`, or write `$${` for a literal `${`".into()),
            });
            break;
        };
        let inner: String = chars[i + 2..close].iter().collect();
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner.as_str(), None),
        };
        if !is_valid_name(name) {
            errors.push(ExpandError {
                offset: start,
                len: close - start + 1,
                message: format!("`${{{inner}}}` is not a valid variable reference"),
                hint: Some("write `${NAME}` or `${NAME:-default}`; NAME is letters, digits and `_`".into()),
            });
            i = close + 1;
            continue;
        }
        let value = match (env(name), default) {
            (Some(v), Some(d)) if v.is_empty() => d.to_string(),
            (Some(v), _) => v,
            (None, Some(d)) => d.to_string(),
            (None, None) => {
                errors.push(ExpandError {
                    offset: start,
                    len: close - start + 1,
                    message: format!("environment variable `{name}` is not set"),
                    hint: Some(format!("set {name}, or give a default: `${{{name}:-}}`")),
                });
                i = close + 1;
                continue;
            }
        };
        if is_secret_name(name) {
            out.secret = true;
            if !value.is_empty() {
                out.secret_values.push(value.clone());
            }
        }
        out.value.push_str(&value);
        i = close + 1;
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when a string needs minijinja (has a `{{` or `{%`).
pub fn has_template_syntax(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// The password of a URL's user-info (`redis://user:pass@host`), percent-decoded.
pub fn url_password(value: &str) -> Option<String> {
    let password = secret::userinfo(value)?.1.filter(|p| !p.is_empty())?;
    Some(secret::percent_decode(password))
}

/// The state of loading one playbook file, visible to the value types while serde runs.
pub struct LoadContext {
    pub env: EnvLookup,
    /// The playbook's folder: relative paths resolve against it.
    pub base_dir: PathBuf,
    /// The file's text, to find where a value starts inside a quoted scalar.
    pub source: Arc<str>,
    /// `{ vars: …, env: … }` for load-time rendering.
    template_context: JinjaValue,
    jinja: minijinja::Environment<'static>,
    pub diagnostics: Vec<Diagnostic>,
    /// Secret values found while loading (also registered with the scrubber).
    pub secrets: Vec<String>,
    failures: usize,
}

thread_local! {
    static ACTIVE: RefCell<Option<LoadContext>> = const { RefCell::new(None) };
}

impl LoadContext {
    pub fn new(env: EnvLookup, base_dir: PathBuf, source: Arc<str>, vars: JinjaValue) -> Self {
        let template_context = minijinja::context! {
            vars => vars,
            env => JinjaValue::from_object(EnvObject(env.clone())),
        };
        LoadContext {
            env,
            base_dir,
            source,
            template_context,
            jinja: load_time_environment(),
            diagnostics: Vec::new(),
            secrets: Vec::new(),
            failures: 0,
        }
    }

    /// Runs `f` with this context installed for the current thread, then hands it back.
    pub fn install<R>(self, f: impl FnOnce() -> R) -> (R, LoadContext) {
        ACTIVE.with(|slot| *slot.borrow_mut() = Some(self));
        let result = f();
        let context = ACTIVE
            .with(|slot| slot.borrow_mut().take())
            .expect("the load context is installed for the duration of the parse");
        (result, context)
    }

    /// Calls `f` with the active context, if any (none outside a load).
    pub fn with_active<R>(f: impl FnOnce(&mut LoadContext) -> R) -> Option<R> {
        ACTIVE.with(|slot| slot.borrow_mut().as_mut().map(f))
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn note_secret(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        secret::register(value);
        if !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_string());
        }
    }

    /// A URL's password is a secret, and so is the Basic auth header a client makes of it.
    fn note_url_credentials(&mut self, url: &str) {
        if let Some(password) = url_password(url) {
            self.note_secret(&password);
        }
        if let Some(header) = secret::basic_credentials(url) {
            secret::register(&header);
        }
    }

    /// Where the characters of a scalar start: one column after the quote of a quoted
    /// scalar, so that offsets inside the string land on the right column.
    fn content_span(&self, span: Span) -> Span {
        let Some(line) = self.source.lines().nth(span.line.saturating_sub(1) as usize) else {
            return span;
        };
        match line.chars().nth(span.col.saturating_sub(1) as usize) {
            Some('"' | '\'') => span.shifted(1, span.len.saturating_sub(2)),
            _ => span,
        }
    }

    /// Expands `${…}` in `raw`; problems become diagnostics pointing into the string.
    /// Returns the expanded value and whether it is secret; an empty string when it failed
    /// (see [`LoadContext::failed`]).
    pub fn expand(&mut self, raw: &str, span: Span) -> (String, bool) {
        // Most strings have no `${`: nothing to expand, nothing secret to find.
        if !raw.contains('$') {
            if raw.contains('@') {
                self.note_url_credentials(raw);
            }
            return (raw.to_string(), false);
        }
        let env = self.env.clone();
        match expand_env(raw, &*env) {
            Ok(expanded) => {
                for value in &expanded.secret_values {
                    self.note_secret(value);
                }
                self.note_url_credentials(&expanded.value);
                (expanded.value, expanded.secret)
            }
            Err(errors) => {
                self.failures += 1;
                let content = self.content_span(span);
                let single_line = !raw.contains('\n');
                for error in errors {
                    let at = if single_line { content.shifted(error.offset as u32, error.len as u32) } else { span };
                    let mut diagnostic = Diagnostic::error(at, error.message);
                    if let Some(hint) = error.hint {
                        diagnostic = diagnostic.with_hint(hint);
                    }
                    self.push(diagnostic);
                }
                (String::new(), false)
            }
        }
    }

    /// Expands `${…}`, then renders `{{ … }}` with `vars` and `env`.
    pub fn resolve(&mut self, raw: &str, span: Span) -> (String, bool) {
        let (expanded, mut secret) = self.expand(raw, span);
        if !has_template_syntax(&expanded) {
            return (expanded, secret);
        }
        let rendered = crate::template::render_bounded(
            &self.jinja,
            None,
            &expanded,
            self.template_context.clone(),
            crate::template::LOAD_OUTPUT_LIMIT,
        );
        match rendered {
            Ok(rendered) => {
                // A value rendered from a secret var is itself secret.
                if self.secrets.iter().any(|s| rendered.contains(s.as_str())) {
                    secret = true;
                }
                (rendered, secret)
            }
            Err(error) => {
                self.failures += 1;
                self.push(template_diagnostic(&error, span));
                (expanded, secret)
            }
        }
    }

    /// How many values failed to expand or render so far: a value type compares this
    /// before and after resolving to know whether its own value is usable.
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// Expands `${…}` and checks that the rest compiles as a template that will be rendered
    /// per run (report paths, notification bodies).
    pub fn deferred_template(&mut self, raw: &str, span: Span) -> String {
        let (expanded, _) = self.expand(raw, span);
        if has_template_syntax(&expanded)
            && let Err(error) = self.jinja.template_from_str(&expanded)
        {
            self.push(template_diagnostic(&error, span));
        }
        expanded
    }

    /// Resolves a path against the playbook's folder.
    pub fn resolve_path(&self, path: &str) -> PathBuf {
        resolve_against(&self.base_dir, path)
    }

    /// Compiles a template file (for validation), reporting problems at `span`.
    pub fn check_template_source(&mut self, source: &str, name: &str, span: Span) {
        if let Err(error) = self.jinja.template_from_str(source) {
            let mut d = template_diagnostic(&error, span);
            d.message = format!("template `{name}`: {}", d.message);
            self.push(d);
        }
    }
}

/// Joins a relative path onto `base`; absolute paths and `~/` (home) pass through.
pub fn resolve_against(base: &Path, path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let p = Path::new(path);
    if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
}

fn template_diagnostic(error: &minijinja::Error, span: Span) -> Diagnostic {
    let detail = error.detail().map(str::to_string).unwrap_or_else(|| error.kind().to_string());
    let mut d = Diagnostic::error(span, format!("template error: {detail}"));
    if matches!(error.kind(), minijinja::ErrorKind::UndefinedError) {
        d = d.with_hint("load-time templates see `vars.NAME` and `env.NAME`; check the spelling");
    } else if matches!(error.kind(), minijinja::ErrorKind::OutOfFuel) || detail.contains("larger than") {
        d = d.with_hint("a string in a playbook may only do a little templating work and render at most 64 KiB");
    } else {
        d = d.with_hint("write a literal `{{` as `{{ '{{' }}`, or wrap the text in `{% raw %}…{% endraw %}`");
    }
    d
}

/// The minijinja environment for load-time rendering: strict about undefined names, so a
/// typo in `{{ vars.apii }}` is an error rather than an empty string.
fn load_time_environment() -> minijinja::Environment<'static> {
    let mut env = crate::template::environment(jiff::tz::TimeZone::system, crate::template::LOAD_FUEL);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

/// Renders a `vars` value that refers to vars defined before it (`b: "{{ vars.a }}-y"`),
/// with the same strict, bounded environment as every other load-time string.
pub fn render_var(raw: &str, earlier: &serde_json::Value, env: EnvLookup, span: Span) -> Result<String, Diagnostic> {
    let jinja = load_time_environment();
    let context = minijinja::context! {
        vars => JinjaValue::from(minijinja::value::Serde(earlier)),
        env => env_object(env),
    };
    crate::template::render_bounded(&jinja, None, raw, context, crate::template::LOAD_OUTPUT_LIMIT).map_err(|error| {
        let mut d = template_diagnostic(&error, span);
        if matches!(error.kind(), minijinja::ErrorKind::UndefinedError) {
            d = d.with_hint("a var can use the vars defined above it, and `env.NAME`");
        }
        d
    })
}

/// `env` for templates: looks variables up on demand instead of copying the environment.
pub fn env_object(env: EnvLookup) -> JinjaValue {
    JinjaValue::from_object(EnvObject(env))
}

/// `env` inside templates: looks variables up on demand instead of copying the environment.
struct EnvObject(EnvLookup);

impl std::fmt::Debug for EnvObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("env")
    }
}

impl Object for EnvObject {
    fn get_value(self: &Arc<Self>, key: &JinjaValue) -> Option<JinjaValue> {
        let name = key.as_str()?;
        (self.0)(name).map(JinjaValue::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn expands_set_unset_default_and_escape() {
        let e = env(&[("HOST", "db"), ("EMPTY", "")]);
        assert_eq!(expand_env("${HOST}:5432", &e).unwrap().value, "db:5432");
        assert_eq!(expand_env("${PORT:-6379}", &e).unwrap().value, "6379");
        assert_eq!(expand_env("${EMPTY:-x}", &e).unwrap().value, "x");
        assert_eq!(expand_env("$${HOST} $HOST", &e).unwrap().value, "${HOST} $HOST");
        let errors = expand_env("a ${NOPE} b ${ALSO}", &e).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].offset, 2);
        assert!(errors[0].message.contains("NOPE"));
    }

    #[test]
    fn secret_names_taint_the_value() {
        let e = env(&[("REDIS_PASSWORD", "s3cret-canary"), ("HOST", "h")]);
        let x = expand_env("${REDIS_PASSWORD}", &e).unwrap();
        assert!(x.secret);
        assert_eq!(x.secret_values, vec!["s3cret-canary".to_string()]);
        assert!(!expand_env("${HOST}", &e).unwrap().secret);
    }

    #[test]
    fn new_secret_words_count_as_whole_words() {
        for name in
            ["DB_PWD", "ADMIN_PASS", "PASSWD", "BASIC_AUTH", "aws_credentials", "CREDENTIAL_FILE", "SSH_PRIVATE"]
        {
            assert!(is_secret_name(name), "{name} is a secret");
        }
        for name in ["PWD", "OLDPWD", "pwd", "BYPASS_X", "AUTHOR", "PASSAGE", "PRIVATEER", "HOST", "COMPASS"] {
            assert!(!is_secret_name(name), "{name} is not a secret");
        }
        // The five words still count anywhere in a name.
        assert!(is_secret_name("MYPASSWORDX") && is_secret_name("APIKEY") && is_secret_name("PWD_TOKEN"));
    }

    #[test]
    fn finds_url_passwords() {
        assert_eq!(url_password("redis://user:p%40ss@host:6379/0").as_deref(), Some("p@ss"));
        // A `%` followed by a multi-byte character is kept as written, not a panic.
        assert_eq!(url_password("redis://u:%a\u{e9}@h").as_deref(), Some("%a\u{e9}"));
        assert_eq!(url_password("redis://:pw@host").as_deref(), Some("pw"));
        assert_eq!(url_password("redis://host:6379"), None);
        assert_eq!(url_password("https://h/a@b"), None);
    }
}
