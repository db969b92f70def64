//! Secrets: a value type that never prints, and the scrubber that knows every loaded
//! secret value.
//!
//! Two layers keep secrets out of output. [`Secret`] makes the obvious path safe: its
//! `Debug`, `Display` and `Serialize` all print `***`, so a secret field cannot leak through
//! a `{:?}` or a JSON dump of the config. But library errors (a reqwest error carries its
//! URL), command output and server replies can still contain a secret's *value*, so every
//! text that leaves the process or enters the store also passes [`scrub`], which replaces
//! each registered value, in every spelling it travels in (percent-encoded, JSON-escaped,
//! inside a Basic auth header), with `***`. The spellings are worked out once, when a value
//! is registered, and compiled into one matcher: scrubbing is on the run's hot path.
//!
//! This module owns the process-wide registry of secret values. It must not know where
//! secrets come from (the playbook loader registers them) nor where text goes.

use std::borrow::Cow;
use std::fmt;
use std::sync::{OnceLock, RwLock};

use aho_corasick::AhoCorasick;

/// What a secret prints as, everywhere.
pub const MASK: &str = "***";

/// Values shorter than this are not scrubbed: replacing every `a` in the output would make
/// it unreadable and protect nothing (a two-letter secret is not a secret).
pub const MIN_SCRUB_LEN: usize = 3;

/// The registered spellings, and a matcher built from them at the first scrub after a
/// registration: the run path scrubs every output string, so a scrub is one pass over the
/// text, however many spellings there are, and a playbook with many secrets builds the
/// matcher once, not once per secret.
struct Registry {
    /// Longest first (see [`mask_cut_end`]).
    spellings: Vec<String>,
    /// `None` inside: the spellings are searched one by one (see [`build_matcher`]).
    matcher: OnceLock<Option<AhoCorasick>>,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry { spellings: Vec::new(), matcher: OnceLock::new() });

/// Up to this many spellings (a few secrets), each is looked for on its own: building an
/// automaton costs more instructions than a whole heartbeat's scrubbing (measured with
/// callgrind: ~130k for one secret), and the texts scrubbed are short.
const SPELLINGS_SEARCHED_ONE_BY_ONE: usize = 24;

/// The matcher of `spellings`, when there are enough of them to pay for it. A
/// non-contiguous NFA: the texts scrubbed are short (a message, a line of output), where
/// it searches about as fast as a DFA, and it builds in a fraction of the instructions.
fn build_matcher(spellings: &[String]) -> Option<AhoCorasick> {
    if spellings.len() <= SPELLINGS_SEARCHED_ONE_BY_ONE {
        return None;
    }
    AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA)).build(spellings).ok()
}

fn read_registry() -> std::sync::RwLockReadGuard<'static, Registry> {
    REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers a secret value so that [`scrub`] masks it from now on. Empty and very short
/// values are ignored (see [`MIN_SCRUB_LEN`]). Other spellings of the value are registered
/// too (see [`spellings`]): percent-encoded (secrets travel inside URLs), JSON-escaped, and
/// for a URL the parts of it that a server may echo on their own.
pub fn register(value: &str) {
    if value.chars().count() < MIN_SCRUB_LEN {
        return;
    }
    let spellings = spellings(value);
    // Most registrations repeat a known value: check under the read lock first.
    {
        let registry = read_registry();
        if spellings.iter().all(|s| registry.spellings.contains(s)) {
            return;
        }
    }
    let mut registry = REGISTRY.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    for spelling in spellings {
        if !registry.spellings.contains(&spelling) {
            registry.spellings.push(spelling);
        }
    }
    registry.spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    // Standard semantics (the builder's default) report overlapping matches, so that text
    // covered by any spelling is masked even where two secrets overlap.
    registry.matcher = OnceLock::new();
}

/// Every spelling of a secret value that must be masked: the value, its percent-encoded
/// ([`url_encodings`]) and JSON-escaped spellings, and, when it is a URL, the parts that
/// leave on their own (see [`url_parts`]) with their own spellings. Spellings shorter than
/// [`MIN_SCRUB_LEN`] are left out.
pub fn spellings(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let add = |text: &str, out: &mut Vec<String>| {
        if text.chars().count() < MIN_SCRUB_LEN {
            return;
        }
        let encoded = url_encodings(text).into_iter().chain(base64_pieces(text));
        for spelling in [text.to_string(), json_escape(text), json_escape_ascii(text)].into_iter().chain(encoded) {
            if !out.contains(&spelling) {
                out.push(spelling);
            }
        }
    };
    add(value, &mut out);
    for part in url_parts(value) {
        add(&part, &mut out);
    }
    out
}

/// How one encoder writes a byte: kept as it is, or `%XX` (a space may be `+`).
struct UrlEncoding {
    keeps: fn(u8) -> bool,
    space_as_plus: bool,
}

/// The spellings a secret takes inside URLs and forms, as the common encoders write them:
/// RFC 3986 (only unreserved characters kept, `%20`) and its `+` form (Python's
/// `quote_plus`), HTML forms (`application/x-www-form-urlencoded`), and the WHATWG URL
/// parser's query, path and user-info sets (what reqwest sends for a URL written in a
/// playbook, which keeps most punctuation as it is).
const URL_ENCODINGS: [UrlEncoding; 7] = [
    UrlEncoding { keeps: is_unreserved, space_as_plus: false },
    // Python's `urllib.parse.quote` keeps `/` unless told otherwise.
    UrlEncoding { keeps: |b| is_unreserved(b) || b == b'/', space_as_plus: false },
    UrlEncoding { keeps: is_unreserved, space_as_plus: true },
    UrlEncoding { keeps: |b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_'), space_as_plus: true },
    UrlEncoding { keeps: |b| is_whatwg_kept(b, b"\"#<>'"), space_as_plus: false },
    UrlEncoding { keeps: |b| is_whatwg_kept(b, b"\"#<>?`{}"), space_as_plus: false },
    UrlEncoding { keeps: |b| is_whatwg_kept(b, b"\"#<>?`{}/:;=@[\\]^|"), space_as_plus: false },
];

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Printable ASCII other than space and the set's own characters.
fn is_whatwg_kept(byte: u8, encoded: &[u8]) -> bool {
    (0x21..0x7f).contains(&byte) && !encoded.contains(&byte)
}

/// The distinct percent-encoded spellings of `value` that differ from it, with upper- and
/// lowercase hex digits (RFC 3986 prefers uppercase; some encoders write `%2f`).
fn url_encodings(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for encoding in &URL_ENCODINGS {
        let spelling = percent_encode(value, encoding);
        let lowercase = lowercase_escapes(&spelling);
        for spelling in [spelling, lowercase] {
            if spelling != value && !out.contains(&spelling) {
                out.push(spelling);
            }
        }
    }
    out
}

/// `spelling` with the hex digits of its `%XX` escapes in lowercase.
fn lowercase_escapes(spelling: &str) -> String {
    let mut out = String::with_capacity(spelling.len());
    let mut hex_left = 0;
    for c in spelling.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

/// The pieces of Base64 that stand for `value` wherever it sits in an encoded stream (a
/// Basic `user:password` with a user runner never saw, a token in a Base64 blob): Base64
/// encodes groups of three bytes, so for each of the three places the value can start
/// within a group, the encoding of its bytes from the next group boundary on is the same
/// whatever comes before. At most two bytes at each end stay unmasked. Pieces shorter
/// than 8 characters are left out: they would mask chance text.
fn base64_pieces(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    (0..3)
        .filter_map(|skip| {
            let aligned = bytes.get(skip..)?;
            let whole_groups = aligned.len() / 3 * 3;
            (whole_groups >= 6).then(|| base64(&aligned[..whole_groups]))
        })
        .collect()
}

/// A URL scheme of a database or broker client (not the web), whose path names a
/// database or vhost rather than carrying a token.
fn names_a_service(scheme: &str) -> bool {
    const SERVICES: &[&str] = &[
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "redis",
        "rediss",
        "redis+unix",
        "amqp",
        "amqps",
        "mqtt",
        "mqtts",
        "nats",
        "tls",
    ];
    SERVICES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
}

/// A query key that carries a credential (`password`, `sslpassword`, `token`, `auth`…).
fn names_a_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "token", "secret", "auth", "key", "credential"].iter().any(|word| key.contains(word))
}

/// The parts of a URL that carry its secret and can be seen without the rest of it: a
/// server's "Cannot POST /services/T0/B0/XXXX" echoes the path, an `Authorization: Basic`
/// header carries the user-info. For a value that is not a URL, nothing.
///
/// - the path with the query (when longer than a lone word: `/hook` stays readable), except
///   for a database's or broker's URL, whose path is a database name;
/// - a query value whose key names a credential (`?password=…`);
/// - each path segment and query value that looks like a token ([`looks_like_token`]);
/// - the user-info password (and a token-like user name), raw and percent-decoded;
/// - the Base64 of `user:password`, as it travels in a Basic auth header.
pub fn url_parts(value: &str) -> Vec<String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Vec::new();
    };
    let valid_scheme = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return Vec::new();
    }
    let mut parts: Vec<String> = Vec::new();
    let push = |part: String, parts: &mut Vec<String>| {
        if part.chars().count() >= MIN_SCRUB_LEN && part != value && !parts.contains(&part) {
            parts.push(part);
        }
    };
    // Split by hand (the spelling as written), and again as the URL parser normalises it
    // (the spelling that is sent, and echoed).
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let tail = &rest[end..];
    let tail = tail.split('#').next().unwrap_or("");
    let mut tails = vec![tail.to_string()];
    let mut credentials: Vec<(String, Option<String>)> = Vec::new();
    if let Some((user, password)) = userinfo(value) {
        credentials.push((user.to_string(), password.map(str::to_string)));
    }
    if let Ok(url) = reqwest::Url::parse(value) {
        let mut normalised = url.path().to_string();
        if let Some(query) = url.query() {
            normalised.push('?');
            normalised.push_str(query);
        }
        if !tails.contains(&normalised) {
            tails.push(normalised);
        }
        if !url.username().is_empty() || url.password().is_some() {
            credentials.push((url.username().to_string(), url.password().map(str::to_string)));
        }
    }
    for tail in &tails {
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail.as_str(), None),
        };
        // A web URL's path can be the secret (a webhook's token); a database's or a
        // broker's path is its database or vhost, which messages and file names quote.
        if !names_a_service(scheme) && (tail.chars().count() >= 8 || query.is_some()) {
            push(tail.clone(), &mut parts);
            // Servers often echo the path without the query.
            if path.chars().count() >= 8 {
                push(path.to_string(), &mut parts);
            }
        }
        let segments = path.split('/');
        let values =
            query.into_iter().flat_map(|q| q.split('&')).map(|pair| pair.split_once('=').map_or(pair, |(_, v)| v));
        // `?password=…` (libpq, MySQL): a value whose key names a secret, whatever it looks like.
        for (key, value) in query.into_iter().flat_map(|q| q.split('&')).filter_map(|pair| pair.split_once('=')) {
            if names_a_secret_key(key) {
                push(value.to_string(), &mut parts);
                push(percent_decode(value), &mut parts);
            }
        }
        for piece in segments.chain(values) {
            for spelling in [piece.to_string(), percent_decode(piece)] {
                if looks_like_token(&spelling) {
                    push(spelling, &mut parts);
                }
            }
        }
    }
    for (user, password) in credentials {
        let user_plain = percent_decode(&user);
        if looks_like_token(&user_plain) {
            push(user.clone(), &mut parts);
            push(user_plain.clone(), &mut parts);
        }
        if let Some(password) = &password {
            push(password.clone(), &mut parts);
            push(percent_decode(password), &mut parts);
        }
        if password.as_deref().is_some_and(|p| !p.is_empty()) || looks_like_token(&user_plain) {
            let password = password.as_deref().map(percent_decode).unwrap_or_default();
            push(basic_auth(&user_plain, &password), &mut parts);
        }
    }
    parts
}

/// A URL's user-info as written: the user, and the password when there is a `:`.
pub fn userinfo(url: &str) -> Option<(&str, Option<&str>)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    Some(match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    })
}

/// What an `Authorization: Basic` header carries for a URL whose user-info has a
/// password: the Base64 of `user:password`, percent-decoded as clients send them.
pub fn basic_credentials(url: &str) -> Option<String> {
    let (user, password) = userinfo(url)?;
    let password = password.filter(|p| !p.is_empty())?;
    Some(basic_auth(&percent_decode(user), &percent_decode(password)))
}

fn basic_auth(user: &str, password: &str) -> String {
    base64(format!("{user}:{password}").as_bytes())
}

/// Words that URL paths are made of and that stay readable when a URL is a secret.
const COMMON_WORDS: &[&str] = &[
    "api",
    "apis",
    "hook",
    "hooks",
    "webhook",
    "webhooks",
    "services",
    "service",
    "incoming",
    "incoming-webhooks",
    "notify",
    "notifications",
    "alerts",
    "alert",
    "messages",
    "message",
    "channels",
    "channel",
    "health",
    "status",
    "v1",
    "v2",
    "v3",
    "v4",
    "api-v1",
    "api-v2",
];

/// A path segment or query value that is probably a token, not a word: at least 6
/// characters with a digit in them, or at least 16 characters (a common word never is).
pub fn looks_like_token(piece: &str) -> bool {
    let chars = piece.chars().count();
    if chars < MIN_SCRUB_LEN || COMMON_WORDS.iter().any(|w| w.eq_ignore_ascii_case(piece)) {
        return false;
    }
    (chars >= 6 && piece.chars().any(|c| c.is_ascii_digit())) || chars >= 16
}

/// Replaces every registered secret value in `text` with `***` (overlapping ones with one
/// `***` for the whole stretch they cover).
pub fn scrub(text: &str) -> Cow<'_, str> {
    let registry = read_registry();
    if registry.spellings.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut found: Vec<(usize, usize)> = match registry.matcher.get_or_init(|| build_matcher(&registry.spellings)) {
        Some(matcher) if !matcher.is_match(text) => return Cow::Borrowed(text),
        Some(matcher) => matcher.find_overlapping_iter(text).map(|m| (m.start(), m.end())).collect(),
        // A few spellings, or none could be built (beyond aho-corasick's size limits): look
        // for each spelling on its own, never less safe.
        None => registry
            .spellings
            .iter()
            .flat_map(|s| text.match_indices(s.as_str()).map(|(start, _)| (start, start + s.len())))
            .collect(),
    };
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    // A match inside a longer Base64-looking run (a secret's Base64 pieces sit between
    // characters that encode their neighbours, which carry bits of the secret too) masks
    // the whole run: `dTpI***dA==` would still say `u:H…t`.
    for (start, end) in &mut found {
        widen_to_base64_run(text.as_bytes(), start, end);
    }
    found.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut masked_to = 0;
    for (start, end) in found {
        if start >= masked_to {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
        }
        masked_to = masked_to.max(end);
        copied = masked_to;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Widens `[start, end)` to the run of Base64 characters around it when the match itself
/// is all Base64 characters and touches a neighbour of them (with the run's `=` padding).
fn widen_to_base64_run(bytes: &[u8], start: &mut usize, end: &mut usize) {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    if !bytes[*start..*end].iter().all(|b| is_b64(*b)) {
        return;
    }
    let touches_left = *start > 0 && is_b64(bytes[*start - 1]);
    let touches_right = *end < bytes.len() && (is_b64(bytes[*end]) || bytes[*end] == b'=');
    if !touches_left && !touches_right {
        return;
    }
    while *start > 0 && is_b64(bytes[*start - 1]) {
        *start -= 1;
    }
    while *end < bytes.len() && is_b64(bytes[*end]) {
        *end += 1;
    }
    while *end < bytes.len() && bytes[*end] == b'=' {
        *end += 1;
    }
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
    let registry = read_registry();
    // The longest ending wins: registry order is longest secret first, but a shorter
    // secret can share a longer ending, so look at every one.
    let mut longest = 0;
    for secret in &registry.spellings {
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

/// The spelling of `value` inside a JSON string (a `"` or `\\` in a secret is escaped
/// in JSON output and in stored JSON rows).
fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_string()
}

/// The spelling of `value` inside a JSON string written by an ASCII-only encoder (Python's
/// `json.dumps`, many servers): every non-ASCII character as `\uXXXX` (UTF-16 units).
fn json_escape_ascii(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in json_escape(value).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `%XX` sequences decoded (as UTF-8, lossily); anything else kept, byte for byte.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard Base64 with padding (as in an `Authorization: Basic` header).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_encode(value: &str, encoding: &UrlEncoding) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b' ' if encoding.space_as_plus => out.push('+'),
            _ if (encoding.keeps)(byte) => out.push(byte as char),
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

    #[test]
    fn a_webhook_url_registers_its_path_and_token_segments() {
        register("https://hooks.example.com/services/T0CANARY1/B0CANARY2/xoxCanaryUrlToken123?sig=QsigCanary42&v=1");
        // The whole URL, and each part a server may echo on its own.
        assert_eq!(
            scrub(
                "POST https://hooks.example.com/services/T0CANARY1/B0CANARY2/xoxCanaryUrlToken123?sig=QsigCanary42&v=1 failed"
            ),
            "POST *** failed"
        );
        assert_eq!(scrub("Cannot POST /services/T0CANARY1/B0CANARY2/xoxCanaryUrlToken123"), "Cannot POST ***");
        assert_eq!(scrub("no such token: xoxCanaryUrlToken123"), "no such token: ***");
        assert_eq!(scrub("team T0CANARY1"), "team ***");
        assert_eq!(scrub("bad signature QsigCanary42"), "bad signature ***");
        // Common words and short values stay readable.
        assert_eq!(scrub("see /services and hooks.example.com, v=1"), "see /services and hooks.example.com, v=1");
    }

    #[test]
    fn a_url_password_and_its_basic_auth_header_are_registered() {
        register("https://deploy:pa%40ssCanary9@example.com/api");
        assert_eq!(scrub("password pa@ssCanary9"), "password ***");
        assert_eq!(scrub("password pa%40ssCanary9"), "password ***");
        // base64("deploy:pa@ssCanary9")
        assert_eq!(scrub("Authorization: Basic ZGVwbG95OnBhQHNzQ2FuYXJ5OQ=="), "Authorization: Basic ***");
        assert_eq!(scrub("GET /api as deploy"), "GET /api as deploy", "the user and a short path stay readable");
    }

    #[test]
    fn the_json_escaped_spelling_is_registered() {
        register(r#"quo"te\Canary-json"#);
        let json = serde_json::to_string(&serde_json::json!({"error": r#"bad quo"te\Canary-json"#})).unwrap();
        assert_eq!(scrub(&json), r#"{"error":"bad ***"}"#);
    }

    #[test]
    fn a_database_url_keeps_its_database_name_readable() {
        let parts = url_parts("postgres://postgres@127.0.0.1:5432/postgres");
        assert!(!parts.iter().any(|p| p.contains("postgres")), "{parts:?}");
        let parts = url_parts("postgres://app@db:5432/app?sslmode=disable&password=hunter2xyz");
        assert!(parts.contains(&"hunter2xyz".to_string()), "{parts:?}");
        assert!(!parts.contains(&"disable".to_string()), "{parts:?}");
        let parts = url_parts("mysql://root:s3cretpw@127.0.0.1:3306/inventory");
        assert!(parts.contains(&"s3cretpw".to_string()), "{parts:?}");
        assert!(!parts.iter().any(|p| p.contains("inventory")), "{parts:?}");
    }

    #[test]
    fn url_parts_follow_the_token_rules() {
        assert_eq!(url_parts("not a url"), Vec::<String>::new());
        assert_eq!(url_parts("http://127.0.0.1:4000/hook"), Vec::<String>::new(), "a lone short path stays readable");
        let parts = url_parts("http://127.0.0.1:4000/echo/CANARYW3");
        assert!(parts.contains(&"/echo/CANARYW3".to_string()), "{parts:?}");
        assert!(parts.contains(&"CANARYW3".to_string()), "{parts:?}");
        assert!(!parts.contains(&"echo".to_string()), "{parts:?}");
        assert!(looks_like_token("abc123"));
        assert!(looks_like_token("abcdefghijklmnop"));
        assert!(!looks_like_token("webhooks"));
        assert!(!looks_like_token("abc12"));
        assert!(!looks_like_token("incoming-webhooks"));
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(percent_decode("p%40ss%2"), "p@ss%2");
    }

    #[test]
    fn url_and_form_encodings_are_registered() {
        register("sp ace+pl@s~Canary/é");
        for spelling in [
            "sp%20ace%2Bpl%40s~Canary%2F%C3%A9", // RFC 3986
            "sp+ace%2Bpl%40s~Canary%2F%C3%A9",   // quote_plus
            "sp+ace%2Bpl%40s%7ECanary%2F%C3%A9", // an HTML form
            "sp%20ace+pl@s~Canary/%C3%A9",       // a query, as the URL parser sends it
            "sp%20ace+pl%40s~Canary%2F%C3%A9",   // user-info, as the URL parser sends it
            r"sp ace+pl@s~Canary/\u00e9",        // JSON from an ASCII-only encoder
        ] {
            assert_eq!(scrub(&format!("got {spelling}.")), "got ***.", "{spelling}");
        }
    }

    #[test]
    fn overlapping_secrets_are_masked_as_one_stretch() {
        register("xoverlapCanaryA");
        register("CanaryAtail-overlap");
        assert_eq!(scrub("1 xoverlapCanaryAtail-overlap 2"), "1 *** 2");
        assert_eq!(scrub("xoverlapCanaryA then CanaryAtail-overlap"), "*** then ***");
    }

    #[test]
    fn many_secrets_are_masked_by_the_automaton_as_a_few_are_one_by_one() {
        // Past SPELLINGS_SEARCHED_ONE_BY_ONE spellings the scrubber builds an automaton: the
        // same text must come out masked the same way, overlaps included.
        let few = ["xmanyCanaryA-1", "CanaryA-1tail"];
        for value in few {
            register(value);
        }
        assert_eq!(scrub("1 xmanyCanaryA-1tail 2"), "1 *** 2");
        for index in 0..SPELLINGS_SEARCHED_ONE_BY_ONE {
            register(&format!("manyCanary value {index}/x?y"));
        }
        assert!(read_registry().spellings.len() > SPELLINGS_SEARCHED_ONE_BY_ONE);
        assert_eq!(scrub("1 xmanyCanaryA-1tail 2"), "1 *** 2");
        assert_eq!(scrub("a manyCanary%20value%207%2Fx%3Fy b"), "a *** b");
    }

    #[test]
    fn no_bit_of_a_secret_is_left_around_its_base64() {
        register("Hunter2+s3cr=t");
        let encoded = base64(b"u:Hunter2+s3cr=t");
        let line = format!("auth {encoded} done");
        assert_eq!(scrub(&line), "auth *** done", "{encoded}");
        // A secret inside a word is masked with the word; after `=` or `-` only itself.
        assert_eq!(scrub("password=Hunter2+s3cr=t&x"), "password=***&x");
    }

    #[test]
    fn lowercase_escapes_slash_kept_and_base64_anywhere_in_a_stream_are_masked() {
        let secret = "p@ss w+rd/\u{e9}&\"\u{fc}%q";
        register(secret);
        // Python's quote() keeps `/`; some encoders write lowercase hex.
        let quoted = "p%40ss%20w%2Brd/%C3%A9%26%22%C3%BC%25q";
        assert_eq!(scrub(&format!("a {quoted} b")), "a *** b");
        assert_eq!(scrub(&format!("a {} b", quoted.to_lowercase())).matches("***").count(), 1);
        // The Base64 of `user:secret` with a user runner never saw, and of the bare value:
        // what is left of it unmasked is at most two bytes at each end.
        for prefix in ["", "u:", "someone:", "ab:"] {
            let encoded = base64(format!("{prefix}{secret}").as_bytes());
            let scrubbed = scrub(&encoded);
            assert!(scrubbed.contains("***"), "{prefix:?}: {scrubbed}");
            assert!(scrubbed.len() <= 3 + 4 + 4 + prefix.len().div_ceil(3) * 4, "{prefix:?}: {scrubbed}");
        }
    }

    #[test]
    fn basic_credentials_are_the_header_a_client_sends() {
        assert_eq!(basic_credentials("http://probe:p%40ss@h/").as_deref(), Some(base64(b"probe:p@ss").as_str()));
        assert_eq!(basic_credentials("http://probe@h/"), None);
        assert_eq!(basic_credentials("http://h/a@b"), None);
    }

    #[test]
    fn short_secrets_and_short_parts_are_still_ignored() {
        register("ab");
        assert_eq!(scrub("ab cd"), "ab cd");
        assert!(spellings("x://a/b").iter().all(|s| s.chars().count() >= MIN_SCRUB_LEN));
    }
}
