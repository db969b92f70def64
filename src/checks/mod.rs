//! The check kinds: one file per kind, holding its config (the schema) and its probe.
//!
//! This module owns the list of kinds and the dispatch from a check's config to its
//! probe. Each kind's file must not know about the others.

pub mod command;
pub mod disk;
pub mod file;
pub mod history;
pub mod http;
pub mod log;
pub mod manual;
pub mod process;
pub mod procfs;
pub mod redis;
pub mod restarts;
pub mod service;
pub mod sqlite;
pub mod system;
pub mod tcp;
pub mod tls;
pub mod walk;

use crate::outcome::Observation;
use crate::probe::context::ProbeContext;

/// Runs one attempt of a check's probe. Never fails: a failure is an [`Observation`].
pub async fn probe(kind: KindRef<'_>, ctx: &ProbeContext<'_>) -> Observation {
    match kind {
        KindRef::Http(c) => http::probe(c, ctx).await,
        KindRef::Tcp(c) => tcp::probe(c, ctx).await,
        KindRef::Redis(c) => redis::probe(c, ctx).await,
        KindRef::Sqlite(c) => sqlite::probe(c, ctx).await,
        KindRef::Command(c) => command::probe(c, ctx).await,
        KindRef::System(c) => system::probe(c, ctx).await,
        KindRef::Process(c) => process::probe(c, ctx).await,
        KindRef::Service(c) => service::probe(c, ctx).await,
        KindRef::File(c) => file::probe(c, ctx).await,
        KindRef::Log(c) => log::probe(c, ctx).await,
        KindRef::History(c) => history::probe(c, ctx).await,
        KindRef::Manual(c) => manual::probe(c),
    }
}

/// The kinds of check, in the order of PLAYBOOK.md's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Http,
    Tcp,
    Redis,
    Sqlite,
    Command,
    System,
    Process,
    Service,
    File,
    Log,
    History,
    Manual,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Http,
        Kind::Tcp,
        Kind::Redis,
        Kind::Sqlite,
        Kind::Command,
        Kind::System,
        Kind::Process,
        Kind::Service,
        Kind::File,
        Kind::Log,
        Kind::History,
        Kind::Manual,
    ];

    /// The key that selects this kind in a check.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Redis => "redis",
            Kind::Sqlite => "sqlite",
            Kind::Command => "command",
            Kind::System => "system",
            Kind::Process => "process",
            Kind::Service => "service",
            Kind::File => "file",
            Kind::Log => "log",
            Kind::History => "history",
            Kind::Manual => "manual",
        }
    }
}

/// A check's kind with its config.
#[derive(Clone, Copy, Debug)]
pub enum KindRef<'a> {
    Http(&'a http::HttpCheck),
    Tcp(&'a tcp::TcpCheck),
    Redis(&'a redis::RedisCheck),
    Sqlite(&'a sqlite::SqliteCheck),
    Command(&'a command::CommandCheck),
    System(&'a system::SystemCheck),
    Process(&'a process::ProcessCheck),
    Service(&'a service::ServiceCheck),
    File(&'a file::FileCheck),
    Log(&'a log::LogCheck),
    History(&'a history::HistoryCheck),
    Manual(&'a manual::ManualCheck),
}

impl KindRef<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            KindRef::Http(_) => Kind::Http,
            KindRef::Tcp(_) => Kind::Tcp,
            KindRef::Redis(_) => Kind::Redis,
            KindRef::Sqlite(_) => Kind::Sqlite,
            KindRef::Command(_) => Kind::Command,
            KindRef::System(_) => Kind::System,
            KindRef::Process(_) => Kind::Process,
            KindRef::Service(_) => Kind::Service,
            KindRef::File(_) => Kind::File,
            KindRef::Log(_) => Kind::Log,
            KindRef::History(_) => Kind::History,
            KindRef::Manual(_) => Kind::Manual,
        }
    }

    /// The metrics this check can produce, or `None` when the set is open (a command's
    /// perfdata, a Redis INFO field).
    pub fn metric_names(&self) -> Option<Vec<String>> {
        let fixed = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
        match self {
            KindRef::Http(_) => fixed(http::HttpCheck::METRICS),
            KindRef::Tcp(_) => fixed(tcp::TcpCheck::METRICS),
            KindRef::Redis(c) => {
                let mut names = vec!["latency_ms".to_string()];
                names.extend(c.info.iter().flatten().cloned());
                Some(names)
            }
            KindRef::Sqlite(_) => fixed(sqlite::SqliteCheck::METRICS),
            KindRef::Command(c) => {
                if c.nagios == Some(true) {
                    return None;
                }
                let mut names = vec!["exit_code".to_string(), "duration_ms".to_string()];
                names.extend(c.metrics.iter().flat_map(|m| m.keys().cloned()));
                Some(names)
            }
            KindRef::System(c) => Some(c.metrics.iter().map(|m| m.name().to_string()).collect()),
            KindRef::Process(_) => fixed(process::ProcessCheck::METRICS),
            KindRef::Service(_) => fixed(service::ServiceCheck::METRICS),
            KindRef::File(_) => fixed(file::FileCheck::METRICS),
            KindRef::Log(_) => fixed(log::LogCheck::METRICS),
            KindRef::History(_) => fixed(history::HistoryCheck::METRICS),
            KindRef::Manual(_) => Some(Vec::new()),
        }
    }
}
