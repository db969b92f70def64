//! A tiny real tmpfs mounted for a test (a full or read-only state disk), unmounted when
//! dropped. Mounting needs root: elsewhere `mount` returns `None` and the test says why it
//! skips.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as mount(8) reads it: "512k") at `path`.
    pub fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(path)
            .status();
        match status {
            Ok(status) if status.success() => Some(Tmpfs { path: path.to_path_buf() }),
            other => {
                eprintln!("skipped: cannot mount a tmpfs at {} ({other:?}); this test needs root", path.display());
                None
            }
        }
    }

    /// Fills the disk with a file until it takes no more.
    pub fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let chunk = [0u8; 4096];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
    }

    /// Makes room again.
    pub fn free(&self) {
        std::fs::remove_file(self.path.join("filler")).unwrap();
    }

    pub fn remount(&self, options: &str) {
        let status =
            Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.path).status().unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
