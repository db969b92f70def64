//! The daemon's own `process_*` metrics, as every Prometheus client library exports them
//! (CPU time, memory, open files, start time), read from /proc/self on Linux. Elsewhere
//! there is no /proc and the families are left out rather than reported as zero.

use crate::checks::procfs;
use crate::output::prometheus::Exposition;

/// Adds the `process_*` families of this process to `out`.
pub fn process_samples(out: &mut Exposition) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return };
    // Fields after the command name (which may hold spaces) in `(…)`: state is the first.
    let Some((_, rest)) = stat.rsplit_once(')') else { return };
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(f64::NAN)).collect();
    let field = |n: usize| fields.get(n - 3).copied().filter(|v| v.is_finite());
    let ticks = procfs::clock_ticks() as f64;
    if let (Some(user), Some(system)) = (field(14), field(15)) {
        out.sample(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            "counter",
            "",
            (user + system) / ticks,
        );
    }
    if let Some(start) = field(22) {
        out.sample(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            "gauge",
            "",
            procfs::boot_time() as f64 + start / ticks,
        );
    }
    if let Some(virtual_bytes) = field(23) {
        out.sample("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", "", virtual_bytes);
    }
    if let Some(resident) = procfs::rss_bytes(std::process::id()) {
        out.sample("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", "", resident as f64);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        out.sample("process_open_fds", "Number of open file descriptors.", "gauge", "", entries.count() as f64);
    }
    if let Some(max) = max_open_files() {
        out.sample("process_max_fds", "Maximum number of open file descriptors.", "gauge", "", max);
    }
}

/// The soft limit on open files, from /proc/self/limits ("Max open files  1024  4096  files").
fn max_open_files() -> Option<f64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_its_process_metrics() {
        let mut out = Exposition::default();
        process_samples(&mut out);
        let text = out.render();
        for family in [
            "process_cpu_seconds_total ",
            "process_start_time_seconds ",
            "process_virtual_memory_bytes ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_max_fds ",
        ] {
            assert!(text.contains(&format!("\n{family}")), "{family}missing:\n{text}");
        }
    }
}
