//! The server side of the write gate. On every push the server materialises the record (from a
//! bounded cache of documents, checked against the stored heads), applies the pushed changes to
//! its copy and runs the kind's policy (`offgrid_domain::record::judge`) as the authenticated
//! account with the roles the server holds. Only then is anything stored.

use std::collections::BTreeMap;
use std::sync::Mutex;

use automerge::{Automerge, Change, ChangeHash};
use offgrid_common::model::User;
use offgrid_doc::limits;
use offgrid_domain::record::{Authority, Refusal, judge_logged};
use offgrid_protocol::PushRecord;

use crate::accounts::Caller;
use crate::backend::{RecordRow, Tx};
use crate::error::Result;

/// How many documents the server keeps open.
pub const DEFAULT_CAPACITY: usize = 512;
/// How many bytes of changes the open documents may hold together (an open document takes a
/// few times its changes' size in memory).
pub const DEFAULT_CAPACITY_BYTES: u64 = 16 << 20;

/// Open documents by record id, with the heads they are at (least recently used evicted),
/// bounded by count and by the bytes of their changes.
pub struct DocCache {
    inner: Mutex<Inner>,
    capacity: usize,
    capacity_bytes: u64,
}

struct Inner {
    /// Document, last use, bytes of its changes.
    docs: BTreeMap<String, (Automerge, u64, u64)>,
    tick: u64,
    bytes: u64,
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache::new(DEFAULT_CAPACITY, DEFAULT_CAPACITY_BYTES)
    }
}

impl DocCache {
    /// A cache of at most `capacity` documents (at least 1) holding at most `capacity_bytes` bytes
    /// of changes.
    pub fn new(capacity: usize, capacity_bytes: u64) -> DocCache {
        DocCache {
            inner: Mutex::new(Inner {
                docs: BTreeMap::new(),
                tick: 0,
                bytes: 0,
            }),
            capacity: capacity.max(1),
            capacity_bytes,
        }
    }

    /// Documents and bytes of changes held now.
    pub fn held(&self) -> (usize, u64) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.docs.len(), inner.bytes)
    }

    /// Takes the record's document out of the cache if it is at `heads`.
    fn take(&self, id: &str, heads: &[String]) -> Option<Automerge> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (doc, _, bytes) = inner.docs.remove(id)?;
        inner.bytes -= bytes;
        (hex_sorted(&doc.get_heads()) == sorted(heads)).then_some(doc)
    }

    /// Keeps `doc` (whose changes hold `bytes`), evicting the least recently used until both
    /// bounds hold. A document larger than a quarter of the byte bound is not kept.
    fn put(&self, id: &str, doc: Automerge, bytes: u64) {
        if bytes > self.capacity_bytes / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((_, _, b)) = inner.docs.remove(id) {
            inner.bytes -= b;
        }
        while !inner.docs.is_empty()
            && (inner.docs.len() >= self.capacity || inner.bytes + bytes > self.capacity_bytes)
        {
            let Some(oldest) = inner
                .docs
                .iter()
                .min_by_key(|(_, (_, t, _))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((_, _, b)) = inner.docs.remove(&oldest) {
                inner.bytes -= b;
            }
        }
        inner.bytes += bytes;
        inner.docs.insert(id.to_owned(), (doc, tick, bytes));
    }
}

/// A record's document with pushed changes applied, judged but not yet stored.
pub struct Judged {
    /// The document with the changes applied.
    pub doc: Automerge,
}

/// Materialises the record as stored (`row`: `None` for a record new to the server), applies
/// the changes waiting for dependencies and the `new` ones, and judges the result as `caller`.
pub fn check(
    cache: &DocCache,
    tx: &mut dyn Tx,
    pushed: &PushRecord,
    row: Option<&RecordRow>,
    new: &[&[u8]],
    caller: &Caller,
) -> Result<std::result::Result<Judged, Refusal>> {
    let id = pushed.id.as_str();
    let mut doc = match row {
        Some(row) => match cache.take(id, &row.heads) {
            Some(doc) => doc,
            None => match load(tx, id)? {
                Some(doc) => doc,
                None => {
                    return Ok(Err(Refusal::rule(
                        "bad_change",
                        "the record as stored on the server does not load",
                    )));
                }
            },
        },
        None => Automerge::new(),
    };
    let before: Vec<ChangeHash> = doc.get_heads();
    let mut changes = Vec::new();
    if row.is_some() {
        for data in tx.pending_change_data(id)? {
            changes.extend(Change::from_bytes(data).ok());
        }
    }
    for data in new {
        // Parsed (and size-checked) before the transaction; cannot fail here.
        changes.extend(Change::from_bytes(data.to_vec()).ok());
    }
    // How deep the changes nest objects, before they are applied: a document nested
    // thousands deep costs the server its stack and its memory (issue 28).
    if let Err(e) = limits::check_depths(&doc, &changes) {
        return Ok(Err(Refusal::rule(e.tag(), e.to_string())));
    }
    // What applying did, logged as it happens: the gate judges it without diffing the document.
    let mut log = automerge::PatchLog::active();
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.apply_changes_log_patches(changes, &mut log)
    }));
    if !matches!(applied, Ok(Ok(()))) {
        return Ok(Err(Refusal::rule(
            "bad_change",
            "the changes do not apply to the record",
        )));
    }
    let user = User {
        id: caller.user_id.clone(),
        name: String::new(),
        roles: caller.roles.clone(),
    };
    // A new record's document is the record it is pushed as: its id, kind and project (a
    // project record is its own project) are those of the envelope the server files it under.
    // (After that they are identity fields, which the gate keeps from changing.)
    let says = |key: &str| offgrid_doc::genesis::root_text(&doc, key);
    if row.is_none() && !doc.get_heads().is_empty() {
        let kind = says("kind");
        let project = match kind.as_deref() {
            Some("project") => says("id"),
            _ => says("project"),
        };
        if says("id").as_deref() != Some(id)
            || kind.as_deref() != Some(pushed.kind.as_str())
            || project.as_deref() != Some(pushed.project.as_str())
        {
            return Ok(Err(Refusal::rule(
                "identity",
                "the document's id, kind or project is not the record it is pushed as",
            )));
        }
    }
    let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let patches = doc.make_patches(&mut log);
        judge_logged(&doc, &before, &Authority::server(user), Some(patches))
    }))
    .unwrap_or_else(|_| Err(Refusal::rule("bad_change", "the record cannot be judged")));
    Ok(verdict.map(|()| Judged { doc }))
}

/// Keeps a judged and stored document for the next push (if it is at the stored heads);
/// `bytes`: the bytes of the record's changes.
pub fn keep(cache: &DocCache, id: &str, judged: Judged, stored_heads: &[String], bytes: u64) {
    if hex_sorted(&judged.doc.get_heads()) == sorted(stored_heads) {
        cache.put(id, judged.doc, bytes);
    }
}

/// Whether `change` is the first change of hazard `id` in `project` derived from an
/// observation on a run this server holds (`offgrid_domain::patrol::observed`).
pub fn is_observed_genesis(tx: &mut dyn Tx, id: &str, project: &str, change: &[u8]) -> bool {
    offgrid_domain::patrol::observed::is_observed_genesis(id, project, change, |run| {
        load(tx, run.as_str()).ok().flatten()
    })
}

/// The changes among `new` (hex) that recorded a scan of patrol run `id` (`doc`, as judged) the
/// server judges otherwise than the device did, from the plan and site it holds
/// (`offgrid_domain::patrol::rejudge`).
pub fn disputed_scans(
    tx: &mut dyn Tx,
    id: &str,
    doc: &Automerge,
    new: &std::collections::BTreeSet<String>,
) -> Result<Vec<String>> {
    let run = offgrid_common::model::RecordId(id.to_owned());
    let mut failed = None;
    let found = offgrid_domain::patrol::rejudge::disputed_scans(&run, doc, new, |other| {
        load(tx, other.as_str()).unwrap_or_else(|e| {
            failed = Some(e);
            None
        })
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

fn load(tx: &mut dyn Tx, id: &str) -> Result<Option<Automerge>> {
    let mut doc = Automerge::new();
    let changes: Vec<Change> = tx
        .applied_changes(id)?
        .into_iter()
        .filter_map(|(data, _, _)| Change::from_bytes(data).ok())
        .collect();
    let loaded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(changes)));
    match loaded {
        Ok(Ok(())) => Ok(Some(doc)),
        _ => {
            tracing::error!(record = %id, "stored changes do not load");
            Ok(None)
        }
    }
}

fn hex_sorted(heads: &[ChangeHash]) -> Vec<String> {
    let mut v: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    v.sort();
    v
}

fn sorted(heads: &[String]) -> Vec<String> {
    let mut v = heads.to_vec();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_cache_is_bounded_by_the_bytes_of_its_changes() {
        let cache = DocCache::new(100, 1_000);
        for i in 0..6 {
            cache.put(&format!("r{i}"), Automerge::new(), 200);
        }
        assert_eq!(cache.held(), (5, 1_000));
        // The least recently used went first.
        assert!(cache.take("r0", &[]).is_none());
        assert!(cache.take("r5", &[]).is_some());
        assert_eq!(cache.held(), (4, 800));
        // A document larger than a quarter of the bound is not kept.
        cache.put("big", Automerge::new(), 251);
        assert_eq!(cache.held(), (4, 800));
        // Putting a document again replaces it.
        cache.put("r1", Automerge::new(), 100);
        assert_eq!(cache.held(), (4, 700));
    }

    #[test]
    fn the_document_cache_is_bounded_by_count() {
        let cache = DocCache::new(2, 1 << 20);
        for i in 0..3 {
            cache.put(&format!("r{i}"), Automerge::new(), 1);
        }
        assert_eq!(cache.held(), (2, 2));
    }
}
