//! The check kinds: one file per kind, holding its config (the schema), its validation
//! rules and its probe.
//!
//! This module owns the table of kinds ([`check_kinds!`] below): `Kind`, its list and
//! names, `KindRef`, the metric names and the dispatch to each kind's rules and probe
//! are all generated from it, so a new kind is one new file, one table row and one field
//! on [`crate::playbook::Check`] (docs/adding-a-check-kind.md). Each kind's file must not
//! know about the others.

pub mod amqp;
mod broker;
pub mod command;
pub mod disk;
pub mod dns;
pub mod file;
pub mod history;
pub mod http;
pub mod log;
pub mod manual;
pub mod mqtt;
pub mod mysql;
pub mod nats;
pub mod postgres;
mod postgres_tls;
pub mod process;
pub mod procfs;
pub mod query_result;
pub mod redis;
pub mod restarts;
pub mod rules;
pub mod service;
pub mod sqlite;
pub mod system;
pub mod tcp;
pub mod tls;
mod url_syntax;
pub mod walk;

use crate::outcome::Observation;
use crate::playbook::Check;
use crate::probe::context::ProbeContext;
use rules::KindRules;

/// What every kind's config offers besides its probe. The defaults fit a kind with a
/// fixed set of metrics and no rules beyond its schema.
pub trait CheckKind {
    /// The metrics every check of this kind can produce.
    const METRICS: &'static [&'static str] = &[];

    /// The metrics this check can produce, or `None` when the set is open (a command's
    /// perfdata). Override when the config decides them (a Redis `info` list).
    fn metric_names(&self) -> Option<Vec<String>> {
        Some(Self::METRICS.iter().map(|name| name.to_string()).collect())
    }

    /// The rules serde cannot see; each finding goes to `rules`.
    fn validate(&self, rules: &mut KindRules<'_>) {
        let _ = rules;
    }
}

/// The table of kinds. A row is `Variant => field: Config`: `field` is the key that
/// selects the kind in a check (its name), the module that holds it and the field of
/// [`Check`]; `Config` is its config type in that module, which implements
/// [`CheckKind`] and comes with `pub async fn probe(&Config, &ProbeContext) -> Observation`.
macro_rules! check_kinds {
    ($($variant:ident => $field:ident: $config:ident),* $(,)?) => {
        /// The kinds of check, in the order of PLAYBOOK.md's table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($variant,)*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The key that selects this kind in a check.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => stringify!($field),)*
                }
            }
        }

        /// A check's kind with its config.
        #[derive(Clone, Copy, Debug)]
        pub enum KindRef<'a> {
            $($variant(&'a $field::$config),)*
        }

        impl KindRef<'_> {
            pub fn kind(&self) -> Kind {
                match self {
                    $(KindRef::$variant(_) => Kind::$variant,)*
                }
            }

            /// The metrics this check can produce, or `None` when the set is open.
            pub fn metric_names(&self) -> Option<Vec<String>> {
                match self {
                    $(KindRef::$variant(config) => config.metric_names(),)*
                }
            }

            /// Runs this kind's own validation rules.
            pub fn validate(&self, rules: &mut KindRules<'_>) {
                match self {
                    $(KindRef::$variant(config) => config.validate(rules),)*
                }
            }
        }

        /// The kinds a check declares (exactly one in a valid playbook), in table order.
        pub fn kinds_of(check: &Check) -> Vec<KindRef<'_>> {
            let mut kinds = Vec::with_capacity(1);
            $(if let Some(config) = &check.$field {
                kinds.push(KindRef::$variant(config));
            })*
            kinds
        }

        /// Runs one attempt of a check's probe. Never fails: a failure is an [`Observation`].
        ///
        /// Each kind's future is boxed: unboxed, this future (and every check task that
        /// awaits it) would be as large as the largest kind's (a database driver's is
        /// kilobytes), and copying that on every spawn and poll cost more than the heartbeat's
        /// probes themselves (callgrind, BENCHMARKS.md).
        pub async fn probe(kind: KindRef<'_>, ctx: &ProbeContext<'_>) -> Observation {
            match kind {
                $(KindRef::$variant(config) => Box::pin($field::probe(config, ctx)).await,)*
            }
        }
    };
}

check_kinds! {
    Http => http: HttpCheck,
    Tcp => tcp: TcpCheck,
    Redis => redis: RedisCheck,
    Sqlite => sqlite: SqliteCheck,
    Postgres => postgres: PostgresCheck,
    Mysql => mysql: MysqlCheck,
    Dns => dns: DnsCheck,
    Mqtt => mqtt: MqttCheck,
    Amqp => amqp: AmqpCheck,
    Nats => nats: NatsCheck,
    Command => command: CommandCheck,
    System => system: SystemCheck,
    Process => process: ProcessCheck,
    Service => service: ServiceCheck,
    File => file: FileCheck,
    Log => log: LogCheck,
    History => history: HistoryCheck,
    Manual => manual: ManualCheck,
}
