//! Who changed what, when: one entry per change, in causal order, with the paths it touched
//! (computed by diffing the change against its dependencies).

use std::collections::BTreeSet;

use automerge::{AutoCommit, PatchAction};
use serde::{Deserialize, Serialize};

use super::meta::ChangeMeta;
use super::path::{format, prop_segment};
use crate::error::Result;

/// One change of a record, as its history lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change's hash, hex.
    pub change: String,
    /// Hashes of the changes it was made on top of (its dependencies), hex.
    pub deps: Vec<String>,
    /// The automerge actor that made it (one per install, not per user), hex.
    pub actor: String,
    /// Its number among that actor's changes, from 1.
    pub seq: u64,
    /// The writing device's clock (UTC ms) and offset: what it said, even if wrong.
    pub time_ms: i64,
    /// The writing device's UTC offset in minutes east, from the change's metadata.
    pub offset_minutes: i32,
    /// The user id the change's metadata names: what it claims (see `verified_by`); `None` for
    /// a change without Offgrid metadata.
    pub user_id: Option<String>,
    /// The user's display name at the time of the change, from its metadata.
    pub user_name: Option<String>,
    /// What the change did (e.g. `create hazard`); the whole message of a change from another
    /// tool.
    pub message: String,
    /// JSON pointers of the fields this change set, inserted into or deleted.
    pub paths: Vec<String>,
    /// When the sync server received the change (UTC ms), once known.
    pub received_ms: Option<i64>,
    /// The account the server verified as the change's pusher (`None`: not yet confirmed by
    /// the server; `user_id` is only what the change says).
    pub verified_by: Option<String>,
    /// The server found the change stamped after it received it (`clock_ahead`).
    pub clock_ahead: bool,
}

/// Every change of `doc` in causal order, with the paths each touched. The server's receipts
/// (`received_ms`, `verified_by`, `clock_ahead`) are left unset for the caller to fill in.
pub fn history(doc: &mut AutoCommit) -> Result<Vec<HistoryEntry>> {
    let metas: Vec<_> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| m.into_owned())
        .collect();
    let mut out = Vec::with_capacity(metas.len());
    for m in metas {
        let mut paths = BTreeSet::new();
        for patch in doc.diff(&m.deps, &[m.hash]) {
            let mut segs: Vec<String> = patch.path.iter().map(|(_, p)| prop_segment(p)).collect();
            match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    segs.push(key.clone())
                }
                PatchAction::PutSeq { index, .. }
                | PatchAction::Insert { index, .. }
                | PatchAction::DeleteSeq { index, .. } => segs.push(index.to_string()),
                PatchAction::Increment { prop, .. } | PatchAction::Conflict { prop } => {
                    segs.push(prop_segment(prop))
                }
                _ => {}
            }
            paths.insert(format(&segs));
        }
        let meta = ChangeMeta::decode(m.message.as_deref());
        out.push(HistoryEntry {
            change: m.hash.to_string(),
            deps: m.deps.iter().map(|d| d.to_string()).collect(),
            actor: m.actor.to_hex_string(),
            seq: m.seq,
            time_ms: m.timestamp,
            offset_minutes: meta.offset_minutes,
            user_id: meta.user_id,
            user_name: meta.user_name,
            message: meta.message,
            paths: paths.into_iter().collect(),
            received_ms: None,
            verified_by: None,
            clock_ahead: false,
        });
    }
    Ok(out)
}
