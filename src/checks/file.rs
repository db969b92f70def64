//! `file`: existence, age, size and content of files (glob allowed); metrics `age_s`,
//! `size_bytes` and `value` (the content, when numeric).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{ByteSize, Dur, PathText, Text};

/// Files to look at.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    /// The path; a glob matches several files (the newest is measured).
    pub path: PathText,
    /// Must exist (default true); `false` requires that it does not.
    pub exists: Option<bool>,
    /// Modified no longer ago than this.
    pub max_age: Option<Dur>,
    /// At least this big.
    pub min_size: Option<ByteSize>,
    /// At most this big.
    pub max_size: Option<ByteSize>,
    /// A substring the content must contain.
    pub contains: Option<Text>,
    /// What the trimmed content must equal (e.g. `10` for /proc/sys/vm/swappiness).
    pub equals: Option<Text>,
}

impl FileCheck {
    pub const METRICS: &'static [&'static str] = &["age_s", "size_bytes", "value", "count"];
}
