//! Check output made fit for a page: every character visible as what it is. Terminal
//! escapes and other control characters are written as text in their escaped form (ESC
//! shows as `\x1b`: the Control Pictures block, `␛`, is missing from common fonts such as
//! DejaVu, and a browser would draw a replacement box),
//! bidirectional overrides are named (they would reorder the text around them), and a
//! message longer than [`LIMIT`] is cut with a note saying how much was left out. HTML
//! escaping is minijinja's (auto-escape is on for every page template); this is the part
//! escaping does not do.

/// The most characters of one message a page shows.
pub const LIMIT: usize = 4_096;

/// `text` with control characters made visible and cut at [`LIMIT`].
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(LIMIT + 64));
    for (shown, (offset, c)) in text.char_indices().enumerate() {
        if shown == LIMIT {
            let rest = text.len() - offset;
            out.push_str(&format!(" … [cut: {rest} more bytes]"));
            break;
        }
        match c {
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_shown_and_long_lines_cut() {
        assert_eq!(visible("\u{1b}[31mred\u{1b}[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(visible("a\u{202e}b\rc\u{7f}\u{0}"), "a<U+202E>b\\x0dc\\x7f\\x00");
        assert_eq!(visible("tab\tand\nline"), "tab\tand\nline");
        let long = "x".repeat(1_000_000);
        let shown = visible(&long);
        assert!(shown.starts_with(&"x".repeat(LIMIT)));
        assert!(shown.ends_with(&format!("[cut: {} more bytes]", 1_000_000 - LIMIT)), "{}", &shown[LIMIT..]);
    }
}
