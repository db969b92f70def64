//! `manual`: a checklist item for a human. Status MANUAL; never changes the exit code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::Text;

/// Something a person checks by hand.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualCheck {
    /// What to do.
    pub instructions: Text,
}

use crate::outcome::{Observation, Status};

/// A manual item is never run: it is a checklist entry, status MANUAL.
pub fn probe(config: &ManualCheck) -> Observation {
    Observation::with_status(Status::Manual, config.instructions.as_str().to_string())
}
