//! `runner`: parse the command line, call the library, exit with the code it returns.

use clap::Parser;

fn main() {
    let cli = match runner::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are not errors; every usage error exits 64, because for
            // `run` 2 means CRITICAL.
            let code = if error.use_stderr() { runner::error::exit::USAGE } else { 0 };
            let _ = error.print();
            std::process::exit(code);
        }
    };
    // A panic is a bug. It says so (scrubbed: a panic message can quote a value) and
    // exits 70 as CLI.md promises, instead of Rust's 101 that no caller expects.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "runner: internal error: {}{location} (this is a bug: please report it)",
            runner::secret::scrub(&message)
        );
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            eprintln!("{}", runner::secret::scrub(&backtrace.to_string()));
        }
    }));
    let code = std::panic::catch_unwind(|| runner::commands::dispatch(cli)).unwrap_or(runner::error::exit::SOFTWARE);
    std::process::exit(code);
}
