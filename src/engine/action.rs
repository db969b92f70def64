//! Actions: `run`, `shell`, `sleep` and `http`, each under its timeout. A failed action
//! (non-zero exit, timeout, HTTP error) fails its phase, with its output in the result.
//!
//! Processes an action starts in the background on purpose survive its normal exit; only
//! a timeout or a cancelled run kills its process group (see `process_group`). The group is
//! recorded while the action's command runs, so that a `kill -9` of runner mid-action
//! leaves nothing that the next start does not end.

use std::path::Path;
use std::time::Instant;

use super::context::Engine;
use crate::outcome::{ActionResult, ActionStatus};
use crate::playbook::{Action, Playbook};
use crate::probe::http_clients::ClientSetupError;
use crate::process_group;
use crate::secret::scrub_owned;

/// Runs one action.
pub async fn run(action: &Action, playbook: &Playbook, base_dir: &Path, engine: &Engine) -> ActionResult {
    let started = Instant::now();
    let started_at_s = crate::clock::now().as_second();
    let timeout = playbook.action_timeout(action);
    let describe = scrub_owned(action.describe());
    let finish = |status: ActionStatus, exit_code: Option<i32>, message: String, output: String| ActionResult {
        action: describe.clone(),
        status,
        exit_code,
        message: crate::style::printable(scrub_owned(message)),
        output: crate::style::printable(scrub_owned(output)),
        duration_ms: started.elapsed().as_millis() as u64,
        started_at_s,
    };

    if let Some(duration) = action.sleep {
        tokio::time::sleep(duration.get()).await;
        return finish(
            ActionStatus::Ok,
            None,
            format!("slept {}", crate::duration::format(duration.get())),
            String::new(),
        );
    }
    if let Some(http) = &action.http {
        return run_http(http, timeout, engine).await.map_or_else(
            |error| finish(ActionStatus::Failed, None, error.to_string(), String::new()),
            |(code, body)| {
                if (200..300).contains(&code) {
                    finish(ActionStatus::Ok, None, format!("HTTP {code}"), body)
                } else {
                    finish(ActionStatus::Failed, None, format!("HTTP {code}"), body)
                }
            },
        );
    }
    let Some(spec) = crate::checks::command::spec(
        action.run.as_ref(),
        action.shell.as_ref(),
        action.cwd.as_ref(),
        action.env.as_ref(),
        base_dir,
    ) else {
        return finish(ActionStatus::Failed, None, "the action has nothing to do".into(), String::new());
    };
    let owner = engine.probes.owner(playbook.name.as_str());
    match process_group::run_owned(&spec, timeout, owner.as_ref()).await {
        Err(error) => {
            finish(ActionStatus::Failed, None, format!("cannot start `{}`: {error}", spec.program), String::new())
        }
        Ok(done) => {
            let output = done.combined_output();
            if done.timed_out {
                finish(
                    ActionStatus::Failed,
                    done.exit_code,
                    format!("timed out after {}; its process group was killed", crate::duration::format(timeout)),
                    output,
                )
            } else {
                match done.exit_code {
                    Some(0) => finish(ActionStatus::Ok, Some(0), "exit 0".into(), output),
                    Some(code) => finish(ActionStatus::Failed, Some(code), format!("exit {code}"), output),
                    None => finish(
                        ActionStatus::Failed,
                        None,
                        format!("killed by signal {}", done.signal.unwrap_or(0)),
                        output,
                    ),
                }
            }
        }
    }
}

/// The plan of an action in a dry run: what would run, with its timeout.
pub fn planned(action: &Action, playbook: &Playbook) -> ActionResult {
    let message = match action.sleep {
        Some(_) => "would wait".to_string(),
        None => format!("would run (timeout {})", crate::duration::format(playbook.action_timeout(action))),
    };
    ActionResult {
        action: scrub_owned(action.describe()),
        status: ActionStatus::Planned,
        exit_code: None,
        message,
        output: String::new(),
        duration_ms: 0,
        started_at_s: crate::clock::now().as_second(),
    }
}

/// Why an `http` action got no answer: the action's failure message.
#[derive(Debug, thiserror::Error)]
enum HttpActionError {
    #[error(transparent)]
    Client(#[from] ClientSetupError),
    #[error("`{0}` is not an HTTP method")]
    Method(String),
    /// The request failed, in the words of `checks::http::describe_error`. The reqwest
    /// error itself is not kept: its text carries the URL, which may hold a password.
    #[error("{0}")]
    Request(String),
}

async fn run_http(
    http: &crate::playbook::ActionHttp,
    timeout: std::time::Duration,
    engine: &Engine,
) -> Result<(u16, String), HttpActionError> {
    let client = engine.probes.http.get(true, true)?;
    let method = http.method.as_ref().map(|m| m.as_str().to_ascii_uppercase()).unwrap_or_else(|| "POST".into());
    let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
        return Err(HttpActionError::Method(method));
    };
    let mut request = client.request(method, http.url.as_str()).timeout(timeout);
    for (name, value) in http.headers.iter().flatten() {
        request = request.header(name.as_str(), value.expose());
    }
    if let Some(body) = &http.body {
        request = request.body(body.as_str().to_string());
    }
    let response =
        request.send().await.map_err(|e| HttpActionError::Request(crate::checks::http::describe_error(&e, true)))?;
    let code = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let body = crate::secret::scrub_and_cut(&body, 4096);
    Ok((code, body))
}
