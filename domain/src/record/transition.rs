//! [`Transition`]: what a write does to a record, as policies see it. Built from the document
//! after the write and the heads before it: the new changes and their authors, every field they
//! touched (from automerge's diff, which also reports values that lost a conflict), and the new
//! entries of root maps (events, photos, signatures) with their authors.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use automerge::{Automerge, ChangeHash, ObjId, PatchAction, Prop, ROOT, ReadDoc, Value};
use serde_json::Value as Json;

use super::Roles;
use super::gate::Authority;
use crate::doc::meta::ChangeMeta;

/// One field a write touched: its path from the root and how.
#[derive(Clone, Debug)]
pub struct Touch {
    /// Map keys and list indexes from the root (`["events", "<id>", "type"]`).
    pub path: Vec<String>,
    /// How the write touched it.
    pub how: How,
    /// The object or op that now holds the value (for attribution), if any.
    pub op: Option<ObjId>,
    /// The object the touch changed (the parent of the key).
    pub obj: ObjId,
}

/// How a write touched a field (automerge's patch actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// A map key or list element was set.
    Put,
    /// A list element was inserted.
    Insert,
    /// A map key or list element was deleted.
    Delete,
    /// Text was spliced into a text object.
    Text,
    /// A counter was incremented.
    Increment,
    /// A concurrent value appeared (it may not be the one shown).
    Conflict,
    /// Marks were set on a text.
    Mark,
}

/// An entry added to a root map by this write, as JSON, with who added it.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// Its key in the root map (an event's id, a photo's SHA-256).
    pub key: String,
    /// The entry as JSON.
    pub value: Json,
    /// The user id of the change that created it (from its message), if it names one.
    pub author: Option<String>,
    /// The change that created it.
    pub change: Option<ChangeHash>,
}

/// What a write does to a record, as policies see it ([`super::KindRules::judge`]): the document
/// after it, the heads before it, the new changes with their authors and every field they touched.
pub struct Transition<'a> {
    /// The record as it is after the write.
    pub doc: &'a Automerge,
    /// Heads before the write (empty: the record is new).
    pub before: &'a [ChangeHash],
    /// The record's project ("" when it names none).
    pub project: String,
    /// Every field the write touched (values that lost a conflict included).
    pub touches: Vec<Touch>,
    authority: &'a Authority,
    authors: RefCell<HashMap<ChangeHash, Option<String>>>,
    /// User ids of the new changes.
    pub new_authors: BTreeSet<Option<String>>,
    /// The changes this write adds.
    pub new_changes: BTreeSet<ChangeHash>,
    /// This is a record's first change judged on its own, and more changes follow it in the
    /// same push, merge or write (they are judged next): a kind may require of a new record
    /// something that only those changes bring.
    pub partial: bool,
}

impl<'a> Transition<'a> {
    /// `patches`: what applying the new changes did, when the caller logged it (cheaper than
    /// diffing the whole document); else the document is diffed from `before`.
    pub fn new(
        doc: &'a Automerge,
        before: &'a [ChangeHash],
        authority: &'a Authority,
        patches: Option<Vec<automerge::Patch>>,
    ) -> Self {
        let after = doc.get_heads();
        let patches = patches.unwrap_or_else(|| doc.diff(before, &after));
        let mut touches = Vec::with_capacity(patches.len());
        for p in patches {
            let mut path: Vec<String> = p.path.iter().map(|(_, prop)| prop_text(prop)).collect();
            let (how, last, op) = match p.action.clone() {
                PatchAction::PutMap { key, value, .. } => {
                    let op = match value.0 {
                        Value::Object(_) => Some(value.1),
                        Value::Scalar(_) => doc
                            .get(&p.obj, key.as_str())
                            .ok()
                            .flatten()
                            .map(|(_, id)| id),
                    };
                    (How::Put, Some(key), op)
                }
                PatchAction::PutSeq { index, value, .. } => {
                    (How::Put, Some(index.to_string()), Some(value.1))
                }
                PatchAction::Insert { index, .. } => (How::Insert, Some(index.to_string()), None),
                PatchAction::SpliceText { .. } => (How::Text, None, Some(p.obj.clone())),
                PatchAction::Increment { prop, .. } => {
                    (How::Increment, Some(prop_text(&prop)), None)
                }
                PatchAction::Conflict { prop } => (How::Conflict, Some(prop_text(&prop)), None),
                PatchAction::DeleteMap { key } => (How::Delete, Some(key), None),
                PatchAction::DeleteSeq { index, .. } => {
                    (How::Delete, Some(index.to_string()), None)
                }
                PatchAction::Mark { .. } => (How::Mark, None, None),
            };
            path.extend(last);
            touches.push(Touch {
                path,
                how,
                op,
                obj: p.obj,
            });
        }
        let text = |k: &str| crate::doc::genesis::root_text(doc, k).unwrap_or_default();
        // A project record is its own project.
        let project = match text("kind").as_str() {
            "project" => text("id"),
            _ => text("project"),
        };
        let t = Transition {
            doc,
            before,
            project,
            touches,
            authority,
            authors: RefCell::new(HashMap::new()),
            new_authors: BTreeSet::new(),
            new_changes: BTreeSet::new(),
            partial: false,
        };
        let new_changes: BTreeSet<ChangeHash> =
            doc.get_changes(before).iter().map(|c| c.hash()).collect();
        let new_authors = new_changes.iter().map(|h| t.author_of_change(h)).collect();
        Transition {
            new_authors,
            new_changes,
            ..t
        }
    }

    /// Whether the record is new (this write is its first).
    pub fn is_genesis(&self) -> bool {
        self.before.is_empty()
    }

    /// Root keys this write touched.
    pub fn roots(&self) -> BTreeSet<&str> {
        self.touches
            .iter()
            .filter_map(|t| t.path.first().map(String::as_str))
            .collect()
    }

    /// The user id a change's message names.
    pub fn author_of_change(&self, hash: &ChangeHash) -> Option<String> {
        if let Some(a) = self.authors.borrow().get(hash) {
            return a.clone();
        }
        let author = self
            .doc
            .get_change_meta_by_hash(hash)
            .and_then(|m| ChangeMeta::decode(m.message.as_deref()).user_id);
        self.authors.borrow_mut().insert(*hash, author.clone());
        author
    }

    /// Who wrote the op or object `op` (`None`: unattributed, e.g. the root).
    pub fn author_of(&self, op: &ObjId) -> Option<String> {
        self.doc
            .hash_for_opid(op)
            .and_then(|h| self.author_of_change(&h))
    }

    /// The authors of the touches under `root` (an unattributable touch counts as every new
    /// author: a deletion carries no op of its own).
    pub fn authors_under(&self, root: &str) -> BTreeSet<Option<String>> {
        self.changes_under(root)
            .iter()
            .map(|h| self.author_of_change(h))
            .collect()
    }

    /// The roles `user` holds on this record's project, as far as this write knows.
    pub fn roles_of(&self, user: Option<&str>) -> Roles {
        self.authority.roles_on(user, &self.project)
    }

    /// Whether this write is judged by an authority that must see the whole of it (a local
    /// write, the server), not a merge on a device of changes the server judged already, which
    /// may arrive one at a time.
    pub fn is_authoritative(&self) -> bool {
        self.authority.strict
    }

    /// The roles of `user` on another project than the record's (a site's linked projects).
    pub fn roles_on(&self, user: Option<&str>, project: &str) -> Roles {
        self.authority.roles_on(user, project)
    }

    /// Whether the op or object `op` was made by one of this write's new changes.
    pub fn is_new(&self, op: &ObjId) -> bool {
        self.doc
            .hash_for_opid(op)
            .is_some_and(|h| self.new_changes.contains(&h))
    }

    /// Whether `touch`, in an append-only map whose entries sit at path length `entry_depth`,
    /// changes or removes what existed before this write: an entry it superseded (overwrote
    /// or deleted, as opposed to one added concurrently under the same key, which stays
    /// beside it), or anything inside an entry that existed before.
    pub fn rewrites(&self, touch: &Touch, entry_depth: usize) -> bool {
        if touch.path.len() > entry_depth {
            // Inside an entry: only one made by this write may be written into.
            return !self.before.is_empty() && !self.is_new(&touch.obj);
        }
        let Some(key) = touch.path.last() else {
            return false;
        };
        if self.before.is_empty() {
            return false;
        }
        let prop: Prop = match self.doc.object_type(&touch.obj) {
            Ok(automerge::ObjType::Map) | Ok(automerge::ObjType::Table) => key.clone().into(),
            _ => match key.parse::<usize>() {
                Ok(i) => i.into(),
                Err(_) => return true,
            },
        };
        let was = self
            .doc
            .get_all_at(&touch.obj, prop.clone(), self.before)
            .unwrap_or_default();
        let now = self.doc.get_all(&touch.obj, prop).unwrap_or_default();
        was.iter().any(|(_, id)| !now.iter().any(|(_, n)| n == id))
    }

    /// Values added under keys of the root map `map` by this write (every value a new change
    /// wrote, those that lost a conflict too), with their authors.
    pub fn new_entries(&self, map: &str) -> Vec<NewEntry> {
        let Ok(Some((Value::Object(_), map_obj))) = self.doc.get(ROOT, map) else {
            return Vec::new();
        };
        let keys: BTreeSet<&str> = self
            .touches
            .iter()
            .filter(|t| t.path.len() >= 2 && t.path[0] == map && t.how != How::Delete)
            .map(|t| t.path[1].as_str())
            .collect();
        let mut out = Vec::new();
        for key in keys {
            for (value, id) in self.doc.get_all(&map_obj, key).unwrap_or_default() {
                let Some(change) = self.doc.hash_for_opid(&id) else {
                    continue;
                };
                if !self.new_changes.contains(&change) {
                    continue;
                }
                let value = match crate::doc::json::value_to_json(self.doc, &value, &id) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                out.push(NewEntry {
                    key: key.to_owned(),
                    value,
                    author: self.author_of_change(&change),
                    change: Some(change),
                });
            }
        }
        out
    }

    /// The changes that made the touches under `root` (all new changes for a touch that
    /// carries no op, such as a deletion).
    pub fn changes_under(&self, root: &str) -> BTreeSet<ChangeHash> {
        let mut out = BTreeSet::new();
        let mut all = false;
        for t in self
            .touches
            .iter()
            .filter(|t| t.path.first().is_some_and(|k| k == root))
        {
            match t.op.as_ref().and_then(|op| self.doc.hash_for_opid(op)) {
                Some(h) => {
                    out.insert(h);
                }
                None => all = true,
            }
        }
        if all {
            out.extend(self.doc.get_changes(self.before).iter().map(|c| c.hash()));
        }
        out
    }

    /// The root map `map` as JSON at the heads `at` (`None`: now).
    pub fn map_at(&self, map: &str, at: Option<&[ChangeHash]>) -> Json {
        let found = match at {
            Some(h) => self.doc.get_at(ROOT, map, h),
            None => self.doc.get(ROOT, map),
        };
        match found {
            Ok(Some((Value::Object(_), obj))) => {
                crate::doc::json::hydrate_at(self.doc, &obj, at).unwrap_or(Json::Null)
            }
            _ => Json::Null,
        }
    }

    /// The scalar values at `path` written by this write's new changes (all of them when they
    /// conflict), each with the author of the change that wrote it.
    pub fn new_values(&self, path: &[String]) -> Vec<(Json, Option<String>)> {
        let Some((last, parents)) = path.split_last() else {
            return Vec::new();
        };
        let mut obj = ROOT;
        for key in parents {
            match self.doc.get(&obj, key.as_str()) {
                Ok(Some((Value::Object(_), id))) => obj = id,
                _ => return Vec::new(),
            }
        }
        let new = &self.new_changes;
        let mut out = Vec::new();
        for (value, op) in self.doc.get_all(&obj, last.as_str()).unwrap_or_default() {
            let Some(h) = self.doc.hash_for_opid(&op) else {
                continue;
            };
            if new.contains(&h) {
                let v =
                    crate::doc::json::value_to_json(self.doc, &value, &op).unwrap_or(Json::Null);
                out.push((v, self.author_of_change(&h)));
            }
        }
        out
    }

    /// The dependencies of a change (the state its author saw).
    pub fn deps_of(&self, change: &ChangeHash) -> Vec<ChangeHash> {
        self.doc
            .get_change_by_hash(change)
            .map(|c| c.deps().to_vec())
            .unwrap_or_default()
    }
}

fn prop_text(p: &Prop) -> String {
    match p {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    }
}
