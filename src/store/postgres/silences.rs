//! Silences in PostgreSQL (`silences`, `silence_releases`; see `store::silences`): the
//! fleet's, made once for every daemon; a silence's `host` is its filter, not its owner.

use postgres::{GenericClient, Row};

use super::PostgresStore;
use crate::error::Error;
use crate::quiet::silence::{NewSilence, Silence, key};
use crate::store::silences::SilenceStore;

const COLUMNS: &str =
    "id, playbook, check_id, host, reason, maker, created_ms, expires_ms, until_ok, matched, ended_ms, ended_by";

fn silence(row: &Row) -> Result<Silence, postgres::Error> {
    let matched: Option<String> = row.try_get(9)?;
    Ok(Silence {
        id: row.try_get(0)?,
        playbook: row.try_get(1)?,
        check: row.try_get(2)?,
        host: row.try_get(3)?,
        reason: row.try_get(4)?,
        maker: row.try_get(5)?,
        created_ms: row.try_get(6)?,
        expires_ms: row.try_get(7)?,
        until_ok: row.try_get(8)?,
        matched: matched.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default(),
        released: Vec::new(),
        ended_ms: row.try_get(10)?,
        ended_by: row.try_get(11)?,
    })
}

/// The checks released so far of a silence, as `playbook/check`, in the order released.
fn released(client: &mut impl GenericClient, id: i64) -> Result<Vec<String>, postgres::Error> {
    let rows = client.query(
        "SELECT playbook, check_id FROM silence_releases WHERE silence_id = $1 ORDER BY released_ms, playbook, check_id",
        &[&id],
    )?;
    rows.iter().map(|r| Ok(key(&r.try_get::<_, String>(0)?, &r.try_get::<_, String>(1)?))).collect()
}

fn with_releases(client: &mut impl GenericClient, rows: &[Row]) -> Result<Vec<Silence>, postgres::Error> {
    let mut silences: Vec<Silence> = rows.iter().map(silence).collect::<Result<_, _>>()?;
    for silence in silences.iter_mut().filter(|s| s.until_ok) {
        silence.released = released(client, silence.id)?;
    }
    Ok(silences)
}

impl SilenceStore for PostgresStore {
    fn add_silence(&self, new: &NewSilence) -> Result<i64, Error> {
        let matched = new.until_ok.then(|| serde_json::to_string(&new.matched).unwrap_or_default());
        let reason = crate::secret::scrub(&new.reason);
        self.with(|c| {
            c.query_one(
                "INSERT INTO silences (playbook, check_id, host, reason, maker, created_ms, expires_ms, until_ok, matched)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &new.playbook,
                    &new.check,
                    &new.host,
                    &reason,
                    &new.maker,
                    &new.created_ms,
                    &new.expires_ms,
                    &new.until_ok,
                    &matched,
                ],
            )?
            .try_get(0)
        })
    }

    fn silences(&self, now_ms: i64, ended: bool) -> Result<Vec<Silence>, Error> {
        let filter = if ended {
            "ended_ms IS NOT NULL OR expires_ms <= $1 ORDER BY COALESCE(ended_ms, expires_ms) DESC, id DESC"
        } else {
            "ended_ms IS NULL AND expires_ms > $1 ORDER BY id"
        };
        self.with(|c| {
            let rows = c.query(&format!("SELECT {COLUMNS} FROM silences WHERE {filter}"), &[&now_ms])?;
            with_releases(c, &rows)
        })
    }

    fn silence(&self, id: i64) -> Result<Option<Silence>, Error> {
        self.with(|c| {
            let rows = c.query(&format!("SELECT {COLUMNS} FROM silences WHERE id = $1"), &[&id])?;
            Ok(with_releases(c, &rows)?.pop())
        })
    }

    fn expire_silence(&self, id: i64, now_ms: i64, by: &str) -> Result<bool, Error> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE silences SET ended_ms = $2, ended_by = $3 WHERE id = $1 AND ended_ms IS NULL AND expires_ms > $2",
                &[&id, &now_ms, &by],
            )?;
            Ok(changed > 0)
        })
    }

    fn release_silence(&self, id: i64, playbook: &str, check: &str, now_ms: i64) -> Result<(), Error> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            // Locked first: two daemons releasing its last two checks at once each see the
            // other's release, and one of them ends it.
            // An unknown silence is refused by the release's foreign key, as in SQLite.
            let row = tx.query_opt("SELECT matched FROM silences WHERE id = $1 FOR UPDATE", &[&id])?;
            let matched: Option<String> = row.map(|r| r.try_get(0)).transpose()?.flatten();
            let matched: Vec<String> = matched.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
            tx.execute(
                "INSERT INTO silence_releases (silence_id, playbook, check_id, released_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&id, &playbook, &check, &now_ms],
            )?;
            let released = released(&mut tx, id)?;
            if !matched.is_empty() && matched.iter().all(|m| released.contains(m)) {
                tx.execute(
                    "UPDATE silences SET ended_ms = $2, ended_by = 'released' WHERE id = $1 AND ended_ms IS NULL",
                    &[&id, &now_ms],
                )?;
            }
            tx.commit()
        })
    }

    fn known_checks(&self) -> Result<Vec<(String, String)>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT p.name, k.check_id FROM checks k JOIN playbooks p ON p.id = k.playbook_id ORDER BY p.name, k.check_id",
                &[],
            )?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }
}
