//! Sync through the FFI: log in once (online), sync (push, pull, photos) with progress and
//! cancellation, the status a sync screen shows, reconcile, sign out. `sync` blocks while it
//! talks to the server: shells call it off the main thread (a WorkManager job, a background
//! task), and cancel it from any thread with a [`SyncCancel`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use offgrid_core::sync::protocol::Account;
use offgrid_core::sync::{self, SyncOptions, SyncProgress, SyncReport, SyncStatus};

use crate::{OffgridStore, Result};

/// Implemented by the shell: progress after every round trip and photo, on the syncing thread.
#[uniffi::export(foreign)]
pub trait SyncProgressListener: Send + Sync {
    /// The progress so far, after every push/pull round trip and every photo. Called
    /// synchronously on the thread running `OffgridSync.run`, which waits for it: return
    /// quickly and hand UI work to the main thread. An exception it throws is ignored.
    fn on_progress(&self, progress: SyncProgress);
}

/// Cancels a running sync at its next step (what was acknowledged stays acknowledged).
#[derive(uniffi::Object, Default)]
pub struct SyncCancel {
    flag: Arc<AtomicBool>,
}

#[uniffi::export]
impl SyncCancel {
    /// A new flag, not cancelled: pass it to `OffgridSync.run` and keep it to cancel that
    /// sync. Use a new one for each sync: once cancelled, it stays cancelled.
    #[uniffi::constructor]
    pub fn new() -> Self {
        SyncCancel::default()
    }

    /// Makes the sync given this flag stop at its next step (between requests, or while it
    /// waits to retry); that `run` then fails with `Cancelled`. Returns at once, from any
    /// thread; what the server acknowledged stays acknowledged. Calling it again does nothing.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether `cancel` was called on this flag.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

/// Login, sync, its status and its background service.
#[derive(uniffi::Object)]
pub struct OffgridSync {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Login, sync, its status and its background service.
    pub fn sync(self: Arc<Self>) -> Arc<OffgridSync> {
        Arc::new(OffgridSync { owner: self })
    }
}

impl OffgridSync {
    /// The open store, or `Closed`.
    fn store(&self) -> Result<Arc<offgrid_core::Store>> {
        self.owner.store()
    }

    pub(crate) fn owner(&self) -> &Arc<OffgridStore> {
        &self.owner
    }
}

#[uniffi::export]
impl OffgridSync {
    /// Logs in (online, once): saves the token and account in the database and makes the
    /// account the current user, with the roles the server gives.
    pub fn login(
        &self,
        server_url: String,
        user: String,
        password: String,
        device: String,
    ) -> Result<Account> {
        Ok(sync::login(
            &*self.store()?,
            &server_url,
            &user,
            &password,
            &device,
        )?)
    }

    /// Allows (or forbids again) plain `http://` to a server off this device — a closed test
    /// network only. Without it `login` and `run` refuse such a server (`InvalidArgument`);
    /// `https://` and loopback always work.
    pub fn set_insecure_http_allowed(&self, allowed: bool) -> Result<()> {
        Ok(self.store()?.set_insecure_http_allowed(allowed)?)
    }

    /// Pushes, pulls and transfers photos until everything is exchanged; retries transient
    /// failures with backoff. `complete` in the report means every record and photo is on the
    /// server.
    pub fn run(
        &self,
        listener: Option<Arc<dyn SyncProgressListener>>,
        cancel: Option<Arc<SyncCancel>>,
    ) -> Result<SyncReport> {
        let flag = cancel.map(|c| c.flag.clone()).unwrap_or_default();
        let mut report = |p: &SyncProgress| {
            if let Some(l) = &listener {
                // A throwing listener must not fail the sync.
                let _ = catch_unwind(AssertUnwindSafe(|| l.on_progress(p.clone())));
            }
        };
        Ok(sync::sync(
            &*self.store()?,
            &SyncOptions::default(),
            &mut report,
            flag,
        )?)
    }

    /// Last success, pending records and photos, last error: no network.
    pub fn status(&self) -> Result<SyncStatus> {
        Ok(self.store()?.sync_status()?)
    }

    /// Compares every record with the server and marks what to send or pull again (after a
    /// server restore); the next `sync` repairs it. Nothing on the device is deleted.
    pub fn reconcile(&self) -> Result<()> {
        sync::reconcile(&*self.store()?, Arc::new(AtomicBool::new(false)))?;
        Ok(())
    }

    /// Forgets the token; records and sync state stay on the device.
    pub fn sign_out(&self) -> Result<()> {
        Ok(self.store()?.clear_sync_account()?)
    }
}
