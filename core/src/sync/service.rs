//! The sync service (issue 14): what the shells run from their background job instead of
//! calling [`super::sync`] themselves. It owns the state a sync screen shows (idle, syncing with
//! progress, offline, needs login, error — with when it will try again), the backoff after
//! failures, and cancelling; observers hear every state. The shells decide only *when* their
//! job runs (network constraint, periodic, "sync now"); [`SyncService::due`] says whether a
//! periodic run should sync or wait for the backoff.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::client::{SyncOptions, SyncProgress};
use crate::error::Error;
use crate::store::Store;

/// First wait after a failure; doubled after each further failure up to [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: i64 = 30_000;
/// The longest wait after failures: 30 minutes.
pub const MAX_BACKOFF_MS: i64 = 30 * 60_000;

/// What the sync screen and the status bar show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum SyncState {
    /// Nothing running. `complete`: the last sync left nothing pending.
    Idle {
        /// When a sync last ended complete, UTC ms by the device's system clock (`None`: never).
        last_success_ms: Option<i64>,
        /// Records with changes the server has not acknowledged.
        pending_records: u64,
        /// Photos referenced by this device's records that the server has not verified.
        pending_photos: u64,
        /// The last sync left nothing pending ([`super::SyncReport::complete`]); `false` after
        /// a cancelled one.
        complete: bool,
    },
    /// A sync is running.
    Syncing {
        /// What it has done so far.
        progress: SyncProgress,
    },
    /// The server could not be reached; tries again from `retry_at_ms`.
    Offline {
        /// What failed, in words.
        message: String,
        /// Failures in a row, this one included.
        failures: u32,
        /// When the next periodic run may sync, UTC ms by the store's clock.
        retry_at_ms: i64,
    },
    /// Not signed in, or the server refused the token (revoked: a lost phone reported).
    NeedsLogin {
        /// Why, in words.
        message: String,
    },
    /// The last sync failed for another reason than the network or the login (the server
    /// refused it, or something on the device failed); tries again from `retry_at_ms`.
    Error {
        /// What failed, in words.
        message: String,
        /// Failures in a row, this one included.
        failures: u32,
        /// When the next periodic run may sync, UTC ms by the store's clock.
        retry_at_ms: i64,
    },
}

type Observer = Box<dyn Fn(&SyncState) + Send + Sync>;

/// One per store: runs syncs one at a time and keeps their state.
pub struct SyncService {
    options: SyncOptions,
    state: Mutex<SyncState>,
    failures: Mutex<u32>,
    running: Mutex<()>,
    cancel: Mutex<Arc<AtomicBool>>,
    observers: Mutex<Vec<(u64, Observer)>>,
    next_observer: Mutex<u64>,
}

impl SyncService {
    /// A service that syncs with `options`, idle, with no observers.
    pub fn new(options: SyncOptions) -> SyncService {
        SyncService {
            options,
            state: Mutex::new(SyncState::Idle {
                last_success_ms: None,
                pending_records: 0,
                pending_photos: 0,
                complete: false,
            }),
            failures: Mutex::new(0),
            running: Mutex::new(()),
            cancel: Mutex::new(Arc::new(AtomicBool::new(false))),
            observers: Mutex::new(Vec::new()),
            next_observer: Mutex::new(0),
        }
    }

    /// The current state.
    pub fn state(&self) -> SyncState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Calls `f` with every new state until [`SyncService::unobserve`] with the returned id.
    pub fn observe(&self, f: impl Fn(&SyncState) + Send + Sync + 'static) -> u64 {
        let mut next = self.next_observer.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        self.observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((*next, Box::new(f)));
        *next
    }

    /// Stops calling the observer `id` (from [`SyncService::observe`]); an unknown id is ignored.
    pub fn unobserve(&self, id: u64) {
        self.observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(i, _)| *i != id);
    }

    /// Whether a periodic run at `now_ms` should sync (not while waiting out a backoff).
    pub fn due(&self, now_ms: i64) -> bool {
        match self.state() {
            SyncState::Offline { retry_at_ms, .. } | SyncState::Error { retry_at_ms, .. } => {
                now_ms >= retry_at_ms
            }
            SyncState::Syncing { .. } => false,
            _ => true,
        }
    }

    /// Cancels the sync running now, if any (what was acknowledged stays acknowledged).
    pub fn cancel(&self) {
        self.cancel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .store(true, Ordering::Relaxed);
    }

    /// Syncs now (one at a time: a second caller waits for the first) and returns the state it
    /// ends in. Failures are states, not errors: the shell's job reads `retry_at_ms`.
    pub fn sync(&self, store: &Store) -> SyncState {
        let _one = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let cancel = Arc::new(AtomicBool::new(false));
        *self.cancel.lock().unwrap_or_else(|e| e.into_inner()) = cancel.clone();
        self.set(SyncState::Syncing {
            progress: SyncProgress::default(),
        });
        let result = super::sync(
            store,
            &self.options,
            &mut |p| {
                self.set(SyncState::Syncing {
                    progress: p.clone(),
                })
            },
            cancel,
        );
        let now = store.now().unix_ms;
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let state = match result {
            Ok(report) => {
                *failures = 0;
                let status = store.sync_status().ok();
                SyncState::Idle {
                    last_success_ms: status.and_then(|s| s.last_success_ms),
                    pending_records: report.pending_records,
                    pending_photos: report.pending_photos,
                    complete: report.complete,
                }
            }
            Err(Error::Cancelled) => {
                let status = store.sync_status().ok();
                SyncState::Idle {
                    last_success_ms: status.as_ref().and_then(|s| s.last_success_ms),
                    pending_records: status.as_ref().map_or(0, |s| s.pending_records),
                    pending_photos: status.as_ref().map_or(0, |s| s.pending_photos),
                    complete: false,
                }
            }
            Err(e @ (Error::NotSignedIn | Error::Unauthorized(_) | Error::TokenRevoked)) => {
                *failures = 0;
                SyncState::NeedsLogin {
                    message: e.to_string(),
                }
            }
            Err(e) => {
                *failures += 1;
                let retry_at_ms = now + backoff_ms(*failures);
                let message = e.to_string();
                match e {
                    Error::Network(_) => SyncState::Offline {
                        message,
                        failures: *failures,
                        retry_at_ms,
                    },
                    _ => SyncState::Error {
                        message,
                        failures: *failures,
                        retry_at_ms,
                    },
                }
            }
        };
        drop(failures);
        self.set(state.clone());
        state
    }

    fn set(&self, state: SyncState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state.clone();
        for (_, f) in self
            .observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            f(&state);
        }
    }
}

/// The wait after the `failures`th failure in a row: 30 s, 1, 2, 4 … min, at most 30 min.
pub fn backoff_ms(failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF_MS << doublings).min(MAX_BACKOFF_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_half_an_hour() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(3), 120_000);
        assert_eq!(backoff_ms(7), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
