//! The HTTP clients a process shares: `http` checks, `http` actions and alert delivery
//! reuse their connection pools.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The HTTP client could not be built (its TLS setup refused). Clone, as the one failed
/// build answers every later caller; the reqwest error is shared.
#[derive(Clone, Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientSetupError(#[source] Arc<reqwest::Error>);

/// One reqwest client per (verify, follow redirects) combination, built on first use and
/// shared, so that checks of the same host reuse connections.
#[derive(Default)]
pub struct HttpClients {
    clients: [OnceLock<Result<reqwest::Client, ClientSetupError>>; 4],
}

impl HttpClients {
    pub fn get(&self, verify: bool, follow_redirects: bool) -> Result<reqwest::Client, ClientSetupError> {
        let index = usize::from(verify) * 2 + usize::from(follow_redirects);
        self.clients[index]
            .get_or_init(|| {
                crate::checks::tls::install_provider();
                let redirects = if follow_redirects {
                    reqwest::redirect::Policy::limited(10)
                } else {
                    reqwest::redirect::Policy::none()
                };
                // A TLS config of our own: the same roots as `tcp` checks, read lazily.
                let tls =
                    if verify { crate::checks::tls::verifying_config() } else { crate::checks::tls::insecure_config() };
                reqwest::Client::builder()
                    .user_agent(concat!("runner/", env!("CARGO_PKG_VERSION")))
                    .redirect(redirects)
                    .tls_backend_preconfigured((*tls).clone())
                    .tls_info(true)
                    .connect_timeout(Duration::from_secs(30))
                    .pool_idle_timeout(Duration::from_secs(30))
                    .build()
                    .map_err(|e| ClientSetupError(Arc::new(e)))
            })
            .clone()
    }
}
