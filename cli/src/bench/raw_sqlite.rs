//! The baseline the store's commits are compared with: a bare SQLite file with the store's
//! pragmas (WAL, `synchronous = FULL`, foreign keys) and its chunk table, where each commit is
//! one single-row insert transaction. The difference is what automerge, projections and the
//! store's bookkeeping add on top of the unavoidable fsync.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use rusqlite::{Connection, TransactionBehavior, params};

pub(super) struct RawSqlite {
    conn: Connection,
}

impl RawSqlite {
    pub(super) fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open baseline database {}", path.display()))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "baseline is not in WAL mode"
        );
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS chunks (
                 seq    INTEGER PRIMARY KEY AUTOINCREMENT,
                 doc_id TEXT NOT NULL,
                 data   BLOB NOT NULL
             );
             CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, seq);",
        )?;
        Ok(RawSqlite { conn })
    }

    /// One `BEGIN IMMEDIATE; INSERT; COMMIT`, timed.
    pub(super) fn commit(&mut self, doc_id: &str, data: &[u8]) -> Result<Duration> {
        let start = Instant::now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO chunks(doc_id, data) VALUES (?1, ?2)")?
            .execute(params![doc_id, data])?;
        tx.commit()?;
        Ok(start.elapsed())
    }
}
