//! Opening the SQLite file: refuse anything that is not a SQLite database before SQLite touches
//! it, then set the pragmas every connection uses.
//!
//! Durability: WAL with `synchronous = FULL`. Every commit fsyncs the WAL before the call
//! returns, so a committed write survives both a killed process and a power loss. (`NORMAL`
//! would survive a process kill but could lose the last commits on power loss; inspectors'
//! records are evidence, so we pay the fsync.)

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Fails with [`Error::NotADatabase`] if `path` exists, is non-empty and is not a SQLite file.
pub fn check_header(path: &Path) -> Result<()> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if file.metadata()?.is_dir() {
        return Err(Error::NotADatabase {
            path: path.into(),
            reason: "it is a directory".into(),
        });
    }
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    if read == 0 {
        return Ok(()); // an empty file is a new database
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(Error::NotADatabase {
            path: path.into(),
            reason: "the file does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

/// The one writer connection.
pub fn open_writer(path: &Path) -> Result<Connection> {
    check_header(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    // Search text waiting to be indexed at commit (see `projection::flush_search`). A temporary
    // table: per connection, never on disk, rolled back with the transaction that wrote it.
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS search_pending(rid INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    )?;
    Ok(conn)
}

/// Switches the writer to WAL. Called only after the file is known to be ours (or new), because
/// it rewrites the file header.
pub fn enable_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::InvalidArgument(format!(
            "cannot use WAL on this file system (journal mode {mode})"
        )));
    }
    Ok(())
}

/// A read-only connection (lists and search), so reads never wait for a writer's fsync.
pub fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // One write touches some twenty statements (documents, chunks, projection, keys, sync
    // state); rusqlite's default of 16 would re-prepare them for every record.
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Statement journals (one per write statement inside a transaction) and the temporary
    // staging table stay in memory instead of a temporary file written page by page.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 16 MiB of page cache: a first sync writes tens of megabytes in a few transactions, and a
    // smaller cache spills dirty pages to the WAL in the middle of them.
    conn.pragma_update(None, "cache_size", -16384)?;
    // Reading the schema fails here, with a typed error, if page 1 is damaged.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(())
}
