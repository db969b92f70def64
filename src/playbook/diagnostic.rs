//! Diagnostics: what `runner validate` says about a playbook, and how it says it.
//!
//! A [`Diagnostic`] is one finding (error or warning) at a [`Span`], with an optional
//! logical path (`phases[1].checks[2] "api"`) and hint. Rendering follows rustc and just:
//!
//! ```text
//! playbooks/heartbeat.yaml:12:5: error: unknown key `timout`
//!    |
//! 12 |     timout: 3s
//!    |     ^^^^^^
//!    = in: checks[0] "redis"
//!    = hint: did you mean `timeout`?
//! ```
//!
//! This module owns the shape and the rendering; it does not decide what is wrong.

use serde::Serialize;

use super::span::Span;
use crate::style::Style;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One finding about a playbook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    #[serde(flatten)]
    pub span: Span,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Error, span, message: message.into(), path: None, hint: None }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Warning, span, message: message.into(), path: None, hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// Renders this diagnostic for a human: `file:line:col: level: message`, the source line
    /// with a caret under the offending token, and the hint.
    pub fn render(&self, file: &str, source: &str, style: Style) -> String {
        let mut out = String::new();
        let level = match self.level {
            Level::Error => style.error("error"),
            Level::Warning => style.warning("warning"),
        };
        let location = if self.span.is_known() {
            format!("{file}:{}:{}", self.span.line, self.span.col)
        } else {
            file.to_string()
        };
        let message = self.message.clone();
        out.push_str(&format!("{}: {level}: {}\n", style.bold(&location), style.bold(&message)));

        let line_text = if self.span.is_known() { source.lines().nth(self.span.line as usize - 1) } else { None };
        let gutter_width = self.span.line.to_string().len();
        let pad = " ".repeat(gutter_width);
        if let Some(line_text) = line_text {
            let (shown, column) = window(&printable(line_text), self.span.col.max(1) as usize - 1);
            // Copy the line's own whitespace in front of the caret so that tabs line up.
            let lead: String = shown.chars().take(column).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            let width = caret_width(&shown, column, self.span.len as usize);
            out.push_str(&format!("{pad} {}\n", style.dim("|")));
            out.push_str(&format!("{} {} {shown}\n", style.dim(&self.span.line.to_string()), style.dim("|")));
            let carets = "^".repeat(width);
            let carets = match self.level {
                Level::Error => style.error(&carets),
                Level::Warning => style.warning(&carets),
            };
            out.push_str(&format!("{pad} {} {lead}{carets}\n", style.dim("|")));
        }
        if let Some(path) = &self.path {
            out.push_str(&format!("{pad} = {}: {path}\n", style.bold("in")));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{pad} = {}: {hint}\n", style.bold("hint")));
        }
        out
    }
}

/// Control characters (binary garbage) are shown as `�` so a terminal never receives them.
fn printable(line: &str) -> String {
    line.chars().map(|c| if c.is_control() && c != '\t' { '\u{FFFD}' } else { c }).collect()
}

/// At most 120 characters of a long line, around the column, with `…` where cut. Returns
/// the text and the column within it.
fn window(line: &str, column: usize) -> (String, usize) {
    const WIDTH: usize = 120;
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.to_string(), column);
    }
    let start = column.saturating_sub(WIDTH / 2).min(chars.len().saturating_sub(WIDTH));
    let end = (start + WIDTH).min(chars.len());
    let mut text = String::new();
    let mut shift = 0;
    if start > 0 {
        text.push('…');
        shift = 1;
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push('…');
    }
    (text, column - start + shift)
}

/// How many carets: the span's own length when it stays on this line, otherwise the token
/// under the column (up to whitespace or YAML punctuation), at least one.
fn caret_width(line: &str, column: usize, span_len: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column).collect();
    if span_len > 0 && span_len <= rest.len() {
        return span_len;
    }
    let token = rest.iter().take_while(|c| !c.is_whitespace() && !matches!(c, ':' | ',' | ']' | '}')).count();
    token.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_caret_and_hint() {
        let source = "checks:\n  - id: a\n    timout: 3s\n";
        let d = Diagnostic::error(Span::new(3, 5, 0), "unknown key `timout`")
            .with_path("checks[0] \"a\"")
            .with_hint("did you mean `timeout`?");
        let text = d.render("p.yaml", source, Style::plain());
        assert_eq!(
            text,
            "p.yaml:3:5: error: unknown key `timout`\n  |\n3 |     timout: 3s\n  |     ^^^^^^\n  = in: checks[0] \"a\"\n  = hint: did you mean `timeout`?\n"
        );
    }
}
