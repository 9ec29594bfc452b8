//! [`OffgridStore`]: one open database, with the generic record API (create, read, merge,
//! conflicts, history, lists). The domain methods live in the sub-clients
//! of their own files (`inspections.rs`, `hazards.rs`, `patrols.rs`, `reference.rs`,
//! `templates.rs`, `photos.rs`, `documents.rs`, `screens.rs`); each method is one line over
//! [`offgrid_core::Store`].

use std::sync::{Arc, RwLock};

use crate::remote::{Counts, JsonValue};
use offgrid_core::doc::{Conflict, HistoryEntry};
use offgrid_core::{
    ListQuery, RecordId, RecordKind, RecordSummary, Store, StoreKey, StoreOptions, SystemClock,
    User, VerifyReport,
};

use crate::{OffgridError, Result, parse_json};

/// An open Offgrid database (one SQLite file). Thread-safe: call it from any thread, but not
/// from the UI thread (every call may touch the disk).
///
/// Ownership: Kotlin `use {}`/`close()` and Swift `deinit` release this object; the file closes
/// when the last reference goes. [`OffgridStore::close_database`] closes it at once instead.
#[derive(uniffi::Object)]
pub struct OffgridStore {
    inner: RwLock<Option<Arc<Store>>>,
    /// The store's sync service, made on first use (`store.syncService()`).
    pub(crate) sync_service: std::sync::OnceLock<Arc<offgrid_core::sync::service::SyncService>>,
}

impl OffgridStore {
    fn open(path: String, utc_offset_minutes: i32, key: Option<StoreKey>) -> Result<Arc<Self>> {
        let clock = Arc::new(SystemClock {
            offset_minutes: utc_offset_minutes,
        });
        let store = Store::open_with(
            path,
            StoreOptions {
                clock,
                key,
                ..Default::default()
            },
        )?;
        Ok(Arc::new(OffgridStore {
            inner: RwLock::new(Some(Arc::new(store))),
            sync_service: std::sync::OnceLock::new(),
        }))
    }

    /// The open store, or [`OffgridError::Closed`]. A call in progress keeps its `Arc`, so
    /// `close_database` never pulls the store from under it.
    pub(crate) fn store(&self) -> Result<Arc<Store>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| OffgridError::Closed {
                reason: "the database was closed".into(),
            })
    }
}

#[uniffi::export]
impl OffgridStore {
    /// Opens (or creates) the database at `path`. `utc_offset_minutes` is the device's current
    /// UTC offset (480 for China), recorded with every change as evidence of local time.
    /// A file that is not an Offgrid database, is corrupt or is newer is refused untouched.
    #[uniffi::constructor]
    pub fn new(path: String, utc_offset_minutes: i32) -> Result<Arc<Self>> {
        Self::open(path, utc_offset_minutes, None)
    }

    /// Opens (or creates) the encrypted database at `path` with its 32-byte `key` (see
    /// `generate_store_key`; where shells keep it: the bindings' `encryption` docs). A plain
    /// database is encrypted in place first, its photos with it. `KeyRequired`/`WrongKey`: the
    /// file is left untouched.
    #[uniffi::constructor]
    pub fn open_encrypted(
        path: String,
        utc_offset_minutes: i32,
        key: Vec<u8>,
    ) -> Result<Arc<Self>> {
        Self::open(path, utc_offset_minutes, Some(StoreKey::from_bytes(&key)?))
    }

    /// Whether the database and photos are encrypted.
    pub fn is_encrypted(&self) -> Result<bool> {
        Ok(self.store()?.is_encrypted())
    }

    /// Closes the database now (the WAL is checkpointed into the file). Calls already running
    /// finish first; every later call fails with `Closed`. Closing twice is harmless.
    pub fn close_database(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Whether `close_database` was called.
    pub fn is_closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// The database file's path, as given when it was opened. `Closed` after
    /// `close_database`.
    pub fn path(&self) -> Result<String> {
        Ok(self.store()?.path().to_string_lossy().into_owned())
    }

    /// This install's automerge actor id (hex), random per install.
    pub fn actor_id(&self) -> Result<String> {
        Ok(self.store()?.actor_id())
    }

    /// Sets who is using the device, with their roles; every write is attributed to them.
    pub fn set_user(&self, user: User) -> Result<()> {
        self.store()?.set_user(user);
        Ok(())
    }

    /// Who is using the device: the user last set by `set_user`, by `login`, or from the saved
    /// account when a sync starts with nobody set. Kept in memory only: `null` after opening
    /// until one of those, and writes then fail with `NoCurrentUser`. No disk access.
    pub fn current_user(&self) -> Result<Option<User>> {
        Ok(self.store()?.user())
    }

    /// The organisation's time zone (an IANA name; `Asia/Shanghai` until its server says
    /// otherwise at a sync).
    pub fn time_zone(&self) -> Result<String> {
        Ok(self.store()?.zone().name().to_owned())
    }

    /// A deadline as a person picks it, in UTC milliseconds: `YYYY-MM-DD` is the end of that
    /// day in the organisation's zone, `YYYY-MM-DDTHH:MM` that time there. (Date pickers give
    /// dates; the phone's own zone does not matter.) `InvalidArgument` for anything else.
    pub fn deadline_of(&self, text: String) -> Result<i64> {
        Ok(self.store()?.zone().deadline(&text)?)
    }

    /// The organisation's date at `at_ms` (UTC milliseconds), `YYYY-MM-DD`: "today" at now.
    pub fn local_date(&self, at_ms: i64) -> Result<String> {
        Ok(self.store()?.zone().date_of(at_ms))
    }

    /// Creates a record of `kind` from a JSON object of fields; returns its new id.
    pub fn create_record(&self, kind: RecordKind, fields_json: String) -> Result<RecordId> {
        Ok(self
            .store()?
            .create(kind, &parse_json("fields", &fields_json)?)?)
    }

    /// The whole record as JSON.
    pub fn get_record(&self, id: RecordId) -> Result<JsonValue> {
        Ok(self.store()?.get(&id)?)
    }

    /// One field by JSON pointer (`/answers/a1/value`), or `None` if absent.
    pub fn get_path(&self, id: RecordId, pointer: String) -> Result<Option<JsonValue>> {
        Ok(self.store()?.get_path(&id, &pointer)?)
    }

    /// Fields with concurrent values from different devices, with who wrote each and when.
    pub fn conflicts(&self, id: RecordId) -> Result<Vec<Conflict>> {
        Ok(self.store()?.conflicts(&id)?)
    }

    /// Who changed what, when: one entry per change.
    pub fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        Ok(self.store()?.history(&id)?)
    }

    /// A page of records from the list tables (never loads documents).
    pub fn list(&self, query: ListQuery) -> Result<Vec<RecordSummary>> {
        Ok(self.store()?.list(&query)?)
    }

    /// How many records match `query`, by `column` ("status" or "grade").
    pub fn counts(&self, query: ListQuery, column: String) -> Result<Counts> {
        Ok(self.store()?.counts(&query, &column)?)
    }

    /// Checks the file and every record; damage is reported, not raised.
    pub fn verify(&self) -> Result<VerifyReport> {
        Ok(self.store()?.verify()?)
    }
}
