//! The guard of every write: `Authorization: Bearer <RUNNER_API_TOKEN>` (CLI.md). A server
//! without the variable takes no writes at all (403); a missing or wrong token is 401 with
//! `WWW-Authenticate: Bearer`. The token is compared in constant time (a byte-by-byte
//! comparison that stops early would tell how much of a guess was right), registered as a
//! secret so that no output ever shows it, and never logged.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::problem::problem;

/// The variable that holds the token.
pub const TOKEN_VARIABLE: &str = "RUNNER_API_TOKEN";

/// The server's token, read once at start.
#[derive(Clone, Default)]
pub struct Token(Option<std::sync::Arc<str>>);

impl Token {
    /// From the environment: unset or empty is no token.
    pub fn from_env() -> Token {
        let value = std::env::var(TOKEN_VARIABLE).ok().filter(|t| !t.is_empty());
        if let Some(value) = &value {
            crate::secret::register(value);
        }
        Token(value.map(std::sync::Arc::from))
    }

    /// `Ok` when `headers` carry the token; otherwise the answer to send.
    #[expect(clippy::result_large_err, reason = "the error is the response itself, built once per refused write")]
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Response> {
        let Some(expected) = &self.0 else {
            return Err(problem(
                StatusCode::FORBIDDEN,
                &format!("writes are off: this server was started without {TOKEN_VARIABLE}"),
            ));
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        match given {
            Some(given) if same(given.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => {
                let mut answer = problem(StatusCode::UNAUTHORIZED, "a write needs `Authorization: Bearer <token>`");
                answer.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
                Err(answer)
            }
        }
    }
}

/// Equal, in time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut difference = u8::from(a.len() != b.len());
    for (i, expected) in b.iter().enumerate() {
        difference |= a.get(i).copied().unwrap_or(0) ^ expected;
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_is_exact() {
        assert!(same(b"s3cret-token", b"s3cret-token"));
        assert!(!same(b"s3cret-toke", b"s3cret-token"));
        assert!(!same(b"s3cret-tokenX", b"s3cret-token"));
        assert!(!same(b"", b"s3cret-token"));
    }
}
