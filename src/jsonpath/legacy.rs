//! The JSON path grammar runner accepted before it used an RFC 9535 parser, rewritten into
//! RFC 9535 so that playbooks written against it keep selecting what they selected.
//!
//! The old grammar was `$` followed by `.key` (any characters up to the next `.` or `[`),
//! `['key']` / `["key"]` (taken literally, no escapes) and `[index]` (any `i64`, `+1` and
//! `01` included). RFC 9535 rejects some of these (dotted names that are not identifiers:
//! `$.foo-bar`, `$.0`, `$.@timestamp`; quoted names holding their own quote: `['it's']`;
//! indices with a sign or leading zeros) and reads a few others differently (`$.*` is a
//! wildcard, not the key `*`; a backslash in a quoted name starts an escape; whitespace
//! before `.`/`[` is insignificant, not part of the key). So a path the old grammar
//! accepts is rewritten with every step in bracket form (`$['foo-bar'][1]`), which RFC
//! 9535 reads as the old parser did; anything else (filters, wildcards, slices, `..`) goes
//! to the RFC parser as written. No library offers this compatibility, so it stays ours.

/// The largest index RFC 9535 accepts (I-JSON's exact integer range). A larger one
/// selected nothing in the old parser either, since no array is that long.
const MAX_INDEX: i64 = (1 << 53) - 1;

/// The RFC 9535 spelling of a path in the old grammar, or `None` when the old grammar
/// rejects it too.
pub fn to_rfc9535(text: &str) -> Option<String> {
    let mut rest = text.strip_prefix('$')?;
    let mut rfc = String::from("$");
    while let Some(first) = rest.chars().next() {
        rest = match first {
            '.' => {
                let key_len = rest[1..].find(['.', '[']).unwrap_or(rest.len() - 1);
                if key_len == 0 {
                    return None;
                }
                push_name(&mut rfc, &rest[1..1 + key_len]);
                &rest[1 + key_len..]
            }
            '[' => {
                let close = rest.find(']')?;
                push_bracketed(&mut rfc, rest[1..close].trim())?;
                &rest[close + 1..]
            }
            _ => return None,
        };
    }
    Some(rfc)
}

/// A `['quoted']` name or an `[index]`, as the old parser read what was between brackets.
fn push_bracketed(rfc: &mut String, inner: &str) -> Option<()> {
    let quoted = ['\'', '"'].into_iter().find_map(|quote| inner.strip_prefix(quote)?.strip_suffix(quote));
    match quoted {
        Some(name) => push_name(rfc, name),
        None => {
            let index: i64 = inner.parse().ok()?;
            rfc.push_str(&format!("[{}]", index.clamp(-MAX_INDEX, MAX_INDEX)));
        }
    }
    Some(())
}

/// A name selector in single quotes, escaped as RFC 9535 requires.
fn push_name(rfc: &mut String, name: &str) {
    rfc.push_str("['");
    for c in name.chars() {
        match c {
            '\\' => rfc.push_str("\\\\"),
            '\'' => rfc.push_str("\\'"),
            c if u32::from(c) < 0x20 => rfc.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => rfc.push(c),
        }
    }
    rfc.push_str("']");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_forms_are_spelled_in_brackets() {
        assert_eq!(to_rfc9535("$.foo-bar[+1]").as_deref(), Some("$['foo-bar'][1]"));
        assert_eq!(to_rfc9535("$['it's'][01]").as_deref(), Some("$['it\\'s'][1]"));
        assert_eq!(to_rfc9535(r#"$["a\b"]"#).as_deref(), Some(r"$['a\\b']"));
        assert_eq!(to_rfc9535("$[99999999999999999]").as_deref(), Some("$[9007199254740991]"));
        assert_eq!(to_rfc9535("$"), Some("$".to_string()));
    }

    #[test]
    fn what_the_old_parser_rejected_stays_rejected() {
        for text in ["status", "$.", "$..a", "$[x]", "$[0", "$ .a", "$.a[*]"] {
            assert_eq!(to_rfc9535(text), None, "{text}");
        }
    }
}
