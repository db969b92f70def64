//! `redis`: a command (PING by default) against a Redis server, with AUTH; metrics
//! `latency_ms` and the requested INFO fields.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{SecretText, Text};

/// A Redis server and what to ask it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisCheck {
    /// `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
    pub url: Text,
    /// The password (a secret; empty = no AUTH). Overrides one in the URL.
    pub password: Option<SecretText>,
    /// The ACL user name (default: from the URL, or none).
    pub username: Option<Text>,
    /// The command and its arguments (default `[PING]`).
    pub command: Option<Vec<Text>>,
    /// The reply the command must give (default for PING: `PONG`).
    pub expect: Option<Text>,
    /// INFO fields to report as metrics: `used_memory`, `connected_clients`, …
    pub info: Option<Vec<String>>,
}
