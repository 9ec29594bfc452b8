//! Opening the SQLite file: refuse anything that is not a SQLite database before SQLite touches
//! it, give SQLCipher the key of an encrypted store first thing, then set the pragmas every
//! connection uses.
//!
//! Durability: WAL with `synchronous = FULL`. Every commit fsyncs the WAL before the call
//! returns, so a committed write survives both a killed process and a power loss. (`NORMAL`
//! would survive a process kill but could lose the last commits on power loss; inspectors'
//! records are evidence, so we pay the fsync.)

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::key::StoreKey;
use crate::error::{Error, Result};

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a file looks like before it is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Absent or empty: a new store.
    New,
    /// A plain SQLite file.
    Plain,
    /// Something else, `len` bytes: an encrypted store, or not a database at all.
    Other {
        /// The file's size in bytes.
        len: u64,
    },
}

/// Looks at the first bytes of `path`. A directory is refused with [`Error::NotADatabase`].
pub(crate) fn probe(path: &Path) -> Result<Probe> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::New),
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
        return Ok(Probe::New);
    }
    if read == header.len() && &header == SQLITE_HEADER {
        return Ok(Probe::Plain);
    }
    Ok(Probe::Other {
        len: file.metadata()?.len(),
    })
}

/// Fails with a typed error, before SQLite touches the file, if `path` cannot be opened with
/// `key`: not a SQLite file without a key ([`Error::KeyRequired`] when it has the shape of an
/// encrypted store: whole pages, [`Error::NotADatabase`] otherwise). Returns what the file
/// looks like.
fn check_header(path: &Path, key: Option<&StoreKey>) -> Result<Probe> {
    let probe = probe(path)?;
    match (probe, key) {
        (Probe::Other { len }, None) if len % 1024 == 0 => {
            Err(Error::KeyRequired { path: path.into() })
        }
        (Probe::Other { .. }, None) => Err(Error::NotADatabase {
            path: path.into(),
            reason: "the file does not start with the SQLite header".into(),
        }),
        // Encrypting a plain store is the caller's step (`encrypt::encrypt_in_place`).
        (Probe::Plain, Some(_)) => Err(Error::InvalidArgument(format!(
            "{} is not encrypted: it is encrypted when opened as a store with its key",
            path.display()
        ))),
        _ => Ok(probe),
    }
}

/// The one writer connection; `key` for an encrypted store (a new file is created encrypted).
pub(crate) fn open_writer(path: &Path, key: Option<&StoreKey>) -> Result<Connection> {
    open_writer_with(path, key, true)
}

/// As [`open_writer`]; with `create` false a missing or empty file is refused with
/// [`Error::StoreNotFound`] and no file is ever made.
pub(crate) fn open_writer_with(
    path: &Path,
    key: Option<&StoreKey>,
    create: bool,
) -> Result<Connection> {
    if check_header(path, key)? == Probe::New && !create {
        return Err(Error::StoreNotFound { path: path.into() });
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, path, key)?;
    // Search text waiting to be indexed at commit (see `projection::flush_search`). A temporary
    // table: per connection, never on disk, rolled back with the transaction that wrote it.
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS search_pending(rid INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    )?;
    Ok(conn)
}

/// Switches the writer to WAL. Called only after the file is known to be ours (or new), because
/// it rewrites the file header.
pub(crate) fn enable_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::InvalidArgument(format!(
            "cannot use WAL on this file system (journal mode {mode})"
        )));
    }
    Ok(())
}

/// A read-only connection (lists and search), so reads never wait for a writer's fsync.
pub(crate) fn open_reader(path: &Path, key: Option<&StoreKey>) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, path, key)?;
    Ok(conn)
}

fn configure(conn: &Connection, path: &Path, key: Option<&StoreKey>) -> Result<()> {
    // SQLCipher writes its own log to stderr (logcat, os_log on phones) from its first use: a
    // wrong key would print page errors there. The errors reach the caller typed instead.
    // (Process-wide; set on every connection because SQLCipher sets its default on first use.)
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    if let Some(key) = key {
        // Before anything reads the file. A raw key: no key derivation at open.
        let sql = zeroize::Zeroizing::new(format!("PRAGMA key = {}", key.sql_literal().as_str()));
        conn.execute_batch(&sql)?;
    }
    // Reading the schema fails here, with a typed error, if page 1 is damaged (or, encrypted,
    // if the key is not the file's: SQLCipher cannot tell the two apart).
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        return Err(
            if key.is_some() && e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
                Error::WrongKey { path: path.into() }
            } else {
                e.into()
            },
        );
    }
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
    Ok(())
}
