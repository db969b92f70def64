//! runner's own logs (tracing): to stderr (and optionally a file), human on a terminal or
//! JSON, filtered by `-v`/`-q` and `RUST_LOG` — which reaches runner's own targets only,
//! so a library's trace output (which may carry URLs with credentials) never appears.
//! Every line passes the secret scrubber on its way out.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// Where log lines go: stderr, and a file when asked.
#[derive(Clone)]
pub struct Sink {
    file: Option<Arc<Mutex<std::fs::File>>>,
}

/// A writer that scrubs each chunk before it leaves.
pub struct ScrubbingWriter {
    sink: Sink,
    buffer: Vec<u8>,
}

impl Write for ScrubbingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buffer).into_owned();
        let text = crate::secret::scrub_owned(text);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        if let Some(file) = &self.sink.file
            && let Ok(mut file) = file.lock()
        {
            let _ = file.write_all(text.as_bytes());
        }
        self.buffer.clear();
        Ok(())
    }
}

impl Drop for ScrubbingWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = ScrubbingWriter;
    fn make_writer(&'a self) -> ScrubbingWriter {
        ScrubbingWriter { sink: self.clone(), buffer: Vec::new() }
    }
}

/// How to log.
pub struct LogOptions {
    /// -v count (1 debug, 2+ trace); -q sets `quiet`.
    pub verbose: u8,
    pub quiet: bool,
    /// The level when neither -v nor -q nor RUST_LOG says otherwise.
    pub default_level: &'static str,
    pub json: bool,
    pub file: Option<std::path::PathBuf>,
}

/// Installs the global subscriber. Safe to call once per process.
pub fn init(options: &LogOptions) -> Result<(), crate::error::Error> {
    let level = if options.quiet {
        "error"
    } else {
        match options.verbose {
            0 => options.default_level,
            1 => "debug",
            _ => "trace",
        }
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() && options.verbose == 0 && !options.quiet => {
            EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new(level))
        }
        _ => EnvFilter::new(level),
    };
    let file = match &options.file {
        None => None,
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| crate::error::Error::Write { path: path.clone(), source })?;
            Some(Arc::new(Mutex::new(file)))
        }
    };
    let sink = Sink { file };
    // Only runner's own targets, whatever RUST_LOG says.
    let own = filter_fn(|meta| meta.target().starts_with("runner"));
    let layer: Box<dyn Layer<Registry> + Send + Sync> = if options.json {
        Box::new(tracing_subscriber::fmt::layer().json().with_writer(sink).with_filter(own).with_filter(filter))
    } else {
        use std::io::IsTerminal;
        let ansi = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && options.file.is_none();
        Box::new(
            tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(sink).with_filter(own).with_filter(filter),
        )
    };
    tracing_subscriber::registry().with(layer).try_init().map_err(crate::error::Error::Logging)
}
