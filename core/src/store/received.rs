//! Records the device has never held, decoded and projected off the writer's thread.
//!
//! A new device's first sync receives thousands of records whole. Decoding each document and
//! deriving its list columns and search text is about half of what applying it costs; the other
//! half is SQLite, on the one writer connection. [`Store::prepare_received`] does the first half
//! on another thread while the writer stores the records before it, so the two cores share a
//! bootstrap. What it prepares is only a shortcut: the writer uses it for a record that is still
//! new inside its transaction, and applies the bytes itself otherwise (or when preparing failed),
//! so the result is the same as without it.

use automerge::{AutoCommit, ChangeHash};

use super::Store;
use super::projection::{self, Projection};
use crate::doc::chunks;
use crate::doc::genesis::identity;
#[cfg(test)]
use crate::doc::json;
use crate::model::RecordId;

/// What a received record holds, worked out from its bytes; the document itself is not kept
/// (freeing it is part of the work done off the writer's thread).
pub(crate) struct Received {
    pub(super) kind: Option<String>,
    pub(super) heads: Vec<ChangeHash>,
    /// Hashes of the change chunks among the bytes, in order.
    pub(super) change_hashes: Vec<ChangeHash>,
    /// The projection to write (`None`: a record of no known kind, stored but not listed).
    pub(super) projection: Option<Projection>,
    /// The keys of its `/photos` map.
    pub(super) photos: Vec<String>,
}

impl Store {
    /// Decodes `bytes` (a document and/or changes, as the server sends a record) and derives
    /// its projection, when the store does not hold record `id` yet and the bytes make a whole
    /// record of it. `None` otherwise: the writer then applies the bytes itself, and reports
    /// whatever is wrong with them.
    pub(crate) fn prepare_received(&self, id: &RecordId, bytes: &[u8]) -> Option<Received> {
        let held = {
            let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
            super::persist::exists(&conn, id)
        };
        if !matches!(held, Ok(false)) {
            return None;
        }
        // Nothing here may unwind into the sync: a panic is a record left to the writer.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut doc = AutoCommit::new().with_actor(self.actor.clone());
            let change_hashes = chunks::apply_checked(&mut doc, bytes).ok()?;
            let heads = doc.get_heads();
            if heads.is_empty() || !doc.get_missing_deps(&[]).is_empty() {
                return None;
            }
            let (doc_id, kind) = identity(&doc);
            if doc_id.as_deref().is_some_and(|d| d != id.as_str()) {
                return None;
            }
            let projection = projection::derive(&mut doc, &mut None);
            let photos = crate::doc::json::root_map_keys(&doc, "photos");
            Some(Received {
                kind,
                heads,
                change_hashes,
                projection,
                photos,
            })
        }))
        .ok()
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::access::Role;
    use crate::model::{RecordKind, User};

    fn store(dir: &std::path::Path, name: &str) -> Store {
        let store = Store::open(dir.join(format!("{name}.db"))).unwrap();
        store.set_user(User::new(name, name).with_role("*", Role::Admin));
        store
    }

    /// A record made on another device, as the server sends it: all its changes.
    fn record(dir: &std::path::Path) -> (RecordId, Vec<Vec<u8>>) {
        let a = store(dir, "origin");
        let fields = json!({
            "title": "底板钢筋隐蔽验收 Floor-slab rebar",
            "status": "draft",
            "project": "p1",
            "site": "B2",
            "answers": {"rebar-spacing": {}, "cover": {}},
        });
        let id = a.create(RecordKind::Inspection, &fields).unwrap();
        a.update(
            &id,
            "edit",
            |e| Ok(e.set("/title", "底板局部渗水 Seepage")?),
        )
        .unwrap();
        (id.clone(), a.changes_since(&id, &[]).unwrap())
    }

    /// Everything the projection stored for `id`, as text.
    fn stored(store: &Store, id: &RecordId) -> Vec<String> {
        let conn = store.reader.lock().unwrap();
        let query = |sql: &str| -> Vec<String> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([id.as_str()], |r| {
                let n = r.as_ref().column_count();
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            });
            rows.unwrap().map(Result::unwrap).collect()
        };
        [
            "SELECT id, kind, heads, snapshot FROM docs WHERE id = ?1",
            "SELECT id, kind, project, title, status, site, grade, assignee, due_ms, created_ms,
                    created_by, updated_ms, updated_by, conflict_count, overdue_from_ms, facts
             FROM records WHERE id = ?1",
            "SELECT text FROM records_fts WHERE rowid = (SELECT rid FROM records WHERE id = ?1)",
            "SELECT key FROM record_keys WHERE doc_id = ?1 ORDER BY key",
        ]
        .iter()
        .flat_map(|sql| query(sql))
        .collect()
    }

    #[test]
    fn a_prepared_record_is_stored_as_applying_it_would() {
        let dir = tempfile::tempdir().unwrap();
        let (id, changes) = record(dir.path());
        let bytes = changes.concat();
        let (fast, slow) = (store(dir.path(), "fast"), store(dir.path(), "slow"));
        let prepared = fast.prepare_received(&id, &bytes).expect("prepared");
        let a = fast
            .write(|w| w.apply_from_server(&id, &bytes, Some(prepared)))
            .unwrap();
        let b = slow
            .write(|w| w.apply_from_server(&id, &bytes, None))
            .unwrap();
        assert_eq!(a.outcome, b.outcome);
        assert_eq!(a.change_hashes, b.change_hashes);
        assert_eq!(a.change_hashes.len(), 2);
        let read = |s: &Store| s.read(&id, |d| Ok(json::root_map_keys(d, "photos")));
        assert_eq!(a.photo_keys, read(&slow).unwrap());
        assert_eq!(a.photo_keys, b.photo_keys);
        let rows = stored(&fast, &id);
        assert_eq!(rows.len(), 3, "docs, records, search text: {rows:?}");
        // The search text, case-folded (`projection::fold`).
        assert!(rows[2].contains("seepage"), "{rows:?}");
        assert_eq!(rows, stored(&slow, &id));
        // The prepared record loads like the other.
        assert_eq!(fast.heads(&id).unwrap(), slow.heads(&id).unwrap());
    }

    #[test]
    fn a_record_already_held_is_left_to_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let (id, changes) = record(dir.path());
        let s = store(dir.path(), "device");
        s.write(|w| w.apply_from_server(&id, &changes[0], None))
            .unwrap();
        assert!(s.prepare_received(&id, &changes.concat()).is_none());
        // A stale preparation (the record arrived meanwhile) is ignored, not stored twice.
        let fresh = store(dir.path(), "fresh");
        let stale = fresh.prepare_received(&id, &changes.concat()).unwrap();
        let out = s
            .write(|w| w.apply_from_server(&id, &changes.concat(), Some(stale)))
            .unwrap();
        assert!(out.outcome.changed);
        assert_eq!(out.change_hashes.len(), 2);
        assert_eq!(s.heads(&id).unwrap(), out.outcome.heads);
    }

    #[test]
    fn bytes_that_are_not_a_whole_record_of_this_id_are_left_to_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let (id, changes) = record(dir.path());
        let s = store(dir.path(), "device");
        // A change without the one it depends on, garbage, another record's changes.
        assert!(s.prepare_received(&id, &changes[1]).is_none());
        assert!(s.prepare_received(&id, b"not automerge").is_none());
        assert!(s.prepare_received(&id, &[]).is_none());
        let other = RecordId::new();
        assert!(s.prepare_received(&other, &changes.concat()).is_none());
        // The writer reports what is wrong and stores nothing.
        let err = s
            .write(|w| w.apply_from_server(&other, &changes.concat(), None))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("another record"), "{err}");
        assert!(s.all_record_ids().unwrap().is_empty());
    }

    /// A change by another device nesting maps `levels` deep under `/answers/<from>` of the
    /// record `changes` make (as it is after `more`), and the key of its innermost map.
    fn nesting(changes: &[Vec<u8>], more: &[Vec<u8>], from: &str, levels: usize) -> Vec<u8> {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let mut doc = AutoCommit::new();
        chunks::apply(&mut doc, &[changes, more].concat().concat()).unwrap();
        let heads = doc.get_heads();
        let answers = match doc.get(automerge::ROOT, "answers").unwrap() {
            Some((_, id)) => id,
            None => panic!("no answers"),
        };
        let mut obj = match doc.get(&answers, from).unwrap() {
            Some((_, id)) => id,
            None => doc
                .put_object(&answers, from, automerge::ObjType::Map)
                .unwrap(),
        };
        // Down the chain made before, to its end.
        while let Some((_, id)) = doc.get(&obj, "k").unwrap() {
            obj = id;
        }
        for _ in 0..levels {
            obj = doc.put_object(&obj, "k", automerge::ObjType::Map).unwrap();
        }
        doc.commit();
        doc.get_changes(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect::<Vec<_>>()
            .concat()
    }

    #[test]
    fn a_pulled_change_nesting_past_the_limit_under_the_devices_objects_is_refused() {
        use crate::doc::limits::MAX_DEPTH;
        let dir = tempfile::tempdir().unwrap();
        let (id, changes) = record(dir.path());
        let s = store(dir.path(), "device");
        s.write(|w| w.apply_from_server(&id, &changes.concat(), None))
            .unwrap();
        // Each change alone is within the limit; the second one, counted from the objects the
        // device holds, is not.
        let half = MAX_DEPTH / 2;
        let first = nesting(&changes, &[], "cover", half);
        s.write(|w| w.apply_from_server(&id, &first, None)).unwrap();
        let heads = s.heads(&id).unwrap();
        let second = nesting(&changes, &[first], "cover", half + 1);
        let err = s
            .write(|w| w.apply_from_server(&id, &second, None))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("(depth)"), "{err}");
        assert_eq!(s.heads(&id).unwrap(), heads, "nothing of it applied");
    }
}
