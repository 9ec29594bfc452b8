//! Who reads the organisation's reference data (ADR 0007). Grid cells and sites live in one
//! scope, [`ORG`], with one feed; each account reads only some of its records:
//! - members of `org` (any role) read all of it: the office;
//! - a grid member reads the cells they belong to and everything under them (sub-cells and
//!   their sites);
//! - a project's members read the sites linked to the project.
//!
//! The readers of each record come from its kind ([`offgrid_domain::record::KindRules::readers`]),
//! derived from its document. [`OrgIndex`] keeps them for every record of the scope, refreshed
//! from the feed (so several server processes sharing one PostgreSQL database agree).
//!
//! Pulling the scope: while bootstrapping, the readable records one by one; then, for each
//! feed entry after the cursor, the **whole** record if it is readable (a site moved into the
//! reader's cell arrives with its history, not as a change whose past the device lacks). The
//! cursor carries a digest of what grants the account its reading (its member cells, its
//! projects, an `org` role); when that changes, the scope is pulled again from the start.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use automerge::{Automerge, Change};
use offgrid_domain::record::Readers;
use sha2::{Digest, Sha256};

pub use offgrid_domain::grid::ORG;

use crate::accounts::Caller;
use crate::backend::Tx;
use crate::error::Result;

const PAGE: usize = 512;
/// Deepest parent chain followed (the grid has five levels; a cycle cannot loop forever).
const MAX_DEPTH: usize = 16;

/// The readers of every record of the organisation scope, as of feed position `seq`.
#[derive(Default)]
pub struct OrgIndex {
    /// Shared with the requests reading it; copied only when the feed moved on.
    inner: Mutex<Arc<Index>>,
}

/// The readers of every record of the organisation scope as of one feed position (held by
/// [`OrgIndex`]).
#[derive(Clone, Default)]
pub struct Index {
    seq: i64,
    readers: HashMap<String, Readers>,
}

impl OrgIndex {
    /// The index brought up to the feed's head, inside `tx`.
    pub fn current(&self, tx: &mut dyn Tx) -> Result<Arc<Index>> {
        let mut shared = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let head = tx.feed_head(ORG)?;
        if head == shared.seq {
            return Ok(shared.clone());
        }
        let inner = Arc::make_mut(&mut shared);
        if head < inner.seq {
            // The database was restored from an older backup: start over.
            *inner = Index::default();
        }
        while inner.seq < head {
            let rows = tx.feed_after(ORG, inner.seq, PAGE)?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let touched: BTreeSet<(String, String)> =
                rows.into_iter().map(|r| (r.record, r.kind)).collect();
            for (id, kind) in touched {
                match readers_of(tx, &id, &kind)? {
                    Some(r) => inner.readers.insert(id, r),
                    None => inner.readers.remove(&id),
                };
            }
            inner.seq = last;
        }
        Ok(shared.clone())
    }
}

/// The record's readers from its stored document (`None`: the kind names none, or it does not
/// load, so only the scope's members read it).
fn readers_of(tx: &mut dyn Tx, id: &str, kind: &str) -> Result<Option<Readers>> {
    let Ok(kind) = kind.parse::<offgrid_common::model::RecordKind>() else {
        return Ok(None);
    };
    let changes: Vec<Change> = tx
        .applied_changes(id)?
        .into_iter()
        .filter_map(|(data, _, _)| Change::from_bytes(data).ok())
        .collect();
    let mut doc = Automerge::new();
    let loaded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(changes)));
    if !matches!(loaded, Ok(Ok(()))) {
        tracing::error!(record = %id, "stored changes do not load");
        return Ok(None);
    }
    Ok(offgrid_domain::record::rules(kind).readers(&doc))
}

/// What one account reads of the scope.
pub struct Reach<'a> {
    index: &'a Index,
    user: &'a str,
    all: bool,
    projects: BTreeSet<&'a str>,
}

impl Index {
    /// What `caller` reads of the scope: everything with a role on it, else what the readers of
    /// each record (or of its parents) grant the account or its projects.
    pub fn reach<'a>(&'a self, caller: &'a Caller) -> Reach<'a> {
        Reach {
            index: self,
            user: &caller.user_id,
            all: caller.role(ORG).is_some(),
            projects: caller
                .roles
                .iter()
                .map(|r| r.project.as_str())
                .filter(|p| *p != ORG)
                .collect(),
        }
    }
}

impl Reach<'_> {
    /// Whether the account reads record `id` of the scope.
    pub fn reads(&self, id: &str) -> bool {
        if self.all {
            return true;
        }
        let mut at = id;
        for _ in 0..MAX_DEPTH {
            let Some(r) = self.index.readers.get(at) else {
                return false;
            };
            if r.everyone
                || r.members.iter().any(|m| m == self.user)
                || r.projects
                    .iter()
                    .any(|p| self.projects.contains(p.as_str()))
            {
                return true;
            }
            match &r.parent {
                Some(p) => at = p,
                None => return false,
            }
        }
        false
    }

    /// A digest of what grants this reach: the cells the account is a member of, its
    /// projects, and whether it reads everything. Part of the scope's cursor.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(if self.all {
            b"all\n" as &[u8]
        } else {
            b"some\n"
        });
        let mut cells: Vec<&str> = self
            .index
            .readers
            .iter()
            .filter(|(_, r)| r.members.iter().any(|m| m == self.user))
            .map(|(id, _)| id.as_str())
            .collect();
        cells.sort_unstable();
        for c in cells {
            h.update(b"c:");
            h.update(c.as_bytes());
            h.update(b"\n");
        }
        for p in &self.projects {
            h.update(b"p:");
            h.update(p.as_bytes());
            h.update(b"\n");
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
