//! `file`: existence, age, size and content of files (glob allowed); metrics `age_s`,
//! `size_bytes` and `value` (the content, when numeric).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{ByteSize, Dur, PathText, Text};

/// Files to look at.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    /// The path; a glob matches several files (the newest is measured).
    pub path: PathText,
    /// Must exist (default true); `false` requires that it does not.
    pub exists: Option<bool>,
    /// Modified no longer ago than this.
    pub max_age: Option<Dur>,
    /// At least this big.
    pub min_size: Option<ByteSize>,
    /// At most this big.
    pub max_size: Option<ByteSize>,
    /// A substring the content must contain.
    pub contains: Option<Text>,
    /// What the trimmed content must equal (e.g. `10` for /proc/sys/vm/swappiness).
    pub equals: Option<Text>,
}

impl CheckKind for FileCheck {
    const METRICS: &'static [&'static str] = &["age_s", "size_bytes", "value", "count"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        rules.positive("max_age", self.max_age.as_ref());
        if let (Some(min), Some(max)) = (self.min_size, self.max_size)
            && min.0 > max.0
        {
            rules.error(rules.check.id.span(), "`min_size` is more than `max_size`", "min_size ≤ max_size");
        }
        if self.exists == Some(false)
            && (self.max_age.is_some()
                || self.min_size.is_some()
                || self.max_size.is_some()
                || self.contains.is_some()
                || self.equals.is_some())
        {
            rules.warning(
                rules.check.id.span(),
                "`exists: false` with expectations on the content: they can never apply",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

use super::walk::Deadline;
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// How much content is read for `equals` and `value` (`contains` reads the whole file).
pub const CONTENT_LIMIT: u64 = 1024 * 1024;

pub async fn probe(config: &FileCheck, ctx: &ProbeContext<'_>) -> Observation {
    let config = config.clone();
    // Dropping the probe (its timeout, a cancelled run) cancels the blocking walk too.
    let (deadline, _cancel_on_drop) = Deadline::for_probe(ctx.timeout);
    match tokio::task::spawn_blocking(move || inspect(&config, &deadline)).await {
        Ok(observation) => observation,
        Err(error) => Observation::unknown(format!("reading files failed: {error}")),
    }
}

fn inspect(config: &FileCheck, deadline: &Deadline) -> Observation {
    let pattern = config.path.resolved().to_string_lossy().into_owned();
    let shown = config.path.written().to_string();
    let matches = match super::walk::glob(&pattern, deadline) {
        Ok(paths) => paths,
        Err(failure) => return Observation::unknown(failure.message(&shown)),
    };
    let should_exist = config.exists.unwrap_or(true);
    if matches.is_empty() {
        return if should_exist {
            Observation::fail(format!("{shown} does not exist")).metric("count", 0.0)
        } else {
            Observation::pass(format!("{shown} does not exist, as expected")).metric("count", 0.0)
        };
    }
    if !should_exist {
        return Observation::fail(format!(
            "{shown} exists ({} match{}) but should not",
            matches.len(),
            if matches.len() == 1 { "" } else { "es" }
        ))
        .metric("count", matches.len() as f64);
    }
    // Several matches: the newest file is the one measured (the latest backup, report…).
    let mut newest: Option<(std::path::PathBuf, std::fs::Metadata, SystemTime)> = None;
    for path in &matches {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if newest.as_ref().is_none_or(|(_, _, m)| modified > *m) {
            newest = Some((path.clone(), meta, modified));
        }
    }
    let Some((path, meta, modified)) = newest else {
        return Observation::fail(format!("{shown} matches files that cannot be read"));
    };
    let age_s = SystemTime::now().duration_since(modified).map(|d| d.as_secs_f64()).unwrap_or(0.0).round();
    let mut observation = Observation::pass("")
        .metric("count", matches.len() as f64)
        .metric("age_s", age_s)
        .metric("size_bytes", meta.len() as f64);
    let name = path.display().to_string();

    let wants_content = config.contains.is_some() || config.equals.is_some();
    if wants_content && meta.is_dir() {
        let mut failed = Observation::fail(format!("{name} is a directory; its content cannot be checked"));
        failed.metrics = observation.metrics;
        return failed;
    }
    // The first CONTENT_LIMIT bytes (sizes in /proc say 0, so reading tells, not `len`).
    let mut content = String::new();
    let mut truncated = false;
    if meta.is_file() {
        match std::fs::File::open(&path) {
            Ok(file) => {
                let mut bytes = Vec::new();
                if let Err(error) = file.take(CONTENT_LIMIT + 1).read_to_end(&mut bytes) {
                    return Observation::fail(format!("cannot read {name}: {error}"));
                }
                truncated = bytes.len() as u64 > CONTENT_LIMIT;
                bytes.truncate(CONTENT_LIMIT as usize);
                content = String::from_utf8_lossy(&bytes).into_owned();
            }
            Err(error) => return Observation::fail(format!("cannot read {name}: {error}")),
        }
    }
    if !truncated && let Ok(value) = content.trim().parse::<f64>() {
        observation = observation.metric("value", value);
    }

    let mut failures = Vec::new();
    if let Some(max_age) = config.max_age
        && age_s > max_age.get().as_secs_f64()
    {
        failures.push(format!(
            "modified {} ago, more than {}",
            crate::duration::format(std::time::Duration::from_secs(age_s as u64)),
            crate::duration::format(max_age.get())
        ));
    }
    if let Some(min) = config.min_size
        && meta.len() < min.0
    {
        failures.push(format!("{} bytes, less than {}", meta.len(), min.0));
    }
    if let Some(max) = config.max_size
        && meta.len() > max.0
    {
        failures.push(format!("{} bytes, more than {}", meta.len(), max.0));
    }
    if let Some(needle) = &config.contains {
        let found = if truncated {
            stream_contains(&path, needle.as_str(), deadline)
        } else {
            Ok(Scanned { found: content.contains(needle.as_str()), read: content.len() as u64, whole: true })
        };
        match found {
            Ok(Scanned { found: true, .. }) => {}
            Ok(Scanned { whole: true, .. }) => failures.push(format!("does not contain {:?}", needle.as_str())),
            Ok(Scanned { read, .. }) => {
                return Observation::unknown(format!(
                    "{name}: {:?} not found in its first {} MiB; the check's time limit passed before the rest was read",
                    needle.as_str(),
                    read / 1024 / 1024
                ));
            }
            Err(error) => return Observation::fail(format!("cannot read {name}: {error}")),
        }
    }
    if let Some(expected) = &config.equals {
        let actual = content.trim();
        if truncated {
            failures.push(format!(
                "is larger than the {} MiB read for `equals`, expected {:?}",
                CONTENT_LIMIT / 1024 / 1024,
                expected.as_str().trim()
            ));
        } else if actual != expected.as_str().trim() {
            let shown_actual = crate::secret::scrub_and_cut(actual, 80);
            failures.push(format!("is {shown_actual:?}, expected {:?}", expected.as_str().trim()));
        }
    }
    let value_note =
        observation.metrics.get("value").map(|v| format!(", value {}", format_number(*v))).unwrap_or_default();
    let summary = format!(
        "{name}: {} bytes, modified {} ago{value_note}",
        meta.len(),
        crate::duration::format(std::time::Duration::from_secs(age_s as u64))
    );
    if failures.is_empty() {
        observation.message = summary;
        observation
    } else {
        let mut failed = Observation::fail(format!("{name} {}", failures.join("; ")));
        failed.metrics = observation.metrics;
        failed
    }
}

/// How a streaming search ended: found, or not in the `read` bytes (`whole`: the file).
struct Scanned {
    found: bool,
    read: u64,
    whole: bool,
}

/// Whether the file contains `needle`, read in chunks to its end (or the deadline).
fn stream_contains(path: &Path, needle: &str, deadline: &Deadline) -> std::io::Result<Scanned> {
    const CHUNK: usize = 1024 * 1024;
    if needle.is_empty() {
        return Ok(Scanned { found: true, read: 0, whole: true });
    }
    let search = regex::bytes::Regex::new(&regex::escape(needle)).map_err(std::io::Error::other)?;
    let needle = needle.as_bytes();
    let mut file = std::fs::File::open(path)?;
    // Each round searches the previous round's last `needle.len() - 1` bytes plus a chunk.
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + needle.len());
    let mut chunk = vec![0u8; CHUNK];
    let mut read: u64 = 0;
    loop {
        if deadline.passed() {
            return Ok(Scanned { found: false, read, whole: false });
        }
        let n = match file.read(&mut chunk) {
            Ok(0) => return Ok(Scanned { found: false, read, whole: true }),
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        read += n as u64;
        window.extend_from_slice(&chunk[..n]);
        if search.is_match(&window) {
            return Ok(Scanned { found: true, read, whole: false });
        }
        let keep = needle.len() - 1;
        let drop = window.len().saturating_sub(keep);
        window.drain(..drop);
    }
}
