//! Listing processes straight from /proc (Linux): the name and start time from
//! `/proc/PID/stat`, the command line only when a pattern (or a truncated name) needs it,
//! resident memory from `/proc/PID/statm` for the matches only. One small read per
//! process is what keeps a `process` check in the low milliseconds; a general-purpose
//! library reads several files per process and per thread.

use std::sync::OnceLock;

/// A process as listed.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    /// The kernel's name (`comm`, at most 15 bytes).
    pub comm: String,
    /// Start time, Unix seconds.
    pub start: i64,
    /// The command line (arguments joined by spaces), when read.
    pub cmdline: Option<String>,
}

impl Proc {
    /// Does this process have this exact name? `comm` is cut at 15 bytes, so a cut name
    /// is compared with the program name of the command line instead.
    pub fn has_name(&mut self, name: &str) -> bool {
        if self.comm == name {
            return true;
        }
        if self.comm.len() == 15 && name.starts_with(&self.comm) {
            let line = self.cmdline.get_or_insert_with(|| read_cmdline(self.pid).unwrap_or_default());
            let program = line.split(' ').next().unwrap_or("");
            return program.rsplit('/').next() == Some(name);
        }
        false
    }

    /// The command line, or the name for a process without one (kernel threads).
    pub fn command_line(&mut self) -> String {
        let line = self.cmdline.get_or_insert_with(|| read_cmdline(self.pid).unwrap_or_default());
        if line.is_empty() { self.comm.clone() } else { line.clone() }
    }
}

/// When the machine booted (Unix seconds), from /proc/stat.
pub fn boot_time() -> i64 {
    static BOOT: OnceLock<i64> = OnceLock::new();
    *BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| text.lines().find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok())))
            .unwrap_or(0)
    })
}

/// Clock ticks per second, the unit of /proc's CPU times.
pub fn clock_ticks() -> i64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks } else { 100 }
}

/// Every process (not threads), except this one.
pub fn list() -> std::io::Result<Vec<Proc>> {
    let own = std::process::id();
    let ticks = clock_ticks();
    let boot = boot_time();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == own {
            continue;
        }
        // A process can vanish between the listing and the read.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        if let Some((comm, start_ticks)) = parse_stat(&stat) {
            out.push(Proc { pid, comm, start: boot + start_ticks / ticks, cmdline: None });
        }
    }
    Ok(out)
}

/// (comm, start time in clock ticks since boot) from `/proc/PID/stat`. The name is in
/// parentheses and may itself contain spaces and parentheses: it ends at the last `)`.
pub fn parse_stat(stat: &str) -> Option<(String, i64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state); starttime is field 22.
    let start = rest.get(19)?.parse().ok()?;
    Some((comm, start))
}

fn read_cmdline(pid: u32) -> Option<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.trim_end_matches('\0').replace('\0', " "))
}

/// Resident memory in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    static PAGE: OnceLock<u64> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    let page = *PAGE.get_or_init(|| u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096));
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_names() {
        let stat = "4242 (my (weird) app) S 1 4242 4242 0 -1 4194560 200 0 0 0 10 5 0 0 20 0 1 0 123456 1000000 200 18446744073709551615";
        assert_eq!(parse_stat(stat), Some(("my (weird) app".to_string(), 123_456)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn lists_this_machines_processes() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        // spawn() returns once the child is inside execve, but the kernel installs the new
        // name and argument area a moment later: until then /proc shows the parent's name
        // and an empty command line. Poll (briefly) for the exec to finish.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut sleep = loop {
            let found = list().unwrap();
            let mut listed = found.into_iter().find(|p| p.pid == child.id()).expect("the child is listed");
            if listed.has_name("sleep") && listed.command_line() == "sleep 5" {
                break listed;
            }
            assert!(std::time::Instant::now() < deadline, "exec never finished: {listed:?}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(sleep.has_name("sleep"));
        assert_eq!(sleep.command_line(), "sleep 5");
        assert!(sleep.start > 1_600_000_000);
        let _ = child.kill();
        let _ = child.wait();
    }
}
