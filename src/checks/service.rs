//! `service`: a unit of systemd, launchd or pm2; metrics `active` (1/0) and `restarts`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{Dur, Text};

/// A managed service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCheck {
    /// The unit, label or pm2 process name.
    pub name: Text,
    /// Which manager (default `auto`: the first of systemd, launchd, pm2 that exists).
    pub manager: Option<Manager>,
    /// Count restarts within this window, as `restarts`.
    pub restarts_within: Option<Dur>,
}

/// A service manager.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Manager {
    Systemd,
    Launchd,
    Pm2,
    #[default]
    Auto,
}

impl ServiceCheck {
    pub const METRICS: &'static [&'static str] = &["active", "restarts"];
}
