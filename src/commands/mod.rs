//! One function per subcommand. Each returns the process exit code; errors of runner
//! itself are printed here, once, as the user's sentence.

pub mod alerts;
pub mod daemon;
pub mod export;
pub mod history;
pub mod list;
pub mod notify;
pub mod prune;
pub mod remediations;
pub mod run;
pub mod schema;
pub mod serve;
pub mod silence;
pub mod tick;
pub mod uptime;
pub mod validate;

use crate::cli::{Cli, Command, RunFormat};
use crate::error::{Error, exit};
use crate::output::plugin_exit;
use crate::style::Style;

/// Runs the parsed command line and returns the exit code.
pub fn dispatch(cli: Cli) -> i32 {
    let result = choose_store_and_host(&cli).and_then(|()| match &cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Run(args) => run::run(&cli, args),
        Command::History(args) => history::run(&cli, args),
        Command::Alerts(args) => alerts::run(&cli, args),
        Command::Uptime(args) => uptime::run(&cli, args),
        Command::Notify(args) => notify::run(&cli, args),
        Command::Silence(args) => silence::run(&cli, args),
        Command::Prune(args) => prune::run(&cli, args),
        Command::Daemon(args) => daemon::run(&cli, args),
        Command::Export(args) => export::run(&cli, args),
        Command::Tick(args) => tick::run(&cli, args),
        Command::List(args) => list::run(args),
        Command::Schema => schema::run(),
        Command::Serve(args) => serve::run(&cli, args),
    });
    let nagios = matches!(&cli.command, Command::Run(args) if args.format == RunFormat::Nagios);
    match result {
        Ok(code) if nagios && code > plugin_exit::UNKNOWN => {
            plugin_exit::unknown("the run was interrupted; its processes were ended")
        }
        Ok(code) => code,
        Err(error) if nagios => {
            report(&error);
            plugin_exit::unknown(&error.to_string())
        }
        Err(error) => report(&error),
    }
}

/// Settles, once for the process, which store every command opens (`--store`) and the
/// host id it records under (`--host-id`): a shared store needs a real host id.
fn choose_store_and_host(cli: &Cli) -> Result<(), Error> {
    let shared = crate::store::choose(cli.store.as_deref())?;
    crate::host::choose(cli.host_id.as_deref(), shared)
}

/// Prints runner's own error and returns its exit code.
pub fn report(error: &Error) -> i32 {
    let style = Style::for_stderr();
    eprintln!("{}: {}", style.error("error"), crate::secret::scrub(&error.to_string()));
    if error.exit_code() == exit::SOFTWARE {
        eprintln!("please report this at the project's issue tracker, with the command you ran");
    }
    error.exit_code()
}

/// Writes a command's whole output to stdout. A reader that went away (`runner schema |
/// head -1`) is not an error; a stdout that cannot take the text (a full disk) is an I/O
/// error (74), never a panic.
pub fn print_stdout(text: &str) -> crate::error::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::error::Error::Write { path: "standard output".into(), source: error })
        }
        _ => Ok(()),
    }
}
