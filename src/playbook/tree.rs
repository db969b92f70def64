//! A YAML document as a plain tree of located nodes: maps, lists and scalars, each with
//! the [`Span`] it was written at.
//!
//! The typed parse (serde into `Playbook`) stops at the first unknown key or wrong type.
//! When it does, the loader reads the file once more into this tree, which accepts any
//! well-formed YAML, so that `shape` can find every other such mistake. Reading it costs
//! a second parse, so it is done only for files that already failed: the happy path never
//! builds a tree.

use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::span::Span;

/// One node of the document, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// What a node holds. Scalars keep the type YAML resolved them to (`3` is an integer,
/// `"3"` and `three` are strings); the checker allows for the conversions serde-saphyr
/// makes (a quoted `"3"` still reads as a number).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order; keys are nodes too, for their location.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The key text of a scalar used as a map key.
    pub fn as_key(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::Null | Value::Seq(_) | Value::Map(_))
    }
}

impl Node {
    /// The value of this map's key `key`, when this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| k.value.as_key().as_deref() == Some(key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }
}

/// Deeper trees are refused: the loader's own limit is far lower, and the recursion of
/// this deserializer must never reach the end of a thread's stack, whatever the bytes.
const MAX_TREE_DEPTH: usize = 128;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts one level of nesting for as long as it lives.
struct Level;

impl Level {
    fn enter<E: de::Error>() -> Result<Level, E> {
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let level = Level;
        if depth > MAX_TREE_DEPTH { Err(E::custom("the document is nested too deeply")) } else { Ok(level) }
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let _level = Level::enter::<D::Error>()?;
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node { span: Span::from(spanned.referenced), value: spanned.value })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_keys_keep_their_locations() {
        let text = "version: 1\nchecks:\n  - id: a\n    retries: many\n";
        let tree: Node = serde_saphyr::from_str(text).unwrap();
        let checks = tree.get("checks").unwrap();
        let Value::Seq(items) = &checks.value else { panic!("{checks:?}") };
        let Value::Map(entries) = &items[0].value else { panic!() };
        let (key, value) = &entries[1];
        assert_eq!(key.value, Value::Str("retries".into()));
        assert_eq!((key.span.line, key.span.col), (4, 5));
        assert_eq!(value.value, Value::Str("many".into()));
        assert_eq!((value.span.line, value.span.col), (4, 14));
        assert_eq!(tree.get("version").unwrap().value, Value::Int(1));
    }

    #[test]
    fn a_deep_document_is_refused_not_a_stack_overflow() {
        let deep = format!("x: {}{}\n", "[".repeat(5_000), "]".repeat(5_000));
        let tree = std::thread::spawn(move || {
            let options = serde_saphyr::options! { budget: serde_saphyr::budget! { max_depth: 10_000 } };
            serde_saphyr::from_str_with_options::<Node>(&deep, options).is_err()
        });
        assert!(tree.join().unwrap());
    }
}
