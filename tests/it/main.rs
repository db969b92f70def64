//! The one integration-test binary (as ripgrep does): every module tests runner from the
//! outside, against real files, processes and servers.

mod support;

mod alerts;

mod cli;
mod daemon;
mod delivery;
mod dependencies;
mod engine;
mod export;
mod flapping;
mod history;
mod history_csv;
mod import_rules;
mod invalid;
mod layers;
mod nagios;
mod orphans;
mod outputs;
mod outside_input;
mod postgres;
mod prometheus_server;
mod remediation;
mod reports;
mod resilience;
mod run_checks;
mod schema;
mod secrets;
mod shipped;
