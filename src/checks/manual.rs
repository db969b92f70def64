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
