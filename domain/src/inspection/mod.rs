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
pub mod read;
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
    /// The answer, in the form its item type takes ([`answer::check`]); `None` or null: unanswered.
    #[serde(default)]
    pub value: Option<Json>,
    /// The inspector's note on the item (`None`: none).
    #[serde(default)]
    pub note: Option<String>,
    /// Photo references by SHA-256.
    #[serde(default)]
    pub photos: BTreeMap<String, PhotoRef>,
    /// The user id of who last wrote the value or note (`None`: never answered).
    #[serde(default)]
    pub by: Option<String>,
    /// When the value or note was last written, UTC ms by that device's clock (`None`: never).
    #[serde(default)]
    pub at_ms: Option<i64>,
}

/// A reference to a stored photo (an inspection item's, a hazard's), keyed by its SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    /// SHA-256 of the photo, lowercase hex: the key it is stored under.
    pub sha256: String,
    /// The user id of who attached it.
    pub by: String,
    /// When it was attached, UTC ms by the attaching device's clock.
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
