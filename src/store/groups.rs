//! Process groups of running commands, recorded per host while their leader runs (see
//! `process_group`, whose [`GroupJournal`] this is): what a run killed with `kill -9`
//! leaves is found here at the next start. A record names the run it belongs to (the
//! playbook's run in progress, whose placeholder `begin_run` wrote), for the audit.
//! Journal writes do not fail the command they record: a backend logs what it cannot
//! write (at debug level while the store is degraded, which was said once already).

use crate::error::Error;
use crate::process_group::GroupJournal;

/// The process groups recorded on this host.
pub trait GroupStore: GroupJournal {
    /// The playbooks with process groups recorded on this host, sorted.
    fn playbooks_with_groups(&self) -> Result<Vec<String>, Error>;
}
