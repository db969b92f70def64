//! A generic webhook: any method, headers and a body template; the default body is the
//! alert with its RunRecord, as JSON.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{SecretText, Template, Text};

/// An HTTP endpoint that receives alerts.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The URL (a secret; empty = channel off).
    pub url: SecretText,
    /// The method (default POST).
    pub method: Option<Text>,
    /// Headers (secrets: they often carry tokens).
    pub headers: Option<IndexMap<String, SecretText>>,
    /// A body template, rendered with `alert`, `run`, `playbook`, `checks`, `summary`
    /// (default: the alert as JSON, with the RunRecord under `run`).
    pub body: Option<Template>,
}
