//! Change notifications for the shells: a [`ChangeListener`] implemented in Kotlin/Swift/Python
//! is told, after commits, one [`ChangeEvent`]: the topics (record kinds) and the records that
//! changed, so a shell re-queries only the screens that show them.
//!
//! Each subscription delivers on its own Rust thread (`offgrid-notify`), never on the thread
//! that wrote: a slow listener cannot stall a write, and the listener may call the store.
//! Bursts are coalesced: changes committed while the listener runs arrive in one call.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use offgrid_core::store::{ChangeEvent, Subscription};

use crate::{OffgridError, OffgridStore, Result};

/// Implemented by the shell. Called on a background thread owned by the subscription; hand UI
/// work to the main thread.
#[uniffi::export(foreign)]
pub trait ChangeListener: Send + Sync {
    /// What changed since the previous call: the kinds (topics) and the records, each once.
    fn on_change(&self, event: ChangeEvent);
}

/// Keeps a listener registered. `cancel()` (or releasing the object: Kotlin `close()`, Swift
/// `deinit`) unsubscribes it; notifications already queued are dropped.
#[derive(uniffi::Object)]
pub struct ChangeSubscription {
    inner: Mutex<Option<Subscription>>,
}

#[uniffi::export]
impl ChangeSubscription {
    /// Stops notifications; calling it again does nothing.
    pub fn cancel(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

#[uniffi::export]
impl OffgridStore {
    /// Registers `listener` until the returned subscription is cancelled or released.
    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) -> Result<Arc<ChangeSubscription>> {
        let store = self.store()?;
        let (tx, rx) = mpsc::channel::<ChangeEvent>();
        std::thread::Builder::new()
            .name("offgrid-notify".into())
            .spawn(move || deliver(&*listener, rx))
            .map_err(|e| OffgridError::Internal {
                reason: format!("cannot start the notification thread: {e}"),
            })?;
        // The sender lives in the core's subscription: cancelling drops it, which ends the thread.
        let tx = Mutex::new(tx);
        let subscription = store.subscribe(move |event| {
            let _ = tx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(event.clone());
        });
        Ok(Arc::new(ChangeSubscription {
            inner: Mutex::new(Some(subscription)),
        }))
    }
}

/// The notification thread: waits for commits, merges what queued up meanwhile, calls the
/// listener. A listener that throws is logged and kept.
fn deliver(listener: &dyn ChangeListener, rx: Receiver<ChangeEvent>) {
    while let Ok(mut event) = rx.recv() {
        while let Ok(more) = rx.try_recv() {
            event.merge(more);
        }
        if catch_unwind(AssertUnwindSafe(|| listener.on_change(event))).is_err() {
            tracing::warn!(target: "offgrid_ffi", "a change listener failed");
        }
    }
}
