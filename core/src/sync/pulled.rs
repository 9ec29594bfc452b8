//! Pulled records decoded ahead of the writer.
//!
//! Applying a page of pulled records is two kinds of work: decoding each document and deriving
//! its projection (automerge, CPU only), and storing it (SQLite, on the one writer connection).
//! [`Decoders`] does the first on [`DECODERS`] threads, each taking every n-th record, while the
//! writer stores the records before them in order; bounded queues keep only a few documents
//! ahead. What a decoder prepares is a shortcut the writer takes only for a record still new in
//! its transaction (see `store::received`).

use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::Scope;

use super::protocol::Pulled;
use crate::model::RecordId;
use crate::store::Store;
use crate::store::received::Received;

/// Decoding threads: with the writer, they keep two cores busy.
const DECODERS: usize = 2;
/// Records each decoder may hold ready ahead of the writer.
const AHEAD: usize = 16;

type Item = (Vec<u8>, Option<Received>);

pub(super) struct Decoders<'a> {
    pull: &'a [Pulled],
    queues: Vec<Receiver<Item>>,
}

impl<'a> Decoders<'a> {
    /// Starts decoding `pull` in `scope` (nothing to start for a page of one record).
    pub(super) fn spawn<'scope>(
        scope: &'scope Scope<'scope, '_>,
        store: &'scope Store,
        pull: &'a [Pulled],
    ) -> Self
    where
        'a: 'scope,
    {
        let threads = if pull.len() > 1 { DECODERS } else { 0 };
        let queues = (0..threads)
            .map(|k| {
                let (ready, queue) = sync_channel(AHEAD);
                scope.spawn(move || {
                    for p in pull.iter().skip(k).step_by(threads) {
                        let bytes = bytes_of(p);
                        let prepared = store.prepare_received(&RecordId(p.id.clone()), &bytes);
                        if ready.send((bytes, prepared)).is_err() {
                            return; // the write stopped
                        }
                    }
                });
                queue
            })
            .collect();
        Decoders { pull, queues }
    }

    /// The bytes of pulled record number `i`, with what its decoder prepared. Records must be
    /// taken in order.
    pub(super) fn take(&self, i: usize) -> Item {
        let p = &self.pull[i];
        if self.queues.is_empty() {
            return (bytes_of(p), None);
        }
        // A decoder sends one item per record it was given, in order, unless it died.
        self.queues[i % self.queues.len()]
            .recv()
            .unwrap_or_else(|_| (bytes_of(p), None))
    }
}

/// A pulled record's document and changes, as the bytes a document loads.
fn bytes_of(p: &Pulled) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(s) = &p.snapshot {
        bytes.extend_from_slice(&s.0);
    }
    for c in &p.changes {
        bytes.extend_from_slice(&c.0);
    }
    bytes
}
