//! HTTP: what `runner daemon --listen` and `runner serve` answer. One axum router per
//! server, assembled from the parts that have something to say (the daemon's own
//! liveness; later the store's page, API and badges), served by [`server`] behind limits
//! that keep a slow or hostile client from holding the process: the scheduler shares its
//! runtime with this server, so nothing here may wait on a client without a deadline.

pub mod liveness;
pub mod server;
