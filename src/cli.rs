//! The command surface of `runner` (CLI.md), as clap derive types. Only the surface:
//! each subcommand's work is in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A declarative check-runner: validate, run and schedule YAML playbooks of health checks.
#[derive(Debug, Parser)]
#[command(name = "runner", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Where the SQLite store, locks and log offsets live [default: $XDG_STATE_HOME/runner,
    /// or ~/.local/state/runner].
    #[arg(long, global = true, env = "RUNNER_STATE", value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Where runs, results and alert state are kept: `sqlite` (the default: a file in the
    /// state folder) or postgres://USER@HOST[:PORT]/DB, shared by a fleet (the schema is
    /// created on first use).
    #[arg(long, global = true, env = "RUNNER_STORE", value_name = "URL", hide_env_values = true)]
    pub store: Option<String>,

    /// This host's id, recorded with everything host-scoped [default: the host name]. With
    /// a shared store each host needs its own (not empty, not `localhost`).
    #[arg(long = "host-id", global = true, env = "RUNNER_HOST_ID", value_name = "ID")]
    pub host_id: Option<String>,

    /// More logging (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less logging (errors only).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks for errors: every file, every error, with file:line:col.
    Validate(ValidateArgs),
    /// Run one playbook now, through the same pipeline as the daemon.
    Run(RunArgs),
    /// List playbooks with their schedule in words and next fire times.
    List(ListArgs),
    /// Run every playbook on its schedule.
    Daemon(DaemonArgs),
    /// Run what fell due since the last tick, by the daemon's rules, then exit: what a
    /// per-minute crontab line calls.
    Tick(TickArgs),
    /// Show stored runs of a playbook and per-check metric trends.
    History(HistoryArgs),
    /// Show the current alert state per channel and check.
    Alerts(AlertsArgs),
    /// Uptime per playbook and check: uptime %, incidents, mean time to recover, longest
    /// outage.
    Uptime(UptimeArgs),
    /// Send notifications by hand.
    Notify(NotifyArgs),
    /// Hold back the messages of a playbook, a check or everything for a while.
    Silence(SilenceArgs),
    /// Delete stored history older than a duration.
    Prune(PruneArgs),
    /// Print the playbook JSON Schema.
    Schema,
    /// Print a systemd unit, a launchd plist or crontab lines for running the playbooks.
    Export(ExportArgs),
    /// Serve the status page and the HTTP API from the store, without scheduling.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to serve on (0.0.0.0 only when asked for).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9465")]
    pub listen: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Playbook files and folders [default: playbooks/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
    pub format: ValidateFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The playbook file.
    #[arg(value_name = "PLAYBOOK")]
    pub playbook: PathBuf,
    /// What goes to stdout.
    #[arg(long, value_enum, ignore_case = true, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Write the --format output to FILE; the human view still goes to the terminal.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only this phase (repeatable).
    #[arg(long = "phase", value_name = "ID")]
    pub phases: Vec<String>,
    /// Only this check (repeatable).
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Only checks with one of these tags.
    #[arg(long, value_name = "T,...", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Run the checks (they observe) and print what would follow; run, send and write
    /// nothing else.
    #[arg(long)]
    pub dry_run: bool,
    /// Evaluate the checks only; never remediate.
    #[arg(long)]
    pub no_remediate: bool,
    /// Keep no state: no history, no alert state, no notifications.
    #[arg(long)]
    pub no_store: bool,
    /// How many checks run at once [default: 32].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Human,
    Json,
    Junit,
    Tap,
    Prometheus,
    Nagios,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Playbook files and folders [default: playbooks/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Playbook files and folders [default: playbooks/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Serve the status page, the API, /healthz, /metrics and /status on this address.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Only playbooks with one of these tags.
    #[arg(long, value_name = "T,...", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Log format [default: human on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Also write logs to this file.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// On SIGTERM/SIGINT, how long running runs get to finish before they are ended.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub shutdown_grace: String,
}

#[derive(Debug, Args)]
pub struct TickArgs {
    /// Playbook files and folders [default: playbooks/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The playbook's `name` (not its path); all playbooks when omitted.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Only this check.
    #[arg(long, value_name = "ID")]
    pub check: Option<String>,
    /// How far back [default: 7d].
    #[arg(long, value_name = "DURATION", default_value = "7d")]
    pub since: String,
    /// One row per remediation that ran, instead of runs.
    #[arg(long)]
    pub remediations: bool,
    /// With --format csv: the metric trends table (per check and metric: samples, min, avg,
    /// max, last) instead of the runs table.
    #[arg(long, conflicts_with = "remediations")]
    pub metrics: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Human)]
    pub format: HistoryFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Human,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct UptimeArgs {
    /// The playbook's `name` (not its path); all playbooks when omitted.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Only this check.
    #[arg(long, value_name = "ID")]
    pub check: Option<String>,
    /// The host whose results to read [default: this host].
    #[arg(long, value_name = "H")]
    pub host: Option<String>,
    /// The window, ending now.
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub since: String,
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = UptimeFormat::Human)]
    pub format: UptimeFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UptimeFormat {
    Human,
    Json,
    Csv,
    /// A self-contained report that prints on A4.
    Html,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// The playbook's `name`; all when omitted.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(subcommand)]
    pub command: NotifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message through a playbook's channel.
    Test {
        /// The playbook file.
        #[arg(value_name = "PLAYBOOK")]
        playbook: PathBuf,
        /// The channel's id.
        #[arg(value_name = "CHANNEL")]
        channel: String,
    },
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete stored runs older than this (e.g. 90d).
    #[arg(long, value_name = "DURATION")]
    pub older_than: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub target: ExportTarget,
    /// Playbook files and folders [default: playbooks/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    Systemd,
    Launchd,
    Crontab,
}

#[derive(Debug, Args)]
pub struct SilenceArgs {
    #[command(subcommand)]
    pub command: SilenceCommand,
}

#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Make a silence; prints its id.
    Add(SilenceAddArgs),
    /// The silences in force (or, with --expired, those that ended).
    List {
        /// The silences that ended (expired, ended by hand, or released) instead.
        #[arg(long)]
        expired: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
        format: ValidateFormat,
    },
    /// End a silence now.
    Expire {
        /// The silence's id (from `runner silence list`).
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["playbook", "all"]))]
#[command(group = clap::ArgGroup::new("end").required(true).args(["for_", "until"]))]
pub struct SilenceAddArgs {
    /// The playbook's `name` (known from the store or the playbook folders).
    #[arg(long, value_name = "NAME")]
    pub playbook: Option<String>,
    /// Only this check of the playbook.
    #[arg(long, value_name = "ID", requires = "playbook", conflicts_with = "all")]
    pub check: Option<String>,
    /// Every playbook and check.
    #[arg(long)]
    pub all: bool,
    /// How long (e.g. 2h; at most a year).
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
    /// Until when: RFC 3339, or `YYYY-MM-DD HH:MM` in the local zone.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Release each matched check at its own first OK after now; the silence ends when
    /// all are (the expiry stays as a backstop).
    #[arg(long)]
    pub until_ok: bool,
    /// Only on this host (its id); every host when omitted.
    #[arg(long, value_name = "H")]
    pub host: Option<String>,
    /// Why (shown with every result it holds back).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Playbook files and folders where `--playbook` and `--check` are looked up, besides
    /// the store [default: playbooks/ when it exists].
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}
