//! The statements prepared on one connection, by their SQL: a statement that runs on every
//! run (recording results, reading a series) is parsed and planned once per connection
//! instead of once per call (the blocking client has no cache of its own).
//!
//! Prepared statements are the session's, not the transaction's: one prepared inside a
//! transaction that rolls back stays usable. They go with their connection (a lost
//! connection is replaced with an empty cache, see `PostgresStore::with_prepared`).

use std::collections::HashMap;

use postgres::{GenericClient, Statement};

#[derive(Default)]
pub(crate) struct Prepared {
    statements: HashMap<&'static str, Statement>,
}

impl Prepared {
    /// `sql` prepared on the connection `client` belongs to (a client or a transaction of it).
    pub(crate) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}
