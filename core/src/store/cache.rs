//! A bounded cache of open documents (least recently used is evicted). Loading a document costs
//! a snapshot parse; keeping every document open would cost memory in proportion to the archive.

use std::collections::HashMap;

use automerge::{AutoCommit, ChangeHash};

use super::projection::Projection;
use crate::model::RecordId;

/// How many documents stay open when [`crate::StoreOptions`] does not say.
pub(crate) const DEFAULT_CAPACITY: usize = 64;

/// One open document and what is known about its persisted form.
pub(crate) struct Entry {
    /// The document, with every stored change loaded (those waiting for dependencies included).
    pub doc: AutoCommit,
    /// The record kind as stored (`None` until a change naming it has been applied).
    pub kind: Option<String>,
    /// Heads covered by the snapshot and chunks on disk.
    pub persisted_heads: Vec<ChangeHash>,
    /// Size in bytes of the snapshot on disk.
    pub snapshot_len: usize,
    /// Bytes of the incremental chunks on disk since the snapshot; past `snapshot_len` they are
    /// compacted.
    pub chunk_bytes: usize,
    /// The projection last written, to skip rewriting unchanged rows.
    pub projection: Option<Projection>,
    /// Strings and conflicts of the document for its projection (`None`: rebuild on next use).
    pub search: Option<crate::doc::walk::SearchIndex>,
    /// Whether `pending_changes` holds rows for this document.
    pub has_pending: bool,
    last_used: u64,
}

impl Entry {
    /// An entry for `doc` with nothing known on disk yet (no persisted heads, sizes 0).
    pub(crate) fn new(doc: AutoCommit, kind: Option<String>) -> Self {
        Entry {
            doc,
            kind,
            persisted_heads: Vec::new(),
            snapshot_len: 0,
            chunk_bytes: 0,
            projection: None,
            search: None,
            has_pending: false,
            last_used: 0,
        }
    }
}

/// The open documents, by record id, at most `capacity` of them.
pub(crate) struct DocCache {
    entries: HashMap<RecordId, Entry>,
    capacity: usize,
    tick: u64,
    /// Evicted documents not yet freed (see [`DocCache::insert`]).
    evicted: Vec<Entry>,
}

/// Evicted documents are freed in batches of this many (at most the capacity, so no more than
/// twice the capacity is ever held) on another thread.
const FREE_BATCH: usize = 32;

impl DocCache {
    /// An empty cache holding at most `capacity` documents (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        DocCache {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            tick: 0,
            evicted: Vec::new(),
        }
    }

    /// Whether the document `id` is open.
    pub(crate) fn contains(&self, id: &RecordId) -> bool {
        self.entries.contains_key(id)
    }

    /// The open document `id`, marked as just used (`None`: not open).
    pub(crate) fn get_mut(&mut self, id: &RecordId) -> Option<&mut Entry> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(id)?;
        entry.last_used = tick;
        Some(entry)
    }

    /// Inserts an entry, evicting the least recently used ones beyond capacity.
    ///
    /// Freeing a document costs as much as a tenth of applying it (thousands of small
    /// allocations); when many pass through the cache (a first sync), evicted ones are freed
    /// on another thread, off the writer's path.
    pub(crate) fn insert(&mut self, id: RecordId, mut entry: Entry) -> &mut Entry {
        while self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match oldest.and_then(|k| self.entries.remove(&k)) {
                Some(old) => self.evicted.push(old),
                None => break,
            };
        }
        if self.evicted.len() >= FREE_BATCH.min(self.capacity) {
            let batch = std::mem::take(&mut self.evicted);
            // If no thread can be started, the batch is freed here when the closure drops.
            let _ = std::thread::Builder::new()
                .name("offgrid-free".into())
                .spawn(move || drop(batch));
        }
        self.tick += 1;
        entry.last_used = self.tick;
        self.entries.entry(id).insert_entry(entry).into_mut()
    }

    /// Drops the document `id` from the cache (it reloads from disk on next use).
    pub(crate) fn remove(&mut self, id: &RecordId) {
        self.entries.remove(id);
    }

    /// Drops every document.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.evicted.clear();
    }
}
