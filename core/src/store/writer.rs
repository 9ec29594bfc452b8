//! [`Writer`]: one SQLite transaction on the single writer connection, in which any number of
//! records are created, edited or merged. Each document change is persisted (chunk + projection)
//! inside the transaction; it all commits together, then subscribers are told what changed.
//! If anything fails, the transaction rolls back and every document it touched is dropped from
//! the cache, so memory never holds state the disk does not.

use automerge::{ActorId, AutoCommit, ChangeHash};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

use super::cache::{DocCache, Entry};
use super::received::Received;
use super::{persist, projection};
use crate::doc::chunks;
use crate::doc::edit::Edit;
use crate::doc::genesis::{identity, new_record};
use crate::doc::meta::ChangeMeta;
use crate::error::{Error, Result};
use crate::model::{RecordId, RecordKind, Timestamp, User};
use crate::record::{self, Authority};

/// What [`Writer::apply_changes`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyOutcome {
    /// Whether the document changed (false for duplicates).
    pub changed: bool,
    /// Heads after applying, hex.
    pub heads: Vec<String>,
    /// Changes still needed before some received ones can apply, hex. They are kept meanwhile.
    pub missing_deps: Vec<String>,
}

/// What [`Writer::apply_from_server`] did, with what the sync client needs besides.
pub(crate) struct ServerApply {
    pub outcome: ApplyOutcome,
    /// Hashes of the change chunks received, hex, in the order of the bytes (whole documents
    /// among them not included).
    pub change_hashes: Vec<String>,
    /// The keys of the record's `/photos` map (the photos it references).
    pub photo_keys: Vec<String>,
}

/// One transaction on the store's writer connection, handed to the closure of
/// [`super::Store::write`]: reads see what it wrote so far; everything commits together when the
/// closure returns `Ok`, or nothing does.
pub struct Writer<'a> {
    pub(super) tx: Transaction<'a>,
    pub(super) cache: &'a mut DocCache,
    pub(super) actor: &'a ActorId,
    pub(super) user: &'a User,
    pub(super) now: Timestamp,
    /// Records whose documents this writer loaded or changed (evicted on failure).
    pub(super) touched: Vec<RecordId>,
    /// Records whose documents changed, with their kinds where known (notified after commit).
    pub(super) changed: Vec<(RecordId, Option<RecordKind>)>,
}

impl<'a> Writer<'a> {
    /// The time this write is stamped with.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The user every change of this write is attributed to.
    pub fn user(&self) -> &User {
        self.user
    }

    /// Creates a record with its genesis maps and `fields` (a JSON object).
    pub fn create(&mut self, kind: RecordKind, fields: &serde_json::Value) -> Result<RecordId> {
        let id = RecordId::new();
        self.create_with_id(&id, kind, fields)?;
        Ok(id)
    }

    /// As [`Writer::create`] with a chosen id (imports, fixtures). Fails if the id exists.
    pub fn create_with_id(
        &mut self,
        id: &RecordId,
        kind: RecordKind,
        fields: &serde_json::Value,
    ) -> Result<()> {
        if self.cache.contains(id) || persist::exists(&self.tx, id)? {
            return Err(Error::AlreadyExists {
                path: format!("record {id}"),
            });
        }
        let rules = record::rules(kind);
        let mut doc = new_record(
            kind,
            rules.genesis_maps(),
            id,
            fields,
            self.user,
            self.now,
            self.actor.clone(),
        )?;
        record::judge(doc.document(), &[], &Authority::writer(self.user))?;
        self.touched.push(id.clone());
        let entry = self
            .cache
            .insert(id.clone(), Entry::new(doc, Some(kind.as_str().to_owned())));
        persist::insert_new(&self.tx, id, entry)?;
        write_projection(&self.tx, id, entry)?;
        self.mark_changed(id, Some(kind));
        Ok(())
    }

    /// Whether the record exists (in this transaction's view).
    pub fn exists(&mut self, id: &RecordId) -> Result<bool> {
        Ok(self.cache.contains(id) || persist::exists(&self.tx, id)?)
    }

    /// Creates a record from a first change derived elsewhere (`genesis`, e.g. a hazard raised
    /// from a patrol observation, the same bytes on every device): judged as received, not as
    /// this user's (it names its author), and only as the first step: the changes this write
    /// adds next are judged as this user's. Later edits use this device's actor. Fails if the
    /// id exists or `genesis` is not a first change of record `id` of `kind`.
    pub fn create_derived(
        &mut self,
        id: &RecordId,
        kind: RecordKind,
        mut genesis: AutoCommit,
    ) -> Result<()> {
        if self.exists(id)? {
            return Err(Error::AlreadyExists {
                path: format!("record {id}"),
            });
        }
        let doc = genesis.document();
        let (says_id, says_kind) = identity(doc);
        if doc.get_changes(&[]).len() != 1
            || says_id.as_deref() != Some(id.as_str())
            || says_kind.as_deref() != Some(kind.as_str())
        {
            return Err(Error::InvalidArgument(format!(
                "not the first change of {kind} {id}"
            )));
        }
        record::judge_first(doc, &Authority::merge(Some(self.user)))?;
        genesis.set_actor(self.actor.clone());
        self.touched.push(id.clone());
        let entry = self.cache.insert(
            id.clone(),
            Entry::new(genesis, Some(kind.as_str().to_owned())),
        );
        persist::insert_new(&self.tx, id, entry)?;
        write_projection(&self.tx, id, entry)?;
        self.mark_changed(id, Some(kind));
        Ok(())
    }

    /// Edits a record in one automerge change described by `message`. If `f` fails, nothing of
    /// it is kept.
    pub fn update<R>(
        &mut self,
        id: &RecordId,
        message: &str,
        f: impl FnOnce(&mut Edit<'_>) -> Result<R>,
    ) -> Result<R> {
        let (user, now) = (self.user, self.now);
        self.touched.push(id.clone());
        let entry = load_entry(&self.tx, self.cache, self.actor, id)?;
        // Log what the edit does as it does it, so the gate reads the edit's own patches
        // instead of diffing the whole document against `before`.
        entry.doc.update_diff_cursor();
        let before = entry.doc.get_heads();
        let mut edit = Edit::new(&mut entry.doc);
        let result = f(&mut edit);
        let crate::doc::edit::Touched {
            set_fields,
            structural,
        } = edit.into_touched();
        let out = match result {
            Ok(r) => r,
            Err(e) => {
                entry.doc.rollback();
                entry.doc.reset_diff_cursor();
                return Err(e);
            }
        };
        let meta = ChangeMeta::new(user, now, message);
        let committed = entry.doc.commit_with(meta.commit_options(now)).is_some();
        // Indexed (cheap) only while the cursor is `before` and the heads are the commit's.
        let patches = committed.then(|| {
            let after = entry.doc.get_heads();
            entry.doc.diff(&before, &after)
        });
        entry.doc.reset_diff_cursor();
        if let Some(patches) = patches {
            // The gate, before anything is persisted: a refused change leaves with the cached
            // document (the disk never saw it).
            if let Err(refusal) = record::judge_logged(
                entry.doc.document(),
                &before,
                &Authority::writer(user),
                Some(patches),
            ) {
                self.cache.remove(id);
                return Err(refusal.into());
            }
            match (&mut entry.search, structural) {
                (Some(search), false) => search.update(&entry.doc, &set_fields),
                _ => entry.search = None,
            }
            self.persist(id)?;
        }
        Ok(out)
    }

    /// Runs `f` on the record's document as this transaction sees it: domain actions load,
    /// check and write inside one transaction, so nothing can slip in between.
    pub fn read<R>(
        &mut self,
        id: &RecordId,
        f: impl FnOnce(&automerge::Automerge) -> Result<R>,
    ) -> Result<R> {
        self.touched.push(id.clone());
        let entry = load_entry(&self.tx, self.cache, self.actor, id)?;
        f(entry.doc.document())
    }

    /// The record's heads as this transaction leaves them (hex).
    pub fn heads(&mut self, id: &RecordId) -> Result<Vec<String>> {
        self.touched.push(id.clone());
        let entry = load_entry(&self.tx, self.cache, self.actor, id)?;
        Ok(hex(&entry.doc.get_heads()))
    }

    /// Merges automerge changes from another device (one change or many, concatenated, as
    /// [`super::Store::changes_since`] returns them). Idempotent and order-independent: duplicates
    /// are ignored, and changes whose dependencies are missing are kept until they arrive.
    ///
    /// The merged changes pass the write gate as their authors (the current user's roles are
    /// known; other authors' were judged by the server): a forged change is refused and
    /// nothing of `bytes` is kept.
    pub fn apply_changes(&mut self, id: &RecordId, bytes: &[u8]) -> Result<ApplyOutcome> {
        let authority = Authority::merge(Some(self.user));
        self.apply_judged(id, bytes, Some(&authority), None)
            .map(|r| r.outcome)
    }

    /// As [`Writer::apply_changes`] for changes the sync server accepted: it is the authority
    /// and judged them as their authors, with their roles.
    /// `prepared` is what [`super::Store::prepare_received`] made of the same bytes, used if the
    /// record is new.
    pub(crate) fn apply_from_server(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
        prepared: Option<Received>,
    ) -> Result<ServerApply> {
        self.apply_judged(id, bytes, None, prepared)
    }

    fn apply_judged(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
        authority: Option<&Authority>,
        prepared: Option<Received>,
    ) -> Result<ServerApply> {
        let result = self.apply_inner(id, bytes, authority, prepared);
        if result.is_err() {
            // The in-memory document may hold part of the bad input: forget it.
            self.cache.remove(id);
        }
        result
    }

    fn apply_inner(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
        authority: Option<&Authority>,
        prepared: Option<Received>,
    ) -> Result<ServerApply> {
        let bad = |reason: String| Error::BadChanges {
            id: id.clone(),
            reason,
        };
        let is_new = !self.cache.contains(id) && !persist::exists(&self.tx, id)?;
        if is_new && let Some(r) = prepared {
            // Decoded and projected on another thread: what applying `bytes` to an empty
            // document here would store, without opening the document on this thread.
            persist::insert_whole(&self.tx, id, r.kind.as_deref(), &r.heads, bytes)?;
            match &r.projection {
                Some(p) => projection::write(&self.tx, id, p, None)?,
                None => unlisted(id, r.kind.as_deref()),
            }
            self.mark_changed(id, r.kind.as_deref().and_then(|k| k.parse().ok()));
            return Ok(ServerApply {
                outcome: ApplyOutcome {
                    changed: true,
                    heads: hex(&r.heads),
                    missing_deps: Vec::new(),
                },
                change_hashes: hex(&r.change_hashes),
                photo_keys: r.photos,
            });
        }
        if is_new {
            let doc = automerge::AutoCommit::new().with_actor(self.actor.clone());
            self.cache.insert(id.clone(), Entry::new(doc, None));
        }
        self.touched.push(id.clone());
        let entry = load_entry(&self.tx, self.cache, self.actor, id)?;
        let before = entry.doc.get_heads();
        let change_hashes = chunks::apply_checked(&mut entry.doc, bytes).map_err(bad)?;
        let (doc_id, kind) = identity(&entry.doc);
        if let Some(doc_id) = doc_id.as_deref()
            && doc_id != id.as_str()
        {
            return Err(bad("the changes belong to another record".into()));
        }
        if entry.kind.is_none() {
            entry.kind = kind;
        }
        let missing = entry.doc.get_missing_deps(&[]);
        let after = entry.doc.get_heads();
        let changed = before != after;
        if changed && let Some(authority) = authority {
            record::judge(entry.doc.document(), &before, authority)?;
        }
        if changed {
            // Merged changes may touch any field: rebuild the search index.
            entry.search = None;
        }
        if is_new {
            if missing.is_empty() {
                persist::insert_received(&self.tx, id, entry, bytes)?;
            } else {
                persist::insert_new(&self.tx, id, entry)?;
            }
            if changed {
                write_projection(&self.tx, id, entry)?;
                let kind = entry.kind.as_deref().and_then(|k| k.parse().ok());
                self.changed.push((id.clone(), kind));
            }
        }
        if !missing.is_empty() {
            persist::add_pending(&self.tx, id, bytes)?;
            entry.has_pending = true;
        } else if entry.has_pending {
            persist::clear_pending(&self.tx, id)?;
            entry.has_pending = false;
        }
        let photo_keys = crate::doc::json::root_map_keys(entry.doc.document(), "photos");
        if changed && !is_new {
            self.persist(id)?;
        }
        Ok(ServerApply {
            outcome: ApplyOutcome {
                changed,
                heads: hex(&after),
                missing_deps: hex(&missing),
            },
            change_hashes: hex(&change_hashes),
            photo_keys,
        })
    }

    fn persist(&mut self, id: &RecordId) -> Result<()> {
        let entry = self
            .cache
            .get_mut(id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        if persist::persist(&self.tx, id, entry)? {
            write_projection(&self.tx, id, entry)?;
            let kind = entry.kind.as_deref().and_then(|k| k.parse().ok());
            self.mark_changed(id, kind);
        }
        Ok(())
    }

    /// Notes that `id` changed, for the event sent after commit.
    fn mark_changed(&mut self, id: &RecordId, kind: Option<RecordKind>) {
        self.changed.push((id.clone(), kind));
    }
}

/// The cached document of `id`, loaded if needed.
fn load_entry<'c>(
    tx: &Transaction<'_>,
    cache: &'c mut DocCache,
    actor: &ActorId,
    id: &RecordId,
) -> Result<&'c mut Entry> {
    if !cache.contains(id) {
        let entry = persist::load(tx, id, actor)?.ok_or_else(|| Error::NotFound(id.clone()))?;
        cache.insert(id.clone(), entry);
    }
    cache.get_mut(id).ok_or_else(|| Error::NotFound(id.clone()))
}

/// Derives and writes the projection of a cached document.
pub(super) fn write_projection(
    tx: &Transaction<'_>,
    id: &RecordId,
    entry: &mut Entry,
) -> Result<()> {
    match projection::derive(&mut entry.doc, &mut entry.search) {
        Some(p) => {
            projection::write(tx, id, &p, entry.projection.as_ref())?;
            entry.projection = Some(p);
        }
        None => unlisted(id, entry.kind.as_deref()),
    }
    Ok(())
}

fn unlisted(id: &RecordId, kind: Option<&str>) {
    if kind.is_some() {
        tracing::warn!(record = %id, "record of an unknown kind is stored but not listed");
    }
}

pub(super) fn hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}
