//! Discord: an incoming webhook, one embed per message, coloured by status.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::SecretText;

/// A Discord channel webhook.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The webhook URL (a secret; empty = channel off).
    pub webhook_url: SecretText,
}
