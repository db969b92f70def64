//! Scheduling: cron arithmetic and (later) the daemon loop, misfire policy, overlap and
//! locks.

pub mod cron;
