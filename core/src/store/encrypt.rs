//! Encrypting a plain store in place, and changing an encrypted store's key (ADR 0012).
//!
//! Both copy the database into a new file under the new key (`sqlcipher_export`) beside the old
//! one, sync it, and rename it over the old file: at every moment the file at the store's path
//! is whole and opens with exactly one key, the old one before the rename, the new one after.
//! A crash before the rename leaves the old store as it was (the half-written copy is removed at
//! the next open); a crash after it leaves the new one. Before the copy the WAL is checkpointed
//! into the file and emptied, so no old WAL frame can ever be applied to the new file.
//!
//! The store must be closed (no `Store` open on the file) while this runs.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::conn::{self, Probe};
use super::key::StoreKey;
use super::{remove_if_present, schema, sibling};
use crate::error::{Error, Result};

/// The copy being written: `<db>.rekey`.
fn copy_path(db: &Path) -> PathBuf {
    sibling(db, ".rekey")
}

/// Removes a copy left by an encryption or key change that did not finish. The file at the
/// store's path is then still the old one, whole.
pub(crate) fn remove_leftovers(db: &Path) -> Result<()> {
    let copy = copy_path(db);
    for path in [sibling(&copy, "-journal"), copy] {
        if remove_if_present(&path)? {
            tracing::info!("removed an unfinished re-encryption copy");
        }
    }
    Ok(())
}

/// Encrypts the plain store at `db` with `key`, in place. A file that is not an Offgrid store
/// (or is newer than this version) is refused untouched. Photos are sealed afterwards, when the
/// store is opened with the key. The caller has removed any leftover copy.
pub(crate) fn encrypt_in_place(db: &Path, key: &StoreKey) -> Result<()> {
    let conn = conn::open_writer(db, None)?;
    schema::check(&conn, db)?;
    tracing::info!("encrypting the store");
    swap(db, conn, key)
}

/// Changes the key of the encrypted store at `db` from `old` to `new`, crash-safe.
///
/// Idempotent: if `db` already opens with `new` (the change finished before a crash, or was
/// asked twice) it returns `Ok` without writing. A shell therefore keeps both keys until this
/// returns, and after a crash simply asks again. A plain store is refused (open it with a key
/// to encrypt it); a key that opens nothing is [`Error::WrongKey`].
pub fn rekey(db: &Path, old: &StoreKey, new: &StoreKey) -> Result<()> {
    match conn::probe(db)? {
        Probe::New => return Err(Error::StoreNotFound { path: db.into() }),
        Probe::Plain => {
            return Err(Error::InvalidArgument(format!(
                "{} is not encrypted: open it with a key to encrypt it",
                db.display()
            )));
        }
        Probe::Other { .. } => {}
    }
    remove_leftovers(db)?;
    let conn = match conn::open_writer(db, Some(old)) {
        Ok(conn) => conn,
        Err(Error::WrongKey { .. }) => {
            conn::open_writer(db, Some(new))?;
            tracing::info!("the store already has the new key");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    schema::check(&conn, db)?;
    if old == new {
        return Ok(());
    }
    tracing::info!("changing the store key");
    swap(db, conn, new)
}

/// Copies the database open on `conn` to a new file under `key` and renames it over `db`.
fn swap(db: &Path, conn: Connection, key: &StoreKey) -> Result<()> {
    let open_elsewhere = || {
        Error::InvalidArgument(
            "the store is open elsewhere: close it before changing its encryption".into(),
        )
    };
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        return Err(open_elsewhere());
    }
    // Leaving WAL mode needs the only connection to the file: a store still open anywhere (its
    // connections would go on writing to the old file after the rename) is refused here.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) => open_elsewhere(),
            _ => e.into(),
        })?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(open_elsewhere());
    }
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let copy = copy_path(db);
    let attach = zeroize::Zeroizing::new(format!(
        "ATTACH DATABASE ?1 AS rekeyed KEY {}",
        key.sql_literal().as_str()
    ));
    conn.execute(&attach, [copy.to_string_lossy()])?;
    let exported = (|| -> Result<()> {
        conn.query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))?;
        conn.pragma_update(Some("rekeyed"), "user_version", version)?;
        conn.pragma_update(Some("rekeyed"), "application_id", app_id)?;
        let count = |schema: &str| -> Result<i64> {
            Ok(conn.query_row(
                &format!("SELECT count(*) FROM {schema}.sqlite_master"),
                [],
                |r| r.get(0),
            )?)
        };
        if count("main")? != count("rekeyed")? {
            return Err(Error::Corrupt("the re-encrypted copy is incomplete".into()));
        }
        Ok(())
    })();
    let detached = conn.execute("DETACH DATABASE rekeyed", []);
    if let Err(e) = exported.and(detached.map(|_| ()).map_err(Error::from)) {
        drop(conn);
        let _ = remove_leftovers(db);
        return Err(e);
    }
    // The last connection closes: its WAL, already empty, is removed with the shared memory.
    drop(conn);
    let wal = sibling(db, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        let _ = remove_leftovers(db);
        return Err(open_elsewhere());
    }
    for path in [wal, sibling(db, "-shm")] {
        remove_if_present(&path)?;
    }
    std::fs::File::open(&copy)?.sync_all()?;
    std::fs::rename(&copy, db)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::blobs::sync_dir(dir)?;
    }
    Ok(())
}
