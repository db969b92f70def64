//! A small cache of rendered answers: a page or an API answer is read from the store at
//! most once per [`TTL`] per URL, however many clients ask, and at most [`ENTRIES`] are
//! kept (the oldest goes first), so that a crowd on `/` costs the store nothing more and
//! the process's memory stays bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// How long an answer is served again.
pub const TTL: Duration = Duration::from_secs(2);

/// The most answers kept.
pub const ENTRIES: usize = 128;

/// A stored answer.
#[derive(Clone)]
pub struct Answer {
    pub status: axum::http::StatusCode,
    pub headers: HeaderMap,
    pub body: axum::body::Bytes,
}

#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, (Instant, Answer)>>,
}

impl Cache {
    /// The fresh answer for `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Answer> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(at, _)| at.elapsed() < TTL).map(|(_, answer)| answer.clone())
    }

    /// Forgets every answer: a write (a silence made or ended) shows at once.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    pub fn put(&self, key: String, answer: Answer) {
        let Ok(mut entries) = self.entries.lock() else { return };
        entries.retain(|_, (at, _)| at.elapsed() < TTL);
        if entries.len() >= ENTRIES {
            let oldest = entries.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (Instant::now(), answer));
    }
}
