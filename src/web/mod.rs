//! HTTP: what `runner daemon --listen` and `runner serve` answer. One axum router per
//! server, assembled from the parts that have something to say (the daemon's own
//! liveness; later the store's page, API and badges), served by [`server`] behind limits
//! that keep a slow or hostile client from holding the process: the scheduler shares its
//! runtime with this server, so nothing here may wait on a client without a deadline.

pub mod api;
pub mod auth;
pub mod badge;
pub mod board;
pub mod cache;
pub mod liveness;
pub mod page;
pub mod problem;
pub mod serve_health;
pub mod server;
pub mod silences;
pub mod site;
pub mod svg;
pub mod text;
pub mod uptime;
pub mod windows;

/// The whole router: the store's page, API and badges (through a reader of the store in
/// `state_dir`) and, for a daemon, its liveness routes. A store that cannot be read leaves
/// the daemon's own routes, said once in the log.
pub fn app(state_dir: &std::path::Path, live: Option<crate::schedule::liveness::Shared>) -> axum::Router {
    let liveness = live.clone().map(liveness::routes).unwrap_or_default();
    match crate::store::open_reader(state_dir) {
        Ok(store) => {
            // `runner serve` has no loop: its health and metrics are the store's and its own.
            let own = if live.is_none() { serve_health::routes(store.clone()) } else { liveness };
            site::routes(site::Site::new(store, live, state_dir)).merge(own).fallback(site::fallback)
        }
        Err(error) => {
            tracing::error!(target: "runner::web", %error, "the store cannot be read: no status page or API");
            liveness.fallback(liveness::fallback)
        }
    }
}
