//! The playbook: the model users write ([`types`]), how it is read ([`load`]), what makes
//! it valid ([`validate`]) and how problems are told ([`diagnostic`]).

pub mod dependencies;
pub mod diagnostic;
pub mod discover;
pub mod interpolate;
pub mod load;
mod requote;
pub(crate) mod schedule_values;
pub mod schema_rules;
pub mod shape;
pub mod span;
pub mod suggest;
pub mod tree;
pub mod types;
pub mod validate;
pub mod values;

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

pub use diagnostic::{Diagnostic, Level};
pub use load::{FileReport, LoadOptions, Loaded};
pub use span::Span;
pub use types::*;

/// One integer or a list of them: `status: 200` or `status: [200, 204]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IntList(pub Vec<i64>);

impl IntList {
    pub fn contains(&self, value: i64) -> bool {
        self.0.contains(&value)
    }
}

impl<'de> Deserialize<'de> for IntList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntListVisitor;

        impl<'de> Visitor<'de> for IntListVisitor {
            type Value = IntList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a list of integers")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntList, E> {
                Ok(IntList(vec![v]))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntList, E> {
                i64::try_from(v).map(|v| IntList(vec![v])).map_err(|_| E::custom("integer too large"))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IntList, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<i64>()? {
                    values.push(v);
                }
                Ok(IntList(values))
            }
        }

        deserializer.deserialize_any(IntListVisitor)
    }
}

impl JsonSchema for IntList {
    fn schema_name() -> Cow<'static, str> {
        "IntList".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer, or a list of integers.",
            "anyOf": [
                { "type": "integer" },
                { "type": "array", "items": { "type": "integer" }, "minItems": 1 }
            ]
        })
    }
}
