//! Exchanging changes between the demo's devices the way a sync does it, record by record: take
//! the receiver's heads, send every change it lacks (causal order), apply them one by one. And
//! the check afterwards that both devices hold exactly the same records.

use std::collections::BTreeSet;

use anyhow::{Context, Result, ensure};
use offgrid_core::{Error as CoreError, ListQuery, RecordId, Store};
use serde::Serialize;

use super::Device;

/// What one direction of a sync sent.
#[derive(Serialize)]
pub struct Transfer {
    pub from: &'static str,
    pub to: &'static str,
    pub when: &'static str,
    pub records: usize,
    pub changes: usize,
    pub bytes: usize,
}

/// Sends `to` every change of every record `from` holds that `to` lacks.
pub fn transfer(from: &Device, to: &Device, when: &'static str) -> Result<Transfer> {
    let mut t = Transfer {
        from: from.label,
        to: to.label,
        when,
        records: 0,
        changes: 0,
        bytes: 0,
    };
    for record in from.store.list(&ListQuery::default())? {
        let id = &record.id;
        let theirs = heads_or_empty(&to.store, id)?;
        let changes = from.store.changes_since(id, &theirs)?;
        if changes.is_empty() {
            continue;
        }
        t.records += 1;
        for change in &changes {
            let outcome = to
                .store
                .apply_changes(id, change)
                .with_context(|| format!("device {} cannot apply a change to {id}", to.label))?;
            ensure!(
                outcome.missing_deps.is_empty(),
                "changes sent out of causal order for {id}"
            );
            t.changes += 1;
            t.bytes += change.len();
        }
    }
    Ok(t)
}

/// The record's heads, or none if `store` has never seen it.
fn heads_or_empty(store: &Store, id: &RecordId) -> Result<Vec<String>> {
    match store.heads(id) {
        Ok(heads) => Ok(heads),
        Err(CoreError::NotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Fails unless both devices list the same records with the same heads and the same JSON.
/// Returns how many records were compared.
pub fn assert_identical(a: &Device, b: &Device) -> Result<usize> {
    let ids = |d: &Device| -> Result<BTreeSet<RecordId>> {
        Ok(d.store
            .list(&ListQuery::default())?
            .into_iter()
            .map(|r| r.id)
            .collect())
    };
    let (ids_a, ids_b) = (ids(a)?, ids(b)?);
    ensure!(ids_a == ids_b, "the devices hold different records");
    for id in &ids_a {
        let sorted = |d: &Device| -> Result<Vec<String>> {
            let mut heads = d.store.heads(id)?;
            heads.sort();
            Ok(heads)
        };
        ensure!(sorted(a)? == sorted(b)?, "record {id} has different heads");
        ensure!(
            a.store.get(id)? == b.store.get(id)?,
            "record {id} differs between the devices"
        );
    }
    Ok(ids_a.len())
}
