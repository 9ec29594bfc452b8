//! Inspections: answers as stored ([`AnswerData`]), how they count ([`answer`],
//! [`progress`]), the lifecycle's events and status fold ([`lifecycle`]) and the write policy
//! ([`rules`]).
//!
//! Document layout (kind `inspection`): root `title`, `project`, `site`, `template`
//! {id, version, hash}; genesis maps `answers` (one map per template item, each with its own
//! `photos` map), `photos`, `notes`, `signatures`, `events`.

pub mod answer;
pub mod lifecycle;
pub mod progress;
pub mod rules;

use std::collections::BTreeMap;

use automerge::{Automerge, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub use lifecycle::{InspectionEvent, InspectionEventKind, InspectionStatus};
pub use progress::{FailedItem, Missing, MissingKind, Progress};

/// One item's answer as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerData {
    #[serde(default)]
    pub value: Option<Json>,
    #[serde(default)]
    pub note: Option<String>,
    /// Photo references by SHA-256.
    #[serde(default)]
    pub photos: BTreeMap<String, PhotoRef>,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    pub sha256: String,
    pub by: String,
    pub at_ms: i64,
    /// For hazards: "found" or "rectification" (absent on references made by hash only).
    #[serde(default)]
    pub stage: Option<String>,
}

/// The status alone, cheaply (for the list projection): the events map and the `started` map.
pub fn status_of(doc: &Automerge) -> InspectionStatus {
    let events: Vec<InspectionEvent> = crate::doc::events::read(doc);
    let any_answer =
        get_obj(doc, &automerge::ROOT, "started").is_some_and(|(_, m)| doc.length(&m) > 0);
    lifecycle::fold(&events, any_answer)
}

/// The status as it was at `heads` (what the author of a change with these dependencies saw).
pub fn status_at(doc: &Automerge, heads: &[automerge::ChangeHash]) -> InspectionStatus {
    let events: Vec<InspectionEvent> = match doc.get_at(automerge::ROOT, "events", heads) {
        Ok(Some((Value::Object(_), obj))) => crate::doc::json::hydrate_at(doc, &obj, Some(heads))
            .map(|m| crate::doc::events::from_json(&m))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let any_answer = match doc.get_at(automerge::ROOT, "started", heads) {
        Ok(Some((Value::Object(_), m))) => doc.length_at(&m, heads) > 0,
        _ => false,
    };
    lifecycle::fold(&events, any_answer)
}

fn get_obj(
    doc: &Automerge,
    obj: &automerge::ObjId,
    key: &str,
) -> Option<(automerge::ObjType, automerge::ObjId)> {
    match doc.get(obj, key).ok()? {
        Some((Value::Object(t), id)) => Some((t, id)),
        _ => None,
    }
}
