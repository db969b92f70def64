//! Checking a YAML [`tree`](super::tree) against the playbook's JSON Schema: every unknown
//! key, wrong type, unknown value and missing key, each at its own line and column.
//!
//! serde stops at the first such mistake, so when the typed parse fails the loader walks
//! the whole tree here to find the others. The schema is the one `runner schema` prints,
//! generated from the model's types, so the walk knows exactly the keys serde knows.
//!
//! Only `properties`, `additionalProperties`, `required`, `type`, `items`, `enum`/`const`
//! and `$ref` are read. `anyOf`/`oneOf` are followed only to the one branch whose `type`
//! fits the node (`Option<T>` is `anyOf: [T, null]`); any other combinator is left alone:
//! the walk must never call a valid value wrong, so where the schema says more than this
//! module understands, it says nothing.

use std::sync::OnceLock;

use serde_json::Value as Json;

use super::diagnostic::Diagnostic;
use super::span::Span;
use super::suggest::did_you_mean;
use super::tree::{Node, Value};
use super::types::Playbook;

/// `$ref` chains longer than this are a broken schema, not a model.
const MAX_REF_HOPS: usize = 32;

/// Every shape mistake in `tree`, in file order. `source` is the file's text (to quote a
/// value as it was written).
pub fn check(tree: &Node, source: &str) -> Vec<Diagnostic> {
    walk_all(tree, source, false)
}

/// Warnings for the loose forms runner reads but the JSON Schema rejects (an editor
/// underlines them): a bare number or `true` where a string goes (`name: 123`), a quoted
/// number where a number goes (`version: "1"`), a word where a boolean goes
/// (`nagios: yes`). For a tree that has no shape mistakes.
pub fn loose_forms(tree: &Node, source: &str) -> Vec<Diagnostic> {
    walk_all(tree, source, true)
}

fn walk_all(tree: &Node, source: &str, loose_forms: bool) -> Vec<Diagnostic> {
    let root = schema();
    let mut walker = Walker { root, source, out: Vec::new(), loose_forms };
    walker.walk(tree, root, &Place::root());
    if !loose_forms {
        // A valid file's schedule values were checked by `validate` already.
        walker.out.extend(schedule_values(tree));
    }
    walker.out.sort_by_key(|d| (d.span.line, d.span.col));
    walker.out
}

/// The value rules of the schedule's `cron` and `timezone`, where they are written as
/// strings: they need no parsed playbook, so one round of fixes suffices.
fn schedule_values(tree: &Node) -> Vec<Diagnostic> {
    let Some(schedule) = tree.get("schedule") else { return Vec::new() };
    let (cron, timezone) = match &schedule.value {
        Value::Str(_) => (Some(schedule), None),
        _ => (schedule.get("cron"), schedule.get("timezone")),
    };
    let mut found = Vec::new();
    if let Some(Node { span, value: Value::Str(text) }) = cron {
        found.extend(super::schedule_values::cron(text, *span).err());
    }
    if let Some(Node { span, value: Value::Str(name) }) = timezone {
        match super::schedule_values::timezone(name, *span) {
            Ok((_, note)) => found.extend(note),
            Err(error) => found.push(error),
        }
    }
    found
}

/// The playbook schema, generated once per process (only files that failed to parse need it).
fn schema() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<Playbook>().to_value()
    })
}

/// The "unknown key" diagnostic, with the closest known key as a hint. Shared with the
/// loader, which reports serde's own unknown-key error the same way.
pub fn unknown_key(span: Span, key: &str, expected: &[&str]) -> Diagnostic {
    let diagnostic = Diagnostic::error(span, format!("unknown key `{key}`"));
    if let Some(best) = did_you_mean(key, expected.iter().copied()) {
        diagnostic.with_hint(format!("did you mean `{best}`?"))
    } else if crate::checks::Kind::ALL.iter().any(|k| k.name() == key) {
        diagnostic.with_hint(format!("`{key}` is a check kind: it goes inside a check, next to its `id`"))
    } else if expected.is_empty() {
        diagnostic.with_hint("this map takes no keys")
    } else {
        diagnostic.with_hint(format!("expected one of {}", backticked(expected)))
    }
}

/// The "unknown value" diagnostic for an enumerated key (`severity: crit`).
pub fn unknown_value(span: Span, value: &str, expected: &[&str]) -> Diagnostic {
    let diagnostic = Diagnostic::error(span, format!("unknown value `{value}`"));
    // `crit` for `critical`: an abbreviation is as plausible as a typo.
    let abbreviated: Vec<&str> =
        expected.iter().copied().filter(|e| !value.is_empty() && e.starts_with(&value.to_lowercase())).collect();
    let best = match abbreviated.as_slice() {
        [only] => Some(*only),
        _ => did_you_mean(value, expected.iter().copied()),
    };
    match best {
        Some(best) => diagnostic.with_hint(format!("did you mean `{best}`?")),
        None => diagnostic.with_hint(format!("expected one of {}", backticked(expected))),
    }
}

pub fn backticked(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// Where a node sits: the key that names it in messages (`retries`, `needs[1]`) and the
/// logical path of the item that holds it (`checks[0] "api"`).
#[derive(Clone)]
struct Place {
    key: String,
    path: String,
}

impl Place {
    fn root() -> Self {
        Place { key: String::new(), path: String::new() }
    }

    /// The place of the value under `key` in the map at `self`.
    fn child(&self, key: &str) -> Place {
        Place { key: key.to_string(), path: self.path.clone() }
    }

    /// The place of item `index` of the list at `self`, named by its `id` when it has one.
    fn item(&self, index: usize, id: Option<String>) -> Place {
        let mut path = if self.path.is_empty() {
            format!("{}[{index}]", self.key)
        } else {
            format!("{}.{}[{index}]", self.path, self.key)
        };
        if let Some(id) = id {
            path.push_str(&format!(" \"{id}\""));
        }
        Place { key: format!("{}[{index}]", self.key), path }
    }

    /// The place of a map's entries: the map's key joins the path.
    fn inside(&self) -> Place {
        let path = match (self.path.is_empty(), self.key.is_empty() || self.key.ends_with(']')) {
            (_, true) => self.path.clone(),
            (true, false) => self.key.clone(),
            (false, false) => format!("{}.{}", self.path, self.key),
        };
        Place { key: String::new(), path }
    }
}

struct Walker<'s> {
    root: &'s Json,
    source: &'s str,
    out: Vec<Diagnostic>,
    /// Say the values admitted only by serde's leniency (as warnings).
    loose_forms: bool,
}

impl<'s> Walker<'s> {
    /// Follows `$ref` (and a lone `allOf: [$ref]`, schemars' way of documenting a ref).
    fn resolve(&self, mut schema: &'s Json) -> &'s Json {
        for _ in 0..MAX_REF_HOPS {
            if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
                match reference.strip_prefix('#').and_then(|pointer| self.root.pointer(pointer)) {
                    Some(target) => schema = target,
                    None => return &Json::Bool(true),
                }
            } else if let Some([only]) = schema.get("allOf").and_then(Json::as_array).map(Vec::as_slice)
                && !has_own_shape(schema)
            {
                schema = only;
            } else {
                return schema;
            }
        }
        &Json::Bool(true)
    }

    fn walk(&mut self, node: &Node, schema: &'s Json, place: &Place) {
        let schema = self.resolve(schema);
        if !has_own_shape(schema) {
            self.walk_branches(node, schema, place);
            return;
        }
        if let Some(types) = types_of(schema)
            && !types.iter().any(|t| admits(t, schema, &node.value))
        {
            match self.definition_words(schema) {
                Some((words, hint)) => self.push_wrong_type(node, words, Some(hint.into()), place),
                None => self.wrong_type(node, &types, place),
            }
            return;
        }
        if self.loose_forms
            && let Some(types) = types_of(schema)
            && !types.iter().any(|t| admits_as_written(t, &node.value, self.written(node).as_deref()))
        {
            self.push_loose_form(node, &types, place);
        }
        if let Some(allowed) = enum_values(schema) {
            self.check_enum(node, &allowed, place);
            return;
        }
        match &node.value {
            Value::Map(entries) => self.walk_map(node, entries, schema, place),
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(item_schema) = item_schema(schema, index) {
                        let id = item.get("id").and_then(|id| self.scalar_text(id));
                        self.walk(item, item_schema, &place.item(index, id));
                    }
                }
            }
            _ => {}
        }
    }

    /// A schema without its own shape: an enum written as `oneOf` constants, or `anyOf` /
    /// `oneOf` of which exactly one branch fits the node.
    fn walk_branches(&mut self, node: &Node, schema: &'s Json, place: &Place) {
        let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Json::as_array) else {
            return;
        };
        let branches: Vec<&'s Json> = branches.iter().map(|b| self.resolve(b)).collect();
        let constants: Option<Vec<&str>> = branches.iter().map(|b| b.get("const").and_then(Json::as_str)).collect();
        if let Some(allowed) = constants {
            self.check_enum(node, &allowed, place);
            return;
        }
        let fitting: Vec<&'s Json> = branches.iter().copied().filter(|b| fits(b, &node.value)).collect();
        match fitting.as_slice() {
            [only] => self.walk(node, only, place),
            // `Option<T>` holding the wrong thing: the mistake is T's, said in T's words.
            [] if let [only] = non_null(&branches).as_slice() => self.walk(node, only, place),
            [] => {
                let types: Option<Vec<&str>> =
                    branches.iter().map(|b| types_of(b)).collect::<Option<Vec<_>>>().map(|lists| {
                        let mut all: Vec<&str> = lists.into_iter().flatten().collect();
                        all.dedup();
                        all
                    });
                if let Some(types) = types {
                    self.wrong_type(node, &types, place);
                }
            }
            _ => {}
        }
    }

    fn walk_map(&mut self, node: &Node, entries: &[(Node, Node)], schema: &'s Json, place: &Place) {
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        let known: Vec<&str> = properties.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
        let inside = place.inside();
        let mut unknown: Vec<String> = Vec::new();
        for (key, value) in entries {
            let Some(name) = self.scalar_text(key) else {
                continue;
            };
            if let Some(property) = properties.and_then(|p| p.get(&name)) {
                self.walk(value, property, &inside.child(&name));
            } else {
                match additional {
                    // Keys allowed by pattern are beyond this walk: say nothing about them.
                    Some(Json::Bool(false)) if schema.get("patternProperties").is_some() => {}
                    Some(Json::Bool(false)) => {
                        let mut d = unknown_key(key.span, &name, &known);
                        unknown.push(name);
                        if !inside.path.is_empty() {
                            d = d.with_path(inside.path.clone());
                        }
                        self.out.push(d);
                    }
                    Some(item @ Json::Object(_)) => self.walk(value, item, &inside.child(&name)),
                    _ => {}
                }
            }
        }
        let present: Vec<String> = entries.iter().filter_map(|(k, _)| self.scalar_text(k)).collect();
        for required in schema.get("required").and_then(Json::as_array).into_iter().flatten() {
            // A key misspelt is said once, as the unknown key with its "did you mean".
            let misspelt = |name: &str| unknown.iter().any(|u| did_you_mean(u, known.iter().copied()) == Some(name));
            if let Some(name) = required.as_str()
                && !present.iter().any(|p| p == name)
                && !misspelt(name)
            {
                let mut d = Diagnostic::error(node.span, format!("missing key `{name}`"))
                    .with_hint(super::load::missing_key_hint(name));
                if !inside.path.is_empty() {
                    d = d.with_path(inside.path.clone());
                }
                self.out.push(d);
            }
        }
    }

    fn check_enum(&mut self, node: &Node, allowed: &[&str], place: &Place) {
        let Some(text) = self.scalar_text(node) else {
            return self.wrong_type(node, &["string"], place);
        };
        if !allowed.contains(&text.as_str()) {
            let mut d = unknown_value(node.span, &text, allowed);
            if !place.path.is_empty() {
                d = d.with_path(place.path.clone());
            }
            self.out.push(d);
        }
    }

    /// What a value of one of the model's own string types is, in words ("a duration such
    /// as `5s`"), when `schema` is that type's definition.
    /// As (words, hint).
    fn definition_words(&self, schema: &Json) -> Option<(&'static str, &'static str)> {
        let definitions = self.root.get("definitions").or_else(|| self.root.get("$defs"))?.as_object()?;
        let (name, _) = definitions.iter().find(|(_, definition)| std::ptr::eq(*definition, schema))?;
        match name.as_str() {
            "Duration" => {
                Some(("a duration such as `5s`", "write a number and a unit: `500ms`, `3s`, `5m`, `2h`, `7d`"))
            }
            "Condition" => {
                Some(("a condition such as `\"> 80\"`", "write an operator and a number, quoted: `\"> 80\"`"))
            }
            "Id" => Some(("an id", "use lowercase letters, digits, `-` and `_`, e.g. `api-health`")),
            _ => None,
        }
    }

    /// "`retries` expects a whole number, found `many`", with a hint to fix it.
    fn wrong_type(&mut self, node: &Node, types: &[&str], place: &Place) {
        let wanted: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
        let wanted = if wanted.is_empty() { types.to_vec() } else { wanted };
        let expects = wanted.iter().map(|t| type_words(t)).collect::<Vec<_>>().join(" or ");
        let hint = self.type_hint(node, &wanted);
        self.push_wrong_type(node, &expects, hint, place);
    }

    fn push_wrong_type(&mut self, node: &Node, expects: &str, hint: Option<String>, place: &Place) {
        let found = self.found(node);
        let mut d = if place.key.is_empty() {
            Diagnostic::error(node.span, format!("a playbook is a map, found {found}"))
                .with_hint("start with `version: 1`, a `name`, and `checks` or `phases`")
        } else {
            let d = Diagnostic::error(node.span, format!("`{}` expects {expects}, found {found}", place.key));
            match hint {
                Some(hint) => d.with_hint(hint),
                None => d,
            }
        };
        if !place.path.is_empty() {
            d = d.with_path(place.path.clone());
        }
        self.out.push(d);
    }

    /// "`name` is a string in the JSON Schema, found `123`", with how to write it.
    fn push_loose_form(&mut self, node: &Node, types: &[&str], place: &Place) {
        let wanted: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
        let expects = wanted.iter().map(|t| type_words(t)).collect::<Vec<_>>().join(" or ");
        let hint = match wanted.first().copied() {
            Some("string") => "quote it: runner reads it as text, but editors and the JSON Schema want a string",
            Some("boolean") => "write `true` or `false` without quotes",
            _ => "write the number without quotes",
        };
        let message = format!("`{}` expects {expects}, found {}", place.key, self.found(node));
        let mut d = Diagnostic::warning(node.span, message).with_hint(hint);
        if !place.path.is_empty() {
            d = d.with_path(place.path.clone());
        }
        self.out.push(d);
    }

    /// The found value in words: `many` quoted as written, or "a map", "a list", "nothing".
    fn found(&self, node: &Node) -> String {
        match &node.value {
            Value::Map(_) => "a map".into(),
            Value::Seq(_) => "a list".into(),
            Value::Null => "nothing".into(),
            value => {
                let written = self.written(node).unwrap_or_else(|| value.as_key().unwrap_or_default());
                let shown: String = written.chars().take(40).collect();
                let ellipsis = if shown.len() < written.len() { "…" } else { "" };
                format!("`{shown}{ellipsis}`")
            }
        }
    }

    /// A scalar's text as serde reads it into a string: a key `on` is the key "on", though
    /// YAML 1.1 would call it `true`.
    fn scalar_text(&self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            value if value.is_scalar() => self.written(node).or_else(|| value.as_key()),
            _ => None,
        }
    }

    /// The node's text as written in the file, when its span stays on one line.
    fn written(&self, node: &Node) -> Option<String> {
        let line = self.source.lines().nth((node.span.line as usize).checked_sub(1)?)?;
        let text: String =
            line.chars().skip(node.span.col.saturating_sub(1) as usize).take(node.span.len as usize).collect();
        (node.span.len > 0 && text.chars().count() == node.span.len as usize).then_some(text)
    }

    fn type_hint(&self, node: &Node, wanted: &[&str]) -> Option<String> {
        let starts_template = self.written_from(node).is_some_and(|t| t.trim_start().starts_with("{{"));
        if starts_template && wanted.contains(&"string") {
            return Some(QUOTE_TEMPLATE_HINT.into());
        }
        Some(
            match wanted.first().copied()? {
                "integer" => "write a number without quotes or units, e.g. `3`",
                "number" => "write a number without quotes or units, e.g. `0.5`",
                "boolean" => "write `true` or `false`",
                "array" => "write a list: `[a, b]` or one `- item` per line",
                "object" => "write `key: value` lines, or `{key: value}`",
                "string" if matches!(node.value, Value::Null) => {
                    "write a value after the colon, or quote an empty string: `\"\"`"
                }
                "string" => "quote the value to make it text",
                _ => return None,
            }
            .into(),
        )
    }

    /// The rest of the node's first line from where it starts (for maps and lists, whose
    /// span does not cover their text).
    fn written_from(&self, node: &Node) -> Option<String> {
        let line = self.source.lines().nth((node.span.line as usize).checked_sub(1)?)?;
        Some(line.chars().skip(node.span.col.saturating_sub(1) as usize).collect())
    }
}

/// Said when an unquoted `{{ … }}` made YAML read a map.
pub const QUOTE_TEMPLATE_HINT: &str =
    "quote the value: write `\"{{ vars.x }}\"`; unquoted, YAML reads `{{ … }}` as a map";

/// The schema of a list's item `index`: `items`, or for a list whose first items have
/// their own schema (`run: [program, args…]`), that one, then `additionalItems`.
fn item_schema(schema: &Json, index: usize) -> Option<&Json> {
    match schema.get("items")? {
        Json::Array(leading) => leading.get(index).or_else(|| schema.get("additionalItems")),
        every => Some(every),
    }
}

/// The branches that are not just `{"type": "null"}`.
fn non_null<'j>(branches: &[&'j Json]) -> Vec<&'j Json> {
    branches.iter().copied().filter(|b| types_of(b).is_none_or(|t| t != ["null"])).collect()
}

/// True when the schema says something itself (rather than only combining others).
fn has_own_shape(schema: &Json) -> bool {
    ["type", "properties", "additionalProperties", "items", "enum", "const"].iter().any(|k| schema.get(k).is_some())
}

/// The `type` keyword as a list, `None` when absent.
fn types_of(schema: &Json) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Json::String(t) => Some(vec![t.as_str()]),
        Json::Array(list) => Some(list.iter().filter_map(Json::as_str).collect()),
        _ => None,
    }
}

/// `enum` (or a single `const`) of strings.
fn enum_values(schema: &Json) -> Option<Vec<&str>> {
    if let Some(constant) = schema.get("const").and_then(Json::as_str) {
        return Some(vec![constant]);
    }
    schema.get("enum")?.as_array()?.iter().map(Json::as_str).collect()
}

/// Whether a branch of `anyOf`/`oneOf` could be meant for this node: its type has the
/// node's structure (a map for a map, a list for a list, a scalar for a scalar). A branch
/// without a type could be meant for anything.
fn fits(branch: &Json, value: &Value) -> bool {
    let Some(types) = types_of(branch) else {
        return branch.as_bool() != Some(false);
    };
    types.iter().any(|t| match value {
        Value::Map(_) => *t == "object",
        Value::Seq(_) => *t == "array",
        Value::Null => *t == "null",
        _ => matches!(*t, "string" | "integer" | "number" | "boolean"),
    })
}

/// Whether serde-saphyr reads this value as the JSON type `t`. It is lenient, and this
/// must be too: any scalar is a string, a quoted `"3"` is a number, `yes` is a boolean.
fn admits(t: &str, schema: &Json, value: &Value) -> bool {
    match (t, value) {
        ("null", Value::Null) => true,
        ("object", Value::Map(_)) | ("array", Value::Seq(_)) => true,
        ("string", v) => v.is_scalar(),
        ("integer", Value::Int(n)) => fits_format(schema, *n),
        ("integer", Value::Str(s)) => parse_integer(s).is_some_and(|n| fits_format(schema, n)),
        ("number", Value::Int(_) | Value::Float(_)) => true,
        ("number", Value::Str(s)) => s.trim().parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::Str(s)) => {
            ["true", "false", "yes", "no", "on", "off", "y", "n"].iter().any(|b| s.trim().eq_ignore_ascii_case(b))
        }
        _ => false,
    }
}

/// Whether the value is the JSON type `t` as written (`written`: its text in the file), as
/// the JSON Schema reads it: no number or boolean for a string, no quoted number, and for
/// a boolean only YAML 1.2's `true`/`false` (editors read `yes` as a string).
fn admits_as_written(t: &str, value: &Value, written: Option<&str>) -> bool {
    match (t, value) {
        ("boolean", Value::Bool(_)) => {
            written.is_none_or(|w| ["true", "false"].contains(&w.to_ascii_lowercase().as_str()))
        }
        ("string", Value::Bool(_)) => {
            written.is_some_and(|w| !["true", "false"].contains(&w.to_ascii_lowercase().as_str()))
        }
        ("string", Value::Str(_)) | ("integer", Value::Int(_)) => true,
        ("number", Value::Int(_) | Value::Float(_)) => true,
        ("null", Value::Null) | ("object", Value::Map(_)) | ("array", Value::Seq(_)) => true,
        _ => false,
    }
}

fn parse_integer(text: &str) -> Option<i128> {
    text.trim().replace('_', "").parse().ok()
}

/// Unsigned formats (`uint32`, …) take no negative number, and each has its largest value.
fn fits_format(schema: &Json, n: i128) -> bool {
    let bits = match schema.get("format").and_then(Json::as_str) {
        Some("uint8") => 8,
        Some("uint16") => 16,
        Some("uint32") => 32,
        Some("uint64" | "uint") => 64,
        _ => return true,
    };
    n >= 0 && n < (1i128 << bits)
}

fn type_words(t: &str) -> &'static str {
    match t {
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        "array" => "a list",
        "object" => "a map",
        "null" => "nothing",
        _ => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Vec<String> {
        let tree: Node = serde_saphyr::from_str(text).unwrap();
        check(&tree, text)
            .into_iter()
            .map(|d| format!("{}:{} {} | {}", d.span.line, d.span.col, d.message, d.hint.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_valid_playbook_has_no_shape_problems() {
        let text = "version: 1\nname: a\nschedule: {cron: \"* * * * *\", misfire: skip}\ndefaults: {retries: 2}\nchecks:\n  - id: a\n    retries: \"3\"\n    severity: warning\n    http: {url: \"http://x\", tls_verify: yes, expect: {status: [200, 204]}, headers: {A: 1}}\n    thresholds: {latency_ms: {warn: \"> 20\"}}\nvars: {anything: [1, {a: b}]}\n";
        assert_eq!(shape(text), Vec::<String>::new());
    }

    /// The walk must never call a valid value wrong: every playbook the repository ships
    /// passes it clean.
    #[test]
    fn the_shipped_playbooks_have_no_shape_problems() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for folder in ["playbooks", "examples"] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert_eq!(shape(&text), Vec::<String>::new(), "{}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 6, "{checked} playbooks");
    }

    #[test]
    fn every_mistake_is_found() {
        let text = "version: 1\nname: a\nschedul: x\nschedule: {cron: x, misfire: once}\nchecks:\n  - id: a\n    retries: many\n    timout: 3s\n    http: {url: {a: b}, statsu: 1}\n    timeout: [5s]\n";
        assert_eq!(
            shape(text),
            vec![
                "3:1 unknown key `schedul` | did you mean `schedule`?",
                "4:18 invalid cron `x`: it has 1 field; cron takes 5 (minute hour day month weekday) or 6 (with leading seconds) | cron is `minute hour day-of-month month day-of-week`, e.g. `*/5 * * * *` or `0 2 * * *`; a 6th leading field is seconds; or @hourly, @daily, @weekly, @monthly",
                "4:30 unknown value `once` | expected one of `skip`, `run_once`",
                "7:14 `retries` expects a whole number, found `many` | write a number without quotes or units, e.g. `3`",
                "8:5 unknown key `timout` | did you mean `timeout`?",
                "9:17 `url` expects a string, found a map | quote the value to make it text",
                "9:25 unknown key `statsu` | expected one of `url`, `method`, `headers`, `body`, `tls_verify`, `follow_redirects`, `expect`",
                "10:14 `timeout` expects a duration such as `5s`, found a list | write a number and a unit: `500ms`, `3s`, `5m`, `2h`, `7d`",
            ]
        );
    }
}
