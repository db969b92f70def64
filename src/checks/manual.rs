//! `manual`: a checklist item for a human. Status MANUAL; never changes the exit code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::Text;

/// Something a person checks by hand.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualCheck {
    /// What to do.
    pub instructions: Text,
}

impl CheckKind for ManualCheck {
    fn validate(&self, rules: &mut KindRules<'_>) {
        let check = rules.check;
        if check.thresholds.is_some() || check.remediate.is_some() || check.retries.is_some() {
            rules.warning(
                check.id.span(),
                "a manual check has no metrics, retries or remediation; those keys do nothing",
            );
        }
    }
}

use crate::outcome::{Observation, Status};
use crate::probe::context::ProbeContext;

/// A manual item is never run: it is a checklist entry, status MANUAL.
pub async fn probe(config: &ManualCheck, _ctx: &ProbeContext<'_>) -> Observation {
    Observation::with_status(Status::Manual, config.instructions.as_str().to_string())
}
