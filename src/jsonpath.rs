//! JSON paths (RFC 9535) into health endpoints' bodies and commands' output, and the loose
//! comparison of what a path selects with what a playbook expects.
//!
//! Parsing and selecting are serde_json_path's, filters included
//! (`$.checks[?@.name=='db'].status`). A path in the grammar runner accepted before RFC
//! 9535 is rewritten first, so that it selects exactly what it did (see `legacy`). A path
//! is expected to select one value: selecting none is "missing", selecting several is an
//! error of its own, never a silent pick.
//! Ours, where the library has no answer: the old grammar's rewrite, and a bound on how
//! deeply a path nests, checked before the (recursive, backtracking) parser sees it.

mod legacy;

use std::borrow::Cow;

use serde_json::Value;

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    query: serde_json_path::JsonPath,
}

/// Why a path does not parse.
#[derive(Debug, thiserror::Error)]
pub enum InvalidJsonPath {
    #[error("it must start with `$`")]
    NoRoot,
    #[error("it nests brackets and parentheses deeper than {MAX_NESTING}")]
    TooDeep,
    #[error("it nests filters deeper than {MAX_FILTER_NESTING}")]
    TooManyFilters,
    /// The RFC 9535 parser's own message, when it has one.
    #[error("{0}")]
    Syntax(serde_json_path::ParseError),
    /// The parser's message is only "parser error": the text where it stopped says more.
    #[error("`{rest}` is not understood (at position {position})")]
    NotUnderstood { rest: String, position: usize },
}

impl InvalidJsonPath {
    fn from_parser(text: &str, error: serde_json_path::ParseError) -> InvalidJsonPath {
        if error.message() != "parser error" {
            return InvalidJsonPath::Syntax(error);
        }
        let rest = text.chars().skip(error.position()).collect();
        InvalidJsonPath::NotUnderstood { rest, position: error.position() }
    }
}

/// A path selected several values where one was expected (e.g. a filter matching two entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("selects {0} values, not one")]
pub struct SeveralValues(pub usize);

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, InvalidJsonPath> {
        let text = text.trim();
        if !text.starts_with('$') {
            return Err(InvalidJsonPath::NoRoot);
        }
        let rfc_text = legacy::to_rfc9535(text).map_or(Cow::Borrowed(text), Cow::Owned);
        let nesting = Nesting::of(&rfc_text);
        if nesting.deepest > MAX_NESTING {
            return Err(InvalidJsonPath::TooDeep);
        }
        if nesting.deepest_filters > MAX_FILTER_NESTING {
            return Err(InvalidJsonPath::TooManyFilters);
        }
        let query =
            serde_json_path::JsonPath::parse(&rfc_text).map_err(|e| InvalidJsonPath::from_parser(&rfc_text, e))?;
        Ok(JsonPath { query })
    }

    /// The one value at this path, `None` when it selects nothing.
    pub fn find<'v>(&self, root: &'v Value) -> Result<Option<&'v Value>, SeveralValues> {
        self.query.query(root).at_most_one().map_err(|several| SeveralValues(several.0))
    }
}

/// How deep a path may nest `[…]` and `(…)`. The parser descends recursively, and a
/// playbook's path (or a fuzzer's) of a thousand `(` would overflow the stack, which
/// aborts the process: a path that deep is refused before it reaches the parser.
const MAX_NESTING: usize = 32;

/// How deep filters may nest (`[?@.a[?@.b]]` is two). The parser's time doubles with every
/// level (9 levels: 20 ms; 31: hours), and a health check needs one, rarely two.
const MAX_FILTER_NESTING: usize = 4;

/// How deeply a path nests brackets and parentheses, and filters among them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Nesting {
    deepest: usize,
    deepest_filters: usize,
}

impl Nesting {
    /// Counts outside quoted names; a filter is a `[` whose first visible character is `?`.
    fn of(text: &str) -> Nesting {
        let mut nesting = Nesting::default();
        let mut open_is_filter: Vec<bool> = Vec::new();
        let mut open_filters = 0;
        let (mut quote, mut previous) = (None, None);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(_), '\\') => {
                    chars.next();
                }
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => {
                    open_is_filter.push(false);
                    nesting.deepest = nesting.deepest.max(open_is_filter.len());
                }
                (None, ']' | ')') => {
                    if open_is_filter.pop() == Some(true) {
                        open_filters -= 1;
                    }
                }
                (None, '?') if previous == Some('[') => {
                    if let Some(is_filter) = open_is_filter.last_mut().filter(|is| !**is) {
                        *is_filter = true;
                        open_filters += 1;
                        nesting.deepest_filters = nesting.deepest_filters.max(open_filters);
                    }
                }
                (None, _) => {}
            }
            if !c.is_whitespace() {
                previous = Some(c);
            }
        }
        nesting
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
        assert_eq!(JsonPath::parse("$.status").unwrap().find(&doc), Ok(Some(&json!("UP"))));
        assert_eq!(JsonPath::parse("$.checks[0].name").unwrap().find(&doc), Ok(Some(&json!("db"))));
        assert_eq!(JsonPath::parse("$.checks[-1].ok").unwrap().find(&doc), Ok(Some(&json!(true))));
        assert_eq!(JsonPath::parse("$['a.b']").unwrap().find(&doc), Ok(Some(&json!(3))));
        assert_eq!(JsonPath::parse("$").unwrap().find(&doc), Ok(Some(&doc)));
        assert_eq!(JsonPath::parse("$.missing").unwrap().find(&doc), Ok(None));
        assert!(JsonPath::parse("status").is_err());
        assert!(JsonPath::parse("$.").is_err());
        assert!(JsonPath::parse("$[x]").is_err());
    }

    /// Every form the pre-RFC parser accepted still selects what it selected then.
    #[test]
    fn the_old_forms_select_what_they_did() {
        let doc = json!({
            "foo-bar": 1, "0": 2, "@timestamp": 3, "it's": 4, "a\\b": 5, "sp ace": 6,
            "items": [10, 20, 30], "*": 7
        });
        let cases = [
            ("$.foo-bar", json!(1)),
            ("$.0", json!(2)),
            ("$.@timestamp", json!(3)),
            ("$['it's']", json!(4)),
            ("$[\"it's\"]", json!(4)),
            ("$['a\\b']", json!(5)),
            ("$.sp ace", json!(6)),
            ("$[ 'sp ace' ]", json!(6)),
            ("  $.items[1]  ", json!(20)),
            ("$.items[+1]", json!(20)),
            ("$.items[01]", json!(20)),
            ("$.items[ -1 ]", json!(30)),
            ("$['items'][0]", json!(10)),
            ("$.*", json!(7)),
        ];
        for (text, expected) in cases {
            let path = JsonPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(path.find(&doc), Ok(Some(&expected)), "{text}");
        }
        assert_eq!(JsonPath::parse("$.items[99999999999999999]").unwrap().find(&doc), Ok(None));
    }

    #[test]
    fn filters_select_one_entry_and_several_is_an_error() {
        let doc = json!({"checks": [
            {"name": "db", "status": "ok"}, {"name": "cache", "status": "down"}, {"name": "queue", "status": "ok"}
        ]});
        let db = JsonPath::parse("$.checks[?(@.name=='db')].status").unwrap();
        assert_eq!(db.find(&doc), Ok(Some(&json!("ok"))));
        let cache = JsonPath::parse("$.checks[?@.name == \"cache\"].status").unwrap();
        assert_eq!(cache.find(&doc), Ok(Some(&json!("down"))));
        let none = JsonPath::parse("$.checks[?@.name=='nope'].status").unwrap();
        assert_eq!(none.find(&doc), Ok(None));
        let ok = JsonPath::parse("$.checks[?@.status=='ok'].name").unwrap();
        assert_eq!(ok.find(&doc), Err(SeveralValues(2)));
        assert_eq!(JsonPath::parse("$.checks[*]").unwrap().find(&doc), Err(SeveralValues(3)));
    }

    #[test]
    fn an_invalid_path_says_where() {
        let error = JsonPath::parse("$.checks[?@.name=='db'").unwrap_err().to_string();
        assert_eq!(error, "at position 22, in long-hand segment, expected closing ']'");
        assert_eq!(JsonPath::parse("$.disk[").unwrap_err().to_string(), "`[` is not understood (at position 6)");
        assert_eq!(JsonPath::parse("status").unwrap_err().to_string(), "it must start with `$`");
    }

    #[test]
    fn a_path_nested_too_deep_is_refused_before_the_parser_overflows_or_stalls() {
        let nested = |depth: usize| format!("$[?{}@.a{}]", "(".repeat(depth), ")".repeat(depth));
        assert!(JsonPath::parse(&nested(MAX_NESTING - 1)).is_ok());
        let error = JsonPath::parse(&nested(100_000)).unwrap_err().to_string();
        assert_eq!(error, "it nests brackets and parentheses deeper than 32");
        let filters = |depth: usize| format!("$[?{}@.a{}]", "@[ ?".repeat(depth), "]".repeat(depth));
        assert!(JsonPath::parse(&filters(MAX_FILTER_NESTING - 1)).is_ok());
        let error = JsonPath::parse(&filters(MAX_FILTER_NESTING)).unwrap_err().to_string();
        assert_eq!(error, "it nests filters deeper than 4");
        assert!(matches!(JsonPath::parse(&filters(100_000)), Err(InvalidJsonPath::TooDeep)));
        assert!(JsonPath::parse(&format!("$['{}']", "(".repeat(1000))).is_ok(), "quoted names do not nest");
    }

    #[test]
    fn expected_values_compare_loosely() {
        assert!(matches_expected(&json!("UP"), &json!("UP")));
        assert!(matches_expected(&json!(1), &json!(1.0)));
        assert!(matches_expected(&json!("1"), &json!(1)));
        assert!(!matches_expected(&json!("UP"), &json!("DOWN")));
    }
}
