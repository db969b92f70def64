//! The value types of the playbook model: strings that expand themselves, durations,
//! ids, regexes, threshold conditions, sizes and paths — each remembering its [`Span`].
//!
//! One generic [`Located`] holds a value and where it was written; it owns what every
//! located value shares (the span, comparing and hashing by value only, printing and the
//! schema through the value). Each value type keeps its own reading in [`Resolve`]: it
//! resolves itself against the active [`LoadContext`] (env expansion, `{{ vars }}`, the
//! playbook's folder), and reports problems there as diagnostics so that loading goes on
//! and every error of a file is found in one pass. Outside a load (no context), problems
//! are plain serde errors.
//!
//! Each value type also describes itself to the JSON Schema. This module must not hold
//! rules that relate two fields; those belong to `validate`.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned, Deserializer};
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
fn problem<E: de::Error>(span: Span, message: String, hint: &str) -> Result<(), E> {
    let diagnostic = Diagnostic::error(span, message.clone()).with_hint(hint.to_string());
    match LoadContext::with_active(|context| context.push(diagnostic)) {
        Some(()) => Ok(()),
        None => Err(E::custom(message)),
    }
}

/// `${ENV}` expansion of a scalar, when a playbook is loading.
fn expanded(raw: String, span: Span) -> String {
    LoadContext::with_active(|context| context.expand(&raw, span).0).unwrap_or(raw)
}

fn string_schema(description: &str) -> Schema {
    json_schema!({ "type": "string", "description": description })
}

// ---------------------------------------------------------------------------------------
// Located

/// A value from the playbook with the place it was written. Derefs to the value; compares
/// and hashes by the value only (where it was written does not matter); prints, serializes
/// and describes itself to the schema as the value does.
#[derive(Clone, Copy, Default)]
pub struct Located<T> {
    value: T,
    span: Span,
}

/// How a value is read: what is written in the YAML, and how that becomes the value once
/// its place is known.
pub trait Resolve: Sized {
    /// What the YAML holds (a scalar string for most values).
    type Written: DeserializeOwned;
    /// Turns what was written at `span` into the value; problems go to [`problem`].
    fn resolve<E: de::Error>(written: Self::Written, span: Span) -> Result<Self, E>;
}

impl<T> Located<T> {
    /// A value built in code or by a deserializer that read the place itself.
    fn at(value: T, span: Span) -> Self {
        Located { value, span }
    }

    pub(crate) fn span(&self) -> Span {
        self.span
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Located<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: Resolve> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T::Written>::deserialize(deserializer)?;
        let span = Span::from(spanned.referenced);
        Ok(Located { value: T::resolve(spanned.value, span)?, span })
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

// ---------------------------------------------------------------------------------------
// Text

/// A string from the playbook, after `${ENV}` expansion and `{{ vars }}` rendering.
/// Secret when a secret-named variable went into it: then it prints as `***`.
pub type Text = Located<Expanded>;

/// The value of a [`Text`].
#[derive(Clone, PartialEq, Eq)]
pub struct Expanded {
    value: String,
    secret: bool,
    /// False when expansion or rendering failed (already reported): rules on the value's
    /// form skip it rather than pile a follow-on error onto the real one.
    valid: bool,
}

impl Default for Expanded {
    fn default() -> Self {
        Expanded { value: String::new(), secret: false, valid: true }
    }
}

impl Text {
    /// A text built by a deserializer that read the scalar itself.
    pub(crate) fn written_at(value: String, span: Span, secret: bool) -> Self {
        Located::at(Expanded { value, secret, valid: true }, span)
    }

    /// False when the value could not be expanded or rendered (already reported).
    pub(crate) fn is_valid(&self) -> bool {
        self.value.valid
    }

    /// The value, for the code that uses it.
    pub(crate) fn as_str(&self) -> &str {
        &self.value.value
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.value.value.is_empty()
    }
}

impl Expanded {
    fn shown(&self) -> Cow<'_, str> {
        if self.secret { Cow::Borrowed(MASK) } else { crate::secret::scrub(&self.value) }
    }
}

impl fmt::Debug for Expanded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.shown())
    }
}

impl fmt::Display for Expanded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Serialize for Expanded {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.shown())
    }
}

impl Resolve for Expanded {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let (value, secret, valid) = LoadContext::with_active(|context| {
            let before = context.failures();
            let (value, secret) = context.resolve(&raw, span);
            (value, secret, context.failures() == before)
        })
        .unwrap_or((raw, false, true));
        Ok(Expanded { value, secret, valid })
    }
}

impl JsonSchema for Expanded {
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
pub type Template = Located<TemplateSource>;

/// The value of a [`Template`]: its source, compiled once at load to find errors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TemplateSource {
    source: String,
}

impl Template {
    pub(crate) fn source(&self) -> &str {
        &self.value.source
    }
}

impl Resolve for TemplateSource {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let source = LoadContext::with_active(|context| context.deferred_template(&raw, span)).unwrap_or(raw);
        Ok(TemplateSource { source })
    }
}

impl JsonSchema for TemplateSource {
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
pub type SecretText = Located<Masked>;

/// The value of a [`SecretText`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Masked(Secret);

impl SecretText {
    pub(crate) fn expose(&self) -> &str {
        self.value.0.expose()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.value.0.is_empty()
    }
}

impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Masked {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl Resolve for Masked {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let value = LoadContext::with_active(|context| context.resolve(&raw, span).0).unwrap_or(raw);
        Ok(Masked(Secret::new(value)))
    }
}

impl JsonSchema for Masked {
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
pub type Dur = Located<HumaneDuration>;

/// The value of a [`Dur`]: `None` when the text did not parse (already reported); rules
/// that compare durations skip invalid ones instead of piling up follow-on errors.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct HumaneDuration(Option<Duration>);

impl Dur {
    /// The duration; zero when it did not parse.
    pub(crate) fn get(&self) -> Duration {
        self.value.0.unwrap_or_default()
    }
    pub(crate) fn is_valid(&self) -> bool {
        self.value.0.is_some()
    }

    /// Builds a duration from a scalar already read (for types that accept a duration or
    /// a word, like `since: new | 7d`). Problems go to the load context.
    pub(crate) fn from_spanned(spanned: Spanned<String>) -> Dur {
        let span = Span::from(spanned.referenced);
        let value = HumaneDuration::resolve::<de::value::Error>(spanned.value, span).unwrap_or_default();
        Located::at(value, span)
    }
}

impl fmt::Debug for HumaneDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::duration::format(self.0.unwrap_or_default()))
    }
}

impl Serialize for HumaneDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::duration::format(self.0.unwrap_or_default()))
    }
}

impl Resolve for HumaneDuration {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let text = expanded(raw, span);
        match crate::duration::parse(&text) {
            Ok(value) => Ok(HumaneDuration(Some(value))),
            Err(message) => {
                problem::<E>(
                    span,
                    format!("`{text}` is not a duration: {message}"),
                    "write a number and a unit: `500ms`, `3s`, `5m`, `2h`, `7d`",
                )?;
                Ok(HumaneDuration(None))
            }
        }
    }
}

impl JsonSchema for HumaneDuration {
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
pub type Id = Located<Slug>;

/// The value of an [`Id`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Id {
    pub(crate) fn as_str(&self) -> &str {
        &self.value.0
    }
}

/// True for `[a-z0-9][a-z0-9_-]*`.
fn is_slug(s: &str) -> bool {
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

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Slug {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl Slug {
    /// Checks a slug; `what` names it in the error ("id", "playbook name").
    fn checked<E: de::Error>(value: String, span: Span, what: &str) -> Result<Self, E> {
        if !is_slug(&value) {
            let suggestion = slugify(&value);
            let hint = if suggestion.is_empty() {
                "use lowercase letters, digits, `-` and `_`, starting with a letter or digit".to_string()
            } else {
                format!("use lowercase letters, digits, `-` and `_`, e.g. `{suggestion}`")
            };
            problem::<E>(span, format!("`{value}` is not a valid {what}"), &hint)?;
        }
        Ok(Slug(value))
    }
}

impl Resolve for Slug {
    type Written = String;
    fn resolve<E: de::Error>(value: String, span: Span) -> Result<Self, E> {
        Slug::checked(value, span, "id")
    }
}

/// The playbook's `name`: an [`Id`] whose errors say "playbook name".
pub(crate) fn playbook_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
    let (value, span) = scalar(deserializer)?;
    Ok(Located::at(Slug::checked(value, span, "playbook name")?, span))
}

impl JsonSchema for Slug {
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
pub type Pattern = Located<CompiledRegex>;

/// The value of a [`Pattern`]: its source and the regex, `None` only for a pattern that
/// failed to compile (reported). Patterns are equal when their sources are.
#[derive(Clone)]
pub struct CompiledRegex {
    source: String,
    regex: Option<regex::Regex>,
}

impl Pattern {
    /// The compiled regex; `None` only for a pattern that failed to compile (reported).
    pub(crate) fn regex(&self) -> Option<&regex::Regex> {
        self.value.regex.as_ref()
    }
    pub(crate) fn source(&self) -> &str {
        &self.value.source
    }
}

impl fmt::Debug for CompiledRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source)
    }
}

impl PartialEq for CompiledRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for CompiledRegex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl Resolve for CompiledRegex {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let source = expanded(raw, span);
        let regex = match regex::RegexBuilder::new(&source).size_limit(1 << 20).build() {
            Ok(regex) => Some(regex),
            Err(error) => {
                let detail = error.to_string();
                let last = detail.lines().rev().find(|l| l.starts_with("error:")).unwrap_or(detail.as_str());
                problem::<E>(
                    span,
                    format!("invalid regex: {}", last.trim_start_matches("error: ")),
                    "patterns use Rust regex syntax (https://docs.rs/regex); escape literal `(`, `[`, `.` with `\\`",
                )?;
                None
            }
        };
        Ok(CompiledRegex { source, regex })
    }
}

impl JsonSchema for CompiledRegex {
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
pub type Cond = Located<Threshold>;

/// The value of a [`Cond`]: `None` only when the text did not parse (already reported).
#[derive(Clone, Copy, PartialEq)]
pub struct Threshold(Option<Condition>);

impl Cond {
    /// `None` only when the text did not parse (already reported).
    pub(crate) fn condition(&self) -> Option<Condition> {
        self.value.0
    }
}

impl fmt::Debug for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(c) => write!(f, "{c}"),
            None => f.write_str("<invalid>"),
        }
    }
}

impl Serialize for Threshold {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{self:?}"))
    }
}

impl Resolve for Threshold {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let text = expanded(raw, span);
        match text.parse::<Condition>() {
            Ok(condition) => Ok(Threshold(Some(condition))),
            Err(message) => {
                problem::<E>(
                    span,
                    format!("`{text}` is not a threshold: {message}"),
                    "write an operator and a number: `> 80`, `>= 0.5`, `< 10`, `== 1`, `!= 0`",
                )?;
                Ok(Threshold(None))
            }
        }
    }
}

impl JsonSchema for Threshold {
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
                    "write bytes (`1024`) or a number and a unit: `10KB`, `5MiB`, `1GB`",
                )?;
                Ok(ByteSize(0))
            }
        }
    }
}

/// Parses `1024`, `10KB`, `10 KiB`, `1.5MB`, `2G`. Decimal units are powers of 1000,
/// binary ones (`KiB`) powers of 1024.
fn parse_byte_size(text: &str) -> Option<u64> {
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
    /// The path as written (for messages).
    pub(crate) fn written(&self) -> &Text {
        &self.written
    }
    /// The path to open.
    pub(crate) fn resolved(&self) -> &std::path::Path {
        &self.resolved
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
// Percent

/// A share in percent: `50%`, `12.5%`, or a bare number (`50`).
pub type Percent = Located<Percentage>;

/// The value of a [`Percent`]: `None` when the text did not parse (already reported).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentage(Option<f64>);

impl Percent {
    /// The percent; `None` when it did not parse.
    pub(crate) fn get(&self) -> Option<f64> {
        self.value.0
    }
}

impl Serialize for Percentage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}%", self.0.unwrap_or_default()))
    }
}

impl Resolve for Percentage {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let text = expanded(raw, span);
        let number = text.trim().strip_suffix('%').unwrap_or(text.trim()).trim();
        match number.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Percentage(Some(value))),
            _ => {
                problem::<E>(span, format!("`{text}` is not a percent"), "write a number and `%`: `50%`, `12.5%`")?;
                Ok(Percentage(None))
            }
        }
    }
}

impl JsonSchema for Percentage {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percent: a number, optionally followed by `%`, e.g. `50%`, `12.5%`.",
            "type": ["number", "string"],
            "pattern": r"^\s*\d+(\.\d+)?\s*%?\s*$|\$\{",
            "examples": ["50%", "25%"]
        })
    }
}

// ---------------------------------------------------------------------------------------
// Dependency

/// A `depends_on` entry: `ID` (a check of this playbook) or `PLAYBOOK/ID`.
pub type DependsOn = Located<Dependency>;

/// The value of a [`DependsOn`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Dependency {
    /// The playbook named before the `/`, if any.
    pub playbook: Option<String>,
    pub check: String,
}

impl Dependency {
    /// The other playbook this names, if not `own` (a `PLAYBOOK/ID` naming its own
    /// playbook is a same-playbook dependency).
    pub fn other_playbook(&self, own: &str) -> Option<&str> {
        self.playbook.as_deref().filter(|p| *p != own)
    }
}

impl fmt::Debug for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.playbook {
            Some(playbook) => write!(f, "{playbook}/{}", self.check),
            None => f.write_str(&self.check),
        }
    }
}

impl Serialize for Dependency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl Resolve for Dependency {
    type Written = String;
    fn resolve<E: de::Error>(raw: String, span: Span) -> Result<Self, E> {
        let (playbook, check) = match raw.split_once('/') {
            Some((playbook, check)) => (Some(playbook.to_string()), check.to_string()),
            None => (None, raw.clone()),
        };
        let valid = playbook.as_deref().is_none_or(is_slug) && is_slug(&check);
        if !valid {
            problem::<E>(
                span,
                format!("`{raw}` is not a check id or PLAYBOOK/ID"),
                "write the id of a check of this playbook (`gateway`) or of another playbook (`network/uplink`)",
            )?;
        }
        Ok(Dependency { playbook, check })
    }
}

impl JsonSchema for Dependency {
    fn schema_name() -> Cow<'static, str> {
        "Dependency".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "The id of a check of this playbook, or `PLAYBOOK/ID` for a check of another playbook.",
            "pattern": "^([a-z0-9][a-z0-9_-]*/)?[a-z0-9][a-z0-9_-]*$",
            "examples": ["gateway", "network/uplink"]
        })
    }
}
