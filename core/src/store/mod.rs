//! [`Store`]: the local record store. One SQLite file holds every record's automerge document
//! (snapshot + incremental chunks), the projection tables that lists and search read, changes
//! waiting for dependencies, and (later) sync state. Exactly one writer connection, guarded by a
//! mutex; lists use a separate read-only connection so they never wait for a writer's fsync.
//!
//! Module map: [`conn`] opens files safely, [`schema`] versions them, [`persist`] stores
//! documents, [`projection`] derives the query tables, [`cache`] keeps recent documents open,
//! [`writer`] is the transaction API, [`notify`] tells subscribers what changed.

pub(crate) mod blobs;
pub(crate) mod cache;
pub(crate) mod conn;
mod encrypt;
pub mod key;
pub(crate) mod notify;
pub(crate) mod persist;
pub mod photos;
pub(crate) mod projection;
pub(crate) mod received;
pub(crate) mod schema;
mod sealed;
pub mod sync_state;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use automerge::{ActorId, AutoCommit, Automerge, ChangeHash};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use blobs::{PhotoFile, PhotoReader};
pub use encrypt::rekey;
pub use key::StoreKey;
pub use notify::{ChangeEvent, Subscription};
pub use photos::{PhotoState, PlainCopy, QueuedPhoto};
pub use projection::{ListQuery, ListSort};
pub use schema::CURRENT_VERSION;
pub use sync_state::{DirtyRecord, Receipt, Refusal as SyncRefusal, SyncAccount};
pub use writer::{ApplyOutcome, Writer};

use cache::DocCache;
use notify::Notifier;

use crate::doc::{self, Conflict, HistoryEntry};
use crate::error::{Error, Result};
use crate::model::{Clock, RecordId, RecordKind, RecordSummary, SystemClock, User};

/// Options for [`Store::open_with`].
pub struct StoreOptions {
    /// Source of "now" for change timestamps.
    pub clock: Arc<dyn Clock>,
    /// How many documents stay open in memory.
    pub cache_capacity: usize,
    /// The store's key: the database and photos are encrypted with it (ADR 0012). A plain store
    /// opened with a key is encrypted in place first; an encrypted one opened without a key is
    /// refused ([`Error::KeyRequired`]), with a key that does not fit too ([`Error::WrongKey`]).
    pub key: Option<StoreKey>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            clock: Arc::new(SystemClock::default()),
            cache_capacity: cache::DEFAULT_CAPACITY,
            key: None,
        }
    }
}

/// Result of [`Store::verify`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// `PRAGMA integrity_check` output: `["ok"]` when healthy.
    pub integrity: Vec<String>,
    /// How many records the store holds (0 if they could not be listed).
    pub records: u64,
    /// Records whose stored bytes do not load, with the reason. The bytes are kept.
    pub unreadable: Vec<UnreadableRecord>,
}

/// A record whose stored bytes do not load (see [`Store::verify`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnreadableRecord {
    /// The record's id.
    pub id: RecordId,
    /// Why its bytes do not load.
    pub reason: String,
}

impl VerifyReport {
    /// The file is healthy and every record loads.
    pub fn is_ok(&self) -> bool {
        self.integrity == ["ok"] && self.unreadable.is_empty()
    }
}

struct Inner {
    conn: Connection,
    cache: DocCache,
}

/// The local record store: one SQLite file (encrypted with a [`StoreKey`], or plain) with every
/// record's automerge document, the list and search tables, sync state, and the photo files beside
/// it (`<db>.blobs/`). Safe to share between threads: one writer at a time, lists on their own read
/// connection.
pub struct Store {
    path: PathBuf,
    // Field order matters: the reader closes first, so the writer is the last connection and
    // checkpoints the WAL into the main file on close.
    reader: Mutex<Connection>,
    inner: Mutex<Inner>,
    notifier: Arc<Notifier>,
    user: RwLock<Option<User>>,
    clock: Arc<dyn Clock>,
    actor: ActorId,
    /// Caches the domain keeps beside the store (parsed templates, answering state), one per
    /// type: the store holds them without knowing what they are.
    caches: Mutex<std::collections::HashMap<std::any::TypeId, Box<dyn std::any::Any + Send>>>,
    /// Photo files next to the database.
    blobs: blobs::Blobs,
    /// The key of an encrypted store (for the read connections of bulk reads).
    key: Option<StoreKey>,
}

/// Removes everything the store at `db` keeps on this device: the database with its WAL and
/// shared-memory files, and `<db>.blobs/` (photos, the capture folder, documents made here).
/// For a device whose access the office revoked ([`Error::TokenRevoked`]). The store must be
/// closed first (every `Store` on the file dropped). Files already gone are fine. Returns how
/// many files and folders were removed. The bytes are unlinked, not overwritten: flash storage
/// does not promise that an overwrite reaches the old blocks.
pub fn wipe(db: &Path) -> Result<u64> {
    let mut removed = 0;
    // `.rekey`: a copy left by an encryption or key change a crash interrupted.
    for suffix in ["", "-wal", "-shm", "-journal", ".rekey", ".rekey-journal"] {
        removed += u64::from(remove_if_present(&sibling(db, suffix))?);
    }
    match std::fs::remove_dir_all(sibling(db, ".blobs")) {
        Ok(()) => removed += 1,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    tracing::warn!(removed, "store wiped");
    Ok(removed)
}

/// Removes the file at `path`; whether it was there (absent is fine).
pub(crate) fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The file beside `db` whose name is `db`'s followed by `suffix` (`-wal`, `.blobs`, `.rekey`).
pub(crate) fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    db.with_file_name(name)
}

/// Gives an encrypted store's photo files their key (made and kept in the database the first
/// time), and seals the files of a store just encrypted in place. The key is committed before
/// any file is sealed with it; the "all sealed" mark after the last one.
fn seal_photos(conn: &Connection, blobs: &mut blobs::Blobs) -> Result<()> {
    let photo_key = match schema::get_meta(conn, "photo_key")? {
        Some(hex) => sealed::PhotoKey::from_hex(&hex)?,
        None => {
            let key = sealed::PhotoKey::generate();
            schema::set_meta(conn, "photo_key", &key.to_hex())?;
            key
        }
    };
    let all_sealed = schema::get_meta(conn, "photos_sealed")?.is_some();
    blobs.seal_with(photo_key.clone(), !all_sealed);
    if !all_sealed {
        let sealed = blobs.seal_existing()?;
        schema::set_meta(conn, "photos_sealed", "1")?;
        blobs.seal_with(photo_key, false);
        if sealed > 0 {
            tracing::info!(sealed, "photo files encrypted");
        }
    }
    Ok(())
}

impl Store {
    /// Opens (or creates) the store at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (or creates) the store. A file that is not an Offgrid database, is corrupt, or was
    /// written by a newer version is refused with a typed error and left exactly as it was.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Self::open_mode(path.as_ref(), options, true)
    }

    /// Opens the store at `path`, which must already be one: for reading, which never creates
    /// a database. A missing file, or an empty one (a store is created with its schema in one
    /// transaction, so an empty file is never a store, whatever left it there), is refused with
    /// [`Error::StoreNotFound`]: no file is created and an empty one stays empty. Otherwise as
    /// [`Store::open_with`] (an older schema is upgraded).
    pub fn open_existing(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref();
        if conn::probe(path)? == conn::Probe::New {
            return Err(Error::StoreNotFound { path: path.into() });
        }
        Self::open_mode(path, options, false)
    }

    fn open_mode(path: &Path, options: StoreOptions, create: bool) -> Result<Store> {
        let path = path.to_owned();
        let key = options.key;
        encrypt::remove_leftovers(&path)?;
        if let Some(key) = &key
            && conn::probe(&path)? == conn::Probe::Plain
        {
            encrypt::encrypt_in_place(&path, key)?;
        }
        let mut conn = conn::open_writer_with(&path, key.as_ref(), create)?;
        schema::check(&conn, &path)?;
        conn::enable_wal(&conn)?;
        schema::init(&mut conn, &path)?;
        let actor = match schema::get_meta(&conn, "actor_id")? {
            Some(hex) => ActorId::try_from(hex.as_str())
                .map_err(|_| Error::Corrupt("stored actor id is not hex".into()))?,
            None => {
                // A random actor per install: never derived from the user, so two people on one
                // device, or one person on two devices, never share an actor.
                let actor = ActorId::from(rand::random::<[u8; 16]>());
                schema::set_meta(&conn, "actor_id", &actor.to_hex_string())?;
                actor
            }
        };
        let reader = conn::open_reader(&path, key.as_ref())?;
        let mut blobs = blobs::Blobs::for_db(&path);
        blobs.clean_tmp();
        if key.is_some() {
            seal_photos(&conn, &mut blobs)?;
        }
        let store = Store {
            key,
            blobs,
            path,
            inner: Mutex::new(Inner {
                conn,
                cache: DocCache::new(options.cache_capacity),
            }),
            reader: Mutex::new(reader),
            notifier: Arc::new(Notifier::default()),
            user: RwLock::new(None),
            clock: options.clock,
            actor,
            caches: Mutex::new(Default::default()),
        };
        store.rebuild_projections_if_stale()?;
        tracing::debug!("store opened");
        Ok(store)
    }

    /// The database file's path, as opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store is encrypted (opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// This install's automerge actor id (hex).
    pub fn actor_id(&self) -> String {
        self.actor.to_hex_string()
    }

    /// Sets who is using the device; every write is attributed to this user.
    pub fn set_user(&self, user: User) {
        *self.user.write().unwrap_or_else(|e| e.into_inner()) = Some(user);
    }

    /// Who is using the device (`None`: nobody set yet; writes are refused with
    /// [`Error::NoCurrentUser`]).
    pub fn user(&self) -> Option<User> {
        self.user.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs `f` in one transaction. Everything it wrote is on disk (fsynced) when this returns
    /// `Ok`; on `Err` nothing of it is.
    pub fn write<R>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<R>) -> Result<R> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.clock.now();
        let (result, changed) = {
            let mut guard = self.lock();
            let Inner { conn, cache } = &mut *guard;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut w = Writer {
                tx,
                cache,
                actor: &self.actor,
                user: &user,
                now,
                touched: Vec::new(),
                changed: Vec::new(),
            };
            let result = f(&mut w);
            let Writer {
                tx,
                cache,
                touched,
                changed,
                ..
            } = w;
            let result = result.and_then(|r| {
                projection::flush_search(&tx)?;
                tx.commit()?;
                Ok(r)
            });
            if result.is_err() {
                for id in &touched {
                    cache.remove(id);
                }
            }
            (result, changed)
        };
        let result = result?;
        self.notifier.notify(&notify::ChangeEvent::of(&changed));
        Ok(result)
    }

    /// Creates a record (see [`Writer::create`]).
    pub fn create(&self, kind: RecordKind, fields: &serde_json::Value) -> Result<RecordId> {
        self.write(|w| w.create(kind, fields))
    }

    /// Edits a record in one change (see [`Writer::update`]).
    pub fn update<R>(
        &self,
        id: &RecordId,
        message: &str,
        f: impl FnOnce(&mut doc::Edit<'_>) -> Result<R>,
    ) -> Result<R> {
        self.write(|w| w.update(id, message, f))
    }

    /// Merges changes from another device (see [`Writer::apply_changes`]).
    pub fn apply_changes(&self, id: &RecordId, bytes: &[u8]) -> Result<ApplyOutcome> {
        self.write(|w| w.apply_changes(id, bytes))
    }

    /// Runs `f` on the record's document, read-only (loaded into the cache if needed). Changes
    /// go through [`Store::update`], never through a read.
    pub fn read<R>(&self, id: &RecordId, f: impl FnOnce(&Automerge) -> Result<R>) -> Result<R> {
        self.read_mut(id, |d| f(d.document()))
    }

    /// Runs `f` on each record's document, read-only, on a few threads with read connections
    /// of their own, bypassing the cache: a bulk read (the register of ten thousand hazards)
    /// neither evicts what the app has open nor holds every document at once. Each result
    /// comes from one read of its record (content and heads agree); results follow `ids`.
    #[cfg_attr(not(feature = "documents"), allow(dead_code))]
    pub(crate) fn read_many<R: Send>(
        &self,
        ids: &[RecordId],
        f: impl Fn(&RecordId, &Automerge) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        crate::parallel::map_chunks(ids, |chunk| {
            let conn = conn::open_reader(&self.path, self.key.as_ref())?;
            chunk
                .iter()
                .map(|id| {
                    let mut entry = persist::load(&conn, id, &self.actor)?
                        .ok_or_else(|| Error::NotFound(id.clone()))?;
                    f(id, entry.doc.document())
                })
                .collect()
        })
    }

    /// As [`Store::read`] for the few automerge calls that need `&mut` without changing the
    /// document (`diff`). Private: a mutation here would never be persisted.
    fn read_mut<R>(
        &self,
        id: &RecordId,
        f: impl FnOnce(&mut AutoCommit) -> Result<R>,
    ) -> Result<R> {
        let mut guard = self.lock();
        let Inner { conn, cache } = &mut *guard;
        if cache.get_mut(id).is_none() {
            let entry =
                persist::load(conn, id, &self.actor)?.ok_or_else(|| Error::NotFound(id.clone()))?;
            cache.insert(id.clone(), entry);
        }
        let entry = cache
            .get_mut(id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        f(&mut entry.doc)
    }

    /// The record as JSON (conflicts resolved to the value every device shows).
    pub fn get(&self, id: &RecordId) -> Result<serde_json::Value> {
        self.read(id, |d| Ok(doc::json::hydrate(d, &automerge::ROOT)?))
    }

    /// One field by JSON pointer, or `None`.
    pub fn get_path(&self, id: &RecordId, pointer: &str) -> Result<Option<serde_json::Value>> {
        self.read(id, |d| Ok(doc::edit::get(d, pointer)?))
    }

    /// Current heads (hex).
    pub fn heads(&self, id: &RecordId) -> Result<Vec<String>> {
        self.read(id, |d| Ok(writer::hex(&d.get_heads())))
    }

    /// Every change the holder of `heads` lacks, each encoded on its own, in causal order.
    pub fn changes_since(&self, id: &RecordId, heads: &[String]) -> Result<Vec<Vec<u8>>> {
        let heads = parse_heads(heads)?;
        self.read(id, |d| {
            Ok(d.get_changes(&heads)
                .into_iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect())
        })
    }

    /// Every field holding concurrent values, with who wrote each and when, and which account
    /// the server verified as its pusher (`verified_by`, once synced).
    pub fn conflicts(&self, id: &RecordId) -> Result<Vec<Conflict>> {
        let mut conflicts = self.read(id, |d| Ok(doc::conflicts::conflicts(d)?))?;
        let receipts = self.sync_receipts(id)?;
        for v in conflicts.iter_mut().flat_map(|c| c.values.iter_mut()) {
            v.verified_by = receipts.get(&v.change).and_then(|r| r.received_by.clone());
        }
        Ok(conflicts)
    }

    /// Every change: who, when (device clock and offset), what message, which fields, and,
    /// once the server has it, when it received it and which account it verified as the
    /// pusher (`verified_by`; `None`: not yet confirmed by the server).
    pub fn history(&self, id: &RecordId) -> Result<Vec<HistoryEntry>> {
        let mut entries = self.read_mut(id, |d| Ok(doc::history::history(d)?))?;
        let receipts = self.sync_receipts(id)?;
        for e in &mut entries {
            if let Some(r) = receipts.get(&e.change) {
                e.received_ms = Some(r.received_ms);
                e.verified_by = r.received_by.clone();
                e.clock_ahead = r.clock_ahead();
            }
        }
        Ok(entries)
    }

    /// Records matching the query, from the projection tables (no document is loaded).
    pub fn list(&self, query: &ListQuery) -> Result<Vec<RecordSummary>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::list(&conn, query)
    }

    /// The records a kind indexed under `key` (a tag, a cell, a project), from the projection
    /// tables (no document is loaded).
    pub(crate) fn records_with_key(&self, key: &str) -> Result<Vec<RecordId>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::with_key(&conn, key)
    }

    /// The facts of the records of `kind` (optionally those indexed under `key`), from the
    /// projection tables (see [`crate::record::KindColumns::facts`]).
    pub(crate) fn facts(
        &self,
        kind: RecordKind,
        key: Option<&str>,
    ) -> Result<Vec<(RecordId, String)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::facts(&conn, kind, key)
    }

    /// The lookup keys of `kind` starting with `prefix` (prefix taken off), by record.
    pub(crate) fn keys_with_prefix(
        &self,
        kind: RecordKind,
        prefix: &str,
    ) -> Result<Vec<(RecordId, String)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::keys_with_prefix(&conn, kind, prefix)
    }

    /// Records of `kind` counted per (site, grade, status), from the list table.
    pub(crate) fn counts_by_site(&self, kind: RecordKind) -> Result<Vec<projection::SiteCount>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::counts_by_site(&conn, kind)
    }

    /// The facts of the patrol runs for windows opening in `[from_ms, to_ms)`.
    pub(crate) fn run_facts_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(RecordId, String)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        projection::run_facts_between(&conn, from_ms, to_ms)
    }

    /// Number of records matching `query` per value of `column` ("status" or "grade"; missing
    /// values count under "").
    pub fn counts(
        &self,
        query: &ListQuery,
        column: &str,
    ) -> Result<std::collections::BTreeMap<String, u32>> {
        if !matches!(column, "status" | "grade") {
            return Err(Error::InvalidArgument(format!("cannot count by {column}")));
        }
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        Ok(projection::counts(&conn, query, column)?
            .into_iter()
            .map(|(k, n)| (k.unwrap_or_default(), n))
            .collect())
    }

    /// Registers a listener told, after each commit, which records (and kinds) changed.
    pub fn subscribe(
        &self,
        listener: impl Fn(&ChangeEvent) + Send + Sync + 'static,
    ) -> Subscription {
        self.notifier.subscribe(Arc::new(listener))
    }

    /// Checks the file (`PRAGMA integrity_check`) and that every record's bytes load. Damage is
    /// reported in the result, not as an error, so a damaged store can still be examined.
    pub fn verify(&self) -> Result<VerifyReport> {
        let guard = self.lock();
        let integrity = integrity_check(&guard.conn).unwrap_or_else(|e| vec![e.to_string()]);
        let ids = match persist::all_ids(&guard.conn) {
            Ok(ids) => ids,
            Err(e) => {
                let mut integrity = integrity;
                integrity.push(format!("cannot list records: {e}"));
                return Ok(VerifyReport {
                    integrity,
                    records: 0,
                    unreadable: Vec::new(),
                });
            }
        };
        let mut unreadable = Vec::new();
        for id in &ids {
            if let Err(e) = persist::load(&guard.conn, id, &self.actor) {
                unreadable.push(UnreadableRecord {
                    id: id.clone(),
                    reason: e.to_string(),
                });
            }
        }
        Ok(VerifyReport {
            integrity,
            records: ids.len() as u64,
            unreadable,
        })
    }

    /// Drops every open document from memory (they reload from disk on next use).
    pub fn clear_cache(&self) {
        self.lock().cache.clear();
    }

    /// The store's clock.
    pub fn now(&self) -> crate::model::Timestamp {
        self.clock.now()
    }

    /// Runs `f` on the writer connection (small statements outside documents, e.g. templates).
    pub(crate) fn with_writer_conn<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R>,
    ) -> Result<R> {
        f(&self.lock().conn)
    }

    /// Runs `f` on the store's cache of type `T` (created empty on first use).
    pub(crate) fn with_cache<T: Default + Send + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        let entry = caches
            .entry(std::any::TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        match entry.downcast_mut::<T>() {
            Some(cache) => f(cache),
            // Unreachable: entries are keyed by their own type.
            None => f(&mut T::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rebuilds `records` and `records_fts` from the documents when the code that derives them
    /// changed (or the tables were just created). One transaction; unreadable records are skipped
    /// (and reported by [`Store::verify`]).
    fn rebuild_projections_if_stale(&self) -> Result<()> {
        let mut guard = self.lock();
        let current = schema::PROJECTION_VERSION.to_string();
        if schema::get_meta(&guard.conn, "projection_version")?.as_deref() == Some(current.as_str())
        {
            return Ok(());
        }
        let Inner { conn, cache } = &mut *guard;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        projection::clear(&tx)?;
        cache.clear();
        let ids = persist::all_ids(&tx)?;
        for id in &ids {
            match persist::load(&tx, id, &self.actor) {
                Ok(Some(mut entry)) => writer::write_projection(&tx, id, &mut entry)?,
                Ok(None) => {}
                Err(e) => tracing::warn!(record = %id, error = %e, "skipping unreadable record"),
            }
        }
        projection::flush_search(&tx)?;
        schema::set_meta(&tx, "projection_version", &current)?;
        tx.commit()?;
        tracing::info!(records = ids.len(), "projections rebuilt");
        Ok(())
    }
}

fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

fn parse_heads(heads: &[String]) -> Result<Vec<ChangeHash>> {
    heads
        .iter()
        .map(|h| {
            h.parse()
                .map_err(|_| Error::InvalidArgument(format!("not a change hash: {h:?}")))
        })
        .collect()
}
