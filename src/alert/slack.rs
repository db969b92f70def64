//! Slack: an incoming webhook, with Block Kit blocks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::SecretText;

/// A Slack incoming webhook.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// The webhook URL (a secret; empty = channel off).
    pub webhook_url: SecretText,
}
