//! What a kind's validation rules see and write to: the check being validated, where it
//! sits, the ids of the playbook's checks, and the list of findings.
//!
//! `playbook::validate` builds one per check and hands it to the check's kind
//! ([`super::CheckKind::validate`]); every finding carries the check's path.

use std::path::Path;

use crate::playbook::values::Dur;
use crate::playbook::{Check, Diagnostic, Span};

pub struct KindRules<'a> {
    /// The check whose kind is validated (for its id, thresholds, retries…).
    pub check: &'a Check,
    /// The name of the playbook the check is in.
    pub playbook_name: &'a str,
    /// The playbook's folder, against which relative paths resolve.
    pub playbook_dir: &'a Path,
    /// The ids of every check of the playbook, in order.
    pub check_ids: &'a [&'a str],
    path: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> KindRules<'a> {
    pub fn new(
        check: &'a Check,
        path: &'a str,
        (playbook_name, playbook_dir): (&'a str, &'a Path),
        check_ids: &'a [&'a str],
        out: &'a mut Vec<Diagnostic>,
    ) -> Self {
        KindRules { check, playbook_name, playbook_dir, check_ids, path, out }
    }

    /// An error with a hint; a span the loader could not locate points at the check's id.
    pub fn error(&mut self, span: Span, message: impl Into<String>, hint: &str) {
        let span = if span.is_known() { span } else { self.check.id.span() };
        let diagnostic = self.push(Diagnostic::error(span, message));
        diagnostic.hint = Some(hint.to_string());
    }

    /// A warning; set its `hint` on the returned diagnostic when there is one.
    pub fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Diagnostic::warning(span, message))
    }

    /// The duration under `key`, when given, must be more than zero.
    pub fn positive(&mut self, key: &str, duration: Option<&Dur>) {
        if let Some(diagnostic) = crate::playbook::validate::zero_duration(key, duration) {
            self.push(diagnostic);
        }
    }

    /// `what` (e.g. "a command") must have exactly one of the keys `first` and
    /// `second`; each comes with whether it is written.
    pub fn exactly_one_of(&mut self, what: &str, first: (&str, bool), second: (&str, bool), hint: &str) {
        let id = self.check.id.span();
        let ((a, has_a), (b, has_b)) = (first, second);
        match (has_a, has_b) {
            (true, true) => self.error(id, format!("{what} has `{a}` or `{b}`, not both"), hint),
            (false, false) => self.error(id, format!("{what} needs `{a}` or `{b}`"), hint),
            _ => {}
        }
    }

    fn push(&mut self, mut diagnostic: Diagnostic) -> &mut Diagnostic {
        diagnostic.path = Some(self.path.to_string());
        self.out.push(diagnostic);
        self.out.last_mut().expect("just pushed")
    }
}
