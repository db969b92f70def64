//! Scheduling: cron arithmetic ([`cron`]), the decisions of when to run ([`plan`]), the
//! daemon loop ([`daemon`]), and what it says about itself ([`liveness`], [`sd_notify`]).

pub mod cron;
pub mod daemon;
pub mod liveness;
pub mod plan;
pub mod sd_notify;
pub mod self_metrics;
