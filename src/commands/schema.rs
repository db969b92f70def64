//! `runner schema`: the playbook JSON Schema (draft 7), generated from the model's types
//! (their doc comments are the descriptions) and the rules of `playbook::schema_rules`.
//! `schemas/playbook.schema.json` is this output; a test fails when it is stale, and
//! another runs check-jsonschema with it over the shipped playbooks and the invalid corpus.
//!
//! It has no `$id`: the schema is not published at a URL of its own, and a made-up one
//! would be resolved against by tools. Playbooks point at the file instead.

use schemars::Schema;
use schemars::transform::RecursiveTransform;

use crate::playbook::Playbook;
use crate::playbook::schema_rules;

/// The schema, as pretty JSON with a trailing newline.
pub fn schema_json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07()
        .with_transform(RecursiveTransform(formats_as_ranges))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Playbook>();
    if let Some(definitions) = schema.get_mut("definitions").and_then(|d| d.as_object_mut()) {
        for (name, value_schema) in schema_rules::value_definitions() {
            definitions.insert(name.into(), value_schema);
        }
    }
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// schemars marks integers with `format: uint32`/`uint64`, which no validator knows; the
/// range says it instead, unless the field has a tighter one (u64's upper end is past what JSON numbers hold exactly, so it
/// stays open).
fn formats_as_ranges(schema: &mut Schema) {
    let Some(format) = schema.remove("format") else {
        return;
    };
    if format == "uint32" && schema.get("maximum").is_none() {
        schema.insert("maximum".into(), u32::MAX.into());
    } else if format != "uint32" && format != "uint64" {
        schema.insert("format".into(), format);
    }
}

pub fn run() -> crate::error::Result<i32> {
    super::print_stdout(&schema_json())?;
    Ok(0)
}
