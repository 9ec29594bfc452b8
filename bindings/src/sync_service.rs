//! The sync service through the FFI (issue 14): `store.syncService()` gives the store's one
//! service; the shell's background job calls `run()` (when `due(now)`, or at once for "sync
//! now"), the UI observes its state. Backoff and error classification live in the core.

use std::sync::Arc;

use offgrid_core::sync::SyncOptions;
use offgrid_core::sync::service::{SyncService, SyncState};

use crate::sync::OffgridSync;
use crate::{OffgridStore, Result};

/// Implemented by the shell: told every new state, on the thread running the sync (hand UI
/// work to the main thread). It must not register or remove observers from inside the call.
#[uniffi::export(foreign)]
pub trait SyncStateListener: Send + Sync {
    /// The service's new state: `Syncing` with each step's progress, then the state the run
    /// ends in. Called synchronously: return quickly. It must not throw: unlike the other
    /// listeners', an exception here is not caught, and the `run` in progress fails with an
    /// internal error.
    fn on_state(&self, state: SyncState);
}

/// The store's sync service.
#[derive(uniffi::Object)]
pub struct OffgridSyncService {
    owner: Arc<OffgridStore>,
    service: Arc<SyncService>,
}

/// One service per process and store object (its backoff and state are the store's).
pub(crate) fn service_of(store: &OffgridStore) -> Arc<SyncService> {
    store
        .sync_service
        .get_or_init(|| Arc::new(SyncService::new(SyncOptions::default())))
        .clone()
}

#[uniffi::export]
impl OffgridSync {
    /// The store's sync service (the same one on every call).
    pub fn service(&self) -> Arc<OffgridSyncService> {
        let owner = self.owner().clone();
        let service = service_of(&owner);
        Arc::new(OffgridSyncService { owner, service })
    }
}

#[uniffi::export]
impl OffgridSyncService {
    /// Syncs now (one at a time) and returns the state it ends in; failures are states.
    pub fn run(&self) -> Result<SyncState> {
        let store = self.owner.store()?;
        Ok(self.service.sync(&store))
    }

    /// The current state, as the last `run` in this process left it (memory only: fine on the
    /// main thread, and after `close_database`). Before the first run it is `Idle` with no last
    /// success and nothing pending, whatever the database holds: `sync().status()` reads the
    /// stored figures.
    pub fn state(&self) -> SyncState {
        self.service.state()
    }

    /// Whether a periodic run at `now_ms` should sync (not while waiting out a backoff).
    pub fn due(&self, now_ms: i64) -> bool {
        self.service.due(now_ms)
    }

    /// Cancels the sync running now, if any.
    pub fn cancel(&self) {
        self.service.cancel()
    }

    /// Tells `listener` every new state; returns an id for `unobserve`.
    pub fn observe(&self, listener: Arc<dyn SyncStateListener>) -> u64 {
        self.service.observe(move |s| listener.on_state(s.clone()))
    }

    /// Stops telling the listener registered as `id` (from `observe`); an unknown id is
    /// ignored. Never call it from inside a `SyncStateListener` call.
    pub fn unobserve(&self, id: u64) {
        self.service.unobserve(id)
    }
}
