//! Change notifications: subscribers are told, after each commit and outside every store lock
//! (so a subscriber may read the store), one [`ChangeEvent`]: the topics (record kinds) and the
//! records that changed, so a shell re-queries only the screens that show them.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::model::{RecordId, RecordKind};

/// What one commit (or, coalesced, several) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeEvent {
    /// The kinds of the records that changed, each once, in [`RecordKind::ALL`] order: a list
    /// screen refreshes when its kind is here.
    pub topics: Vec<RecordKind>,
    /// The records that changed, each once, sorted: a detail screen refreshes when its record
    /// is here.
    pub records: Vec<RecordId>,
}

impl ChangeEvent {
    /// The event of `changed` records (with their kinds where known; repeats allowed).
    pub(crate) fn of(changed: &[(RecordId, Option<RecordKind>)]) -> Self {
        let records: BTreeSet<&RecordId> = changed.iter().map(|(id, _)| id).collect();
        ChangeEvent {
            topics: in_order(changed.iter().filter_map(|(_, kind)| *kind)),
            records: records.into_iter().cloned().collect(),
        }
    }

    /// Folds `other` into this event (notifications that queued up while a listener ran).
    pub fn merge(&mut self, other: ChangeEvent) {
        let records: BTreeSet<RecordId> = self.records.drain(..).chain(other.records).collect();
        self.records = records.into_iter().collect();
        self.topics = in_order(self.topics.drain(..).chain(other.topics));
    }

    /// Whether nothing changed (no record).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// `kinds` each once, in [`RecordKind::ALL`] order.
fn in_order(kinds: impl Iterator<Item = RecordKind>) -> Vec<RecordKind> {
    let seen: Vec<RecordKind> = kinds.collect();
    RecordKind::ALL
        .into_iter()
        .filter(|k| seen.contains(k))
        .collect()
}

/// A subscriber: called with each [`ChangeEvent`], on the thread that committed.
pub(crate) type Listener = Arc<dyn Fn(&ChangeEvent) + Send + Sync>;

/// The store's subscribers, told after each commit what changed.
#[derive(Default)]
pub(crate) struct Notifier {
    listeners: Mutex<Vec<(u64, Listener)>>,
    next: AtomicU64,
}

impl Notifier {
    /// Registers `listener` until the returned [`Subscription`] is dropped.
    pub(crate) fn subscribe(self: &Arc<Self>, listener: Listener) -> Subscription {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).push((id, listener));
        Subscription {
            notifier: Arc::downgrade(self),
            id,
        }
    }

    /// Calls every listener with `changed`, on this thread; an empty event is not sent.
    pub(crate) fn notify(&self, changed: &ChangeEvent) {
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
    /// Unsubscribes now (as dropping it does).
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
