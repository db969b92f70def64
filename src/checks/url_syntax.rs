//! A check's URL must parse once `${ENV}` is in it: a password with reserved characters
//! (`p@ss:w/rd%`) breaks it, and unnoticed it would fail only at run time, looking like
//! the service was down. The URL is never printed: its credentials may be secret.

use super::rules::KindRules;
use crate::playbook::Span;
use crate::playbook::values::Text;

/// Reports `url` when it does not parse. `other_way` says where else a password goes
/// (`` `password:` `` for redis).
pub fn check_parses(url: &Text, other_way: &str, rules: &mut KindRules<'_>) {
    if url.is_valid() {
        check_written_parses(url.as_str(), url.span(), other_way, rules);
    }
}

/// [`check_parses`] for a URL held as a secret (`postgres.url`): the text and its place.
pub fn check_written_parses(url: &str, span: Span, other_way: &str, rules: &mut KindRules<'_>) {
    let Err(error) = reqwest::Url::parse(url) else { return };
    if has_credentials(url) {
        rules.error(
            span,
            format!(
                "the URL does not parse ({error}): a password with reserved characters (@ : / % # ?) must be percent-encoded in a URL, or given in {other_way}"
            ),
            "percent-encode the password where it is set (`@` is `%40`, `:` `%3A`, `/` `%2F`, `%` `%25`), or move it out of the URL",
        );
    } else {
        rules.error(span, format!("the URL does not parse ({error})"), "check the host, the port and the path");
    }
}

/// True when the URL has a `user:password@` part (an `@` after the scheme).
fn has_credentials(url: &str) -> bool {
    url.split_once("://").is_some_and(|(_, rest)| rest.contains('@'))
}
