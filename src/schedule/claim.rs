//! One fire of a `run_on: one-host` playbook on a shared store (PLAYBOOK.md, "Fleet"): who
//! runs it is decided by a claim in the store, under a lease (grace ÷ 2, within 1 s …
//! 30 s) that the runner renews every third of its length while the run lasts. A daemon
//! that finds the fire held watches it until fire + grace: if the holder's lease lapses
//! it takes the fire over; if the deadline passes with the fire unfinished and unleased,
//! one daemon records it missed as `claimant-died`.
//!
//! The store decides (`store::fleet`); this module only keeps the lease alive and waits.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::error::Error;
use crate::store::Store;
use crate::store::fleet::Claim;

/// The shortest and the longest lease.
const MIN_LEASE: Duration = Duration::from_secs(1);
const MAX_LEASE: Duration = Duration::from_secs(30);

/// The grace of a fire of `loaded` when the fleet claims it: a `run_on: one-host` playbook
/// on a shared store (a playbook without a schedule, run by hand, has a minute). `None`
/// when nothing is claimed.
pub fn one_host_grace(loaded: &crate::playbook::Loaded) -> Option<Duration> {
    let one_host = loaded.playbook.run_on == Some(crate::playbook::types::RunOn::OneHost);
    if !one_host || !crate::store::is_shared() {
        return None;
    }
    let schedule = super::plan::schedule_of(loaded, &crate::host::id());
    Some(schedule.map(|s| s.grace).unwrap_or(Duration::from_secs(60)))
}

/// The lease of a playbook with this grace: half of it, within 1 s … 30 s.
pub fn lease_for(grace: Duration) -> Duration {
    (grace / 2).clamp(MIN_LEASE, MAX_LEASE)
}

/// What a claim gave this host.
pub enum Taken {
    /// This host runs the fire: keep the lease until [`Lease::finish`].
    Mine(Lease),
    /// Another host has it, or had it; `until_ms` is when to look again (its lease's end),
    /// if there is anything to watch.
    Elsewhere { holder: String, until_ms: Option<i64> },
}

/// Claims `fire` of `playbook` for `host` now.
pub fn claim(
    store: &Arc<dyn Store>,
    playbook: &str,
    fire: Timestamp,
    host: &str,
    lease: Duration,
) -> Result<Taken, Error> {
    let now = crate::clock::now_ms();
    let fire_ms = fire.as_millisecond();
    let claim = store.claim_fire(playbook, fire_ms, host, now, lease.as_millis() as i64)?;
    Ok(match claim {
        Claim::Taken => Taken::Mine(Lease::keep(store.clone(), playbook, fire_ms, host, lease)),
        Claim::TakenOver { from } => {
            tracing::warn!(target: "runner::fleet", playbook, %fire, from = %from, "took over a fire whose claimant's lease lapsed");
            Taken::Mine(Lease::keep(store.clone(), playbook, fire_ms, host, lease))
        }
        Claim::HeldBy { host, until_ms } => Taken::Elsewhere { holder: host, until_ms: Some(until_ms) },
        Claim::Overlap { host, .. } => {
            Taken::Elsewhere { holder: host, until_ms: Some(now + lease.as_millis() as i64) }
        }
        Claim::Done { host } => Taken::Elsewhere { holder: host, until_ms: None },
    })
}

/// A held claim, renewed in the background until it is finished or dropped.
pub struct Lease {
    store: Arc<dyn Store>,
    playbook: String,
    fire_ms: i64,
    host: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl Lease {
    fn keep(store: Arc<dyn Store>, playbook: &str, fire_ms: i64, host: &str, lease: Duration) -> Lease {
        let renewer = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (store, playbook, host) = (store.clone(), playbook.to_string(), host.to_string());
            runtime.spawn(async move {
                let mut every = tokio::time::interval(lease / 3);
                every.tick().await;
                loop {
                    every.tick().await;
                    let now = crate::clock::now_ms();
                    let renewed = {
                        let (store, playbook, host) = (store.clone(), playbook.clone(), host.clone());
                        tokio::task::spawn_blocking(move || {
                            store.renew_claim(&playbook, fire_ms, &host, now, lease.as_millis() as i64)
                        })
                        .await
                    };
                    match renewed {
                        Ok(Ok(true)) => {}
                        Ok(Ok(false)) => {
                            tracing::warn!(target: "runner::fleet", playbook = %playbook, fire_ms, "the lease of this run was lost: another host took the fire over");
                            return;
                        }
                        Ok(Err(error)) => tracing::warn!(target: "runner::fleet", %error, "cannot renew the lease of a one-host run"),
                        Err(_) => return,
                    }
                }
            })
        });
        Lease { store, playbook: playbook.to_string(), fire_ms, host: host.to_string(), renewer }
    }

    /// The run ended: the fire is done, and the next fire is free to be claimed.
    pub fn finish(mut self) {
        self.stop_renewing();
        if let Err(error) = self.store.finish_claim(&self.playbook, self.fire_ms, &self.host, crate::clock::now_ms()) {
            tracing::warn!(target: "runner::fleet", %error, "cannot mark a one-host fire finished; its lease will lapse");
        }
    }

    fn stop_renewing(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop_renewing();
    }
}

/// What watching a fire held elsewhere came to.
pub enum Watched {
    /// The holder's lease lapsed before the deadline: this host took the fire over.
    TakenOver(Lease),
    /// It finished, or another host took it over, or the deadline passed with the fire
    /// live elsewhere: nothing for this host to do.
    Nothing,
    /// The deadline passed with the fire unfinished and unleased: this host settled it as
    /// missed (`claimant` is the host that died, empty when nobody claimed it).
    Missed { claimant: String },
}

/// Watches a fire held elsewhere until `deadline` (fire + grace): looks again when the
/// holder's lease would end, takes the fire over if it lapsed, and at the deadline
/// settles an abandoned fire (once for the fleet).
pub async fn watch(
    store: Arc<dyn Store>,
    playbook: String,
    fire: Timestamp,
    host: String,
    lease: Duration,
    mut look_at_ms: i64,
    deadline: Timestamp,
) -> Result<Watched, Error> {
    let deadline_ms = deadline.as_millisecond();
    loop {
        let now = crate::clock::now_ms();
        let next = look_at_ms.min(deadline_ms);
        if next > now {
            tokio::time::sleep(Duration::from_millis((next - now) as u64 + 5)).await;
        }
        let (store_now, name, me) = (store.clone(), playbook.clone(), host.clone());
        if crate::clock::now_ms() >= deadline_ms {
            let settled = tokio::task::spawn_blocking(move || {
                store_now.settle_fire(&name, fire.as_millisecond(), crate::clock::now_ms())
            })
            .await
            .map_err(Error::Task)??;
            return Ok(match settled {
                Some(claimant) => Watched::Missed { claimant },
                None => Watched::Nothing,
            });
        }
        let taken = tokio::task::spawn_blocking(move || claim(&store_now, &name, fire, &me, lease))
            .await
            .map_err(Error::Task)??;
        match taken {
            Taken::Mine(lease) => return Ok(Watched::TakenOver(lease)),
            Taken::Elsewhere { until_ms: None, .. } => return Ok(Watched::Nothing),
            Taken::Elsewhere { until_ms: Some(until), .. } => look_at_ms = until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_half_the_grace_within_one_and_thirty_seconds() {
        assert_eq!(lease_for(Duration::from_millis(500)), MIN_LEASE);
        assert_eq!(lease_for(Duration::from_secs(10)), Duration::from_secs(5));
        assert_eq!(lease_for(Duration::from_secs(600)), MAX_LEASE);
    }
}
