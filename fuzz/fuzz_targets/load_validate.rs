//! Fuzz target: load + validate a playbook from arbitrary bytes, then render every
//! diagnostic. The contract under test: loading never panics, whatever the bytes (and
//! each input is handled well under 1 s — run with `-timeout=2`).
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use runner::playbook::interpolate::EnvLookup;
use runner::playbook::load::{LoadOptions, load_bytes};
use runner::style::Style;

/// A fixed environment: a couple of names are set, everything else is unset.
fn options() -> &'static LoadOptions {
    static OPTIONS: OnceLock<LoadOptions> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let env: EnvLookup = Arc::new(|name: &str| match name {
            "HOME" => Some("/home/fuzz".to_string()),
            "REDIS_URL" => Some("redis://127.0.0.1:6379/0".to_string()),
            "API_TOKEN" => Some("s3cr3t-token".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        });
        LoadOptions { env }
    })
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/playbook.yaml");
    let report = load_bytes(path, data, options());
    for diagnostic in &report.diagnostics {
        let _ = diagnostic.render("fuzz/playbook.yaml", &report.source, Style::plain());
    }
});
