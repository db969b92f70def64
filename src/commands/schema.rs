//! `runner schema`: the playbook JSON Schema, generated from the model's types (their doc
//! comments are the descriptions). `schemas/playbook.schema.json` is this output; a test
//! fails when it is stale.

use crate::playbook::Playbook;

/// The schema, as pretty JSON with a trailing newline.
pub fn schema_json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Playbook>();
    schema.insert("$id".into(), "https://github.com/runner/runner/schemas/playbook.schema.json".into());
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

pub fn run() -> crate::error::Result<i32> {
    super::print_stdout(&schema_json())?;
    Ok(0)
}
