//! Output formats of `runner run`: one file per format, each a view of the [`RunRecord`]
//! (as ripgrep has one printer per format behind one trait). What goes to stdout is
//! picked by `--format`; `--output FILE` writes it to a file while the human view goes to
//! the terminal.

pub mod human;
pub mod json;
pub mod junit;
pub mod nagios;
pub mod plugin_exit;
pub mod progress;
pub mod prometheus;
pub mod tap;
pub mod units;

use crate::cli::RunFormat;
use crate::outcome::RunRecord;
use crate::style::Style;

/// Renders a run record as text in one format.
pub trait Format {
    fn render(&self, record: &RunRecord) -> String;
}

/// The printer for a format; `style` only matters for the human view.
pub fn printer(format: RunFormat, style: Style) -> Box<dyn Format> {
    match format {
        RunFormat::Human => Box::new(human::Human { style }),
        RunFormat::Json => Box::new(json::Json),
        RunFormat::Junit => Box::new(junit::Junit),
        RunFormat::Tap => Box::new(tap::Tap),
        RunFormat::Prometheus => Box::new(prometheus::Prometheus),
        RunFormat::Nagios => Box::new(nagios::Nagios),
    }
}

/// Renders and scrubs: nothing leaves through an output without passing the scrubber.
pub fn render(format: RunFormat, style: Style, record: &RunRecord) -> String {
    crate::secret::scrub_owned(printer(format, style).render(record))
}
