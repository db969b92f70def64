//! systemd's notify protocol: `READY=1` once the daemon schedules, `WATCHDOG=1` from the
//! scheduling loop itself (so a stuck loop stops the pings and systemd restarts it),
//! `RELOADING=1` / `STOPPING=1` around reloads and shutdown. One datagram to
//! `$NOTIFY_SOCKET`; no crate needed. Without the variable, nothing is sent.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// The notify socket, if systemd gave one.
pub struct Notifier {
    socket: Option<(UnixDatagram, String)>,
}

impl Notifier {
    pub fn from_env() -> Notifier {
        let socket = std::env::var("NOTIFY_SOCKET").ok().filter(|s| !s.is_empty()).and_then(|path| {
            let datagram = UnixDatagram::unbound().ok()?;
            Some((datagram, path))
        });
        Notifier { socket }
    }

    /// Sends one state line (`READY=1`, `WATCHDOG=1`, …).
    pub fn send(&self, state: &str) {
        let Some((socket, path)) = &self.socket else { return };
        let result = if let Some(name) = path.strip_prefix('@') {
            // An abstract socket (Linux).
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                    .and_then(|address| socket.send_to_addr(state.as_bytes(), &address))
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = name;
                Ok(0)
            }
        } else {
            socket.send_to(state.as_bytes(), path)
        };
        if let Err(error) = result {
            tracing::warn!(target: "runner::daemon", %error, state, "cannot notify systemd");
        }
    }

    /// How often to ping the watchdog: half of `$WATCHDOG_USEC`, if set.
    pub fn watchdog_interval() -> Option<Duration> {
        let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
        (usec > 0).then(|| Duration::from_micros(usec / 2))
    }
}
