//! The value types of the playbook model: strings that expand themselves, durations,
//! ids, regexes, threshold conditions, sizes and paths — each remembering its [`Span`].
//!
//! Each type deserializes from a YAML scalar through serde-saphyr's `Spanned`, resolves
//! itself against the active [`LoadContext`] (env expansion, `{{ vars }}`, the playbook's
//! folder), and reports problems there as diagnostics so that loading goes on and every
//! error of a file is found in one pass. Outside a load (no context), problems are plain
//! serde errors.
//!
//! Each type also describes itself to the JSON Schema. This module must not hold rules
//! that relate two fields; those belong to `validate`.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diagnostic::Diagnostic;
use super::interpolate::LoadContext;
use super::span::Span;
use crate::secret::{MASK, Secret};
use crate::threshold::Condition;

/// Reads a scalar as a string, with where it was.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(String, Span), D::Error> {
    let spanned = Spanned::<String>::deserialize(deserializer)?;
    Ok((spanned.value, Span::from(spanned.referenced)))
}

/// Reports a problem with a value: into the load context when there is one (loading goes
/// on), or as a serde error when there is none.
fn problem<E: de::Error>(span: Span, message: String, hint: Option<String>) -> Result<(), E> {
    let mut diagnostic = Diagnostic::error(span, message.clone());
    if let Some(hint) = hint {
        diagnostic = diagnostic.with_hint(hint);
    }
    match LoadContext::with_active(|context| context.push(diagnostic)) {
        Some(()) => Ok(()),
        None => Err(E::custom(message)),
    }
}

fn string_schema(description: &str) -> Schema {
    json_schema!({ "type": "string", "description": description })
}

// ---------------------------------------------------------------------------------------
// Text

/// A string from the playbook, after `${ENV}` expansion and `{{ vars }}` rendering.
/// Secret when a secret-named variable went into it: then it prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Text {
    value: String,
    span: Span,
    secret: bool,
    /// False when expansion or rendering failed (already reported): rules on the value's
    /// form skip it rather than pile a follow-on error onto the real one.
    valid: bool,
}

impl Default for Text {
    fn default() -> Self {
        Text::literal("")
    }
}

impl Text {
    /// A text built in code (no location, not secret).
    pub fn literal(value: impl Into<String>) -> Self {
        Text { value: value.into(), span: Span::UNKNOWN, secret: false, valid: true }
    }

    /// A text built by a deserializer that read the scalar itself.
    pub fn located(value: String, span: Span, secret: bool) -> Self {
        Text { value, span, secret, valid: true }
    }

    /// False when the value could not be expanded or rendered (already reported).
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// The value, for the code that uses it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn span(&self) -> Span {
        self.span
    }

    pub fn is_secret(&self) -> bool {
        self.secret
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The value as people may see it: `***` when secret, scrubbed otherwise.
    pub fn shown(&self) -> Cow<'_, str> {
        if self.secret { Cow::Borrowed(MASK) } else { crate::secret::scrub(&self.value) }
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.shown())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.shown())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        let (value, secret, valid) = LoadContext::with_active(|context| {
            let before = context.failures();
            let (value, secret) = context.resolve(&raw, span);
            (value, secret, context.failures() == before)
        })
        .unwrap_or((raw, false, true));
        Ok(Text { value, span, secret, valid })
    }
}

impl JsonSchema for Text {
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

// ---------------------------------------------------------------------------------------
// Template

/// A string rendered per run (report paths, notification bodies): `${ENV}` is expanded at
/// load, `{{ … }}` is compiled at load (so syntax errors are found by `validate`) and
/// rendered later with `run`, `playbook`, `checks` and `summary`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Template {
    source: String,
    #[serde(skip)]
    span: Span,
}

impl Template {
    pub fn literal(source: impl Into<String>) -> Self {
        Template { source: source.into(), span: Span::UNKNOWN }
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn span(&self) -> Span {
        self.span
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        let source = LoadContext::with_active(|context| context.deferred_template(&raw, span)).unwrap_or(raw);
        Ok(Template { source, span })
    }
}

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "A minijinja template rendered per run, with `run`, `playbook`, `checks`, `summary`, `vars` and `env`.",
        )
    }
}

// ---------------------------------------------------------------------------------------
// SecretText

/// A secret from the playbook (`password`, `webhook_url`, …). Always prints as `***`;
/// its value is registered with the scrubber. Empty means "off".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretText {
    secret: Secret,
    span: Span,
}

impl SecretText {
    pub fn literal(value: impl Into<String>) -> Self {
        SecretText { secret: Secret::new(value), span: Span::UNKNOWN }
    }
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
    pub fn expose(&self) -> &str {
        self.secret.expose()
    }
    pub fn is_empty(&self) -> bool {
        self.secret.is_empty()
    }
    pub fn span(&self) -> Span {
        self.span
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for SecretText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        let value = LoadContext::with_active(|context| context.resolve(&raw, span).0).unwrap_or(raw);
        Ok(SecretText { secret: Secret::new(value), span })
    }
}

impl JsonSchema for SecretText {
    fn schema_name() -> Cow<'static, str> {
        "SecretText".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "writeOnly": true,
            "description": "A secret: printed as *** everywhere. Take it from the environment, e.g. \"${REDIS_PASSWORD:-}\"; empty turns the feature off."
        })
    }
}

// ---------------------------------------------------------------------------------------
// Dur

/// A humane duration: `500ms`, `3s`, `5m`, `2h`, `7d`, `1w`, or sums such as `1h30m`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Dur {
    value: Duration,
    span: Span,
    /// False when the text did not parse (already reported); rules that compare durations
    /// skip invalid ones instead of piling up follow-on errors.
    valid: bool,
}

impl Dur {
    pub fn literal(value: Duration) -> Self {
        Dur { value, span: Span::UNKNOWN, valid: true }
    }
    pub fn get(&self) -> Duration {
        self.value
    }
    pub fn span(&self) -> Span {
        self.span
    }
    pub fn is_valid(&self) -> bool {
        self.valid
    }
}

impl fmt::Debug for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::duration::format(self.value))
    }
}

impl Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::duration::format(self.value))
    }
}

impl Dur {
    /// Builds a duration from a scalar already read (for types that accept a duration or
    /// a word, like `since: new | 7d`). Problems go to the load context.
    pub fn from_spanned(spanned: Spanned<String>) -> Dur {
        let span = Span::from(spanned.referenced);
        Self::parse_at(spanned.value, span).unwrap_or(Dur { value: Duration::ZERO, span, valid: false })
    }

    fn parse_at(raw: String, span: Span) -> Result<Dur, String> {
        let text = LoadContext::with_active(|context| context.expand(&raw, span).0).unwrap_or(raw);
        match crate::duration::parse(&text) {
            Ok(value) => Ok(Dur { value, span, valid: true }),
            Err(message) => {
                let message = format!("`{text}` is not a duration: {message}");
                problem::<serde::de::value::Error>(
                    span,
                    message.clone(),
                    Some("write a number and a unit: `500ms`, `3s`, `5m`, `2h`, `7d`".into()),
                )
                .map_err(|_| message)?;
                Ok(Dur { value: Duration::ZERO, span, valid: false })
            }
        }
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        Dur::parse_at(raw, span).map_err(D::Error::custom)
    }
}

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a number and a unit (ms, s, m, h, d, w), e.g. `500ms`, `3s`, `5m`, `2h`, `7d`, `1h30m`.",
            "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+$|\$\{",
            "examples": ["5s", "500ms", "1h30m", "7d"]
        })
    }
}

// ---------------------------------------------------------------------------------------
// Id

/// An identifier: a slug `[a-z0-9][a-z0-9_-]*` (check, phase and channel ids, playbook
/// names).
#[derive(Clone, Default)]
pub struct Id {
    value: String,
    span: Span,
}

/// Ids are equal when their text is; where they were written does not matter.
impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Id {}

impl std::hash::Hash for Id {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl Id {
    pub fn literal(value: impl Into<String>) -> Self {
        Id { value: value.into(), span: Span::UNKNOWN }
    }
    pub fn as_str(&self) -> &str {
        &self.value
    }
    pub fn span(&self) -> Span {
        self.span
    }
}

/// True for `[a-z0-9][a-z0-9_-]*`.
pub fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A slug close to `s`, for the hint.
fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.value)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl Id {
    /// Reads a slug; `what` names it in the error ("id", "playbook name").
    fn deserialize_as<'de, D: Deserializer<'de>>(deserializer: D, what: &str) -> Result<Self, D::Error> {
        let (value, span) = scalar(deserializer)?;
        if !is_slug(&value) {
            let suggestion = slugify(&value);
            let hint = if suggestion.is_empty() {
                "use lowercase letters, digits, `-` and `_`, starting with a letter or digit".to_string()
            } else {
                format!("use lowercase letters, digits, `-` and `_`, e.g. `{suggestion}`")
            };
            problem::<D::Error>(span, format!("`{value}` is not a valid {what}"), Some(hint))?;
        }
        Ok(Id { value, span })
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Id::deserialize_as(deserializer, "id")
    }
}

/// The playbook's `name`: an [`Id`] whose errors say "playbook name".
pub fn playbook_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
    Id::deserialize_as(deserializer, "playbook name")
}

impl JsonSchema for Id {
    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An identifier: lowercase letters, digits, `-` and `_`, starting with a letter or digit.",
            "pattern": "^[a-z0-9][a-z0-9_-]*$"
        })
    }
}

// ---------------------------------------------------------------------------------------
// Pattern

/// A regular expression (Rust `regex` syntax), compiled when the playbook loads.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: Option<regex::Regex>,
    span: Span,
}

impl Pattern {
    /// Compiles a pattern written in code. Panics on a bad pattern: only for constants.
    pub fn constant(source: &str) -> Self {
        let regex = regex::Regex::new(source).expect("constant pattern compiles");
        Pattern { source: source.to_string(), regex: Some(regex), span: Span::UNKNOWN }
    }
    /// The compiled regex; `None` only for a pattern that failed to compile (reported).
    pub fn regex(&self) -> Option<&regex::Regex> {
        self.regex.as_ref()
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn span(&self) -> Span {
        self.span
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        let source = LoadContext::with_active(|context| context.expand(&raw, span).0).unwrap_or(raw);
        let regex = match regex::RegexBuilder::new(&source).size_limit(1 << 20).build() {
            Ok(regex) => Some(regex),
            Err(error) => {
                let detail = error.to_string();
                let last = detail.lines().rev().find(|l| l.starts_with("error:")).unwrap_or(detail.as_str());
                problem::<D::Error>(
                    span,
                    format!("invalid regex: {}", last.trim_start_matches("error: ")),
                    Some("patterns use Rust regex syntax (https://docs.rs/regex); escape literal `(`, `[`, `.` with `\\`".into()),
                )?;
                None
            }
        };
        Ok(Pattern { source, regex, span })
    }
}

impl JsonSchema for Pattern {
    fn schema_name() -> Cow<'static, str> {
        "Regex".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "regex", "description": "A regular expression (Rust regex syntax)." })
    }
}

// ---------------------------------------------------------------------------------------
// Cond

/// A threshold condition such as `"> 20"` or `"<= 0.5"`.
#[derive(Clone, Copy, PartialEq)]
pub struct Cond {
    condition: Option<Condition>,
    span: Span,
}

impl Cond {
    pub fn literal(condition: Condition) -> Self {
        Cond { condition: Some(condition), span: Span::UNKNOWN }
    }
    /// `None` only when the text did not parse (already reported).
    pub fn condition(&self) -> Option<Condition> {
        self.condition
    }
    pub fn span(&self) -> Span {
        self.span
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.condition {
            Some(c) => write!(f, "{c}"),
            None => f.write_str("<invalid>"),
        }
    }
}

impl Serialize for Cond {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{self:?}"))
    }
}

impl<'de> Deserialize<'de> for Cond {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        let text = LoadContext::with_active(|context| context.expand(&raw, span).0).unwrap_or(raw);
        match text.parse::<Condition>() {
            Ok(condition) => Ok(Cond { condition: Some(condition), span }),
            Err(message) => {
                problem::<D::Error>(
                    span,
                    format!("`{text}` is not a threshold: {message}"),
                    Some("write an operator and a number: `> 80`, `>= 0.5`, `< 10`, `== 1`, `!= 0`".into()),
                )?;
                Ok(Cond { condition: None, span })
            }
        }
    }
}

impl JsonSchema for Cond {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An operator and a number: `> 80`, `>= 0.5`, `< 10`, `<= 3`, `== 1`, `!= 0`.",
            "pattern": r"^\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?\s*$",
            "examples": ["> 80", "< 10", "== 1"]
        })
    }
}

// ---------------------------------------------------------------------------------------
// ByteSize

/// A size in bytes: a number, or a number with a unit (`10KB`, `5MiB`, `1GB`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, span) = scalar(deserializer)?;
        match parse_byte_size(&raw) {
            Some(bytes) => Ok(ByteSize(bytes)),
            None => {
                problem::<D::Error>(
                    span,
                    format!("`{raw}` is not a size"),
                    Some("write bytes (`1024`) or a number and a unit: `10KB`, `5MiB`, `1GB`".into()),
                )?;
                Ok(ByteSize(0))
            }
        }
    }
}

/// Parses `1024`, `10KB`, `10 KiB`, `1.5MB`, `2G`. Decimal units are powers of 1000,
/// binary ones (`KiB`) powers of 1024.
pub fn parse_byte_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0f64.powi(4),
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

impl JsonSchema for ByteSize {
    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size: bytes as a number, or a number and a unit (`10KB`, `5MiB`, `1GB`).",
            "type": ["integer", "string"],
            "examples": [1024, "10KB", "5MiB"]
        })
    }
}

// ---------------------------------------------------------------------------------------
// PathText

/// A filesystem path; relative paths resolve against the playbook's folder. May contain
/// glob characters where the key allows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PathText {
    written: Text,
    resolved: PathBuf,
}

impl PathText {
    pub fn literal(path: impl Into<PathBuf>) -> Self {
        let resolved = path.into();
        PathText { written: Text::literal(resolved.display().to_string()), resolved }
    }
    /// The path as written (for messages).
    pub fn written(&self) -> &Text {
        &self.written
    }
    /// The path to open.
    pub fn resolved(&self) -> &std::path::Path {
        &self.resolved
    }
    pub fn span(&self) -> Span {
        self.written.span()
    }
}

impl fmt::Debug for PathText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.resolved)
    }
}

impl Serialize for PathText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.written.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PathText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = Text::deserialize(deserializer)?;
        let resolved = LoadContext::with_active(|context| context.resolve_path(written.as_str()))
            .unwrap_or_else(|| PathBuf::from(written.as_str()));
        Ok(PathText { written, resolved })
    }
}

impl JsonSchema for PathText {
    fn schema_name() -> Cow<'static, str> {
        "Path".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema("A path; relative paths resolve against the playbook's folder.")
    }
}

// ---------------------------------------------------------------------------------------
// Located

/// A model item with the place it starts, for items that have no id to point at (an
/// action). Derefs to the item; the schema is the item's.
#[derive(Clone)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Located { value: spanned.value, span: Span::from(spanned.referenced) })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
