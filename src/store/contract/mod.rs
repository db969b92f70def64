//! The store's contract, as tests: written against `&dyn Store` only, and run against
//! every backend through [`each_backend`], so that a second backend (PostgreSQL) passes
//! the very same tests by adding its factory to [`BACKENDS`]. What is one backend's own
//! (SQLite's file modes, migrations, degraded opening) is tested beside that backend.

use std::sync::Arc;

use super::Store;

/// A fresh, empty store of one backend, and what must live as long as it (its folder).
pub(crate) struct Fresh {
    pub(crate) store: Arc<dyn Store>,
    _keep: Box<dyn std::any::Any>,
}

/// Makes a fresh store of one backend.
type Factory = fn() -> Fresh;

/// Every backend, by name, with the factory of a fresh store.
const BACKENDS: &[(&str, Factory)] = &[("sqlite", sqlite)];

/// SQLite in a temporary state folder, opened through the same seam as runner's.
fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = super::open(dir.path()).expect("a fresh SQLite store opens");
    Fresh { store, _keep: Box::new(dir) }
}

/// Runs `test` on a fresh store of each backend; a failure names the backend.
pub(crate) fn each_backend(test: impl Fn(&Arc<dyn Store>)) {
    for (name, make) in BACKENDS {
        let fresh = make();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&fresh.store)));
        if let Err(panic) = outcome {
            eprintln!("the store contract fails on the {name} backend");
            std::panic::resume_unwind(panic);
        }
    }
}
