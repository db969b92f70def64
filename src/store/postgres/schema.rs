//! The PostgreSQL schema and its migrations, tracked in `runner_schema` (one row per
//! applied version). Daemons that start together migrate once: the migration runs in one
//! transaction under an advisory lock. Never edit a released migration; add one at the end.
//!
//! Version 1 is the whole schema of the first release on PostgreSQL, one file per group
//! of concerns (`schema/*.sql`), so that the tables sit beside the queries that use them.

use postgres::Client;

/// Every migration, in order: version N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[&[&str]] =
    &[&[include_str!("schema/data.sql"), include_str!("schema/alerts.sql"), include_str!("schema/fleet.sql")]];

/// How many migrations exist: the schema version this runner reads and writes.
pub const VERSIONS: usize = MIGRATIONS.len();

/// The advisory lock key under which migrations run ("runner" in ASCII).
const MIGRATION_LOCK: i64 = 0x72_75_6e_6e_65_72;

/// Brings the schema up to date.
pub fn migrate(client: &mut Client) -> Result<(), postgres::Error> {
    let mut transaction = client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    transaction.batch_execute(
        "CREATE TABLE IF NOT EXISTS runner_schema (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )?;
    let current: i32 = transaction.query_one("SELECT COALESCE(MAX(version), 0) FROM runner_schema", &[])?.get(0);
    for (index, parts) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        for part in *parts {
            transaction.batch_execute(part)?;
        }
        let version = (index + 1) as i32;
        transaction.execute(
            "INSERT INTO runner_schema (version, applied_ms) VALUES ($1, $2)",
            &[&version, &crate::store::now_ms()],
        )?;
    }
    transaction.commit()
}
