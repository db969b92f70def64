//! The one integration-test binary (as ripgrep does): every module tests runner from the
//! outside, against real files, processes and servers.

mod support;

mod alerts;

mod cli;
mod daemon;
mod engine;
mod history;
mod invalid;
mod outputs;
mod remediation;
mod reports;
mod resilience;
mod run_checks;
mod schema;
mod secrets;
mod shipped;
