//! `runner`: parse the command line, call the library, exit with the code it returns.

use clap::Parser;

use runner::output::plugin_exit;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let nagios = plugin_exit::requested(&args);
    let cli = match runner::cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are not errors; every usage error exits 64, because for
            // `run` 2 means CRITICAL; under `--format nagios`, it is a plugin's UNKNOWN.
            let _ = error.print();
            let code = match error.use_stderr() {
                true if nagios => plugin_exit::unknown(&error.render().to_string()),
                true => runner::error::exit::USAGE,
                false => 0,
            };
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
    let code = match std::panic::catch_unwind(|| runner::commands::dispatch(cli)) {
        Ok(code) => code,
        Err(_) if nagios => plugin_exit::unknown("internal error (this is a bug: please report it)"),
        Err(_) => runner::error::exit::SOFTWARE,
    };
    std::process::exit(code);
}
