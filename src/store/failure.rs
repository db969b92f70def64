//! Why the store failed, in the operating system's words: "no space left on device",
//! "read-only file system", rather than a library's "disk I/O error". Backends turn their
//! failures into these sentences (see `sqlite::failure`); the lock files of the state
//! folder use them too.

/// The sentence of an OS error: "no space left on device", without "(os error 28)".
pub fn os_sentence(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = match text.find(" (os error") {
        Some(cut) => &text[..cut],
        None => text.as_str(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_as_sentences() {
        assert_eq!(os_sentence(&std::io::Error::from_raw_os_error(libc::ENOSPC)), "no space left on device");
        assert_eq!(os_sentence(&std::io::Error::from_raw_os_error(libc::EROFS)), "read-only file system");
    }
}
