//! Scheduling: cron arithmetic ([`cron`]), the decisions of when to run ([`plan`]), the
//! daemon loop ([`daemon`]), the one-shot tick of `runner tick` ([`tick`]), and what the
//! daemon says about itself ([`liveness`], [`sd_notify`]).

pub mod catalogue;
pub mod claim;
pub mod cron;
pub mod daemon;
pub mod heartbeat;
pub mod liveness;
pub mod plan;
pub mod sd_notify;
pub mod self_metrics;
pub mod snapshot;
pub mod tick;
