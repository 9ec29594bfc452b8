//! Change notifications: subscribers are told which records changed after each commit, outside
//! every store lock (so a subscriber may read the store).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::model::RecordId;

pub type Listener = Arc<dyn Fn(&[RecordId]) + Send + Sync>;

#[derive(Default)]
pub struct Notifier {
    listeners: Mutex<Vec<(u64, Listener)>>,
    next: AtomicU64,
}

impl Notifier {
    pub fn subscribe(self: &Arc<Self>, listener: Listener) -> Subscription {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).push((id, listener));
        Subscription {
            notifier: Arc::downgrade(self),
            id,
        }
    }

    pub fn notify(&self, changed: &[RecordId]) {
        if changed.is_empty() {
            return;
        }
        let listeners: Vec<Listener> = lock(&self.listeners)
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            l(changed);
        }
    }
}

/// Keeps a listener registered; dropping it (or calling [`Subscription::cancel`]) unsubscribes.
pub struct Subscription {
    notifier: Weak<Notifier>,
    id: u64,
}

impl Subscription {
    pub fn cancel(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(n) = self.notifier.upgrade() {
            lock(&n.listeners).retain(|(id, _)| *id != self.id);
        }
    }
}

/// Locks a mutex, recovering the data if a previous holder panicked (the data is a plain list).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
