//! Where a value sits in its playbook file.
//!
//! Every value that validation may complain about carries a [`Span`], so that a diagnostic
//! can say `file:line:col` and underline the right token. This module owns only the
//! coordinate type and its conversion from serde-saphyr's locations.

use serde::Serialize;

/// A 1-based line and column, and the length of the token in characters (0 = unknown).
/// `line == 0` means "no location known" (a value built in code, not read from a file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    #[serde(skip)]
    pub len: u32,
}

impl Span {
    pub const UNKNOWN: Span = Span { line: 0, col: 0, len: 0 };

    pub fn new(line: u32, col: u32, len: u32) -> Self {
        Span { line, col, len }
    }

    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    /// A span `offset` characters further along the same line (for pointing inside a
    /// string, e.g. at a `${VAR}`), with a new length.
    pub fn shifted(&self, offset: u32, len: u32) -> Span {
        Span { line: self.line, col: self.col + offset, len }
    }
}

impl From<serde_saphyr::Location> for Span {
    fn from(location: serde_saphyr::Location) -> Self {
        let line = u32::try_from(location.line()).unwrap_or(0);
        let col = u32::try_from(location.column()).unwrap_or(0);
        let len = u32::try_from(location.span().len()).unwrap_or(0);
        Span { line, col, len }
    }
}
