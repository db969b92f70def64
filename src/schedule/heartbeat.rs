//! A daemon's heartbeat in a shared store, and the silent-runner alarm (PLAYBOOK.md,
//! "Fleet"): every 15 s each daemon beats under its host id; one that has not beaten for
//! 45 s plus the largest grace of its playbooks is raised as silent by the first daemon
//! that notices (the store lets one win), and its own next beat clears the alarm and says
//! that it is back. A second process under a live host id is refused at start: two hosts
//! under one id would overwrite each other's state.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::store::Store;
use crate::store::fleet::{Beat, Heartbeat};

/// How often a daemon beats.
pub const BEAT_EVERY: Duration = Duration::from_secs(15);

/// How long without a beat makes a host silent, before its playbooks' grace.
pub const SILENT_AFTER: Duration = Duration::from_secs(45);

/// This daemon, as the fleet sees it.
pub struct Member {
    host: String,
    instance: String,
    started_ms: i64,
    last_beat: Option<Instant>,
}

/// What one beat found.
#[derive(Debug, Default)]
pub struct Heard {
    /// This host had been raised as silent (since then, Unix ms): it is back.
    pub back_after: Option<i64>,
    /// Hosts this daemon has just raised as silent (host, last heard, Unix ms).
    pub newly_silent: Vec<(String, i64)>,
    /// Every host silent now (host, last heard).
    pub silent: Vec<(String, i64)>,
}

impl Member {
    pub fn new(host: &str) -> Member {
        let started_ms = crate::clock::now_ms();
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        Member {
            host: host.to_string(),
            instance: format!("{}-{nanos:08x}", std::process::id()),
            started_ms,
            last_beat: None,
        }
    }

    /// Whether a beat is due.
    pub fn due(&self) -> bool {
        self.last_beat.is_none_or(|at| at.elapsed() >= BEAT_EVERY)
    }

    /// Beats, then looks for silent hosts. `Err(Usage)` when another live process beats
    /// under this host id.
    pub fn beat(&mut self, store: &dyn Store, playbooks: Vec<String>, grace: Duration) -> Result<Heard, Error> {
        let now = crate::clock::now_ms();
        let beat = Heartbeat {
            host: self.host.clone(),
            instance: self.instance.clone(),
            pid: std::process::id(),
            started_ms: self.started_ms,
            seen_ms: now,
            grace_ms: grace.as_millis() as i64,
            playbooks,
            silent_since_ms: None,
        };
        let live_since = now - (SILENT_AFTER.as_millis() as i64 + beat.grace_ms);
        let back_after = match store.heartbeat(&beat, live_since)? {
            Beat::Recorded { was_silent } => was_silent,
            Beat::HostTaken(other) => {
                return Err(Error::Usage(format!(
                    "host id {:?} is in use by another live runner (pid {}, last heard {} ms ago): give each daemon its own --host-id",
                    self.host,
                    other.pid,
                    now - other.seen_ms
                )));
            }
        };
        self.last_beat = Some(Instant::now());
        let mut heard = Heard { back_after, ..Heard::default() };
        for host in store.fleet_hosts()? {
            if host.host == self.host {
                continue;
            }
            let silent_at = host.seen_ms + SILENT_AFTER.as_millis() as i64 + host.grace_ms;
            if now < silent_at {
                continue;
            }
            if host.silent_since_ms.is_none() && store.mark_silent(&host.host, host.seen_ms, now)? {
                heard.newly_silent.push((host.host.clone(), host.seen_ms));
            }
            heard.silent.push((host.host, host.seen_ms));
        }
        Ok(heard)
    }
}
