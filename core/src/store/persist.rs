//! A document on disk: a snapshot (`save`) plus incremental chunks (`save_after` the heads last
//! persisted), compacted into a new snapshot when the chunks outgrow it. Changes whose
//! dependencies have not arrived are kept verbatim in `pending_changes` until they apply.
//!
//! Write functions take the caller's `&Transaction`, so the chunk and the projection derived from
//! the same document commit together or not at all.

use automerge::{ActorId, AutoCommit};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::cache::Entry;
use crate::doc::chunks;
use crate::error::{Error, Result};
use crate::model::RecordId;

/// Loads a document, or `None` if no such record is stored.
pub(crate) fn load(conn: &Connection, id: &RecordId, actor: &ActorId) -> Result<Option<Entry>> {
    let row: Option<(Option<String>, Vec<u8>, i64, String)> = conn
        .prepare_cached("SELECT kind, snapshot, chunk_bytes, heads FROM docs WHERE id = ?1")?
        .query_row([id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((kind, snapshot, chunk_bytes, stored_heads)) = row else {
        return Ok(None);
    };
    let unreadable = |reason: String| Error::RecordUnreadable {
        id: id.clone(),
        reason,
    };

    let mut doc = if snapshot.is_empty() {
        AutoCommit::new()
    } else {
        chunks::load(&snapshot).map_err(|e| unreadable(format!("snapshot: {e}")))?
    };
    let mut all_chunks = Vec::with_capacity(chunk_bytes.max(0) as usize);
    {
        let mut stmt =
            conn.prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([id.as_str()])?;
        while let Some(row) = rows.next()? {
            all_chunks.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
        }
    }
    if !all_chunks.is_empty() {
        chunks::apply(&mut doc, &all_chunks).map_err(|e| unreadable(format!("chunk: {e}")))?;
    }
    let persisted_heads = doc.get_heads();
    // The heads written with the last chunk must be what the bytes load to: anything else means
    // bytes were lost or damaged on disk.
    if heads_text(&persisted_heads) != stored_heads {
        return Err(unreadable(
            "stored changes are missing or damaged (heads differ)".into(),
        ));
    }
    let mut has_pending = false;
    {
        let mut stmt = conn.prepare_cached("SELECT data FROM pending_changes WHERE doc_id = ?1")?;
        let mut rows = stmt.query([id.as_str()])?;
        while let Some(row) = rows.next()? {
            has_pending = true;
            let data = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            chunks::apply(&mut doc, data).map_err(|e| unreadable(format!("pending: {e}")))?;
        }
    }
    doc.set_actor(actor.clone());
    let mut entry = Entry::new(doc, kind);
    entry.persisted_heads = persisted_heads;
    entry.snapshot_len = snapshot.len();
    entry.chunk_bytes = chunk_bytes.max(0) as usize;
    entry.has_pending = has_pending;
    Ok(Some(entry))
}

/// Whether the record `id` is stored.
pub(crate) fn exists(conn: &Connection, id: &RecordId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM docs WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a record seen for the first time, as a snapshot.
pub(crate) fn insert_new(tx: &Transaction<'_>, id: &RecordId, entry: &mut Entry) -> Result<()> {
    let snapshot = entry.doc.save();
    insert_snapshot(tx, id, entry, snapshot)
}

/// Stores a record received whole (a document and/or all its changes, every one applied) as
/// the bytes it came in: they load to the same heads, and saving the document again (encoding
/// and compressing every column) is the largest cost of a new device's first sync.
pub(crate) fn insert_received(
    tx: &Transaction<'_>,
    id: &RecordId,
    entry: &mut Entry,
    bytes: &[u8],
) -> Result<()> {
    insert_snapshot(tx, id, entry, bytes.to_vec())
}

/// Stores a record received whole that was decoded elsewhere (not open in the cache): `kind`
/// and `heads` are what its bytes load to.
pub(crate) fn insert_whole(
    tx: &Transaction<'_>,
    id: &RecordId,
    kind: Option<&str>,
    heads: &[automerge::ChangeHash],
    bytes: &[u8],
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO docs(id, kind, snapshot, chunk_bytes, heads) VALUES (?1, ?2, ?3, 0, ?4)",
    )?
    .execute(params![id.as_str(), kind, bytes, heads_text(heads)])?;
    Ok(())
}

fn insert_snapshot(
    tx: &Transaction<'_>,
    id: &RecordId,
    entry: &mut Entry,
    snapshot: Vec<u8>,
) -> Result<()> {
    let heads = entry.doc.get_heads();
    insert_whole(tx, id, entry.kind.as_deref(), &heads, &snapshot)?;
    entry.snapshot_len = snapshot.len();
    entry.chunk_bytes = 0;
    entry.persisted_heads = heads;
    Ok(())
}

/// Appends what changed since the persisted heads; compacts when chunks outgrow the snapshot.
/// Returns whether anything was written.
pub(crate) fn persist(tx: &Transaction<'_>, id: &RecordId, entry: &mut Entry) -> Result<bool> {
    let chunk = entry.doc.save_after(&entry.persisted_heads);
    if chunk.is_empty() {
        return Ok(false);
    }
    let heads = entry.doc.get_heads();
    if entry.chunk_bytes + chunk.len() > entry.snapshot_len {
        let snapshot = entry.doc.save();
        tx.prepare_cached("DELETE FROM chunks WHERE doc_id = ?1")?
            .execute([id.as_str()])?;
        tx.prepare_cached(
            "UPDATE docs SET snapshot = ?2, chunk_bytes = 0, heads = ?3, kind = ?4 WHERE id = ?1",
        )?
        .execute(params![
            id.as_str(),
            snapshot,
            heads_text(&heads),
            entry.kind
        ])?;
        entry.snapshot_len = snapshot.len();
        entry.chunk_bytes = 0;
    } else {
        tx.prepare_cached("INSERT INTO chunks(doc_id, data) VALUES (?1, ?2)")?
            .execute(params![id.as_str(), chunk])?;
        entry.chunk_bytes += chunk.len();
        tx.prepare_cached("UPDATE docs SET chunk_bytes = ?2, heads = ?3, kind = ?4 WHERE id = ?1")?
            .execute(params![
                id.as_str(),
                entry.chunk_bytes as i64,
                heads_text(&heads),
                entry.kind
            ])?;
    }
    entry.persisted_heads = heads;
    Ok(true)
}

/// Keeps bytes whose changes wait for missing dependencies (idempotent by content digest).
pub(crate) fn add_pending(tx: &Transaction<'_>, id: &RecordId, bytes: &[u8]) -> Result<()> {
    let digest = Sha256::digest(bytes);
    tx.prepare_cached(
        "INSERT OR IGNORE INTO pending_changes(doc_id, digest, data) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![id.as_str(), digest.as_slice(), bytes])?;
    Ok(())
}

/// Drops the changes of `id` kept waiting for dependencies, once none is missing: applied, they
/// are persisted with the document.
pub(crate) fn clear_pending(tx: &Transaction<'_>, id: &RecordId) -> Result<()> {
    tx.prepare_cached("DELETE FROM pending_changes WHERE doc_id = ?1")?
        .execute([id.as_str()])?;
    Ok(())
}

/// All stored record ids, in creation order.
pub(crate) fn all_ids(conn: &Connection) -> Result<Vec<RecordId>> {
    let mut stmt = conn.prepare("SELECT id FROM docs ORDER BY rowid")?;
    let ids = stmt
        .query_map([], |r| Ok(RecordId(r.get(0)?)))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

fn heads_text(heads: &[automerge::ChangeHash]) -> String {
    heads
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
