//! What probes share within a process: HTTP clients (with their connection pools), the
//! system reader, and the state kept between runs. Built once per `runner run` or daemon,
//! handed to every probe through [`ProbeContext`].

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::state::{ProbeState, StateKey};
use crate::checks::system::SystemReader;
use crate::playbook::Check;

/// Shared services for probes.
pub struct Engine {
    pub http: HttpClients,
    pub system: Arc<SystemReader>,
    pub state: Arc<dyn ProbeState>,
    /// Reads stored metrics for `history` checks (none without a store).
    pub history: Option<Arc<dyn crate::checks::history::MetricHistory>>,
    /// Runner's own actions and the remediation audit (none without a store).
    pub journal: Option<Arc<dyn super::journal::Journal>>,
    /// The state folder, whose `locks/` holds the per-check remediation locks, if any.
    pub lock_dir: Option<std::path::PathBuf>,
    /// Where commands' process groups are recorded while they run (none without a store,
    /// and in a dry run).
    pub groups: Option<Arc<dyn super::process::GroupJournal>>,
}

impl Engine {
    pub fn new(state: Arc<dyn ProbeState>) -> Self {
        Engine {
            http: HttpClients::default(),
            system: Arc::new(SystemReader::default()),
            state,
            history: None,
            journal: None,
            lock_dir: None,
            groups: None,
        }
    }

    /// Whom a command of `playbook` runs for: its process group is recorded.
    pub fn owner(&self, playbook: &str) -> Option<super::process::Owner> {
        let journal = self.groups.clone()?;
        Some(super::process::Owner { journal, playbook: playbook.to_string() })
    }
}

/// One reqwest client per (verify, follow redirects) combination, built on first use and
/// shared, so that checks of the same host reuse connections.
#[derive(Default)]
pub struct HttpClients {
    clients: [OnceLock<Result<reqwest::Client, String>>; 4],
}

impl HttpClients {
    pub fn get(&self, verify: bool, follow_redirects: bool) -> Result<reqwest::Client, String> {
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
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .clone()
    }
}

/// What one probe attempt sees.
pub struct ProbeContext<'a> {
    pub engine: &'a Engine,
    /// The playbook's name (state and history are kept per playbook).
    pub playbook: &'a str,
    pub check: &'a Check,
    /// The playbook's folder.
    pub base_dir: &'a Path,
    /// This attempt's time limit (the engine enforces it; probes pass it to libraries
    /// so that their own errors say what happened).
    pub timeout: Duration,
    /// Metrics that thresholds ask for: probes with costly optional metrics read them
    /// only when wanted.
    pub wanted: Vec<String>,
    /// When runner itself restarted things (its actions and remediations), so that
    /// `restarts` does not count them: (start, end) in Unix seconds.
    pub runner_intervals: Vec<crate::checks::restarts::Interval>,
}

impl ProbeContext<'_> {
    pub fn state_key(&self, name: &str) -> StateKey {
        StateKey::new(self.playbook, self.check.id.as_str(), name)
    }

    pub fn wants(&self, metric: &str) -> bool {
        self.wanted.iter().any(|m| m == metric)
    }

    pub fn runner_restarts(&self) -> Vec<crate::checks::restarts::Interval> {
        self.runner_intervals.clone()
    }
}
