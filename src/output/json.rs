//! `--format json`: the RunRecord itself, pretty-printed.

use super::Format;
use crate::outcome::RunRecord;

pub struct Json;

impl Format for Json {
    fn render(&self, record: &RunRecord) -> String {
        let mut text = serde_json::to_string_pretty(record).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}
