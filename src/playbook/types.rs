//! The playbook model: what users write, as Rust types. PLAYBOOK.md is the contract;
//! the doc comments here become the JSON Schema's descriptions.
//!
//! House rules (DESIGN.md): `deny_unknown_fields` everywhere, and no `flatten`, `untagged`
//! or internally tagged enums, because serde would buffer the content and YAML locations
//! would be lost. A check is a struct with the common keys and one optional field per kind;
//! "exactly one kind" is a validation rule. Defaults are applied by accessors, not by
//! serde, so that validation can tell "not written" from "written as the default".

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::span::Span;
use super::values::{Cond, DependsOn, Dur, Id, Located, Percent, SecretText, Template, Text};
use crate::alert::discord::DiscordConfig;
use crate::alert::slack::SlackConfig;
use crate::alert::webhook::WebhookConfig;
use crate::checks::amqp::AmqpCheck;
use crate::checks::command::CommandCheck;
use crate::checks::dns::DnsCheck;
use crate::checks::file::FileCheck;
use crate::checks::history::HistoryCheck;
use crate::checks::http::HttpCheck;
use crate::checks::log::LogCheck;
use crate::checks::manual::ManualCheck;
use crate::checks::mqtt::MqttCheck;
use crate::checks::mysql::MysqlCheck;
use crate::checks::nats::NatsCheck;
use crate::checks::postgres::PostgresCheck;
use crate::checks::process::ProcessCheck;
use crate::checks::redis::RedisCheck;
use crate::checks::service::ServiceCheck;
use crate::checks::sqlite::SqliteCheck;
use crate::checks::system::SystemCheck;
use crate::checks::tcp::TcpCheck;
use crate::checks::{Kind, KindRef};

/// A runner playbook (format version 1): checks, or phases of checks and actions, with
/// their schedule, alerting and report.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "runner playbook", transform = super::schema_rules::playbook)]
pub struct Playbook {
    /// The format version: `1`.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// The playbook's name: a slug, unique among the playbooks of a folder. `runner
    /// history NAME` and the store know it by this name.
    #[serde(deserialize_with = "super::values::playbook_name")]
    pub name: Id,
    /// Free text, shown in reports and `runner list`.
    pub description: Option<Text>,
    /// When the daemon runs it: a cron string, or a map with `cron`, `timezone`, `misfire`,
    /// `grace`, `overlap` and `jitter`. No schedule: the daemon never runs it; `runner run`
    /// still does.
    pub schedule: Option<Schedule>,
    /// Values for `{{ vars.x }}`.
    pub vars: Option<IndexMap<String, serde_json::Value>>,
    /// Defaults for every check and action.
    pub defaults: Option<Defaults>,
    /// Hard limit for the whole run (default 1h, and never longer than the schedule's
    /// period).
    pub timeout: Option<Dur>,
    /// Checks, run concurrently. A playbook has `checks` or `phases`, not both.
    pub checks: Option<Vec<Check>>,
    /// Phases, run in order. A playbook has `checks` or `phases`, not both.
    pub phases: Option<Vec<Phase>>,
    /// Alert channels and their policy.
    pub notify: Option<Vec<Channel>>,
    /// Where and how to write a report of each run.
    pub report: Option<Report>,
    /// Words for `runner daemon --tags`; checks inherit them for `runner run --tags`.
    #[schemars(transform = super::schema_rules::tags)]
    pub tags: Option<Vec<String>>,
    /// How long the store keeps this playbook's runs (default: until `runner prune`).
    pub retention: Option<Dur>,
    /// Maintenance windows of the whole playbook: while one is open, no check's messages
    /// are sent and no remediation starts (runs, results and exit codes are unchanged).
    pub maintenance: Option<Vec<Window>>,
    /// Where the daemons of a fleet run it, when they share a store: `every-host` (the
    /// default: each daemon runs it and alerts name the host) or `one-host` (each fire is
    /// claimed by one daemon, under a lease; its alerts are sent once). A daemon alone on
    /// its own store runs it either way.
    pub run_on: Option<RunOn>,
    /// With a shared store, for an `every-host` playbook with a schedule: a check counts as
    /// failing for alerts when at least this many hosts see it failing at one fire, and one
    /// message for the fleet names them. Without a shared store it is ignored (said once in
    /// the log).
    #[schemars(range(min = 1, max = 10000))]
    pub quorum: Option<u32>,
}

/// Where the daemons of a fleet run a playbook (PLAYBOOK.md, "Fleet").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunOn {
    /// Every daemon runs it.
    #[default]
    EveryHost,
    /// One daemon per fire, wherever one is alive.
    OneHost,
}

/// Defaults for every check and action of a playbook.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Hard limit for one attempt (default 10s).
    pub timeout: Option<Dur>,
    /// Extra attempts when an attempt is not OK (default 0).
    #[schemars(range(max = 100))]
    pub retries: Option<u32>,
    /// Pause between attempts (default 1s).
    pub retry_delay: Option<Dur>,
    /// The status of a check's own failures (default critical).
    pub severity: Option<Severity>,
}

/// The status a check's own failures count as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Critical,
    Warning,
}

impl Severity {
    pub fn status(self) -> crate::outcome::Status {
        match self {
            Severity::Critical => crate::outcome::Status::Critical,
            Severity::Warning => crate::outcome::Status::Warning,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Schedule

/// When a playbook runs.
#[derive(Clone, Debug, Serialize)]
pub struct Schedule {
    /// Cron: 5 fields, 6 with leading seconds, or `@hourly`, `@daily`, `@weekly`,
    /// `@monthly`, `@yearly`.
    pub cron: Text,
    /// IANA zone name (default: the machine's local zone).
    pub timezone: Option<Text>,
    /// After downtime: `run_once` (default) runs once for all missed fires; `skip` records
    /// the misses only.
    pub misfire: Option<Misfire>,
    /// A fire later than this is missed (default: the smaller of 1m and a quarter of the
    /// period).
    pub grace: Option<Dur>,
    /// A fire while the playbook still runs: `skip` (default, recorded) or `queue` (at most
    /// one waits).
    pub overlap: Option<Overlap>,
    /// Delay 0..jitter before each run, fixed per host and playbook (default 0).
    pub jitter: Option<Dur>,
}

/// The map form of a schedule (the string form is its `cron` alone).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ScheduleMap")]
struct ScheduleMap {
    /// Cron: 5 fields, 6 with leading seconds, or `@hourly`, `@daily`, `@weekly`,
    /// `@monthly`, `@yearly`.
    cron: Text,
    /// IANA zone name, e.g. `Europe/Berlin` (default: the machine's local zone).
    timezone: Option<Text>,
    /// After downtime: `run_once` (default) runs once for all missed fires, recording how
    /// many it stands for; `skip` records the misses only.
    misfire: Option<Misfire>,
    /// A fire later than this is missed (counted, logged, a metric). Default: the smaller of
    /// 1m and a quarter of the period.
    grace: Option<Dur>,
    /// A fire while this playbook still runs: `skip` (default, recorded) or `queue` (at most
    /// one waits).
    overlap: Option<Overlap>,
    /// Delay 0..jitter before each run, fixed per host and playbook (default 0).
    jitter: Option<Dur>,
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A string or a map. Written as a visitor rather than an untagged enum so that the
        // map's fields keep their locations. The string form is resolved (env, vars) only
        // once the `Spanned` wrapper has told us where it is.
        enum Form {
            Cron(String),
            Map(ScheduleMap),
        }

        struct FormVisitor;

        impl<'de> Visitor<'de> for FormVisitor {
            type Value = Form;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a cron string or a map with `cron`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Form, E> {
                Ok(Form::Cron(value.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Form, A::Error> {
                ScheduleMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(Form::Map)
            }
        }

        impl<'de> Deserialize<'de> for Form {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(FormVisitor)
            }
        }

        let spanned = serde_saphyr::Spanned::<Form>::deserialize(deserializer)?;
        let span = Span::from(spanned.referenced);
        Ok(match spanned.value {
            Form::Cron(raw) => {
                let (value, secret) =
                    super::interpolate::LoadContext::with_active(|c| c.resolve(&raw, span)).unwrap_or((raw, false));
                Schedule::from_cron(Text::written_at(value, span, secret))
            }
            Form::Map(m) => Schedule {
                cron: m.cron,
                timezone: m.timezone,
                misfire: m.misfire,
                grace: m.grace,
                overlap: m.overlap,
                jitter: m.jitter,
            },
        })
    }
}

impl JsonSchema for Schedule {
    fn schema_name() -> Cow<'static, str> {
        "Schedule".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let map = generator.subschema_for::<ScheduleMap>();
        json_schema!({
            "description": "A cron string (`*/5 * * * *`), or a map with `cron`, `timezone`, `misfire`, `grace`, `overlap`, `jitter`.",
            "anyOf": [
                { "type": "string", "examples": ["*/5 * * * *", "0 2 * * *", "@hourly"] },
                map
            ]
        })
    }
}

impl Schedule {
    pub fn from_cron(cron: Text) -> Self {
        Schedule { cron, timezone: None, misfire: None, grace: None, overlap: None, jitter: None }
    }
}

/// What happens to fires missed while the daemon was not running or the machine slept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Misfire {
    /// Record the misses, run nothing.
    Skip,
    /// One catch-up run standing for all missed fires.
    #[default]
    RunOnce,
}

/// What happens to a fire while the playbook still runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// Skip it, and record the skip.
    #[default]
    Skip,
    /// Run it when the current run ends (at most one waits).
    Queue,
}

// ---------------------------------------------------------------------------------------
// Maintenance windows

/// A maintenance window: one opens at each fire of `cron` and lasts `duration`, or one
/// is open between `from` and `until`. While it is open, messages are held back and
/// remediation does not start; checks still run and are stored as usual.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// A window opens at each fire of this cron (5 fields, 6 with leading seconds, or a
    /// nickname), in `timezone`. Needs `duration`.
    pub cron: Option<Text>,
    /// How long each window of `cron` lasts (elapsed time, so DST does not stretch it).
    pub duration: Option<Dur>,
    /// IANA zone of `cron` (default: the schedule's effective zone: its `timezone`, else
    /// the machine's).
    pub timezone: Option<Text>,
    /// The start of a one-off window: an RFC 3339 instant (`2026-12-24T00:00:00+01:00`).
    pub from: Option<Text>,
    /// The end of a one-off window: an RFC 3339 instant after `from`.
    pub until: Option<Text>,
    /// Why: shown with every result the window holds back.
    pub reason: Option<Text>,
}

// ---------------------------------------------------------------------------------------
// Checks

/// A check: common keys plus exactly one kind, the key of its config (`http`, `tcp`, …).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::check)]
pub struct Check {
    /// Unique in the whole playbook (across phases).
    pub id: Id,
    /// Display name (default: the id).
    pub name: Option<Text>,
    /// Hard limit for one attempt; past it the attempt is ended (a command's whole process
    /// group killed) and fails with "timed out after …".
    pub timeout: Option<Dur>,
    /// Extra attempts when an attempt is not OK; the last attempt counts.
    #[schemars(range(max = 100))]
    pub retries: Option<u32>,
    /// Pause between attempts.
    pub retry_delay: Option<Dur>,
    /// The status of this check's own failures: `critical` (default) or `warning`.
    pub severity: Option<Severity>,
    /// Per metric: `{warn: "> 20", crit: "> 80"}`. Crit is evaluated first; thresholds set
    /// their own status regardless of `severity`.
    pub thresholds: Option<IndexMap<String, Threshold>>,
    /// Ids of checks (same or earlier phase) that must be OK first; otherwise this one is
    /// SKIPPED with the reason.
    pub needs: Option<Vec<Id>>,
    /// Checks whose failure explains this one's: `ID` in this playbook (judged by its
    /// result in this run, so it runs first) or `PLAYBOOK/ID` (its latest stored result).
    /// While one fails or is itself held back, this check's messages and remediation are
    /// held; unlike `needs`, it always runs.
    pub depends_on: Option<Vec<DependsOn>>,
    /// Words for `runner run --tags`.
    #[schemars(transform = super::schema_rules::tags)]
    pub tags: Option<Vec<String>>,
    /// A URL or a few lines of markdown: what a human does when this fails.
    pub runbook: Option<Text>,
    /// What to do when it fails.
    pub remediate: Option<Remediate>,
    /// Maintenance windows of this check alone (the playbook's apply too).
    pub maintenance: Option<Vec<Window>>,

    // The kinds, one field each, in the order of the table in src/checks/mod.rs; the
    // field's name is the kind's name there (tests/it/schema.rs checks both agree).
    /// An HTTP(S) request.
    pub http: Option<HttpCheck>,
    /// A TCP connection, optionally TLS.
    pub tcp: Option<TcpCheck>,
    /// A Redis command.
    pub redis: Option<RedisCheck>,
    /// A SQLite query (read-only).
    pub sqlite: Option<SqliteCheck>,
    /// A read-only PostgreSQL query.
    pub postgres: Option<PostgresCheck>,
    /// A read-only MySQL or MariaDB query.
    pub mysql: Option<MysqlCheck>,
    /// A DNS question to one server.
    pub dns: Option<DnsCheck>,
    /// A command or a Nagios plugin.
    pub command: Option<CommandCheck>,
    /// Host metrics.
    pub system: Option<SystemCheck>,
    /// Processes.
    pub process: Option<ProcessCheck>,
    /// A systemd, launchd or pm2 service.
    pub service: Option<ServiceCheck>,
    /// Files.
    pub file: Option<FileCheck>,
    /// Log files.
    pub log: Option<LogCheck>,
    /// A stored metric over a window.
    pub history: Option<HistoryCheck>,
    /// A checklist item for a human.
    pub manual: Option<ManualCheck>,
    /// An MQTT broker: a login, and a message through a topic.
    pub mqtt: Option<MqttCheck>,
    /// An AMQP 0-9-1 broker (RabbitMQ): a login, and a queue's depth and consumers.
    pub amqp: Option<AmqpCheck>,
    /// A NATS server: a request/reply round trip, and a JetStream stream or consumer.
    pub nats: Option<NatsCheck>,
}

impl Check {
    /// The kinds this check declares (exactly one in a valid playbook).
    pub fn kinds(&self) -> Vec<KindRef<'_>> {
        crate::checks::kinds_of(self)
    }

    /// The one kind of a valid check.
    pub fn kind(&self) -> Option<KindRef<'_>> {
        let kinds = self.kinds();
        if kinds.len() == 1 { kinds.into_iter().next() } else { None }
    }

    pub fn kind_name(&self) -> &'static str {
        self.kind().map(|k| k.kind().name()).unwrap_or("unknown")
    }

    /// The display name.
    pub fn display_name(&self) -> String {
        self.name.as_ref().map(|n| n.to_string()).unwrap_or_else(|| self.id.to_string())
    }
}

/// `warn` and/or `crit` for one metric.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::threshold)]
pub struct Threshold {
    /// The WARNING condition, e.g. `"> 20"`.
    pub warn: Option<Cond>,
    /// The CRITICAL condition, e.g. `"> 80"` (evaluated first).
    pub crit: Option<Cond>,
}

// ---------------------------------------------------------------------------------------
// Phases and actions

/// A phase: actions in order, then checks (concurrently).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::phase)]
pub struct Phase {
    /// Unique among the phases.
    pub id: Id,
    /// Display name (default: the id).
    pub name: Option<Text>,
    /// `continue` (default) or `stop`: when this phase fails, later phases are SKIPPED.
    pub on_failure: Option<OnFailure>,
    /// Run in order, before the phase's checks.
    pub actions: Option<Vec<Located<Action>>>,
    /// Run concurrently, after the actions.
    pub checks: Option<Vec<Check>>,
}

impl Phase {
    pub fn display_name(&self) -> String {
        self.name.as_ref().map(|n| n.to_string()).unwrap_or_else(|| self.id.to_string())
    }
}

/// What a failed phase means for the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    #[default]
    Continue,
    Stop,
}

/// An action: exactly one of `run`, `shell`, `sleep` or `http`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::action)]
pub struct Action {
    /// A label for output (default: the command).
    pub name: Option<Text>,
    /// A program and its arguments, without a shell.
    #[schemars(transform = super::schema_rules::program_and_arguments)]
    pub run: Option<Vec<Text>>,
    /// A line for `sh -c`.
    pub shell: Option<Text>,
    /// A pause.
    pub sleep: Option<Dur>,
    /// An HTTP request; a non-2xx answer fails the action.
    pub http: Option<ActionHttp>,
    /// Hard limit (default: `defaults.timeout`). Past it, the process group is killed.
    pub timeout: Option<Dur>,
    /// Working directory for `run`/`shell` (default: the playbook's folder).
    pub cwd: Option<super::values::PathText>,
    /// Extra environment variables for `run`/`shell`.
    pub env: Option<IndexMap<String, Text>>,
}

/// An action is read as written; its place is for errors about the whole action.
impl super::values::Resolve for Action {
    type Written = Action;
    fn resolve<E: serde::de::Error>(action: Action, _: Span) -> Result<Self, E> {
        Ok(action)
    }
}

impl Action {
    /// Names of the action kinds this action declares (exactly one when valid).
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.run.is_some() {
            kinds.push("run");
        }
        if self.shell.is_some() {
            kinds.push("shell");
        }
        if self.sleep.is_some() {
            kinds.push("sleep");
        }
        if self.http.is_some() {
            kinds.push("http");
        }
        kinds
    }

    /// What the action does, for people: `pm2 restart all`, `sleep 10s`, `POST http://…`.
    pub fn describe(&self) -> String {
        if let Some(name) = &self.name {
            return name.to_string();
        }
        if let Some(argv) = &self.run {
            // Quote arguments with spaces, so the line reads as it would be typed.
            let quoted: Vec<String> = argv
                .iter()
                .map(|a| a.to_string())
                .map(|a| if a.is_empty() || a.contains(char::is_whitespace) { format!("'{a}'") } else { a })
                .collect();
            return quoted.join(" ");
        }
        if let Some(line) = &self.shell {
            return line.to_string();
        }
        if let Some(d) = &self.sleep {
            return format!("sleep {}", crate::duration::format(d.get()));
        }
        if let Some(http) = &self.http {
            let method = http.method.as_ref().map(|m| m.as_str().to_uppercase()).unwrap_or_else(|| "POST".into());
            return format!("{method} {}", http.url);
        }
        "(nothing)".into()
    }
}

/// An HTTP request made by an action.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionHttp {
    /// The URL.
    pub url: Text,
    /// The method (default POST).
    pub method: Option<Text>,
    /// Request headers.
    pub headers: Option<IndexMap<String, SecretText>>,
    /// The body.
    pub body: Option<Text>,
}

// ---------------------------------------------------------------------------------------
// Remediation

/// What to do when a check fails, with guard rails.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediate {
    /// `critical` (default): on CRITICAL; `warning`: on WARNING or worse.
    pub when: Option<RemediateWhen>,
    /// Consecutive failing runs before remediating (default 1).
    #[schemars(range(min = 1))]
    pub after: Option<u32>,
    /// What to run, in order.
    #[schemars(length(min = 1))]
    pub actions: Vec<Located<Action>>,
    /// Wait before verifying (default 0s).
    pub settle: Option<Dur>,
    /// Re-run the check after the actions; its result is the one reported (default true).
    pub verify: Option<bool>,
    /// At most this many remediations … (default 3)
    #[schemars(range(min = 1))]
    pub max_attempts: Option<u32>,
    /// … within this window, counted across runs (default 1h).
    pub within: Option<Dur>,
    /// Least time between two remediations of this check (default 0s).
    pub cooldown: Option<Dur>,
}

/// Which failures trigger a remediation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemediateWhen {
    /// On CRITICAL only.
    #[default]
    Critical,
    /// On WARNING or worse.
    Warning,
}

// ---------------------------------------------------------------------------------------
// Notify

/// An alert channel: exactly one of `discord`, `slack` or `webhook`, and its policy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::channel)]
pub struct Channel {
    /// Unique among the channels.
    pub id: Id,
    /// A Discord webhook.
    pub discord: Option<DiscordConfig>,
    /// A Slack incoming webhook.
    pub slack: Option<SlackConfig>,
    /// A generic HTTP webhook.
    pub webhook: Option<WebhookConfig>,
    /// The failing statuses that count for this channel: `warning`, `critical`, `unknown`
    /// (default: all three).
    pub on: Option<Vec<Text>>,
    /// Consecutive failing runs before the first alert (default 1).
    #[schemars(range(min = 1))]
    pub after: Option<u32>,
    /// One message when it is OK again (default true).
    pub recovery: Option<bool>,
    /// A reminder while still failing (default never).
    pub repeat: Option<Dur>,
    /// `check` (default): one alert stream per check; `playbook`: one per playbook.
    pub scope: Option<Scope>,
    /// Grouping per destination: one message for everything due within `window`, at
    /// most `max_per_hour` messages per UTC hour (off unless set).
    pub group: Option<crate::alert::group::GroupConfig>,
    /// Flapping detection on this channel (off unless set): one message when a check
    /// starts flapping, none while it flaps, one when it stops.
    pub flapping: Option<Flapping>,
}

/// A channel's `flapping:` (PLAYBOOK.md, "Flapping and grouping, per notify channel").
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flapping {
    /// How many recent results the flap percent is computed over (at least 2; default 21).
    #[schemars(range(min = 2))]
    pub window: Option<u32>,
    /// Above this weighted share of state changes, the check starts flapping (default 50%).
    pub high: Option<Percent>,
    /// Below this it stops flapping (default 25%); lower than `high`.
    pub low: Option<Percent>,
}

impl Flapping {
    pub const DEFAULT_WINDOW: u32 = 21;
    pub const DEFAULT_HIGH: f64 = 50.0;
    pub const DEFAULT_LOW: f64 = 25.0;

    /// The setting with its defaults applied.
    pub fn config(&self) -> crate::quiet::flapping::FlapConfig {
        crate::quiet::flapping::FlapConfig {
            window: self.window.unwrap_or(Self::DEFAULT_WINDOW).max(2),
            high: self.high.and_then(|p| p.get()).unwrap_or(Self::DEFAULT_HIGH),
            low: self.low.and_then(|p| p.get()).unwrap_or(Self::DEFAULT_LOW),
        }
    }
}

impl Channel {
    /// Names of the notifier kinds this channel declares (exactly one when valid).
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.discord.is_some() {
            kinds.push("discord");
        }
        if self.slack.is_some() {
            kinds.push("slack");
        }
        if self.webhook.is_some() {
            kinds.push("webhook");
        }
        kinds
    }
}

/// What one alert stream follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Check,
    Playbook,
}

// ---------------------------------------------------------------------------------------
// Report

/// Where and how to write a report of each run.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema_rules::report)]
pub struct Report {
    /// The report file, a template rendered per run (relative to the playbook's folder),
    /// e.g. `reports/daily_{{ run.started_at | strftime('%Y-%m-%d') }}.md`.
    #[schemars(extend("pattern" = r"\S"))]
    pub path: Template,
    /// `builtin:markdown` (default), `builtin:html`, `builtin:json`, or a template file.
    pub template: Option<Text>,
    /// Delete this playbook's reports older than this.
    pub keep: Option<Dur>,
    /// Keep only this many of this playbook's newest reports.
    #[schemars(range(min = 1))]
    pub keep_last: Option<u32>,
}

// ---------------------------------------------------------------------------------------
// Defaults, resolved

/// The built-in defaults of PLAYBOOK.md.
pub mod default {
    use std::time::Duration;
    pub const TIMEOUT: Duration = Duration::from_secs(10);
    pub const RETRIES: u32 = 0;
    pub const RETRY_DELAY: Duration = Duration::from_secs(1);
    pub const RUN_TIMEOUT: Duration = Duration::from_secs(3600);
    pub const REMEDIATE_AFTER: u32 = 1;
    pub const MAX_ATTEMPTS: u32 = 3;
    pub const WITHIN: Duration = Duration::from_secs(3600);
    pub const NOTIFY_AFTER: u32 = 1;
    pub const LOG_LINES: u32 = 20;
}

impl Playbook {
    fn defaults(&self) -> Defaults {
        self.defaults.clone().unwrap_or_default()
    }

    /// Every check with its phase id (top-level checks have none), in file order.
    pub fn all_checks(&self) -> Vec<(Option<&Phase>, &Check)> {
        let mut out = Vec::new();
        if let Some(checks) = &self.checks {
            out.extend(checks.iter().map(|c| (None, c)));
        }
        if let Some(phases) = &self.phases {
            for phase in phases {
                if let Some(checks) = &phase.checks {
                    out.extend(checks.iter().map(|c| (Some(phase), c)));
                }
            }
        }
        out
    }

    pub fn check_timeout(&self, check: &Check) -> Duration {
        check.timeout.or(self.defaults().timeout).map(|d| d.get()).unwrap_or(default::TIMEOUT)
    }

    pub fn action_timeout(&self, action: &Action) -> Duration {
        action.timeout.or(self.defaults().timeout).map(|d| d.get()).unwrap_or(default::TIMEOUT)
    }

    pub fn check_retries(&self, check: &Check) -> u32 {
        check.retries.or(self.defaults().retries).unwrap_or(default::RETRIES)
    }

    pub fn check_retry_delay(&self, check: &Check) -> Duration {
        check.retry_delay.or(self.defaults().retry_delay).map(|d| d.get()).unwrap_or(default::RETRY_DELAY)
    }

    pub fn check_severity(&self, check: &Check) -> Severity {
        check.severity.or(self.defaults().severity).unwrap_or_default()
    }

    /// The hard limit for the whole run: `timeout` (default 1h), never longer than the
    /// schedule's period when that is known. A `timeout` set explicitly is honoured even
    /// when it is longer (`validate` warns): overlap then decides what the next fire does.
    pub fn run_timeout(&self, period: Option<Duration>) -> Duration {
        let configured = self.timeout.map(|d| d.get()).unwrap_or(default::RUN_TIMEOUT);
        match period {
            Some(period) if self.timeout.is_none() => configured.min(period),
            _ => configured,
        }
    }

    /// The tags of a check: its own and the playbook's.
    pub fn check_tags(&self, check: &Check) -> Vec<String> {
        let mut tags: Vec<String> = check.tags.clone().unwrap_or_default();
        for tag in self.tags.iter().flatten() {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        tags
    }
}

/// Used by `Kind` for the schema listing.
pub fn kind_names() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.name()).collect()
}
