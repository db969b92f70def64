//! A small JSON path: `$`, `.key`, `['key']` and `[index]` (negative counts from the end).
//! Enough for health endpoints (`$.status`, `$.checks[0].state`) and command output,
//! without a dependency.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(i64),
}

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let rest = text.trim().strip_prefix('$').ok_or("it must start with `$`")?;
        let chars: Vec<char> = rest.chars().collect();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                        end += 1;
                    }
                    if end == start {
                        return Err(format!("a key is missing after `.` at position {}", i + 2));
                    }
                    steps.push(Step::Key(chars[start..end].iter().collect()));
                    i = end;
                }
                '[' => {
                    let close =
                        chars[i..].iter().position(|&c| c == ']').map(|p| p + i).ok_or("a `[` is not closed")?;
                    let inner: String = chars[i + 1..close].iter().collect();
                    let inner = inner.trim();
                    if let Some(quoted) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    {
                        steps.push(Step::Key(quoted.to_string()));
                    } else {
                        let index: i64 =
                            inner.parse().map_err(|_| format!("`[{inner}]` is neither an index nor a quoted key"))?;
                        steps.push(Step::Index(index));
                    }
                    i = close + 1;
                }
                other => return Err(format!("unexpected `{other}`; use `.key` or `[index]`")),
            }
        }
        Ok(JsonPath { steps })
    }

    /// The value at this path, if any.
    pub fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut current = root;
        for step in &self.steps {
            current = match (step, current) {
                (Step::Key(key), Value::Object(map)) => map.get(key)?,
                (Step::Index(index), Value::Array(items)) => {
                    let len = items.len() as i64;
                    let at = if *index < 0 { len + index } else { *index };
                    items.get(usize::try_from(at).ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }
}

/// A JSON value as a number, when it is one (numbers, numeric strings, booleans as 1/0).
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Compares an expected value from a playbook with an actual JSON value: numbers by
/// value, everything else by equality, with a string expectation matching the text of a
/// scalar (`"UP"` matches `"UP"`, `"1"` matches `1`).
pub fn matches_expected(expected: &Value, actual: &Value) -> bool {
    if expected == actual {
        return true;
    }
    match (expected, actual) {
        (Value::Number(_), _) | (_, Value::Number(_)) => match (as_number(expected), as_number(actual)) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => false,
        },
        (Value::String(e), Value::Bool(b)) => e == &b.to_string(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_finds() {
        let doc = json!({"status": "UP", "checks": [{"name": "db", "ok": true}], "a.b": 3});
        assert_eq!(JsonPath::parse("$.status").unwrap().find(&doc), Some(&json!("UP")));
        assert_eq!(JsonPath::parse("$.checks[0].name").unwrap().find(&doc), Some(&json!("db")));
        assert_eq!(JsonPath::parse("$.checks[-1].ok").unwrap().find(&doc), Some(&json!(true)));
        assert_eq!(JsonPath::parse("$['a.b']").unwrap().find(&doc), Some(&json!(3)));
        assert_eq!(JsonPath::parse("$").unwrap().find(&doc), Some(&doc));
        assert_eq!(JsonPath::parse("$.missing").unwrap().find(&doc), None);
        assert!(JsonPath::parse("status").is_err());
        assert!(JsonPath::parse("$.").is_err());
        assert!(JsonPath::parse("$[x]").is_err());
    }

    #[test]
    fn expected_values_compare_loosely() {
        assert!(matches_expected(&json!("UP"), &json!("UP")));
        assert!(matches_expected(&json!(1), &json!(1.0)));
        assert!(matches_expected(&json!("1"), &json!(1)));
        assert!(!matches_expected(&json!("UP"), &json!("DOWN")));
    }
}
