//! Extra server processes for tests (mosquitto, nats-server): on a free port, with their
//! files in a folder of their own, killed when dropped.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::redis::free_port;

pub struct ServerProcess {
    pub port: u16,
    child: Child,
    /// The server's files (configuration, password files), removed with it.
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `program` with the arguments `args` makes for a free port and the server's
    /// folder `dir` (see [`folder`]), and waits until it accepts connections. A port taken
    /// meanwhile by someone else is retried with another.
    pub fn start(program: &str, dir: tempfile::TempDir, args: impl Fn(u16, &Path) -> Vec<String>) -> ServerProcess {
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(program)
                .args(args(port, dir.path()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{program} is installed (tests/run installs it): {e}"));
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return ServerProcess { port, child, _dir: dir };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start {program}");
    }
}

/// A folder for a server's files. Servers started as root may drop to a user of their own
/// (mosquitto does): it can read the folder and what is written in it.
pub fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command that must succeed (a server's own tool: `mosquitto_passwd`, …).
pub fn run_tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed (tests/run installs it): {e}"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}
