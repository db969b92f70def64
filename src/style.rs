//! Terminal styling: colour only on a TTY, and never when `NO_COLOR` is set.
//!
//! A [`Style`] is decided once per stream and passed down; nothing else in runner writes
//! escape codes.

use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// No escape codes at all.
    pub fn plain() -> Self {
        Style { colour: false }
    }

    /// Colour when `stream` is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stream(stream: &impl IsTerminal) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style { colour: !no_color && stream.is_terminal() }
    }

    pub fn for_stdout() -> Self {
        Self::for_stream(&std::io::stdout())
    }

    pub fn for_stderr() -> Self {
        Self::for_stream(&std::io::stderr())
    }

    pub fn is_colour(&self) -> bool {
        self.colour
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn error(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn warning(&self, text: &str) -> String {
        self.paint("1;33", text)
    }
    pub fn ok(&self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }
    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }
    pub fn magenta(&self, text: &str) -> String {
        self.paint("35", text)
    }
    pub fn cyan(&self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// Text from the outside world (command output, log lines, server replies) made safe for
/// a terminal: control characters other than newline and tab are written out as text
/// (ESC as `\x1b`, a C1 control as `\x9b`), so a hostile log line cannot move the
/// cursor, clear the screen or set the window title when a result is printed, and a
/// reader (in a terminal, a report or the status page) still sees which byte it was —
/// where `�` would say only that something was there.
pub fn printable(text: String) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_written_out_and_the_rest_kept() {
        assert_eq!(super::printable("\u{1b}[31mred\u{1b}[0m".into()), "\\x1b[31mred\\x1b[0m");
        assert_eq!(super::printable("a\rb\u{7f}\u{9b}c\td\ne".into()), "a\\x0db\\x7f\\x9bc\td\ne");
        assert_eq!(super::printable("plain ünïcode".into()), "plain ünïcode");
    }
}
