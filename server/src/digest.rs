//! What a device should hold of a scope once its cursor reaches the end of the scope's feed
//! (issue 28): how many records and a checksum of their ids with their heads
//! ([`ScopeDigest`]), sent with the pull that catches the device up. A device whose own
//! digest differs has missed something and asks for it, instead of calling its sync complete.
//!
//! A scope's records change heads only with entries in its feed, in the same transaction, so a
//! digest computed at feed position `head` stays true until the feed moves: [`DigestCache`]
//! keeps one per scope (and per reach, for the organisation scope) and reads the records again
//! only when the feed has moved. Several processes each keep their own, all computed from the
//! database.

use std::collections::HashMap;
use std::sync::Mutex;

use offgrid_protocol::{DigestBuilder, ScopeDigest};

use crate::backend::Tx;
use crate::error::Result;

/// Records read per query while computing a digest.
const PAGE: usize = 500;
/// Scopes kept; past this the cache starts over (a digest is cheap to compute again).
const MAX_SCOPES: usize = 4096;

/// Digests by scope key, with the feed position they were computed at.
#[derive(Default)]
pub struct DigestCache {
    inner: Mutex<HashMap<String, (i64, ScopeDigest)>>,
}

impl DigestCache {
    /// The digest of `project`'s records that `reads` admits, at feed position `head` (read
    /// in `tx`). `key` names the scope and whatever decides `reads` (the reach, for the
    /// organisation scope).
    pub fn digest(
        &self,
        tx: &mut dyn Tx,
        key: &str,
        project: &str,
        head: i64,
        reads: &dyn Fn(&str) -> bool,
    ) -> Result<ScopeDigest> {
        if let Some((at, d)) = self.lock().get(key)
            && *at == head
        {
            return Ok(d.clone());
        }
        let d = compute(tx, project, reads)?;
        let mut inner = self.lock();
        if inner.len() >= MAX_SCOPES {
            inner.clear();
        }
        inner.insert(key.to_owned(), (head, d.clone()));
        Ok(d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, ScopeDigest)>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads every record of `project` (in id order, a page at a time) into a digest.
pub fn compute(
    tx: &mut dyn Tx,
    project: &str,
    reads: &dyn Fn(&str) -> bool,
) -> Result<ScopeDigest> {
    let mut b = DigestBuilder::default();
    let mut after = String::new();
    loop {
        let rows = tx.records_after(project, &after, PAGE)?;
        let n = rows.len();
        for r in &rows {
            if reads(&r.id) {
                b.add(&r.id, r.heads.iter().map(String::as_str));
            }
        }
        match rows.into_iter().last() {
            Some(last) if n == PAGE => after = last.id,
            _ => break,
        }
    }
    Ok(b.finish())
}
