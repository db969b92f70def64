//! What the JSON Schema says beyond the shapes of the types: the structural rules that
//! `validate` enforces on the typed model ("exactly one kind", "`checks` or `phases`", …)
//! and value syntax that accepts exactly what runner's own parsers accept. Editors and CI
//! tools (check-jsonschema) then reject the same structural mistakes as `validate`.
//!
//! The rules are attached to the types with `#[schemars(transform = …)]`; the value
//! schemas are put in place by `commands::schema`. Rules that need more than one value's
//! text (cron, time zones, regex and template syntax, ids that refer to each other,
//! directions of thresholds) stay in `validate` alone; docs/playbook-reference.md ("The
//! JSON Schema and `validate`") lists them.
//!
//! Every rule keeps the keys as properties of the one object (a `oneOf` of `required`
//! lists, never a split of the properties), so editors still complete every key.

use schemars::Schema;
use serde_json::{Value, json};

use crate::checks::Kind;

/// `key` is written with a value. serde reads `key: ~` as an absent key, so null does
/// not count.
fn written(key: &str) -> Value {
    json!({ "required": [key], "properties": { key: { "not": { "type": "null" } } } })
}

/// `key` is written as a list with at least one item.
fn written_non_empty(key: &str) -> Value {
    json!({ "required": [key], "properties": { key: { "type": "array", "minItems": 1 } } })
}

/// Adds a rule to an object's schema. A second rule with the same keyword goes into
/// `allOf`, so that rules never replace each other.
fn add_rule(schema: &mut Schema, keyword: &str, rule: Value) {
    if schema.get(keyword).is_none() {
        schema.insert(keyword.into(), rule);
        return;
    }
    let all_of = schema.ensure_object().entry("allOf").or_insert_with(|| json!([]));
    if let Some(rules) = all_of.as_array_mut() {
        rules.push(json!({ keyword: rule }));
    }
}

fn exactly_one_of(schema: &mut Schema, keys: &[&str]) {
    add_rule(schema, "oneOf", keys.iter().map(|key| written(key)).collect());
}

fn not_both(schema: &mut Schema, first: &str, second: &str) {
    add_rule(schema, "not", json!({ "allOf": [written(first), written(second)] }));
}

/// A playbook has `checks` or `phases`, not both and not neither; `checks` has at least one.
pub fn playbook(schema: &mut Schema) {
    exactly_one_of(schema, &["checks", "phases"]);
    add_rule(schema, "anyOf", json!([{ "not": written("checks") }, written_non_empty("checks")]));
}

/// A check has exactly one kind; new kinds join through [`Kind::ALL`].
pub fn check(schema: &mut Schema) {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
    exactly_one_of(schema, &kinds);
}

/// A threshold has `warn`, `crit` or both.
pub fn threshold(schema: &mut Schema) {
    add_rule(schema, "anyOf", json!([written("warn"), written("crit")]));
}

/// A phase runs at least one action or check.
pub fn phase(schema: &mut Schema) {
    add_rule(schema, "anyOf", json!([written_non_empty("actions"), written_non_empty("checks")]));
}

/// An action is exactly one of `run`, `shell`, `sleep` or `http`.
pub fn action(schema: &mut Schema) {
    exactly_one_of(schema, &["run", "shell", "sleep", "http"]);
}

/// A channel has exactly one notifier, and `on` lists failing statuses: each one of
/// `warning`, `critical`, `unknown`, or a string runner expands at load (`${VAR}`,
/// `{{ vars.x }}`), whose value is known only then.
pub fn channel(schema: &mut Schema) {
    exactly_one_of(schema, &["discord", "slack", "webhook"]);
    if let Some(on) = schema.get_mut("properties").and_then(|properties| properties.get_mut("on")) {
        on["items"] = json!({
            "type": "string",
            "anyOf": [{ "enum": ["warning", "critical", "unknown"] }, { "pattern": r"\$\{|\{\{" }]
        });
    }
}

/// A report is kept by age or by count, not both.
pub fn report(schema: &mut Schema) {
    not_both(schema, "keep", "keep_last");
}

/// A command check runs `run` or `shell`.
pub fn command_check(schema: &mut Schema) {
    exactly_one_of(schema, &["run", "shell"]);
}

/// A process check matches by `name` or by `pattern`.
pub fn process_check(schema: &mut Schema) {
    exactly_one_of(schema, &["name", "pattern"]);
}

/// A program and its arguments (`run`): at least the program, which is not empty.
pub fn program_and_arguments(schema: &mut Schema) {
    schema.insert("minItems".into(), json!(1));
    schema.insert("items".into(), json!([{ "type": "string", "minLength": 1 }]));
    schema.insert("additionalItems".into(), json!({ "type": "string" }));
}

/// Tags: words, neither empty nor holding a comma (`--tags` splits on commas).
pub fn tags(schema: &mut Schema) {
    schema.insert("items".into(), json!({ "type": "string", "pattern": r"^[^,]*[^,\s][^,]*$" }));
}

/// The schemas of the value types whose syntax a pattern can state, keyed by their
/// definition names, each accepting what runner's parser accepts (`crate::duration`,
/// `crate::threshold`, `parse_byte_size`), plus anything runner expands at load first.
/// They replace the schemas these types give themselves in `playbook::values`, which were
/// narrower than the parsers (`30 seconds`, `> 20%`) and claimed `format: regex`.
pub fn value_definitions() -> [(&'static str, Value); 4] {
    [("Duration", duration()), ("Condition", condition()), ("Regex", regex()), ("ByteSize", byte_size())]
}

/// `crate::duration::parse`: numbers (`5`, `1.5`, `.5`) each followed by a unit, spaces
/// allowed around them. `[0-9]` rather than `\d`, which Python's `re` reads as any
/// Unicode digit.
fn duration() -> Value {
    let unit = "ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?";
    let pattern = format!(r"^\s*(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*(?:{unit})\s*)+$|\$\{{");
    json!({
        "type": "string",
        "description": "A duration: numbers with units (ms, s, m, h, d, w; or sec, min, hours, days, weeks), e.g. `500ms`, `3s`, `5m`, `2h`, `7d`, `1h30m`; or a `${VAR}` that holds one.",
        "pattern": pattern,
        "examples": ["5s", "500ms", "1h30m", "7d"]
    })
}

/// `Condition::from_str`: an operator, then a number as Rust's `f64` reads it (sign,
/// decimals, exponent), optionally followed by `%`.
fn condition() -> Value {
    let number = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?";
    json!({
        "type": "string",
        "description": "An operator and a number: `> 80`, `>= 0.5`, `< 10`, `<= 3`, `== 1`, `!= 0`, `> 20%`; or a `${VAR}` that holds one.",
        "pattern": format!(r"^\s*(?:>=|<=|==|!=|>|<)\s*{number}%*\s*$|\$\{{"),
        "examples": ["> 80", "< 10", "== 1"]
    })
}

/// `parse_byte_size`: bytes as a whole number, or a number and a unit in any case (`b`,
/// `k`/`kb`, `kib`, … up to `t`).
fn byte_size() -> Value {
    json!({
        "description": "A size: bytes as a number, or a number and a unit (`10KB`, `5MiB`, `1GB`).",
        "type": ["integer", "string"],
        "minimum": 0,
        "pattern": r"^\s*(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*(?:[bB]|[kKmMgGtT](?:[iI]?[bB])?)?\s*$",
        "examples": [1024, "10KB", "5MiB"]
    })
}

/// No `format: regex`: in JSON Schema that means an ECMA-262 regex, and runner's are
/// Rust's (`(?i)`, `\A`, `(?P<name>…)` are valid in one and not the other). `validate`
/// compiles them.
fn regex() -> Value {
    json!({
        "type": "string",
        "description": "A regular expression in Rust `regex` syntax, e.g. `(?i)\\b(error|fatal)\\b`; `validate` compiles it."
    })
}
