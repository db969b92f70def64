//! Silences in the store: made, listed, ended by hand, released check by check
//! (`--until-ok`), and kept after they end for `history`. What a silence means is
//! `quiet::silence`'s; this file only keeps them.

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::error::Error;
use crate::quiet::silence::{NewSilence, Silence, key};

/// Keeping silences (the lead folds this into the `Store` trait).
pub trait SilenceStore: Send + Sync {
    /// Stores a new silence; its id.
    fn add_silence(&self, new: &NewSilence) -> Result<i64, Error>;
    /// The silences in force at `now_ms` (`ended == false`), or those that ended.
    fn silences(&self, now_ms: i64, ended: bool) -> Result<Vec<Silence>, Error>;
    /// One silence by id, whatever its state.
    fn silence(&self, id: i64) -> Result<Option<Silence>, Error>;
    /// Ends a silence now; false when it was not in force.
    fn expire_silence(&self, id: i64, now_ms: i64, by: &str) -> Result<bool, Error>;
    /// Releases one check of an `--until-ok` silence (its first OK); the silence ends when
    /// every check it matched when made is released.
    fn release_silence(&self, id: i64, playbook: &str, check: &str, now_ms: i64) -> Result<(), Error>;
    /// Every (playbook, check) the store has results for.
    fn known_checks(&self) -> Result<Vec<(String, String)>, Error>;
}

const COLUMNS: &str =
    "id, playbook, check_id, host, reason, maker, created_ms, expires_ms, until_ok, matched, ended_ms, ended_by";

fn row_to_silence(row: &rusqlite::Row<'_>) -> rusqlite::Result<Silence> {
    let matched: Option<String> = row.get(9)?;
    Ok(Silence {
        id: row.get(0)?,
        playbook: row.get(1)?,
        check: row.get(2)?,
        host: row.get(3)?,
        reason: row.get(4)?,
        maker: row.get(5)?,
        created_ms: row.get(6)?,
        expires_ms: row.get(7)?,
        until_ok: row.get(8)?,
        matched: matched.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default(),
        released: Vec::new(),
        ended_ms: row.get(10)?,
        ended_by: row.get(11)?,
    })
}

fn with_releases(c: &rusqlite::Connection, mut silences: Vec<Silence>) -> rusqlite::Result<Vec<Silence>> {
    let mut statement =
        c.prepare_cached("SELECT playbook, check_id FROM silence_releases WHERE silence_id = ?1 ORDER BY released_ms")?;
    for silence in silences.iter_mut().filter(|s| s.until_ok) {
        let rows = statement.query_map([silence.id], |r| Ok(key(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)))?;
        silence.released = rows.collect::<rusqlite::Result<_>>()?;
    }
    Ok(silences)
}

impl SilenceStore for Store {
    fn add_silence(&self, new: &NewSilence) -> Result<i64, Error> {
        let matched = new.until_ok.then(|| serde_json::to_string(&new.matched).unwrap_or_default());
        self.with(|c| {
            c.execute(
                "INSERT INTO silences (playbook, check_id, host, reason, maker, created_ms, expires_ms, until_ok, matched)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    new.playbook,
                    new.check,
                    new.host,
                    crate::secret::scrub(&new.reason),
                    new.maker,
                    new.created_ms,
                    new.expires_ms,
                    new.until_ok,
                    matched
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn silences(&self, now_ms: i64, ended: bool) -> Result<Vec<Silence>, Error> {
        let filter = if ended {
            "ended_ms IS NOT NULL OR expires_ms <= ?1 ORDER BY COALESCE(ended_ms, expires_ms) DESC, id DESC"
        } else {
            "ended_ms IS NULL AND expires_ms > ?1 ORDER BY id"
        };
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!("SELECT {COLUMNS} FROM silences WHERE {filter}"))?;
            let rows: Vec<Silence> = statement.query_map([now_ms], row_to_silence)?.collect::<rusqlite::Result<_>>()?;
            with_releases(c, rows)
        })
    }

    fn silence(&self, id: i64) -> Result<Option<Silence>, Error> {
        self.with(|c| {
            let found = c
                .query_row(&format!("SELECT {COLUMNS} FROM silences WHERE id = ?1"), [id], row_to_silence)
                .optional()?;
            Ok(with_releases(c, found.into_iter().collect())?.pop())
        })
    }

    fn expire_silence(&self, id: i64, now_ms: i64, by: &str) -> Result<bool, Error> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE silences SET ended_ms = ?2, ended_by = ?3 WHERE id = ?1 AND ended_ms IS NULL AND expires_ms > ?2",
                params![id, now_ms, by],
            )?;
            Ok(changed > 0)
        })
    }

    fn release_silence(&self, id: i64, playbook: &str, check: &str, now_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR IGNORE INTO silence_releases (silence_id, playbook, check_id, released_ms) VALUES (?1, ?2, ?3, ?4)",
                params![id, playbook, check, now_ms],
            )?;
            let matched: Option<String> =
                tx.query_row("SELECT matched FROM silences WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten();
            let matched: Vec<String> = matched.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
            let released: Vec<String> = {
                let mut statement = tx.prepare("SELECT playbook, check_id FROM silence_releases WHERE silence_id = ?1")?;
                statement
                    .query_map([id], |r| Ok(key(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)))?
                    .collect::<rusqlite::Result<_>>()?
            };
            if !matched.is_empty() && matched.iter().all(|m| released.contains(m)) {
                tx.execute(
                    "UPDATE silences SET ended_ms = ?2, ended_by = 'released' WHERE id = ?1 AND ended_ms IS NULL",
                    params![id, now_ms],
                )?;
            }
            tx.commit()
        })
    }

    fn known_checks(&self) -> Result<Vec<(String, String)>, Error> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT p.name, k.check_id FROM checks k JOIN playbooks p ON p.id = k.playbook_id ORDER BY p.name, k.check_id",
            )?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(playbook: &str, until_ok: bool, matched: &[&str]) -> NewSilence {
        NewSilence {
            playbook: Some(playbook.into()),
            check: None,
            host: None,
            reason: "deploy".into(),
            maker: "alice".into(),
            created_ms: 1_000,
            expires_ms: 10_000,
            until_ok,
            matched: matched.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn made_listed_expired_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let plain = store.add_silence(&new("web", false, &[])).unwrap();
        let until_ok = store.add_silence(&new("web", true, &["web/api", "web/tls"])).unwrap();
        assert_eq!(store.silences(2_000, false).unwrap().len(), 2);
        assert!(store.expire_silence(plain, 3_000, "expired by bob").unwrap());
        assert!(!store.expire_silence(plain, 3_500, "expired by bob").unwrap(), "once");
        let ended = store.silences(4_000, true).unwrap();
        assert_eq!((ended[0].id, ended[0].ended_by.as_deref()), (plain, Some("expired by bob")));
        store.release_silence(until_ok, "web", "api", 5_000).unwrap();
        let still = store.silence(until_ok).unwrap().unwrap();
        assert!(still.in_force(5_000) && !still.matches("web", "api", "h") && still.matches("web", "tls", "h"));
        store.release_silence(until_ok, "web", "tls", 6_000).unwrap();
        let done = store.silence(until_ok).unwrap().unwrap();
        assert_eq!((done.ended_ms, done.ended_by.as_deref()), (Some(6_000), Some("released")));
        assert!(store.silences(6_500, false).unwrap().is_empty());
        assert_eq!(store.silences(20_000, true).unwrap().len(), 2, "ended silences are kept");
    }
}
