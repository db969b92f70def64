//! `runner serve [--listen ADDR]`: the status page and the HTTP API from the store, with
//! no scheduling: a central page beside the daemons, which leave their playbooks'
//! snapshots in the store so that none of their files is needed here.

use crate::cli::{Cli, ServeArgs};
use crate::error::Error;

pub fn run(cli: &Cli, args: &ServeArgs) -> crate::error::Result<i32> {
    crate::logging::init(&crate::logging::LogOptions {
        verbose: cli.verbose,
        quiet: cli.quiet,
        default_level: "info",
        json: false,
        file: None,
    })?;
    let address = &args.listen;
    if address.parse::<std::net::SocketAddr>().is_err() && !address.contains(':') {
        return Err(Error::Usage(format!("--listen {address}: expected host:port, e.g. 127.0.0.1:9465")));
    }
    let state_dir = super::run::state_dir(cli.state.as_deref());
    // The store is read through a reader; one that cannot be opened at all is exit 74 here
    // (there is nothing else to serve).
    crate::store::open_reader(&state_dir)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Error::Internal(e.to_string()))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await.map_err(|source| Error::Write {
            path: std::path::PathBuf::from(format!("listen address {address}")),
            source,
        })?;
        let bound = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        tracing::info!(target: "runner::serve", address = %bound, "serving the status page and the API");
        let app = crate::web::app(&state_dir, None);
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| Error::Internal(e.to_string()))?;
        // SIGTERM (systemd) or Ctrl-C ends it; nothing is written, so nothing waits.
        tokio::select! {
            () = crate::web::server::serve(listener, app, crate::web::server::Limits::default()) => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        Ok::<i32, Error>(0)
    })
}
