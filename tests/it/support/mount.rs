//! Real mounts for tests (we are root in CI): a small tmpfs, a bind mount, each unmounted
//! when dropped. Without root a test skips with a printed reason.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mount that is undone on drop.
pub struct Mounted {
    pub point: PathBuf,
}

impl Mounted {
    /// A tmpfs of `size` (as mount(8) takes it: `4m`) at `point`, created if needed.
    pub fn tmpfs(point: &Path, size: &str) -> Mounted {
        mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"], point)
    }

    /// `source` bind-mounted at `point`.
    pub fn bind(source: &Path, point: &Path) -> Mounted {
        mount(&["--bind", source.to_str().expect("a UTF-8 path")], point)
    }
}

fn mount(args: &[&str], point: &Path) -> Mounted {
    std::fs::create_dir_all(point).unwrap();
    let status = Command::new("mount").args(args).arg(point).status().expect("mount(8) runs");
    assert!(status.success(), "mount {args:?} {} failed", point.display());
    Mounted { point: point.to_path_buf() }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.point).status();
    }
}

/// True when mounting is possible; otherwise prints why the test skips.
pub fn can_mount(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("{test}: skipped, mounting a filesystem needs root");
    }
    root
}
