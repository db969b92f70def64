//! This host's id, recorded with what is host-scoped (delivery attempts, undeliverable
//! messages, process groups): `RUNNER_HOST_ID`, else the kernel's host name.

/// The id of the host this process runs on.
pub fn id() -> String {
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

/// Whether `id` is a valid host id: a slug of lowercase letters, digits, `-`, `_` and `.`
/// (host names keep their dots), starting with a letter or digit, at most 64 characters.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
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
