//! `runner daemon [PATH...] [--listen ADDR] [--tags T,...] [--log-format human|json]
//! [--log-file FILE]`: runs every playbook on its schedule until SIGTERM or SIGINT.

use crate::cli::{Cli, DaemonArgs, LogFormat};
use crate::error::Error;
use crate::pipeline::{Services, StateConfig};
use crate::schedule::daemon::{Daemon, DaemonOptions};

pub fn run(cli: &Cli, args: &DaemonArgs) -> crate::error::Result<i32> {
    use std::io::IsTerminal;
    let json = match args.log_format {
        Some(LogFormat::Json) => true,
        Some(LogFormat::Human) => false,
        None => !std::io::stderr().is_terminal(),
    };
    crate::logging::init(&crate::logging::LogOptions {
        verbose: cli.verbose,
        quiet: cli.quiet,
        default_level: "info",
        json,
        file: args.log_file.clone(),
    })?;
    // A path that is not there at start is a mistake in the unit file, not a folder that
    // fills later: exit 74 as `validate` does. (One that goes away later is reported.)
    let default = [std::path::PathBuf::from(crate::playbook::discover::DEFAULT_DIR)];
    let paths = if args.paths.is_empty() { &default[..] } else { &args.paths[..] };
    for path in paths {
        if let Err(source) = std::fs::metadata(path) {
            tracing::error!(target: "runner::daemon", path = %path.display(), error = %source, "cannot read a playbook path");
            return Err(Error::Read { path: path.clone(), source });
        }
    }
    let state_dir = super::run::state_dir(cli.state.as_deref());
    let services = Services::open(&StateConfig { dir: state_dir.clone(), no_store: false }, false)?;
    if let Some(reason) = services.store.as_ref().and_then(|s| s.degraded()) {
        tracing::error!(target: "runner::daemon", %reason, "the store cannot be opened for writing: runs go on, kept in memory until it can");
        services.backlog.unwritable(&reason);
    }
    let grace = crate::duration::parse(&args.shutdown_grace)
        .map_err(|source| Error::DurationFlag { flag: "--shutdown-grace".into(), source })?;
    let options = DaemonOptions { paths: args.paths.clone(), tags: args.tags.clone(), shutdown_grace: grace };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
    let result = runtime.block_on(async move {
        let daemon = Daemon::new(options, services);
        if let Some(address) = &args.listen {
            // A malformed address is a usage error; one that cannot be bound is I/O.
            if address.parse::<std::net::SocketAddr>().is_err() && !address.contains(':') {
                return Err(Error::Usage(format!("--listen {address}: expected host:port, e.g. 127.0.0.1:9464")));
            }
            let listener = tokio::net::TcpListener::bind(address).await.map_err(|source| Error::Write {
                path: std::path::PathBuf::from(format!("listen address {address}")),
                source,
            })?;
            tracing::info!(target: "runner::daemon", address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving the status page, the API, /healthz, /metrics and /status");
            let app = crate::web::app(&state_dir, Some(daemon.liveness()));
            tokio::spawn(crate::web::server::serve(listener, app, crate::web::server::Limits::default()));
        }
        let code = daemon.run().await;
        Ok::<i32, Error>(code)
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    crate::process_group::finish_pending_kills();
    result
}
