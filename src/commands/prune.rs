//! `runner prune --older-than 90d`: deletes stored history older than that (runs, their
//! results and metrics, delivered or dropped notifications, the remediation audit), then
//! compacts the file.

use crate::cli::{Cli, PruneArgs};
use crate::error::Error;

pub fn run(cli: &Cli, args: &PruneArgs) -> crate::error::Result<i32> {
    let age = crate::duration::parse(&args.older_than)
        .map_err(|source| Error::DurationFlag { flag: format!("--older-than {}", args.older_than), source })?;
    if age.is_zero() {
        return Err(Error::Usage("--older-than must be more than zero".into()));
    }
    let store = crate::store::open(&super::run::state_dir(cli.state.as_deref()))?;
    let cutoff = crate::clock::now().as_millisecond() - age.as_millis() as i64;
    let runs = store.prune(None, cutoff)?;
    store.vacuum()?;
    super::print_stdout(&format!(
        "deleted {runs} run{} older than {}\n",
        if runs == 1 { "" } else { "s" },
        crate::duration::format(age)
    ))?;
    Ok(0)
}
