//! The one integration-test binary (as ripgrep does): every module tests runner from the
//! outside, against real files, processes and servers.

mod support;

mod cli;
mod engine;
mod invalid;
mod outputs;
mod run_checks;
mod schema;
mod secrets;
mod shipped;
