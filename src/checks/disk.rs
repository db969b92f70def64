//! The filesystem that holds a path, measured as `df` measures it.
//!
//! statvfs(2) on the path itself answers for the filesystem that really holds it, whatever
//! is stacked where (tmpfs, overlay, bind mounts): no mount-table guesswork decides the
//! figures. The mount table (/proc/self/mountinfo) only names the mount point and its type
//! for the message. Percentages follow df: blocks reserved for root are counted neither as
//! used nor as available, so `used_percent` is used / (used + available).
//!
//! This module owns reading one filesystem's usage; the `system` check turns it into metrics.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::system::percent;

/// Why a path's filesystem could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("{path} does not exist")]
    Missing { path: String },
    #[error("cannot read the filesystem of {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
}

/// The usage of the filesystem holding a path.
#[derive(Clone, Debug, PartialEq)]
pub struct DiskUsage {
    /// Used blocks as a share of used + available, in percent (one decimal).
    pub used_percent: f64,
    /// Bytes an unprivileged user can still write.
    pub free_bytes: u64,
    /// Used inodes in percent, or `None` when the filesystem does not count inodes.
    pub inodes_used_percent: Option<f64>,
    /// Where the filesystem is mounted, and its type, when the mount table says.
    pub mount: Option<Mount>,
}

/// A mount table entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub point: PathBuf,
    pub fstype: String,
}

/// Measures the filesystem that holds `path`.
pub fn usage(path: &str) -> Result<DiskUsage, DiskError> {
    let unreadable = |source| DiskError::Unreadable { path: path.to_string(), source };
    let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => DiskError::Missing { path: path.to_string() },
        _ => unreadable(error),
    })?;
    let stats = statvfs(Path::new(path)).map_err(unreadable)?;
    let fragment = stats.f_frsize as u64;
    let used = (stats.f_blocks as u64).saturating_sub(stats.f_bfree as u64);
    let available = stats.f_bavail as u64;
    let inodes_used = (stats.f_files as u64).saturating_sub(stats.f_ffree as u64);
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    Ok(DiskUsage {
        used_percent: percent(used, used + available),
        free_bytes: available.saturating_mul(fragment),
        inodes_used_percent: (stats.f_files > 0).then(|| percent(inodes_used, inodes_used + stats.f_favail as u64)),
        mount: std::fs::read_to_string("/proc/self/mountinfo")
            .ok()
            .and_then(|table| mount_of(&table, &canonical, metadata.dev())),
    })
}

fn statvfs(path: &Path) -> std::io::Result<libc::statvfs> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path contains a NUL byte"))?;
    // SAFETY: statvfs is plain old data, fully written by a successful call.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is a valid NUL-terminated string and stats a valid out pointer.
    if unsafe { libc::statvfs(c_path.as_ptr(), &raw mut stats) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stats)
}

/// The mount holding `path` (canonical) on device `device`: the longest mount point that
/// is a prefix of the path, preferring entries of that device (a bind mount and its
/// source share a device; a prefix of another device is only a fallback), and the last
/// entry on a tie (the mount on top of a stack).
pub fn mount_of(mountinfo: &str, path: &Path, device: u64) -> Option<Mount> {
    let wanted = format!("{}:{}", libc::major(device), libc::minor(device));
    let mut best: Option<(bool, usize, Mount)> = None;
    for line in mountinfo.lines() {
        // id parent major:minor root mount-point options [optional…] - fstype source …
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(separator) = fields.iter().position(|f| *f == "-") else { continue };
        let (Some(device_field), Some(point), Some(fstype)) = (fields.get(2), fields.get(4), fields.get(separator + 1))
        else {
            continue;
        };
        let point = PathBuf::from(unescape(point));
        if !path.starts_with(&point) {
            continue;
        }
        let rank = (*device_field == wanted, point.as_os_str().len());
        if best.as_ref().is_none_or(|(same, len, _)| rank >= (*same, *len)) {
            best = Some((rank.0, rank.1, Mount { point, fstype: fstype.to_string() }));
        }
    }
    best.map(|(_, _, mount)| mount)
}

/// Mount points in mountinfo write space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match octal {
            Some(byte) if bytes[i] == b'\\' => {
                out.push(byte);
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:40 / /mnt/data rw - tmpfs tmpfs rw,size=1024k
31 22 253:0 /srv/files /mnt/bound rw - ext4 /dev/vda rw
32 30 0:41 / /mnt/data rw - tmpfs tmpfs rw,size=2048k
33 22 0:42 / /mnt/with\\040space rw - tmpfs tmpfs rw
";

    #[test]
    fn the_longest_mount_of_the_device_wins_and_the_top_of_a_stack() {
        let device = libc::makedev(0, 41);
        let mount = mount_of(TABLE, Path::new("/mnt/data/x"), device).unwrap();
        assert_eq!(mount, Mount { point: "/mnt/data".into(), fstype: "tmpfs".into() });
        let root = libc::makedev(253, 0);
        assert_eq!(mount_of(TABLE, Path::new("/mnt/bound/a"), root).unwrap().point, Path::new("/mnt/bound"));
        assert_eq!(mount_of(TABLE, Path::new("/mnt/boundless"), root).unwrap().point, Path::new("/"));
        let spaced = mount_of(TABLE, Path::new("/mnt/with space/f"), libc::makedev(0, 42)).unwrap();
        assert_eq!(spaced.point, Path::new("/mnt/with space"));
    }

    #[test]
    fn a_missing_path_is_said() {
        let error = usage("/no/such/path-for-disk").unwrap_err();
        assert_eq!(error.to_string(), "/no/such/path-for-disk does not exist");
    }
}
