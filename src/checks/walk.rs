//! A bounded glob walk for the `file` and `log` checks: at most [`MAX_GLOB_MATCHES`]
//! paths, stopped when the check's time limit passes or the check is cancelled, and
//! never following a symlink back into a directory it is already inside (a loop).
//!
//! The matching is the `glob` crate's (component by component, `**` for any number of
//! directories, `*` matching a leading dot); only the walk is ours, so that it can stop.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// At most this many paths are matched by a glob; past it the check is UNKNOWN.
pub const MAX_GLOB_MATCHES: usize = 10_000;

/// When blocking work done for a check must stop: its time limit, or its cancellation.
#[derive(Clone, Debug)]
pub struct Deadline {
    at: Instant,
    cancelled: Arc<AtomicBool>,
}

/// Cancels its [`Deadline`] when dropped: held by the probe's future, so that the
/// blocking work stops when the engine drops the probe (timeout, Ctrl-C).
#[derive(Debug)]
pub struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Deadline {
    /// For a probe with this time limit. The engine's own timeout ends the probe first
    /// (and cancels through the guard), so that a timeout reads the same for every kind;
    /// the deadline, a moment later, is the backstop.
    pub fn for_probe(timeout: Duration) -> (Deadline, CancelOnDrop) {
        Deadline::new(timeout.saturating_add(Duration::from_millis(500)))
    }

    pub fn new(timeout: Duration) -> (Deadline, CancelOnDrop) {
        let cancelled = Arc::new(AtomicBool::new(false));
        let at = Instant::now().checked_add(timeout).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
        (Deadline { at, cancelled: cancelled.clone() }, CancelOnDrop(cancelled))
    }

    /// No time limit, never cancelled.
    #[cfg(test)]
    pub fn never() -> Deadline {
        let at = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
        Deadline { at, cancelled: Arc::new(AtomicBool::new(false)) }
    }

    pub fn passed(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) || Instant::now() >= self.at
    }
}

/// Why a glob gave no list of paths.
#[derive(Debug)]
pub enum GlobFailure {
    Invalid(glob::PatternError),
    TooMany,
    Stopped,
}

impl GlobFailure {
    /// The check's message; `shown` is the path as written.
    pub fn message(&self, shown: &str) -> String {
        match self {
            GlobFailure::Invalid(error) => format!("invalid glob `{shown}`: {error}"),
            GlobFailure::TooMany => {
                format!("{shown}: the glob matches more than {MAX_GLOB_MATCHES} paths; narrow it")
            }
            GlobFailure::Stopped => format!("{shown}: the glob walk stopped at the check's time limit"),
        }
    }
}

/// The paths matching `pattern`, in walk order (each directory's entries by name).
pub fn glob(pattern: &str, deadline: &Deadline) -> Result<Vec<PathBuf>, GlobFailure> {
    glob_capped(pattern, deadline, MAX_GLOB_MATCHES)
}

fn glob_capped(pattern: &str, deadline: &Deadline, cap: usize) -> Result<Vec<PathBuf>, GlobFailure> {
    // Validates the whole pattern the way the glob crate does (same errors).
    glob::Pattern::new(pattern).map_err(GlobFailure::Invalid)?;
    let mut base = PathBuf::new();
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        match component {
            Component::Prefix(p) => base.push(p.as_os_str()),
            Component::RootDir => base.push("/"),
            Component::CurDir => {}
            Component::ParentDir => parts.push(Part::Literal("..".into())),
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                parts.push(if name == "**" {
                    Part::Recursive
                } else if name.contains(['*', '?', '[']) {
                    Part::Pattern(glob::Pattern::new(&name).map_err(GlobFailure::Invalid)?)
                } else {
                    Part::Literal(name.into_owned())
                });
            }
        }
    }
    if parts.is_empty() {
        return Ok(if base.as_os_str().is_empty() { Vec::new() } else { vec![base] });
    }
    let mut walk = Walk { parts, deadline, cap, found: Vec::new(), inside: Vec::new() };
    walk.walk(&base, 0)?;
    Ok(walk.found)
}

enum Part {
    Literal(String),
    Pattern(glob::Pattern),
    Recursive,
}

const OPTIONS: glob::MatchOptions =
    glob::MatchOptions { case_sensitive: true, require_literal_separator: false, require_literal_leading_dot: false };

struct Walk<'a> {
    parts: Vec<Part>,
    deadline: &'a Deadline,
    cap: usize,
    found: Vec<PathBuf>,
    /// (dev, ino) of the directories the walk is inside, to refuse a symlink loop.
    inside: Vec<(u64, u64)>,
}

impl Walk<'_> {
    fn emit(&mut self, path: PathBuf) -> Result<(), GlobFailure> {
        if self.found.len() >= self.cap {
            return Err(GlobFailure::TooMany);
        }
        self.found.push(path);
        Ok(())
    }

    /// The entries of `dir` (those of the current folder for an empty path), by name.
    fn children(&self, dir: &Path) -> Result<Vec<(PathBuf, String)>, GlobFailure> {
        let read = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let Ok(entries) = std::fs::read_dir(read) else {
            return Ok(Vec::new()); // not a directory, or unreadable: nothing below it
        };
        let mut children = Vec::new();
        for entry in entries {
            if self.deadline.passed() {
                return Err(GlobFailure::Stopped);
            }
            let Ok(entry) = entry else { continue };
            // Non-UTF-8 names are skipped, as the glob crate does.
            let Ok(name) = entry.file_name().into_string() else { continue };
            children.push((dir.join(&name), name));
        }
        children.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(children)
    }

    /// Matches `parts[index..]` below `dir`.
    fn walk(&mut self, dir: &Path, index: usize) -> Result<(), GlobFailure> {
        if self.deadline.passed() {
            return Err(GlobFailure::Stopped);
        }
        let last = self.parts.len() - 1;
        match &self.parts[index] {
            Part::Literal(name) => {
                let next = dir.join(name);
                if std::fs::symlink_metadata(&next).is_err() {
                    return Ok(());
                }
                if index == last { self.emit(next) } else { self.walk(&next, index + 1) }
            }
            Part::Pattern(_) => {
                for (child, name) in self.children(dir)? {
                    self.step(child, &name, index)?;
                }
                Ok(())
            }
            Part::Recursive => {
                let mut next = index;
                while next < last && matches!(self.parts[next + 1], Part::Recursive) {
                    next += 1;
                }
                let Ok(meta) = std::fs::metadata(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
                    return Ok(());
                };
                self.inside.push((meta.dev(), meta.ino()));
                let result = self.recurse(dir, next, last);
                self.inside.pop();
                result
            }
        }
    }

    /// The entries below `dir` for a `**` (the last of a run of them at `next`).
    fn recurse(&mut self, dir: &Path, next: usize, last: usize) -> Result<(), GlobFailure> {
        for (child, name) in self.children(dir)? {
            let directory = std::fs::metadata(&child).ok().filter(|m| m.is_dir());
            if let Some(meta) = directory
                && !self.inside.contains(&(meta.dev(), meta.ino()))
            {
                if next == last {
                    self.emit(child.clone())?;
                }
                self.walk(&child, next)?;
            }
            if next < last {
                self.step(child, &name, next + 1)?;
            }
        }
        Ok(())
    }

    /// `child` (named `name`) against `parts[index]`, and on below it.
    fn step(&mut self, child: PathBuf, name: &str, index: usize) -> Result<(), GlobFailure> {
        let matched = match &self.parts[index] {
            Part::Literal(literal) => literal == name,
            Part::Pattern(pattern) => pattern.matches_with(name, OPTIONS),
            Part::Recursive => unreachable!("a run of `**` is collapsed before stepping"),
        };
        if !matched {
            return Ok(());
        }
        if index == self.parts.len() - 1 { self.emit(child) } else { self.walk(&child, index + 1) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in ["a.log", "b.txt", ".hidden.log", "sub/c.log", "sub/deep/d.log", "other/e.log"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        }
        dir
    }

    fn names(dir: &Path, pattern: &str) -> Vec<String> {
        let full = format!("{}/{pattern}", dir.display());
        let mut ours: Vec<String> = glob(&full, &Deadline::never())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
            .collect();
        let mut theirs: Vec<String> = glob::glob(&full)
            .unwrap()
            .filter_map(Result::ok)
            .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{pattern}");
        ours
    }

    #[test]
    fn matches_like_the_glob_crate() {
        let dir = tree();
        assert_eq!(names(dir.path(), "*.log"), [".hidden.log", "a.log"]);
        assert_eq!(
            names(dir.path(), "**/*.log"),
            [".hidden.log", "a.log", "other/e.log", "sub/c.log", "sub/deep/d.log"]
        );
        assert_eq!(names(dir.path(), "sub/**/*.log"), ["sub/c.log", "sub/deep/d.log"]);
        assert_eq!(names(dir.path(), "*/c.log"), ["sub/c.log"]);
        assert_eq!(names(dir.path(), "sub/**"), ["sub/deep"]);
        assert_eq!(names(dir.path(), "b.txt"), ["b.txt"]);
        assert!(names(dir.path(), "nope/*").is_empty());
        names(dir.path(), "**/**/*");
        names(dir.path(), "s?b/[cd]*");
    }

    #[test]
    fn a_symlink_loop_is_not_followed_and_the_cap_and_deadline_hold() {
        let dir = tree();
        std::os::unix::fs::symlink("..", dir.path().join("sub/up")).unwrap();
        let all = glob(&format!("{}/**/c.log", dir.path().display()), &Deadline::never()).unwrap();
        assert_eq!(all, [dir.path().join("sub/c.log")]);
        let pattern = format!("{}/**/*", dir.path().display());
        assert!(matches!(glob_capped(&pattern, &Deadline::never(), 3), Err(GlobFailure::TooMany)));
        let (deadline, cancel) = Deadline::new(Duration::from_secs(60));
        drop(cancel);
        assert!(matches!(glob(&pattern, &deadline), Err(GlobFailure::Stopped)));
        assert!(matches!(glob("/x/[", &Deadline::never()), Err(GlobFailure::Invalid(_))));
    }
}
