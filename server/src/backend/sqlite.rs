//! The SQLite backend: one file (`server.db`) in the data folder, WAL, one connection behind a
//! mutex (SQLite has one writer anyway). Transactions are `IMMEDIATE`, so the feed counter is
//! taken under the write lock and sequence numbers follow commit order.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, Transaction, params};

use super::schema::{self, Dialect};
use super::{
    Backend, ChangeRow, Param, RecordRow, Row, Sql, Tx, join_heads, record_row, split_heads,
};
use crate::error::{Error, Result};

/// `PRAGMA application_id` of a server database: "OFGS".
const APPLICATION_ID: i32 = 0x4F46_4753;

/// The SQLite backend: one connection to the database file, behind a mutex.
pub struct SqliteBackend {
    conn: Mutex<Connection>,
    org: crate::scope::OrgIndex,
    digests: crate::digest::DigestCache,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteBackend> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Statement journals in memory, not in a temporary file written page by page.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(128);
        let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version =
            conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if app != 0 && app != APPLICATION_ID {
            return Err(Error::Internal(format!(
                "{} is not an Offgrid server database",
                path.display()
            )));
        }
        if version > schema::VERSION {
            return Err(Error::Internal(format!(
                "server database schema {version} is newer than this server ({})",
                schema::VERSION
            )));
        }
        let tx = conn.transaction()?;
        for sql in Dialect::Sqlite.pending(version) {
            tx.execute_batch(&sql)?;
        }
        tx.pragma_update(None, "user_version", schema::VERSION as i64)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        Ok(SqliteBackend {
            conn: Mutex::new(conn),
            org: Default::default(),
            digests: Default::default(),
        })
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn org_index(&self) -> &crate::scope::OrgIndex {
        &self.org
    }

    fn digests(&self) -> &crate::digest::DigestCache {
        &self.digests
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut t = SqliteTx { tx };
        f(&mut t)?;
        t.tx.commit()?;
        Ok(())
    }
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

impl Sql for SqliteTx<'_> {
    fn execute(&mut self, sql: &'static str, params: &[&dyn Param]) -> Result<u64> {
        let params: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
        let n = self.tx.prepare_cached(sql)?.execute(params.as_slice())?;
        Ok(n as u64)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&dyn Param],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        let params: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
        let mut st = self.tx.prepare_cached(sql)?;
        let mut rows = st.query(params.as_slice())?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    }
}

impl Tx for SqliteTx<'_> {
    fn sql(&mut self) -> &mut dyn Sql {
        self
    }

    fn set_token_watermark(&mut self, token_id: &str, at_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE tokens SET watermark_ms = max(coalesce(watermark_ms, 0), ?2) WHERE id = ?1",
            params![token_id, at_ms],
        )?;
        Ok(())
    }

    fn lock_record(&mut self, id: &str) -> Result<Option<RecordRow>> {
        // The whole database is locked by the IMMEDIATE transaction.
        self.sql().one(
            "SELECT id, project, kind, heads FROM records WHERE id = ?1",
            &[&id],
            record_row,
        )
    }

    fn insert_record(&mut self, row: &RecordRow, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO records(id, project, kind, heads, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                row.id,
                row.project,
                row.kind,
                join_heads(&row.heads),
                now_ms
            ],
        )?;
        Ok(())
    }

    fn insert_change(&mut self, c: &ChangeRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO changes(record, hash, deps, data, applied, device_time_ms, received_ms, user_id, device)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8) ON CONFLICT(record, hash) DO NOTHING",
            params![
                c.record,
                c.hash,
                join_heads(&c.deps),
                c.data,
                c.device_time_ms,
                c.received_ms,
                c.user_id,
                c.device
            ],
        )?;
        Ok(())
    }

    fn pending_changes(&mut self, record: &str) -> Result<Vec<(String, Vec<String>)>> {
        let mut st = self
            .tx
            .prepare("SELECT hash, deps FROM changes WHERE record = ?1 AND applied = 0")?;
        let rows = st.query_map([record], |r| {
            Ok((r.get::<_, String>(0)?, split_heads(&r.get::<_, String>(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn pending_change_data(&mut self, record: &str) -> Result<Vec<Vec<u8>>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT data FROM changes WHERE record = ?1 AND applied = 0")?;
        let rows = st.query_map([record], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_bytes(&mut self, record: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .prepare_cached("SELECT COALESCE(SUM(length(data)), 0) FROM changes WHERE record = ?1")?
            .query_row([record], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    fn mark_applied(&mut self, record: &str, hash: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE changes SET applied = 1 WHERE record = ?1 AND hash = ?2",
            [record, hash],
        )?;
        Ok(())
    }

    fn append_feed(
        &mut self,
        project: &str,
        entries: &[(String, String)],
        device: &str,
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let end: i64 = self.tx.query_row(
            "UPDATE projects SET feed_seq = feed_seq + ?2 WHERE id = ?1 RETURNING feed_seq",
            params![project, entries.len() as i64],
            |r| r.get(0),
        )?;
        let mut seq = end - entries.len() as i64;
        let mut st = self.tx.prepare_cached(
            "INSERT INTO feed(project, seq, record, hash, device) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (record, hash) in entries {
            seq += 1;
            st.execute(params![project, seq, record, hash, device])?;
        }
        Ok(())
    }

    fn checks_of(&mut self, records: &[String]) -> Result<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for ids in records.chunks(500) {
            let marks = vec!["?"; ids.len()].join(",");
            let mut st = self.tx.prepare(&format!(
                "SELECT record, hash, finding FROM change_checks WHERE record IN ({marks})"
            ))?;
            let rows = st.query_map(rusqlite::params_from_iter(ids), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        Ok(out)
    }
}
