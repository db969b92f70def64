//! `depends_on`: the holds a failing (or itself held) dependency puts on a check.
//!
//! A stub until the `depends_on` work lands (branch quiet-b writes the real one here,
//! with the signature it needs): no check depends on anything yet, so nothing holds.

use super::Holds;
use crate::playbook::Check;

/// The dependency holds of `check` in this run: none yet.
pub fn holds(_check: &Check) -> Holds {
    Holds::default()
}
