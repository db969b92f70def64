//! Silences in the store: made, listed, ended by hand, released check by check
//! (`--until-ok`), and kept after they end for `history`. What a silence means is
//! `quiet::silence`'s; this file only keeps them.

use crate::error::Error;
use crate::quiet::silence::{NewSilence, Silence};

/// Keeping silences. `Send + Sync`: the engine holds the store as an
/// `Arc<dyn SilenceStore>` to read them once per run and record `--until-ok` releases.
pub trait SilenceStore: Send + Sync {
    /// Stores a new silence; its id.
    fn add_silence(&self, new: &NewSilence) -> Result<i64, Error>;
    /// The silences in force at `now_ms` (`ended == false`), or those that ended.
    fn silences(&self, now_ms: i64, ended: bool) -> Result<Vec<Silence>, Error>;
    /// One silence by id, whatever its state.
    fn silence(&self, id: i64) -> Result<Option<Silence>, Error>;
    /// Ends a silence now; false when it was not in force.
    fn expire_silence(&self, id: i64, now_ms: i64, by: &str) -> Result<bool, Error>;
    /// Releases one check of an `--until-ok` silence (its first OK); the silence ends when
    /// every check it matched when made is released.
    fn release_silence(&self, id: i64, playbook: &str, check: &str, now_ms: i64) -> Result<(), Error>;
    /// Every (playbook, check) the store has results for.
    fn known_checks(&self) -> Result<Vec<(String, String)>, Error>;
}
