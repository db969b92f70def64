//! What daemons sharing one store decide together (PLAYBOOK.md, "Fleet"): who is alive
//! (heartbeats, and the silent-runner alarm raised once), and who runs each fire of a
//! `one-host` playbook (claims with leases, never pids). The store takes every decision
//! atomically: two daemons never both take one fire, never both raise one alarm.
//!
//! With one daemon on its own store (SQLite) the same rows are kept and every claim is
//! taken at once; the decisions only matter when the store is shared.

use serde::Serialize;

use crate::error::Error;

/// A daemon's heartbeat: who it is, which instance (a process), and what it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Heartbeat {
    pub host: String,
    /// One process: a random id drawn at start, so that a restarted daemon is told from a
    /// second daemon under the same host id.
    pub instance: String,
    pub pid: u32,
    pub started_ms: i64,
    /// When it last beat.
    pub seen_ms: i64,
    /// The largest grace of its playbooks: how much later than the heartbeat interval it
    /// may be before it is silent.
    pub grace_ms: i64,
    /// The playbooks it loads (their channels carry its alarm).
    pub playbooks: Vec<String>,
    /// When the fleet said it was silent, while it is.
    pub silent_since_ms: Option<i64>,
}

/// What became of a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Beat {
    /// Recorded; `was_silent` is the time the fleet had raised it as silent, if it had
    /// (the alarm is now cleared, and its recovery is this daemon's to send, once).
    Recorded { was_silent: Option<i64> },
    /// Another live instance beats under this host id: nothing was written.
    HostTaken(Heartbeat),
}

/// What a claim on a fire of a `one-host` playbook found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This host holds the fire now (it was free, or already this host's).
    Taken,
    /// This host took over a fire whose claimant's lease lapsed.
    TakenOver { from: String },
    /// Another host holds it, with a live lease until `until_ms`.
    HeldBy { host: String, until_ms: i64 },
    /// The fire was already run to its end (by `host`).
    Done { host: String },
    /// An earlier fire of the playbook still runs under a live lease (fleet-wide overlap).
    Overlap { fire_ms: i64, host: String },
}

/// A claim's row, for views and tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FireClaim {
    pub playbook: String,
    pub fire_ms: i64,
    pub host: String,
    pub lease_until_ms: i64,
    pub finished_ms: Option<i64>,
    pub takeovers: i64,
}

/// Heartbeats and one-host claims.
pub trait FleetStore {
    /// Records `beat` for its host, unless another instance beat under the same host id
    /// since `live_since_ms` (then nothing is written, and that instance is returned).
    fn heartbeat(&self, beat: &Heartbeat, live_since_ms: i64) -> Result<Beat, Error>;

    /// Every host that ever beat, by host id.
    fn fleet_hosts(&self) -> Result<Vec<Heartbeat>, Error>;

    /// Marks `host` silent at `now_ms` if its last beat is still `seen_ms` and it is not
    /// marked already. Returns whether this call marked it: only one daemon raises the
    /// alarm.
    fn mark_silent(&self, host: &str, seen_ms: i64, now_ms: i64) -> Result<bool, Error>;

    /// Claims the fire `fire_ms` of `playbook` for `host` until `now_ms + lease_ms` (see
    /// [`Claim`]). An earlier fire still running under a live lease blocks it.
    fn claim_fire(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64, lease_ms: i64) -> Result<Claim, Error>;

    /// Extends `host`'s lease on a fire to `now_ms + lease_ms`. `false` when the host no
    /// longer holds it (another took it over, or it is finished).
    fn renew_claim(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64, lease_ms: i64) -> Result<bool, Error>;

    /// The fire ran to its end on `host`: nobody takes it over, and it no longer blocks
    /// the next fire.
    fn finish_claim(&self, playbook: &str, fire_ms: i64, host: &str, now_ms: i64) -> Result<(), Error>;

    /// At a fire's deadline (fire + grace), ends a fire that nobody finished and whose lease
    /// (if any) has lapsed, so that it is counted once as missed. `Some(host)` for the one
    /// caller that ended it: the claimant that died, or `""` when nobody ever claimed it.
    fn settle_fire(&self, playbook: &str, fire_ms: i64, now_ms: i64) -> Result<Option<String>, Error>;

    /// The claims of `playbook` for fires at or after `since_ms`, oldest first.
    fn fire_claims(&self, playbook: &str, since_ms: i64) -> Result<Vec<FireClaim>, Error>;
}

/// What a backend writes after [`decide_claim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimWrite {
    /// Insert the fire's row for this host.
    Insert,
    /// Give the existing row to this host, with a new lease (a takeover counts one more).
    Take { takeover: bool },
    /// Write nothing.
    Nothing,
}

/// The one rule of a claim, for every backend: given the fire's row (if any) and the
/// earliest unfinished earlier fire of the playbook (if any), read under the backend's
/// lock, what `host` gets at `now_ms` and what to write.
pub fn decide_claim(
    existing: Option<&FireClaim>,
    earlier: Option<&FireClaim>,
    host: &str,
    now_ms: i64,
) -> (Claim, ClaimWrite) {
    if let Some(earlier) = earlier.filter(|e| e.finished_ms.is_none() && e.lease_until_ms > now_ms) {
        return (Claim::Overlap { fire_ms: earlier.fire_ms, host: earlier.host.clone() }, ClaimWrite::Nothing);
    }
    match existing {
        None => (Claim::Taken, ClaimWrite::Insert),
        Some(row) if row.finished_ms.is_some() => (Claim::Done { host: row.host.clone() }, ClaimWrite::Nothing),
        Some(row) if row.host == host => (Claim::Taken, ClaimWrite::Take { takeover: false }),
        Some(row) if row.lease_until_ms > now_ms => {
            (Claim::HeldBy { host: row.host.clone(), until_ms: row.lease_until_ms }, ClaimWrite::Nothing)
        }
        Some(row) => (Claim::TakenOver { from: row.host.clone() }, ClaimWrite::Take { takeover: true }),
    }
}

/// What a backend writes after [`decide_settle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettleWrite {
    /// Insert the fire's row, finished, with no host (nobody ever claimed it).
    InsertFinished,
    /// Mark the existing row finished.
    Finish,
    /// Write nothing.
    Nothing,
}

/// The one rule of settling a fire at its deadline, for every backend: given its row (if
/// any), read under the backend's lock, who the fire is settled for (the dead claimant, or
/// `""`) and what to write.
pub fn decide_settle(existing: Option<&FireClaim>, now_ms: i64) -> (Option<String>, SettleWrite) {
    match existing {
        None => (Some(String::new()), SettleWrite::InsertFinished),
        Some(row) if row.finished_ms.is_none() && row.lease_until_ms <= now_ms => {
            (Some(row.host.clone()), SettleWrite::Finish)
        }
        Some(_) => (None, SettleWrite::Nothing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(host: &str, fire_ms: i64, lease_until_ms: i64, finished_ms: Option<i64>) -> FireClaim {
        FireClaim { playbook: "api".into(), fire_ms, host: host.into(), lease_until_ms, finished_ms, takeovers: 0 }
    }

    #[test]
    fn a_claim_is_taken_held_taken_over_or_blocked_by_an_earlier_fire() {
        assert_eq!(decide_claim(None, None, "a", 100), (Claim::Taken, ClaimWrite::Insert));
        let held = row("b", 1_000, 150, None);
        assert_eq!(decide_claim(Some(&held), None, "a", 100).0, Claim::HeldBy { host: "b".into(), until_ms: 150 });
        assert_eq!(decide_claim(Some(&held), None, "b", 100), (Claim::Taken, ClaimWrite::Take { takeover: false }));
        assert_eq!(
            decide_claim(Some(&held), None, "a", 150),
            (Claim::TakenOver { from: "b".into() }, ClaimWrite::Take { takeover: true }),
            "a lease that ends now has lapsed"
        );
        let done = row("b", 1_000, 150, Some(140));
        assert_eq!(decide_claim(Some(&done), None, "a", 200).0, Claim::Done { host: "b".into() });
        let running = row("c", 0, 500, None);
        assert_eq!(decide_claim(None, Some(&running), "a", 100).0, Claim::Overlap { fire_ms: 0, host: "c".into() });
        assert_eq!(decide_claim(None, Some(&running), "a", 600).0, Claim::Taken, "its lease lapsed: it died");
        assert_eq!(decide_claim(None, Some(&row("c", 0, 500, Some(90))), "a", 100).0, Claim::Taken);
    }
}
