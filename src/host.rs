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
