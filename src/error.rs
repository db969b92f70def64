//! runner's own errors (not check failures, which are data) and the exit codes of CLI.md.
//!
//! Each variant's `Display` is the sentence the user reads; [`Error::exit_code`] maps it to
//! the sysexits-style code of CLI.md.

use std::path::PathBuf;

/// Exit codes (CLI.md). 0–3 for `run` are the run's status (see `outcome::Status`).
pub mod exit {
    pub const OK: i32 = 0;
    /// `validate`: some playbook is invalid.
    pub const INVALID: i32 = 1;
    /// A bad flag or argument (clap's own 2 is remapped, so that 2 always means CRITICAL).
    pub const USAGE: i32 = 64;
    /// The playbook (or other input) is invalid; diagnostics were printed.
    pub const DATA: i32 = 65;
    /// An internal error: a bug.
    pub const SOFTWARE: i32 = 70;
    /// Cannot read the playbook or open the store.
    pub const IO: i32 = 74;
    /// The playbook is already running (lock held); nothing ran.
    pub const LOCKED: i32 = 75;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{} is not a valid playbook ({errors} error{})", path.display(), if *errors == 1 { "" } else { "s" })]
    InvalidPlaybook { path: PathBuf, errors: usize },

    #[error("{0}")]
    Usage(String),

    /// A flag whose value is not a duration; `flag` is the flag as the message names it
    /// (`--since 7x`), the reason follows.
    #[error("{flag}: {source}")]
    DurationFlag {
        flag: String,
        #[source]
        source: crate::duration::DurationError,
    },

    #[error("{0}")]
    InvalidInput(String),

    /// A notification body that cannot be built (`runner notify --test`).
    #[error(transparent)]
    Payload(#[from] crate::alert::payload::PayloadError),

    #[error("cannot open the state store at {}: {message}", path.display())]
    Store { path: PathBuf, message: String },

    /// A store that opened and then failed (a full or read-only disk): `reason` is in
    /// the OS's words when the disk is the cause.
    #[error("the state store at {} failed: {reason}", path.display())]
    StoreFailed { path: PathBuf, reason: String },

    #[error("playbook `{name}` is already running (lock {} is held); nothing ran", lock.display())]
    Locked { name: String, lock: PathBuf },

    /// A `one-host` playbook's fire is held by another host of the fleet (exit 75, as a
    /// local lock).
    #[error(
        "playbook `{name}` is running on host {host} (a one-host playbook runs on one host at a time); nothing ran"
    )]
    HeldElsewhere { name: String, host: String },

    #[error("internal error: {0} (this is a bug: please report it)")]
    Internal(String),

    /// The async runtime would not start (out of threads or file descriptors).
    #[error("internal error: cannot start the runtime: {0} (this is a bug: please report it)")]
    Runtime(#[source] std::io::Error),

    /// Logging would not start (a subscriber was already set).
    #[error("internal error: cannot start logging: {0} (this is a bug: please report it)")]
    Logging(#[source] tracing_subscriber::util::TryInitError),

    /// A blocking task panicked or was cancelled.
    #[error("internal error: {0} (this is a bug: please report it)")]
    Task(#[source] tokio::task::JoinError),

    /// runner's own output would not encode as JSON.
    #[error("internal error: {0} (this is a bug: please report it)")]
    Encode(#[source] serde_json::Error),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Read { .. } | Error::Write { .. } | Error::Store { .. } | Error::StoreFailed { .. } => exit::IO,
            Error::InvalidPlaybook { .. } | Error::InvalidInput(_) | Error::Payload(_) => exit::DATA,
            Error::Usage(_) | Error::DurationFlag { .. } => exit::USAGE,
            Error::Locked { .. } | Error::HeldElsewhere { .. } => exit::LOCKED,
            Error::Internal(_) | Error::Runtime(_) | Error::Logging(_) | Error::Task(_) | Error::Encode(_) => {
                exit::SOFTWARE
            }
        }
    }
}

impl Error {
    /// What went wrong with the store, without the "cannot open … at PATH" frame: the
    /// sentence a run's note and the daemon's health give.
    pub fn store_reason(&self) -> String {
        match self {
            Error::Store { message, .. } => message.clone(),
            Error::StoreFailed { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
