//! Decisions in PostgreSQL (`decisions`; see `store::decisions`): written inside the run's
//! transaction where the run is recorded (`RunStore`), referenced to the run by its id, and
//! so of the run's host.

use postgres::Row;

use super::PostgresStore;
use crate::error::Error;
use crate::store::decisions::{DecisionRow, DecisionStore};

fn row(r: &Row, first: usize) -> Result<DecisionRow, postgres::Error> {
    let reasons: String = r.try_get(first + 3)?;
    Ok(DecisionRow {
        check: r.try_get(first)?,
        channel: r.try_get(first + 1)?,
        kind: r.try_get(first + 2)?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
    })
}

impl DecisionStore for PostgresStore {
    fn decisions(&self, run_id: &str) -> Result<Vec<DecisionRow>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT check_id, channel, kind, reasons FROM decisions WHERE run_id = $1 ORDER BY check_id, channel",
                &[&run_id],
            )?;
            rows.iter().map(|r| row(r, 0)).collect()
        })
    }

    fn latest_decisions(&self, playbook: Option<&str>) -> Result<Vec<(String, String, DecisionRow)>, Error> {
        self.with(|c| {
            // This host's runs, as every read of runs is.
            let rows = c.query(
                "SELECT DISTINCT ON (p.name, d.channel, d.check_id) p.name, r.run_id, d.check_id, d.channel, d.kind, d.reasons
                 FROM decisions d JOIN runs r ON r.run_id = d.run_id JOIN playbooks p ON p.id = r.playbook_id
                 WHERE r.host = $1 AND ($2::text IS NULL OR p.name = $2)
                 ORDER BY p.name, d.channel, d.check_id, r.started_ms DESC, r.id DESC",
                &[&self.host, &playbook],
            )?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, row(r, 2)?))).collect()
        })
    }
}
