//! Silences: a person's "quiet, please" on a playbook, one check or everything, until an
//! expiry (`--for`, `--until`) or, with `--until-ok`, until each matched check is OK
//! again. Made by `runner silence add` (or the API), stored ([`crate::store::silences`]),
//! kept after they end for `history`.
//!
//! This module owns what a silence is, what it matches and when it is in force, and how
//! people write its end (`2h`, RFC 3339, `YYYY-MM-DD HH:MM` local). Like every quiet time
//! it holds messages, never state: a silenced check runs, is stored with its real status
//! and is remediated as usual (a silence quiets people, not fixes).

use serde::Serialize;

use super::Hold;

/// A stored silence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Silence {
    pub id: i64,
    /// `None`: every playbook (`--all`).
    pub playbook: Option<String>,
    /// `None`: every check of the playbook.
    pub check: Option<String>,
    /// `None`: every host. On one host it matches when equal to this host's id.
    pub host: Option<String>,
    pub reason: String,
    /// Who made it (`$USER`, or `api`).
    pub maker: String,
    pub created_ms: i64,
    /// The backstop: it ends then at the latest.
    pub expires_ms: i64,
    pub until_ok: bool,
    /// With `until_ok`: the checks known when it was made (`playbook/check`); it ends
    /// when each of them is released.
    pub matched: Vec<String>,
    /// With `until_ok`: the checks released by their first OK (`playbook/check`).
    pub released: Vec<String>,
    /// When it ended early (expired by hand, or every matched check released).
    pub ended_ms: Option<i64>,
    /// `expired by USER`, `released` (every matched check was OK again).
    pub ended_by: Option<String>,
}

/// What `runner silence add` asks for.
#[derive(Clone, Debug)]
pub struct NewSilence {
    pub playbook: Option<String>,
    pub check: Option<String>,
    pub host: Option<String>,
    pub reason: String,
    pub maker: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub until_ok: bool,
    pub matched: Vec<String>,
}

/// `playbook/check`, the key of a check across playbooks.
pub fn key(playbook: &str, check: &str) -> String {
    format!("{playbook}/{check}")
}

impl Silence {
    /// In force at `now`: not ended, not expired.
    pub fn in_force(&self, now_ms: i64) -> bool {
        self.ended_ms.is_none() && now_ms < self.expires_ms
    }

    /// When it ended or ends, and how.
    pub fn end(&self) -> (i64, &str) {
        match (self.ended_ms, &self.ended_by) {
            (Some(at), Some(by)) => (at, by.as_str()),
            (Some(at), None) => (at, "ended"),
            (None, _) => (self.expires_ms, "expired"),
        }
    }

    /// Whether it covers this check on this host (released checks no longer are).
    pub fn matches(&self, playbook: &str, check: &str, host: &str) -> bool {
        self.playbook.as_deref().is_none_or(|p| p == playbook)
            && self.check.as_deref().is_none_or(|c| c == check)
            && self.host.as_deref().is_none_or(|h| h == host)
            && !self.released.iter().any(|k| *k == key(playbook, check))
    }

    /// What it matches, for people: `everything`, `playbook web`, `web/api`.
    pub fn scope(&self) -> String {
        let what = match (&self.playbook, &self.check) {
            (None, _) => "everything".to_string(),
            (Some(p), None) => format!("playbook {p}"),
            (Some(p), Some(c)) => key(p, c),
        };
        match &self.host {
            Some(host) => format!("{what} on {host}"),
            None => what,
        }
    }

    /// The hold it puts on a matched check.
    pub fn hold(&self) -> Hold {
        Hold::Silenced { id: self.id.to_string(), note: Some(self.reason.clone()) }
    }
}

/// The longest silence: a year. Longer is a usage error (a silence nobody remembers is a
/// monitoring switched off).
pub const LONGEST: std::time::Duration = std::time::Duration::from_secs(366 * 86_400);

/// Why `--for` or `--until` gives no end for a silence (a usage error).
#[derive(Debug, thiserror::Error)]
pub enum ExpiryError {
    #[error("give --for DURATION or --until TIME")]
    Neither,
    #[error("--for `{text}`: {source}")]
    Duration { text: String, source: crate::duration::DurationError },
    #[error("--for `{0}` is no time at all: a silence needs a length, e.g. `--for 2h`")]
    NoLength(String),
    #[error(
        "--for `{0}` is longer than a year; a silence that long is monitoring switched off (edit the playbook instead)"
    )]
    ForTooLong(String),
    #[error("`{0}` is not a time: write RFC 3339 (`2026-06-01T18:00:00+02:00`) or `YYYY-MM-DD HH:MM` (local)")]
    NotATime(String),
    #[error("`{text}` is not a time in the local zone: {source}")]
    NotLocal { text: String, source: jiff::Error },
    #[error("--until `{text}` is in the past ({end}); a silence ends after it is made")]
    Past { text: String, end: jiff::Timestamp },
    #[error("--until `{0}` is more than a year away; a silence that long is monitoring switched off")]
    UntilTooFar(String),
    #[error("the end of the silence is out of range: {0}")]
    OutOfRange(jiff::Error),
}

/// When a silence written `--until TIME` ends: RFC 3339, or `YYYY-MM-DD HH:MM` (with
/// optional `:SS`) in the local zone.
fn parse_until(text: &str, zone: &jiff::tz::TimeZone) -> Result<jiff::Timestamp, ExpiryError> {
    let text = text.trim();
    if let Ok(instant) = text.parse::<jiff::Timestamp>() {
        return Ok(instant);
    }
    let local = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| jiff::civil::DateTime::strptime(format, text).ok());
    match local {
        Some(datetime) => datetime
            .to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|source| ExpiryError::NotLocal { text: text.to_string(), source }),
        None => Err(ExpiryError::NotATime(text.to_string())),
    }
}

/// When a silence made at `now` ends, from `--for` or `--until`: a usage error for a
/// length of 0, an end already past, or one beyond [`LONGEST`].
pub fn expiry(now: jiff::Timestamp, for_: Option<&str>, until: Option<&str>) -> Result<jiff::Timestamp, ExpiryError> {
    let end = match (for_, until) {
        (Some(text), None) => {
            let length = crate::duration::parse(text)
                .map_err(|source| ExpiryError::Duration { text: text.to_string(), source })?;
            if length.is_zero() {
                return Err(ExpiryError::NoLength(text.to_string()));
            }
            if length > LONGEST {
                return Err(ExpiryError::ForTooLong(text.to_string()));
            }
            let signed = jiff::SignedDuration::try_from(length).map_err(ExpiryError::OutOfRange)?;
            now.checked_add(signed).map_err(ExpiryError::OutOfRange)?
        }
        (None, Some(text)) => {
            let end = parse_until(text, &jiff::tz::TimeZone::system())?;
            if end <= now {
                return Err(ExpiryError::Past { text: text.to_string(), end });
            }
            if end.duration_since(now).unsigned_abs() > LONGEST {
                return Err(ExpiryError::UntilTooFar(text.to_string()));
            }
            end
        }
        _ => return Err(ExpiryError::Neither),
    };
    Ok(end)
}

/// What a person asks for when making a silence, from `runner silence add` or
/// `POST /api/v1/silences`: the same rules, one place.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    pub playbook: Option<&'a str>,
    pub check: Option<&'a str>,
    pub all: bool,
    pub for_: Option<&'a str>,
    pub until: Option<&'a str>,
    pub until_ok: bool,
    pub host: Option<&'a str>,
    pub reason: &'a str,
    pub maker: &'a str,
}

/// Why a silence cannot be made as asked.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The request does not say what it needs (empty reason, no end, no target).
    #[error("{0}")]
    Incomplete(String),
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
    /// It names a playbook or check nobody knows (with a "did you mean").
    #[error("{0}")]
    Unknown(String),
}

/// The longest silence: a year. Longer is monitoring switched off; edit the playbook.
const LONGEST_SILENCE_MS: i64 = 365 * 86_400_000;

/// The silence `request` makes at `now`, checked against `known` (every playbook known
/// here, with its check ids, sorted).
pub fn request(
    request: &Request<'_>,
    known: &std::collections::BTreeMap<String, Vec<String>>,
    now: jiff::Timestamp,
) -> Result<NewSilence, RequestError> {
    if request.reason.trim().is_empty() {
        return Err(RequestError::Incomplete("the reason cannot be empty: say why, for whoever reads it later".into()));
    }
    if request.all == request.playbook.is_some() {
        return Err(RequestError::Incomplete("name a playbook, or silence everything with `all`, not both".into()));
    }
    if request.check.is_some() && request.playbook.is_none() {
        return Err(RequestError::Incomplete("a check is silenced with its playbook: name the playbook too".into()));
    }
    let expires = expiry(now, request.for_, request.until)?;
    if expires.as_millisecond() - now.as_millisecond() > LONGEST_SILENCE_MS {
        return Err(RequestError::Incomplete(match (request.for_, request.until) {
            (Some(for_), _) => format!("--for {for_}: a silence lasts at most 365d; use --until for a date"),
            (None, Some(until)) => {
                format!("--until {until}: a silence lasts at most a year (365d); pick a date within a year")
            }
            (None, None) => "a silence lasts at most 365d".to_string(),
        }));
    }
    if let Some(host) = request.host
        && !crate::host::is_valid_id(host)
    {
        return Err(RequestError::Incomplete(format!(
            "--host {host:?}: not a host id (letters, digits, `-`, `_` and `.`, starting with a letter or digit, like `--host-id`)"
        )));
    }
    if let Some(playbook) = request.playbook {
        let Some(checks) = known.get(playbook) else {
            let hint = did_you_mean(playbook, known.keys().map(String::as_str));
            let where_ = if known.is_empty() {
                "no playbook is known yet (none has run here, and no playbook folder was found; name one with --path)"
                    .to_string()
            } else {
                format!("known: {}", known.keys().cloned().collect::<Vec<_>>().join(", "))
            };
            return Err(RequestError::Unknown(format!(
                "no playbook `{playbook}` in the store or the playbook folders{hint} ({where_})"
            )));
        };
        if let Some(check) = request.check
            && !checks.iter().any(|c| c == check)
        {
            let hint = did_you_mean(check, checks.iter().map(String::as_str));
            return Err(RequestError::Unknown(format!(
                "playbook `{playbook}` has no check `{check}`{hint} (its checks: {})",
                checks.join(", ")
            )));
        }
    }
    let matched: Vec<String> = if request.until_ok {
        known
            .iter()
            .filter(|(p, _)| request.playbook.is_none_or(|wanted| wanted == p.as_str()))
            .flat_map(|(p, checks)| checks.iter().map(move |c| (p, c)))
            .filter(|(_, c)| request.check.is_none_or(|wanted| wanted == c.as_str()))
            .map(|(p, c)| key(p, c))
            .collect()
    } else {
        Vec::new()
    };
    Ok(NewSilence {
        playbook: request.playbook.map(str::to_string),
        check: request.check.map(str::to_string),
        host: request.host.map(str::to_string),
        reason: request.reason.trim().to_string(),
        maker: request.maker.to_string(),
        created_ms: now.as_millisecond(),
        expires_ms: expires.as_millisecond(),
        until_ok: request.until_ok,
        matched,
    })
}

fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    crate::playbook::suggest::did_you_mean(word, candidates)
        .map(|m| format!("; did you mean `{m}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silence(playbook: Option<&str>, check: Option<&str>, host: Option<&str>) -> Silence {
        Silence {
            id: 1,
            playbook: playbook.map(str::to_string),
            check: check.map(str::to_string),
            host: host.map(str::to_string),
            reason: "r".into(),
            maker: "me".into(),
            created_ms: 0,
            expires_ms: 1000,
            until_ok: false,
            matched: Vec::new(),
            released: Vec::new(),
            ended_ms: None,
            ended_by: None,
        }
    }

    #[test]
    fn matching() {
        assert!(silence(None, None, None).matches("web", "api", "h1"));
        assert!(silence(Some("web"), None, None).matches("web", "api", "h1"));
        assert!(!silence(Some("web"), None, None).matches("db", "api", "h1"));
        assert!(!silence(Some("web"), Some("api"), None).matches("web", "tls", "h1"));
        assert!(!silence(None, None, Some("h2")).matches("web", "api", "h1"));
        let mut released = silence(Some("web"), None, None);
        released.released.push(key("web", "api"));
        assert!(!released.matches("web", "api", "h1") && released.matches("web", "tls", "h1"));
        assert!(silence(None, None, None).in_force(999) && !silence(None, None, None).in_force(1000));
    }

    #[test]
    fn expiry_refuses_nothing_the_past_and_forever() {
        let now: jiff::Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
        assert_eq!(expiry(now, Some("2h"), None).unwrap(), "2026-06-01T14:00:00Z".parse::<jiff::Timestamp>().unwrap());
        assert!(expiry(now, Some("0s"), None).unwrap_err().to_string().contains("no time"));
        assert!(expiry(now, Some("5000d"), None).unwrap_err().to_string().contains("longer than a year"));
        assert!(expiry(now, None, Some("2026-06-01T11:00:00Z")).unwrap_err().to_string().contains("past"));
        assert!(expiry(now, None, Some("next tuesday")).unwrap_err().to_string().contains("not a time"));
        assert!(expiry(now, None, Some("2026-06-01T18:00:00+02:00")).is_ok());
        let local = parse_until("2026-06-01 18:30", &jiff::tz::TimeZone::get("Europe/Berlin").unwrap()).unwrap();
        assert_eq!(local, "2026-06-01T16:30:00Z".parse::<jiff::Timestamp>().unwrap());
    }
}
