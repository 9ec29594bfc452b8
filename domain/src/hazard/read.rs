//! A hazard as the app and the documents show it, read from its document: its fields, its
//! photos, every event and the state folded from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::{self, HazardEvent, HazardState};
use crate::checklist::Clause;
use crate::error::{Error, Result};
use crate::inspection::PhotoRef;
use offgrid_common::model::RecordId;

/// Where a hazard came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardSource {
    /// The inspection the failed item is in.
    pub inspection: RecordId,
    /// The failed item's id in that inspection's template.
    pub item: String,
    /// The clause of the standard the item checks, if it names one.
    #[serde(default)]
    pub clause: Option<Clause>,
}

/// A hazard as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// The hazard's record id.
    pub id: RecordId,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// 部位: where exactly.
    pub location: String,
    /// The hazard's title.
    pub title: String,
    /// What is wrong, as described when raised.
    pub description: String,
    /// The inspection item it was raised from; `None` when raised on its own (or from a patrol
    /// observation).
    pub source: Option<HazardSource>,
    /// Its photos, keyed by SHA-256: as found and as rectified ([`PhotoRef::stage`] tells which).
    pub photos: BTreeMap<String, PhotoRef>,
    /// Every event, in fold order, including those not applied.
    pub events: Vec<HazardEvent>,
    /// The state folded from the events: status, grade, major, the order and its deadline.
    pub state: HazardState,
    /// Overdue at the store clock's "now".
    pub overdue: bool,
}

/// A hazard as its document holds it; `verified_by` of each event is the change that recorded
/// it until the store looks up its pusher (`verify_event_authors`).
/// `now`: UTC ms, for whether it is overdue.
pub fn hazard_of(id: &RecordId, doc: &automerge::Automerge, now: i64) -> Result<Hazard> {
    let root = offgrid_doc::json::hydrate(doc, &automerge::ROOT)?;
    if root["kind"] != "hazard" {
        return Err(Error::InvalidArgument(format!(
            "record {id} is not a hazard"
        )));
    }
    let events: Vec<HazardEvent> = offgrid_doc::events::from_json(&root["events"]);
    let state = events::fold(&events);
    let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
    Ok(Hazard {
        id: id.clone(),
        project: text("project"),
        site: text("site"),
        location: text("location"),
        title: text("title"),
        description: text("description"),
        source: serde_json::from_value(root["source"].clone()).ok(),
        photos: serde_json::from_value(root["photos"].clone()).unwrap_or_default(),
        overdue: events::is_overdue(&state, now),
        events: events
            .into_iter()
            .map(|e| HazardEvent {
                // Which change recorded it (for its verified author, below).
                verified_by: offgrid_doc::events::change_of(doc, &e.id),
                clock_ahead: false,
                ..e
            })
            .collect(),
        state,
    })
}
