//! Reading past an unquoted value that YAML cannot read (`> 80`, `{{ vars.x }}`,
//! `@daily`, `*/5 * * * *`): the value is quoted in a copy of the source, so that the rest
//! of the file can be parsed and checked, and every position found in the copy is mapped
//! back to where it is in the file as written. This module owns the copy and that
//! mapping; which errors are such values is the loader's call.

use super::span::Span;

/// A copy of a playbook's source with some values quoted.
pub struct Requoted {
    pub text: String,
    /// In the order they were made; each in the coordinates of the copy it was made on.
    edits: Vec<Edit>,
}

/// One value quoted on one line: it started at column `start` and grew from `old_len` to
/// `new_len` characters.
struct Edit {
    line: u32,
    start: u32,
    old_len: u32,
    new_len: u32,
}

impl Requoted {
    pub fn new(text: &str) -> Self {
        Requoted { text: text.to_string(), edits: Vec::new() }
    }

    /// Quotes the value that starts at `span` (or after it, past blanks). False when
    /// there is nothing there to quote (then quoting would not get the parse any further).
    pub fn quote_at(&mut self, span: Span) -> bool {
        let Some(index) = (span.line as usize).checked_sub(1) else { return false };
        let mut lines: Vec<String> = self.text.split('\n').map(str::to_string).collect();
        let Some(line) = lines.get(index) else { return false };
        let chars: Vec<char> = line.chars().collect();
        let mut start = span.col.saturating_sub(1) as usize;
        while chars.get(start).is_some_and(|c| *c == ' ') {
            start += 1;
        }
        let end = value_end(&chars, start);
        if end <= start || matches!(chars[start], '\'' | '"') {
            return false;
        }
        let value: String = chars[start..end].iter().collect();
        let quoted = format!("'{}'", value.replace('\'', "''"));
        let edit = Edit {
            line: span.line,
            start: start as u32 + 1,
            old_len: (end - start) as u32,
            new_len: quoted.chars().count() as u32,
        };
        let before: String = chars[..start].iter().collect();
        let after: String = chars[end..].iter().collect();
        lines[index] = format!("{before}{quoted}{after}");
        self.text = lines.join("\n");
        self.edits.push(edit);
        true
    }

    /// Where a position in the copy is in the file as written: after a quoted value it
    /// moves back by the quotes' width; inside one it is the value's start.
    pub fn original(&self, mut span: Span) -> Span {
        for edit in self.edits.iter().rev().filter(|edit| edit.line == span.line) {
            if span.col >= edit.start + edit.new_len {
                span.col -= edit.new_len - edit.old_len;
            } else if span.col > edit.start {
                span.col = edit.start;
            }
        }
        span
    }
}

/// Where the plain value starting at `start` ends: in a flow collection (`{…}`, `[…]`) at
/// its next `,`, `]` or `}` (past a leading `{{ … }}`, whose braces are the value's);
/// else at a comment or the line's end. Trailing blanks are not part of it.
pub(super) fn value_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    if chars[start..].starts_with(&['{', '{']) {
        let closing = (start + 2..chars.len().saturating_sub(1)).find(|&i| chars[i] == '}' && chars[i + 1] == '}');
        if let Some(closing) = closing {
            end = closing + 2;
        }
    }
    let depth: i32 = chars[..start]
        .iter()
        .map(|c| match c {
            '[' | '{' => 1,
            ']' | '}' => -1,
            _ => 0,
        })
        .sum();
    while end < chars.len() {
        let c = chars[end];
        let ends_flow_item = depth > 0 && matches!(c, ',' | ']' | '}');
        let starts_comment = c == '#' && end > start && chars[end - 1] == ' ';
        if ends_flow_item || starts_comment {
            break;
        }
        end += 1;
    }
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_a_flow_value_and_maps_positions_back() {
        let mut copy = Requoted::new("a: 1\nt: {crit: > 0, warn: x}\n");
        assert!(copy.quote_at(Span::new(2, 11, 1)));
        assert_eq!(copy.text, "a: 1\nt: {crit: '> 0', warn: x}\n");
        assert_eq!(copy.original(Span::new(2, 18, 4)), Span::new(2, 16, 4), "after the value");
        assert_eq!(copy.original(Span::new(2, 12, 1)), Span::new(2, 11, 1), "inside the value");
        assert_eq!(copy.original(Span::new(2, 5, 1)), Span::new(2, 5, 1), "before the value");
        assert_eq!(copy.original(Span::new(1, 18, 1)), Span::new(1, 18, 1), "another line");
    }

    #[test]
    fn quotes_a_template_whole_and_a_block_value_to_its_comment() {
        let mut copy = Requoted::new("run: [echo, {{ vars.x }}]\nwhen: > 80 # high\nurl: {{ vars.u }}/health\n");
        assert!(copy.quote_at(Span::new(1, 13, 0)));
        assert!(copy.quote_at(Span::new(2, 7, 0)));
        assert!(copy.quote_at(Span::new(3, 6, 0)));
        assert_eq!(copy.text, "run: [echo, '{{ vars.x }}']\nwhen: '> 80' # high\nurl: '{{ vars.u }}/health'\n");
        assert!(!copy.quote_at(Span::new(2, 7, 0)), "a quoted value is not quoted again");
    }
}
