//! This host's id, recorded with what is host-scoped (runs, results, delivery attempts,
//! undeliverable messages, process groups): `--host-id` / `RUNNER_HOST_ID`, else the
//! kernel's host name. CLI.md: a slug; with a shared store an empty or `localhost` id is
//! a usage error, because two hosts under one id would overwrite each other's state.

use std::sync::OnceLock;

use crate::error::Error;

/// The id chosen for this process by [`choose`] (the command line), if it was.
static CHOSEN: OnceLock<String> = OnceLock::new();

/// The longest host id: a DNS label's length.
const MAX_LEN: usize = 63;

/// Settles this process's host id from `--host-id` (or `RUNNER_HOST_ID`, which clap reads
/// into the same flag), checking it: a slug of letters, digits, `.`, `_` and `-` that
/// starts with a letter or digit, at most 63 long. With a `shared` store, the id (given
/// or the host name) must not be empty or `localhost`.
pub fn choose(given: Option<&str>, shared: bool) -> Result<(), Error> {
    let given = given.map(str::trim).filter(|id| !id.is_empty() || shared);
    let id = match given {
        Some(id) => id.to_string(),
        None => id(),
    };
    let named = if given.is_some() { "--host-id" } else { "the host name" };
    if shared && is_local_name(&id) {
        return Err(Error::Usage(format!(
            "{named} is {id:?}: with a shared store every host needs its own id (--host-id or RUNNER_HOST_ID), or two hosts would record as one"
        )));
    }
    if let Some(problem) = slug_problem(&id)
        && (given.is_some() || shared)
    {
        return Err(Error::Usage(format!("{named} {id:?} {problem}; give this host an id with --host-id")));
    }
    let _ = CHOSEN.set(id);
    Ok(())
}

/// Why `id` is not a host id, if it is not.
pub fn slug_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        return Some("is empty");
    }
    if id.len() > MAX_LEN {
        return Some("is longer than 63 characters");
    }
    if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some("must start with a letter or a digit");
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Some("may hold only letters, digits, '.', '_' and '-'");
    }
    None
}

fn is_local_name(id: &str) -> bool {
    id.is_empty() || id.eq_ignore_ascii_case("localhost") || id.eq_ignore_ascii_case("localhost.localdomain")
}

/// The id of the host this process runs on.
pub fn id() -> String {
    if let Some(id) = CHOSEN.get() {
        return id.clone();
    }
    std::env::var("RUNNER_HOST_ID")
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .or_else(kernel_hostname)
        .unwrap_or_else(|| "localhost".into())
}

fn kernel_hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length; gethostname NUL-terminates
    // within it when the name fits (and we cut at the first NUL either way).
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if result != 0 {
        return None;
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// Whether `id` is a valid host id (the rule of `--host-id`: [`slug_problem`]).
pub fn is_valid_id(id: &str) -> bool {
    slug_problem(id).is_none()
}

/// The login name of this process's user when `$USER` is unset (cron, systemd): the
/// password database's name for the real uid, else `uid N`.
pub fn login_name() -> String {
    if let Some(user) = std::env::var("USER").ok().map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
        return user;
    }
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    // SAFETY: `passwd` is plain data (integers and pointers); all zeroes is a valid value.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; getpwuid_r writes the strings into
    // `buffer` (its length given) and points `found` at `entry` on success.
    let result = unsafe { libc::getpwuid_r(uid, &raw mut entry, buffer.as_mut_ptr(), buffer.len(), &raw mut found) };
    if result == 0 && !found.is_null() && !entry.pw_name.is_null() {
        // SAFETY: on success pw_name is a NUL-terminated string inside `buffer`.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) }.to_string_lossy().trim().to_string();
        if !name.is_empty() {
            return name;
        }
    }
    format!("uid {uid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_id_is_a_slug() {
        for good in ["web-1", "db01.example.com", "a", "A_b-c.d"] {
            assert_eq!(slug_problem(good), None, "{good}");
        }
        for bad in ["", "-web", ".x", "web 1", "web/1", "wéb", &"x".repeat(64)] {
            assert!(slug_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn localhost_is_not_a_fleet_host() {
        assert!(is_local_name("localhost") && is_local_name("LOCALHOST") && is_local_name("localhost.localdomain"));
        assert!(!is_local_name("web-1"));
    }
}
