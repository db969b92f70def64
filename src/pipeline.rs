//! The one pipeline every run goes through, by hand or from the daemon: take the lock,
//! run the engine, then record, report and alert. Nothing after the engine is done twice
//! or differently between `runner run` and the daemon.
//!
//! Each stage after the engine is allowed to fail without losing the others: an
//! unwritable report folder still leaves the run stored and alerted.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::context::Engine;
use crate::engine::state::{MemoryState, ProbeState, ReadOnlyOverlay};
use crate::engine::{self, RunOptions};
use crate::error::Error;
use crate::outcome::RunRecord;
use crate::playbook::Loaded;
use crate::store::Store;

/// Where state lives for this process, if anywhere.
pub struct StateConfig {
    pub dir: PathBuf,
    /// `--no-store`: keep nothing, send nothing.
    pub no_store: bool,
}

/// The shared services of a process: the store (unless `--no-store`) and the engine.
pub struct Services {
    pub store: Option<Arc<Store>>,
    pub engine: Arc<Engine>,
    pub state_dir: PathBuf,
}

impl Services {
    /// Opens the store (unless `no_store`) and builds the engine. A dry run reads the
    /// store and writes nothing to it.
    pub fn open(config: &StateConfig, dry_run: bool) -> Result<Services, Error> {
        // A dry run reads the store if there is one, and never creates or changes it.
        let store = match (config.no_store, dry_run) {
            (true, _) => None,
            (false, true) => Store::open_read_only(&config.dir)?.map(Arc::new),
            (false, false) => Some(Arc::new(Store::open(&config.dir)?)),
        };
        let state: Arc<dyn ProbeState> = match &store {
            None => Arc::new(MemoryState::default()),
            Some(store) if dry_run => Arc::new(ReadOnlyOverlay::new(store.clone())),
            Some(store) => store.clone(),
        };
        let mut engine = Engine::new(state);
        if let Some(store) = &store {
            engine.history = Some(store.clone());
        }
        Ok(Services { store, engine: Arc::new(engine), state_dir: config.dir.clone() })
    }
}

/// Runs a playbook through the whole pipeline. The lock must already be held.
pub async fn run(loaded: Arc<Loaded>, services: &Services, options: RunOptions) -> RunRecord {
    let dry_run = options.dry_run;
    let mut record = engine::run(loaded.clone(), services.engine.clone(), options).await;
    if let Some(store) = &services.store {
        if !dry_run {
            let store = store.clone();
            let copy = record.clone();
            match tokio::task::spawn_blocking(move || store.record_run(&copy)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => record.notes.push(format!("the run could not be stored: {error}")),
                Err(error) => record.notes.push(format!("the run could not be stored: {error}")),
            }
        }
    } else if !dry_run {
        record.notes.push("--no-store: nothing is kept and no alert is sent".into());
    }
    record
}
