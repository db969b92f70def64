//! Secrets: a value type that never prints, and the scrubber that knows every loaded
//! secret value.
//!
//! Two layers keep secrets out of output. [`Secret`] makes the obvious path safe: its
//! `Debug`, `Display` and `Serialize` all print `***`, so a secret field cannot leak through
//! a `{:?}` or a JSON dump of the config. But library errors (a reqwest error carries its
//! URL), command output and server replies can still contain a secret's *value*, so every
//! text that leaves the process or enters the store also passes [`scrub`], which replaces
//! each registered value (and its percent-encoded spelling) with `***`.
//!
//! This module owns the process-wide registry of secret values. It must not know where
//! secrets come from (the playbook loader registers them) nor where text goes.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

/// What a secret prints as, everywhere.
pub const MASK: &str = "***";

/// Values shorter than this are not scrubbed: replacing every `a` in the output would make
/// it unreadable and protect nothing (a two-letter secret is not a secret).
pub const MIN_SCRUB_LEN: usize = 3;

static REGISTRY: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret value so that [`scrub`] masks it from now on. Empty and very short
/// values are ignored (see [`MIN_SCRUB_LEN`]). The percent-encoded spelling is registered
/// too, because secrets travel inside URLs.
pub fn register(value: &str) {
    if value.chars().count() < MIN_SCRUB_LEN {
        return;
    }
    let encoded = percent_encode(value);
    {
        // Most registrations repeat a known value: check under the read lock first.
        let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if registry.iter().any(|s| s == value) && (encoded == value || registry.contains(&encoded)) {
            return;
        }
    }
    let mut registry = REGISTRY.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    for spelling in [value.to_string(), encoded] {
        if !registry.contains(&spelling) {
            registry.push(spelling);
        }
    }
    // Longest first, so that a secret containing another secret is masked whole.
    registry.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every registered secret value in `text` with `***`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    if registry.is_empty() || !registry.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for secret in registry.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// [`scrub`], owned.
pub fn scrub_owned(text: String) -> String {
    match scrub(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

/// The first `max_chars` characters of `text`, scrubbed. The scrub comes first: cutting
/// first could split a secret and leave a prefix that the scrubber no longer recognises.
pub fn scrub_and_cut(text: &str, max_chars: usize) -> String {
    scrub(text).chars().take(max_chars).collect()
}

/// For text that a reader cut off without seeing what followed (a 64 KiB capture): masks
/// an ending that is the start of a secret, which [`scrub`] cannot recognise. Any length
/// counts, because the part that was not kept may be the rest of the secret.
pub fn mask_cut_end(text: &str) -> Cow<'_, str> {
    let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    // The longest ending wins: registry order is longest secret first, but a shorter
    // secret can share a longer ending, so look at every one.
    let mut longest = 0;
    for secret in registry.iter() {
        let most = (secret.len() - 1).min(text.len());
        if let Some(k) = (1..=most).rev().find(|&k| secret.is_char_boundary(k) && text.ends_with(&secret[..k])) {
            longest = longest.max(k);
        }
    }
    if longest == 0 {
        return Cow::Borrowed(text);
    }
    Cow::Owned(format!("{}{MASK}", &text[..text.len() - longest]))
}

/// True when no secret has been registered (lets hot paths skip work).
pub fn registry_is_empty() -> bool {
    REGISTRY.read().map(|r| r.is_empty()).unwrap_or(false)
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A secret string: usable by the code that needs it (`expose`), invisible everywhere else.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value and registers it with the scrubber.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// The real value. Call this only where the value is handed to the thing that needs it
    /// (an AUTH command, an HTTP request), never to build text for people.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// An empty secret switches off what it configures (no AUTH, channel off).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_cut_in_half_is_masked() {
        register("tokABCDEFGH-cut-canary");
        // Cut inside: the scrubber cannot see it, the cut-end mask can.
        assert_eq!(mask_cut_end("output: 0000tokABCDEF"), "output: 0000***");
        assert_eq!(mask_cut_end("output: plain"), "output: plain");
        // Cutting after scrubbing never leaves a prefix.
        assert_eq!(scrub_and_cut("0000tokABCDEFGH-cut-canary and more", 7), "0000***");
        assert_eq!(scrub_and_cut("0000tokABCDEFGH-cut-canary", 9), "0000***");
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-canary");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"***\"");
        assert_eq!(s.expose(), "hunter2-canary");
    }

    #[test]
    fn scrub_masks_plain_and_percent_encoded() {
        register("p@ss/word-canary");
        assert_eq!(scrub("auth p@ss/word-canary failed"), "auth *** failed");
        assert_eq!(scrub("redis://u:p%40ss%2Fword-canary@h"), "redis://u:***@h");
        assert_eq!(scrub("nothing here"), "nothing here");
    }
}
