//! runner: a declarative check-runner. Playbooks (YAML) declare checks, thresholds,
//! schedules, reports, alerts and remediation; one engine validates, schedules, runs,
//! reports, alerts, remediates and remembers.
//!
//! The pipeline (DESIGN.md): `playbook` loads and validates; `engine` runs checks
//! (`checks`) into a `RunRecord` (`outcome`); the record goes to the `store`, `alert`,
//! `report` and `output`; `schedule` drives the same pipeline from cron. `commands`
//! holds one function per CLI subcommand; `cli` is the command surface only.
//!
//! Checks and outputs never import `engine`: what a probe is given (`probe`), how a
//! command's process group lives and dies (`process_group`) and how a run is watched
//! (`observer`) sit on their side, and the engine uses them (tests/it/layers.rs).

pub mod alert;
pub mod checks;
pub mod cli;
pub(crate) mod clock;
pub mod commands;
pub(crate) mod duration;
pub(crate) mod engine;
pub mod error;
pub mod host;
pub(crate) mod jsonpath;
pub mod lock;
pub(crate) mod logging;
pub(crate) mod observer;
pub mod outcome;
pub mod output;
pub(crate) mod pipeline;
pub mod playbook;
pub(crate) mod probe;
pub(crate) mod process_group;
pub mod quiet;
pub(crate) mod report;
pub(crate) mod schedule;
pub mod secret;
pub mod store;
pub(crate) mod style;
pub(crate) mod template;
pub(crate) mod threshold;
pub(crate) mod uptime;
pub(crate) mod web;
pub(crate) mod write;
