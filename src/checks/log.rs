//! `log`: regex matches in log files, over a window or since the last run; metric
//! `matches`, the first matching lines in the details.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{PathText, Pattern};

/// Log files to scan.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogCheck {
    /// The log file; a glob scans several.
    pub path: PathText,
    /// The regex for a bad line (default `(?i)\b(error|fatal|panic)\b`).
    pub pattern: Option<Pattern>,
    /// `new` (default): lines added since the last run; or a window such as `7d`: lines
    /// written within it (by file modification time and line timestamps where present).
    pub since: Option<LogSince>,
    /// How many matching lines to keep in the details (default 20).
    pub max_lines: Option<u32>,
}

impl LogCheck {
    pub const DEFAULT_PATTERN: &'static str = r"(?i)\b(error|fatal|panic)\b";
}

impl CheckKind for LogCheck {
    const METRICS: &'static [&'static str] = &["matches", "lines"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        if let Some(LogSince::Window(d)) = &self.since {
            rules.positive("since", Some(d));
        }
    }
}

/// `new` or a duration.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogSince {
    New,
    Window(crate::playbook::values::Dur),
}

impl fmt::Debug for LogSince {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSince::New => f.write_str("new"),
            LogSince::Window(d) => write!(f, "{d:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for LogSince {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A duration knows how to read itself (with location and diagnostics); `new` is
        // the one word it would reject, so look for it first.
        let spanned = serde_saphyr::Spanned::<String>::deserialize(deserializer)?;
        if spanned.value.trim() == "new" {
            return Ok(LogSince::New);
        }
        let dur = crate::playbook::values::Dur::from_spanned(spanned);
        Ok(LogSince::Window(dur))
    }
}

impl JsonSchema for LogSince {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LogSince".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let window = generator.subschema_for::<crate::playbook::values::Dur>();
        json_schema!({
            "description": "`new` (lines added since the last run) or a window such as `7d`.",
            "type": "string",
            "anyOf": [{ "pattern": r"^\s*new\s*$" }, window],
            "examples": ["new", "7d", "1h"]
        })
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::walk::Deadline;
use crate::outcome::Observation;
use crate::probe::context::ProbeContext;
use crate::probe::state::ProbeState;

/// At most this much of a file is scanned per run (the newest part).
const SCAN_LIMIT: u64 = 64 * 1024 * 1024;

/// Where a file was read up to, and which file it was (rotation changes the inode). The
/// fingerprint of the bytes just before the offset tells a file rewritten in place (and
/// grown past the old offset) from one that was only appended to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Offset {
    dev: u64,
    ino: u64,
    offset: u64,
    #[serde(default)]
    tail: u64,
}

/// How many bytes before the offset are fingerprinted.
const TAIL: u64 = 64;

/// FNV-1a of the bytes `[offset - TAIL, offset)` of a file.
fn fingerprint(file: &Path, offset: u64) -> u64 {
    let start = offset.saturating_sub(TAIL);
    let mut bytes = vec![0u8; (offset - start) as usize];
    let read = std::fs::File::open(file).and_then(|mut f| {
        use std::io::Read;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut bytes)
    });
    if read.is_err() {
        return 0;
    }
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

struct Scan<'a> {
    regex: &'a regex::Regex,
    max_lines: usize,
    matches: u64,
    lines: u64,
    kept: Vec<String>,
    notes: Vec<String>,
    /// Lines older than this (Unix seconds) are ignored (window mode).
    not_before: Option<i64>,
}

impl Scan<'_> {
    fn line(&mut self, file: &Path, line: &str, timestamp: Option<i64>) {
        if let (Some(not_before), Some(at)) = (self.not_before, timestamp)
            && at < not_before
        {
            return;
        }
        self.lines += 1;
        if self.regex.is_match(line) {
            self.matches += 1;
            if self.kept.len() < self.max_lines {
                let text = crate::secret::scrub_and_cut(line.trim_end(), 400);
                self.kept.push(format!("{}: {text}", file.display()));
            }
        }
    }
}

pub async fn probe(config: &LogCheck, ctx: &ProbeContext<'_>) -> Observation {
    let config = config.clone();
    let state = ctx.services.state.clone();
    let key_base = (ctx.playbook.to_string(), ctx.check.id.as_str().to_string());
    let thresholds_decide = ctx.wants("matches");
    // Dropping the probe (its timeout, a cancelled run) cancels the blocking walk too.
    let (deadline, _cancel_on_drop) = Deadline::for_probe(ctx.timeout);
    let result = tokio::task::spawn_blocking(move || {
        let key = |file: &Path| {
            crate::probe::state::StateKey::new(&key_base.0, &key_base.1, &format!("log-offset:{}", file.display()))
        };
        scan(&config, &*state, &key, thresholds_decide, &deadline)
    })
    .await;
    match result {
        Ok(observation) => observation,
        Err(error) => Observation::unknown(format!("scanning logs failed: {error}")),
    }
}

fn default_pattern() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| regex::Regex::new(LogCheck::DEFAULT_PATTERN).expect("the default pattern compiles"))
}

fn scan(
    config: &LogCheck,
    state: &dyn ProbeState,
    key: &dyn Fn(&Path) -> crate::probe::state::StateKey,
    thresholds_decide: bool,
    deadline: &Deadline,
) -> Observation {
    let pattern = config.path.resolved().to_string_lossy().into_owned();
    let shown = config.path.written().to_string();
    let mut files: Vec<PathBuf> = match super::walk::glob(&pattern, deadline) {
        Ok(paths) => paths.into_iter().filter(|p| p.is_file()).collect(),
        Err(failure) => return Observation::unknown(failure.message(&shown)),
    };
    files.sort();
    // One file reached by several paths (symlinks, hard links) is read once, by its
    // first path in order.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| std::fs::metadata(file).map_or(true, |m| seen.insert((m.dev(), m.ino()))));
    if files.is_empty() {
        return Observation::unknown(format!("no log file matches {shown}"));
    }
    let regex = config.pattern.as_ref().and_then(|p| p.regex()).unwrap_or_else(|| default_pattern());
    let since = config.since.unwrap_or(LogSince::New);
    let now = jiff::Timestamp::now().as_second();
    let mut scan = Scan {
        regex,
        max_lines: config.max_lines.unwrap_or(crate::playbook::default::LOG_LINES) as usize,
        matches: 0,
        lines: 0,
        kept: Vec::new(),
        notes: Vec::new(),
        not_before: match since {
            LogSince::Window(d) => Some(now - d.get().as_secs() as i64),
            LogSince::New => None,
        },
    };
    for file in &files {
        if deadline.passed() {
            return Observation::unknown(format!("{shown}: stopped at the check's time limit while reading the files"));
        }
        let result = match since {
            LogSince::New => scan_new(file, state, &key(file), &mut scan),
            LogSince::Window(window) => scan_window(file, now - window.get().as_secs() as i64, &mut scan),
        };
        if let Err(error) = result {
            scan.notes.push(format!("{}: {error}", file.display()));
        }
    }
    let scope = match since {
        LogSince::New => "since the last run".to_string(),
        LogSince::Window(d) => format!("in the last {}", crate::duration::format(d.get())),
    };
    let files_word = if files.len() == 1 { "file".to_string() } else { format!("{} files", files.len()) };
    let message = if scan.matches == 0 {
        format!("no match of /{}/ in {} lines {scope} ({files_word})", regex.as_str(), scan.lines)
    } else {
        format!(
            "{} match{} {scope} in {} lines ({files_word}); first: {}",
            scan.matches,
            if scan.matches == 1 { "" } else { "es" },
            scan.lines,
            scan.kept.first().cloned().unwrap_or_default()
        )
    };
    let mut observation =
        if scan.matches > 0 && !thresholds_decide { Observation::fail(message) } else { Observation::pass(message) };
    observation = observation.metric("matches", scan.matches as f64).metric("lines", scan.lines as f64);
    for note in scan.notes {
        observation = observation.detail(note);
    }
    for line in scan.kept {
        observation = observation.detail(line);
    }
    observation
}

/// Lines added since the last run: from the stored offset, following rotation (the old
/// file is finished first) and truncation (read from the start).
fn scan_new(
    file: &Path,
    state: &dyn ProbeState,
    key: &crate::probe::state::StateKey,
    scan: &mut Scan<'_>,
) -> std::io::Result<()> {
    let meta = std::fs::metadata(file)?;
    let current = Offset { dev: meta.dev(), ino: meta.ino(), offset: 0, tail: 0 };
    let stored: Option<Offset> = state.load(key).and_then(|t| serde_json::from_str(&t).ok());
    let start = match stored {
        None => {
            // First run: start watching at the end rather than replaying history.
            scan.notes.push(format!("{}: first run, watching from the end ({} bytes)", file.display(), meta.len()));
            let end = Offset { offset: meta.len(), tail: fingerprint(file, meta.len()), ..current };
            state.save(key, &serde_json::to_string(&end).unwrap_or_default());
            return Ok(());
        }
        Some(stored) if stored.dev == current.dev && stored.ino == current.ino => {
            if meta.len() < stored.offset || fingerprint(file, stored.offset) != stored.tail {
                scan.notes.push(format!("{}: truncated or rewritten, reading from the start", file.display()));
                0
            } else {
                stored.offset
            }
        }
        Some(stored) => {
            // Rotated: finish the old file (now renamed beside it) from where we were.
            match find_rotated(file, stored.dev, stored.ino) {
                Some(old) => {
                    scan.notes.push(format!("{}: rotated; finished {} first", file.display(), old.display()));
                    read_lines(&old, stored.offset, scan, true)?;
                }
                None => scan.notes.push(format!("{}: rotated; the old file is gone", file.display())),
            }
            0
        }
    };
    let end = read_lines(file, start, scan, true)?;
    let saved = Offset { offset: end, tail: fingerprint(file, end), ..current };
    state.save(key, &serde_json::to_string(&saved).unwrap_or_default());
    Ok(())
}

/// A file beside `file` whose name starts with its name (app.log.1, app.log-2026…) and
/// which is the inode we were reading.
fn find_rotated(file: &Path, dev: u64, ino: u64) -> Option<PathBuf> {
    let dir = file.parent()?;
    let stem = file.file_name()?.to_string_lossy().into_owned();
    std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|e| e.path()).find(|p| {
        p != file
            && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&stem))
            && std::fs::metadata(p).is_ok_and(|m| m.dev() == dev && m.ino() == ino)
    })
}

/// Reads whole lines from `start`; returns the offset after the last complete line (a
/// line still being written is left for the next run).
fn read_lines(file: &Path, start: u64, scan: &mut Scan<'_>, complete_only: bool) -> std::io::Result<u64> {
    let mut handle = std::fs::File::open(file)?;
    let len = handle.metadata()?.len();
    let mut position = start;
    if len.saturating_sub(start) > SCAN_LIMIT {
        position = len - SCAN_LIMIT;
        scan.notes.push(format!(
            "{}: {} bytes added since the last run; scanned the last {} MiB",
            file.display(),
            len - start,
            SCAN_LIMIT / 1024 / 1024
        ));
    }
    if position != start {
        // Skip the partial line we landed in, if we landed in one.
        position = first_full_line(&mut handle, position)?;
    }
    handle.seek(SeekFrom::Start(position))?;
    let mut reader = BufReader::new(handle);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let n = reader.read_until(b'\n', &mut buffer)?;
        if n == 0 {
            break;
        }
        if complete_only && buffer.last() != Some(&b'\n') {
            break;
        }
        position += n as u64;
        let line = String::from_utf8_lossy(&buffer);
        scan.line(file, &line, None);
    }
    Ok(position)
}

/// The offset of the first whole line at or after `cut`: `cut` itself when a line starts
/// there (the byte before it is a newline), else just past the next newline (or the end).
fn first_full_line(handle: &mut std::fs::File, cut: u64) -> std::io::Result<u64> {
    use std::io::Read;
    if cut == 0 {
        return Ok(0);
    }
    handle.seek(SeekFrom::Start(cut - 1))?;
    let mut reader = BufReader::new(handle);
    let mut before = [0u8; 1];
    if reader.read(&mut before)? == 0 || before[0] == b'\n' {
        return Ok(cut);
    }
    let mut skipped = Vec::new();
    Ok(cut + reader.read_until(b'\n', &mut skipped)? as u64)
}

/// Lines written within the window: by each line's timestamp where it has one (lines
/// without inherit the previous line's), else by the file's modification time.
fn scan_window(file: &Path, not_before: i64, scan: &mut Scan<'_>) -> std::io::Result<()> {
    let meta = std::fs::metadata(file)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if modified < not_before {
        return Ok(()); // untouched within the window
    }
    let mut handle = std::fs::File::open(file)?;
    let len = meta.len();
    let cut = len.saturating_sub(SCAN_LIMIT);
    let start = first_full_line(&mut handle, cut)?;
    if cut > 0 {
        scan.notes.push(format!("{}: scanned the last {} MiB", file.display(), SCAN_LIMIT / 1024 / 1024));
    }
    handle.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::new(handle);
    let this_year = jiff::Zoned::now().year();
    let mut last: Option<i64> = None;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buffer);
        if let Some(at) = line_timestamp(&line, this_year) {
            last = Some(at);
        }
        scan.line(file, &line, last);
    }
    Ok(())
}

/// The timestamp a log line starts with, in Unix seconds: ISO 8601 (`2026-11-22T10:00:00Z`,
/// `2026-11-22 10:00:00`, optionally in brackets), syslog (`Nov 22 10:00:00`, this year,
/// local time) or the common log format (`[22/Nov/2026:10:00:00 +0000]`).
pub fn line_timestamp(line: &str, this_year: i16) -> Option<i64> {
    static ISO: OnceLock<regex::Regex> = OnceLock::new();
    static SYSLOG: OnceLock<regex::Regex> = OnceLock::new();
    static CLF: OnceLock<regex::Regex> = OnceLock::new();
    let head: String = line.chars().take(64).collect();
    let iso = ISO.get_or_init(|| {
        regex::Regex::new(r"^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?").unwrap()
    });
    if let Some(c) = iso.captures(&head) {
        let civil = format!("{}T{}", &c[1], &c[2]);
        let datetime: jiff::civil::DateTime = civil.parse().ok()?;
        return match c.get(4).map(|m| m.as_str()) {
            Some("Z") => datetime.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_second()),
            Some(offset) => {
                let offset = offset.replace(':', "");
                let sign = if offset.starts_with('-') { -1 } else { 1 };
                let hours: i32 = offset.get(1..3)?.parse().ok()?;
                let minutes: i32 = offset.get(3..5)?.parse().ok()?;
                let utc = datetime.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second();
                Some(utc - i64::from(sign * (hours * 3600 + minutes * 60)))
            }
            None => datetime.to_zoned(jiff::tz::TimeZone::system()).ok().map(|z| z.timestamp().as_second()),
        };
    }
    let syslog =
        SYSLOG.get_or_init(|| regex::Regex::new(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})").unwrap());
    if let Some(c) = syslog.captures(&head) {
        let month = month_number(&c[1])?;
        let time = jiff::civil::time(c[3].parse().ok()?, c[4].parse().ok()?, c[5].parse().ok()?, 0);
        let mut year = this_year;
        let make = |year: i16| -> Option<i64> {
            let date = jiff::civil::Date::new(year, month, c[2].parse().ok()?).ok()?;
            date.to_datetime(time).to_zoned(jiff::tz::TimeZone::system()).ok().map(|z| z.timestamp().as_second())
        };
        let mut at = make(year)?;
        // December lines read in January belong to last year.
        if at > jiff::Timestamp::now().as_second() + 86_400 {
            year -= 1;
            at = make(year)?;
        }
        return Some(at);
    }
    let clf = CLF.get_or_init(|| {
        regex::Regex::new(r"\[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]").unwrap()
    });
    if let Some(c) = clf.captures(line) {
        let date = jiff::civil::Date::new(c[3].parse().ok()?, month_number(&c[2])?, c[1].parse().ok()?).ok()?;
        let time = jiff::civil::time(c[4].parse().ok()?, c[5].parse().ok()?, c[6].parse().ok()?, 0);
        let utc = date.to_datetime(time).to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second();
        let sign: i64 = if &c[7] == "-" { -1 } else { 1 };
        let offset = c[8].parse::<i64>().ok()? * 3600 + c[9].parse::<i64>().ok()? * 60;
        return Some(utc - sign * offset);
    }
    None
}

fn month_number(name: &str) -> Option<i8> {
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    months.iter().position(|m| *m == name).map(|i| i as i8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_full_line_after_a_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\nFATAL two\nthree").unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        // A line starting exactly at the cut is kept.
        assert_eq!(first_full_line(&mut file, 4).unwrap(), 4);
        assert_eq!(first_full_line(&mut file, 0).unwrap(), 0);
        // Inside a line: skipped to the next one.
        assert_eq!(first_full_line(&mut file, 5).unwrap(), 14);
        assert_eq!(first_full_line(&mut file, 3).unwrap(), 4);
        // Inside the last, unfinished line: the end.
        assert_eq!(first_full_line(&mut file, 15).unwrap(), 19);
        // At the end, after a newline: the end.
        std::fs::write(&path, "one\n").unwrap();
        assert_eq!(first_full_line(&mut std::fs::File::open(&path).unwrap(), 4).unwrap(), 4);
    }

    #[test]
    fn timestamps_of_common_formats() {
        assert_eq!(line_timestamp("2026-11-22T10:00:00Z ERROR x", 2026), Some(1_795_341_600));
        assert_eq!(line_timestamp("[2026-11-22 10:00:00.123+01:00] ERROR x", 2026), Some(1_795_338_000));
        assert_eq!(
            line_timestamp("127.0.0.1 - - [22/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 500", 2026),
            Some(1_795_341_600)
        );
        assert!(line_timestamp("Nov 22 10:00:00 host app[1]: error", 2026).is_some());
        assert_eq!(line_timestamp("no timestamp here", 2026), None);
    }
}
