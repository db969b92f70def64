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
    std::process::exit(runner::commands::dispatch(cli));
}
