//! The one integration-test binary (as ripgrep does): every module tests runner from the
//! outside, against real files, processes and servers.

mod support;

mod alerts;
mod amqp;
mod api_contract;

mod cli;
mod daemon;
mod delivery;
mod dependencies;
mod dns;
mod engine;
mod export;
mod flapping;
mod fleet;
mod grouping;
mod history;
mod history_csv;
mod import_rules;
mod invalid;
mod layers;
mod mqtt;
mod mysql;
mod nagios;
mod nats;
mod orphans;
mod outputs;
mod outside_input;
mod postgres;
mod prometheus_server;
mod quiet;
mod remediation;
mod reports;
mod resilience;
mod run_checks;
mod schema;
mod secrets;
mod shipped;
mod uptime;
mod web;
