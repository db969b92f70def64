//! Silences in SQLite (`silences`, `silence_releases`; see `store::silences`).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Error;
use crate::quiet::silence::{NewSilence, Silence, key};
use crate::store::silences::SilenceStore;

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

impl SilenceStore for SqliteStore {
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
