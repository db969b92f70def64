//! A small cache of rendered answers: a page or an API answer is read from the store at
//! most once per [`TTL`] per URL, however many clients ask, and at most [`ENTRIES`] are
//! kept, holding at most [`BYTES`] of bodies (the oldest goes first; a larger answer is
//! not kept), so that a crowd on `/` costs the store nothing more and the process's memory
//! stays bounded however many distinct URLs (`/?x=1`, `/?x=2`, …) a client asks for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// How long an answer is served again.
pub const TTL: Duration = Duration::from_secs(2);

/// The most answers kept.
pub const ENTRIES: usize = 128;

/// The most body bytes kept, all answers together.
pub const BYTES: usize = 2 * 1024 * 1024;

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
        entries.remove(&key);
        if answer.body.len() > BYTES / 2 {
            return;
        }
        let held =
            |entries: &HashMap<String, (Instant, Answer)>| entries.values().map(|(_, a)| a.body.len()).sum::<usize>();
        while entries.len() >= ENTRIES || (!entries.is_empty() && held(&entries) + answer.body.len() > BYTES) {
            let oldest = entries.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (Instant::now(), answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Answer {
        Answer { status: axum::http::StatusCode::OK, headers: HeaderMap::new(), body: vec![b'x'; bytes].into() }
    }

    #[test]
    fn distinct_urls_cannot_grow_it_past_its_bytes() {
        let cache = Cache::default();
        for n in 0..40 {
            cache.put(format!("/?n={n}"), answer(600 * 1024));
        }
        let held: usize = cache.entries.lock().unwrap().values().map(|(_, a)| a.body.len()).sum();
        assert!(held <= BYTES, "{held} bytes held");
        assert!(cache.get("/?n=39").is_some(), "the newest is kept");
        assert!(cache.get("/?n=0").is_none(), "the oldest went first");
        cache.put("/big".into(), answer(BYTES));
        assert!(cache.get("/big").is_none(), "an answer too large is not kept");
        cache.clear();
        assert!(cache.get("/?n=39").is_none());
    }
}
