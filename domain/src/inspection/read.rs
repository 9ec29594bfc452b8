//! An inspection as the app and the documents show it, read from its document: its fields,
//! answers, signatures and lifecycle events; which answers were amended after submission. The
//! progress against its template is computed where the template is at hand.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use super::{AnswerData, InspectionEvent, InspectionStatus, Progress, get_obj, lifecycle};
use crate::checklist::TemplateRef;
use crate::error::{Error, Result};
use offgrid_common::model::RecordId;

/// A signature on an inspection: who signed, when, and the size of the stored image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The signature's key in the inspection's `signatures` map.
    pub id: String,
    /// The signature item it answers, if any.
    pub item: Option<String>,
    /// The signer's name as written.
    pub name: String,
    /// The user id of who recorded the signature.
    pub user_id: String,
    /// When it was signed, UTC ms by the signing device's clock.
    pub at_ms: i64,
    /// The signing device's UTC offset in minutes east (480 in China).
    pub offset_minutes: i32,
    /// Size of the signature image in bytes (the image stays in the record).
    pub image_bytes: u64,
}

/// An inspection as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// The inspection's record id.
    pub id: RecordId,
    /// The template version it is pinned to.
    pub template: TemplateRef,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// The inspection's title.
    pub title: String,
    /// Where it stands: draft, in progress, submitted, returned, reviewed.
    pub status: InspectionStatus,
    /// Each item's answer, by item id: every item of the template, `value` `None` while unanswered.
    pub answers: HashMap<String, AnswerData>,
    /// Every signature recorded, by key.
    pub signatures: Vec<Signature>,
    /// The lifecycle events (submitted, returned, reviewed), in fold order.
    pub events: Vec<InspectionEvent>,
    /// Progress against the template: required, answered, score, failures, what is missing.
    pub progress: Progress,
    /// Items whose answer was changed on another device after (or concurrently with) the
    /// submission. Kept, and flagged for the reviewer.
    pub amendments: Vec<String>,
}

/// Reads the inspection fields from its document (progress and amendments left empty).
pub fn read(doc: &Automerge, id: &RecordId) -> Result<Inspection> {
    let root = offgrid_doc::json::hydrate(doc, &automerge::ROOT)?;
    if root["kind"] != "inspection" {
        return Err(Error::InvalidArgument(format!(
            "record {id} is not an inspection"
        )));
    }
    let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
    let template: TemplateRef = serde_json::from_value(root["template"].clone())?;
    let answers: HashMap<String, AnswerData> =
        serde_json::from_value(root["answers"].clone()).unwrap_or_default();
    let events: Vec<InspectionEvent> = offgrid_doc::events::from_json(&root["events"]);
    let any_answer = root["started"].as_object().is_some_and(|m| !m.is_empty());
    let status = lifecycle::fold(&events, any_answer);
    let signatures = root["signatures"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| Signature {
                    id: k.clone(),
                    item: v["item"].as_str().map(str::to_owned),
                    name: v["name"].as_str().unwrap_or_default().to_owned(),
                    user_id: v["user_id"].as_str().unwrap_or_default().to_owned(),
                    at_ms: v["at_ms"].as_i64().unwrap_or_default(),
                    offset_minutes: v["offset_minutes"].as_i64().unwrap_or_default() as i32,
                    image_bytes: v["image"].as_str().map_or(0, |h| h.len() as u64 / 2),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Inspection {
        id: id.clone(),
        template,
        project: text("project"),
        site: text("site"),
        title: text("title"),
        status,
        answers,
        signatures,
        events,
        progress: Progress::default(),
        amendments: Vec::new(),
    })
}

/// Items whose value or note holds a change that is not in the causal past of the (last)
/// submission: made on another device after, or concurrently with, submitting.
pub fn amended_items(doc: &Automerge) -> Result<Vec<String>> {
    let Some((_, events_obj)) = get_obj(doc, &automerge::ROOT, "events") else {
        return Ok(Vec::new());
    };
    // The last submission in fold order.
    let mut submits: Vec<(i64, String, automerge::ChangeHash)> = Vec::new();
    for key in doc.keys(&events_obj) {
        let Some((_, ev)) = get_obj(doc, &events_obj, &key) else {
            continue;
        };
        let is_submit = matches!(doc.get(&ev, "type")?, Some((Value::Scalar(s), _)) if s.as_str() == Some("submitted"));
        let at = match doc.get(&ev, "at_ms")? {
            Some((Value::Scalar(s), _)) => s.as_i64().unwrap_or(0),
            _ => 0,
        };
        if is_submit && let Some(h) = doc.hash_for_opid(&ev) {
            submits.push((at, key, h));
        }
    }
    submits.sort();
    let Some((_, _, submit)) = submits.pop() else {
        return Ok(Vec::new());
    };
    let after: HashSet<_> = doc
        .get_changes(&[submit])
        .iter()
        .map(|c| c.hash())
        .collect();
    let Some((_, answers)) = get_obj(doc, &automerge::ROOT, "answers") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for item in doc.keys(&answers) {
        let Some((_, a)) = get_obj(doc, &answers, &item) else {
            continue;
        };
        let touched = ["value", "note"].iter().any(|k| {
            doc.get_all(&a, *k)
                .unwrap_or_default()
                .iter()
                .any(|(_, op)| doc.hash_for_opid(op).is_some_and(|h| after.contains(&h)))
        });
        if touched {
            out.push(item);
        }
    }
    Ok(out)
}
