//! The sync status screen: the sync service's state (idle, syncing with progress, offline,
//! needs login, error with when it tries again) beside what the store knows — pending records
//! and photos, last success, last error in words, the server and the account, and the changes
//! the server refused (with its reason), which the user must see: they will not sync by waiting.

use serde::Serialize;

use crate::error::Result;
use crate::store::Store;
use crate::sync::SyncStatus;
use crate::sync::service::{SyncService, SyncState};

/// The sync status screen: the service's state beside what the store knows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncScreen {
    /// What the sync service is doing now (idle, syncing with progress, offline, needs login,
    /// error).
    pub state: SyncState,
    /// Pending records and photos, last success and error, the server and account, refused changes.
    pub status: SyncStatus,
    /// "Sync now" is offered: signed in and not syncing already.
    pub can_sync_now: bool,
}

impl Store {
    /// The sync status screen over `service` (the store's one sync service).
    pub fn sync_screen(&self, service: &SyncService) -> Result<SyncScreen> {
        let state = service.state();
        let status = self.sync_status()?;
        let can_sync_now = status.signed_in && !matches!(state, SyncState::Syncing { .. });
        Ok(SyncScreen {
            state,
            status,
            can_sync_now,
        })
    }
}
