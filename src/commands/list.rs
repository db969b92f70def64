//! `runner list [PATH...]`: each playbook with its description, its schedule in words and
//! its next 3 fires as `YYYY-MM-DD HH:MM±hh:mm` in its timezone.

use std::io::Write;

use crate::cli::ListArgs;
use crate::error::exit;
use crate::playbook::discover;
use crate::playbook::load::LoadOptions;
use crate::schedule::cron;
use crate::style::Style;

pub fn run(args: &ListArgs) -> crate::error::Result<i32> {
    let (files, mut errors) = discover::playbook_files(&args.paths);
    let (reports, read_errors) = super::validate::validate_files(&files, &LoadOptions::default());
    errors.extend(read_errors);
    let style = Style::for_stdout();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let now = crate::clock::now();
    let mut invalid = 0;
    for report in &reports {
        let path = report.display_path();
        let Some(playbook) = report.playbook.as_ref().filter(|_| !report.has_errors()) else {
            invalid += 1;
            let _ = writeln!(
                out,
                "{}  {}\n    invalid: {} error(s); run `runner validate {path}`\n",
                style.bold("?"),
                path,
                report.error_count()
            );
            continue;
        };
        let _ = writeln!(out, "{}  {}", style.bold(playbook.name.as_str()), style.dim(&path));
        if let Some(description) = &playbook.description {
            let _ = writeln!(out, "    {description}");
        }
        match &playbook.schedule {
            None => {
                let _ = writeln!(out, "    schedule: none (run by hand with `runner run {path}`)");
            }
            Some(schedule) => {
                let zone_name = schedule.timezone.as_ref().map(|t| t.as_str().to_string());
                let zone = cron::timezone(zone_name.as_deref()).unwrap_or(jiff::tz::TimeZone::UTC);
                let zone_label = zone_name.unwrap_or_else(|| zone.iana_name().unwrap_or("local").to_string());
                match cron::parse(schedule.cron.as_str()) {
                    Ok(parsed) => {
                        let _ = writeln!(
                            out,
                            "    schedule: {} ({}, {zone_label})",
                            cron::describe(&parsed),
                            schedule.cron.as_str()
                        );
                        let fires: Vec<String> = cron::next_fires(&parsed, &zone, now, 3)
                            .iter()
                            .map(|z| z.strftime("%Y-%m-%d %H:%M%:z").to_string())
                            .collect();
                        let _ = writeln!(out, "    next: {}", fires.join(", "));
                    }
                    Err(message) => {
                        let _ = writeln!(out, "    schedule: invalid cron: {message}");
                    }
                }
            }
        }
        let _ = writeln!(out);
    }
    for error in &errors {
        let _ = writeln!(out, "{}: {error}", style.error("error"));
    }
    Ok(if !errors.is_empty() {
        exit::IO
    } else if invalid > 0 {
        exit::DATA
    } else {
        exit::OK
    })
}
