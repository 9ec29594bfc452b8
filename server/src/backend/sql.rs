//! What the two backends share: one way to run a statement and read its rows, so the
//! transaction methods whose SQL both dialects accept are written once ([`super::Tx`]'s
//! provided methods) and only the rest twice.
//!
//! Statements are written with SQLite's numbered placeholders (`?1`, `?2`, …); the PostgreSQL
//! backend rewrites them to `$1`, `$2`, … once per connection when it prepares them
//! ([`postgres_placeholders`]). Values are bound as [`Param`]s, which both drivers accept.

use crate::error::Result;

/// A value both drivers bind: text, integers, flags, bytes and their options.
pub trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}

impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {}

/// One row of a result, read by column index in the types the schema gives both backends
/// (`TEXT`; `INTEGER`/`BIGINT` as `i64`; a flag as `INTEGER` 0/1 or `BOOLEAN`; `BLOB`/`BYTEA`).
pub trait Row {
    /// A text column.
    fn text(&self, i: usize) -> Result<String>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64>;
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A flag column.
    fn flag(&self, i: usize) -> Result<bool>;
    /// A bytes column.
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;
}

/// A transaction's statements, as each backend runs them (prepared once per connection).
pub trait Sql {
    /// Runs a statement that returns no rows; how many rows it changed.
    fn execute(&mut self, sql: &'static str, params: &[&dyn Param]) -> Result<u64>;
    /// Runs a query, handing each row to `each` in order.
    fn query(
        &mut self,
        sql: &'static str,
        params: &[&dyn Param],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()>;
}

impl dyn Sql + '_ {
    /// Every row of a query, read by `f`.
    pub fn all<T>(
        &mut self,
        sql: &'static str,
        params: &[&dyn Param],
        f: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.query(sql, params, &mut |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query, read by `f`, if there is one.
    pub fn one<T>(
        &mut self,
        sql: &'static str,
        params: &[&dyn Param],
        f: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut out = None;
        self.query(sql, params, &mut |r| {
            if out.is_none() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Whether a query returns a row.
    pub fn exists(&mut self, sql: &'static str, params: &[&dyn Param]) -> Result<bool> {
        Ok(self.one(sql, params, |_| Ok(()))?.is_some())
    }
}

/// `sql` with SQLite's numbered placeholders (`?1`) written as PostgreSQL's (`$1`). Statements
/// hold no other `?` (no PostgreSQL JSON operators, no `?` in literals).
pub fn postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl Row for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.get(i)?)
    }
}

impl Row for postgres::Row {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.try_get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.try_get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.try_get(i)?)
    }
}

#[cfg(test)]
mod tests {
    use super::postgres_placeholders;

    #[test]
    fn numbered_placeholders_become_dollars() {
        assert_eq!(
            postgres_placeholders("UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?12"),
            "UPDATE t SET a = $2 WHERE id = $1 AND b = $12"
        );
    }

    #[test]
    fn statements_already_in_dollars_are_unchanged() {
        let sql = "SELECT 1 FROM t WHERE id = $1";
        assert_eq!(postgres_placeholders(sql), sql);
    }
}
