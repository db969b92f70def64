//! Alerts: the per-stream policy state machine, the notifiers (discord, slack, webhook)
//! and delivery through the outbox.

pub mod discord;
pub mod slack;
pub mod webhook;
