//! Hazards (隐患): one record each, raised from a failed inspection item (linking inspection,
//! item and clause) or on their own, followed through the closed loop in [`events`] until
//! closed or written off. The register (台账) lists and counts them from the projection tables.
//!
//! Document layout (kind `hazard`): root `title`, `description`, `location`, `site`, `project`,
//! `source` {inspection, item, clause}; genesis maps `photos` (by SHA-256), `notes`, `events`.

pub mod register;

pub use offgrid_domain::hazard::{actions, events, rules, state_of};

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

pub use actions::HazardAction;
pub use events::{HazardEvent, HazardEventKind, HazardState, HazardStatus};
pub use offgrid_domain::hazard::read::{Hazard, HazardSource, hazard_of};
pub use register::{Register, RegisterQuery};

use crate::error::{Error, Result};
use crate::fields::{Checks, FieldProblem, NAME_MAX, TEXT_MAX, TITLE_MAX};
use crate::model::{RecordId, RecordKind, RiskGrade, Timestamp, User};
use crate::store::Store;

/// A hazard to raise: what was found and where. A title or a description is required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewHazard {
    /// The project it belongs to (required).
    pub project: String,
    /// The site as written, e.g. "人防工程 A".
    pub site: String,
    /// 部位: where exactly.
    pub location: String,
    /// A short title (for an item's failure, the item's text).
    pub title: String,
    /// What is wrong, in the inspector's words.
    pub description: String,
    /// A grade known at once (e.g. the failed item's default); else graded later.
    pub grade: Option<RiskGrade>,
    /// Raise it as a major hazard (重大隐患); a red grade makes it major anyway.
    pub major: bool,
    /// Photos of the hazard as found (SHA-256).
    pub photos: Vec<String>,
}

/// A rectification order (下达整改).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RectificationOrder {
    /// 责任单位.
    pub unit: String,
    /// 责任人: user id, and the name as shown.
    pub person: String,
    /// The responsible person's display name, as the order records it.
    pub person_name: String,
    /// 期限, UTC ms.
    pub deadline_ms: i64,
    /// 措施.
    pub measures: String,
}

impl Store {
    /// Raises a hazard on its own (e.g. during a patrol).
    pub fn raise_hazard(&self, new: &NewHazard) -> Result<RecordId> {
        self.create_hazard(new, None)
    }

    /// Raises a hazard from a failed item of an inspection: links the inspection, the item and
    /// its clause; the grade defaults to the item's `raises_hazard`.
    pub fn raise_hazard_from_item(
        &self,
        inspection: &RecordId,
        item_id: &str,
        location: &str,
        description: &str,
    ) -> Result<RecordId> {
        let ins = self.inspection(inspection)?;
        let failed = ins
            .progress
            .failed
            .iter()
            .find(|f| f.item == item_id)
            .ok_or_else(|| Error::InvalidState {
                action: format!("raise a hazard from {item_id}"),
                state: "the item has not failed".into(),
            })?;
        let template = self.template(&ins.template.id, ins.template.version)?;
        let item = template.item(item_id).ok_or_else(|| Error::UnknownItem {
            item: item_id.into(),
        })?;
        let photos = ins
            .answers
            .get(item_id)
            .map(|a| a.photos.keys().cloned().collect())
            .unwrap_or_default();
        let new = NewHazard {
            project: ins.project.clone(),
            site: ins.site.clone(),
            location: location.to_owned(),
            title: item.text.zh.clone(),
            description: description.to_owned(),
            grade: failed.raises_hazard,
            major: failed.raises_hazard == Some(RiskGrade::Red),
            photos,
        };
        let source = HazardSource {
            inspection: inspection.clone(),
            item: item_id.to_owned(),
            clause: failed.clause.clone(),
        };
        self.create_hazard(&new, Some(source))
    }

    /// Raises many hazards in one transaction (imports, patrol results entered in bulk).
    pub fn raise_hazards(&self, hazards: &[NewHazard]) -> Result<Vec<RecordId>> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let fields = hazards
            .iter()
            .map(|new| hazard_fields(new, None, &user, now))
            .collect::<Result<Vec<_>>>()?;
        self.write(|w| {
            fields
                .iter()
                .map(|f| {
                    w.require_photos(None, &cited_photos(f))?;
                    w.create(RecordKind::Hazard, f)
                })
                .collect()
        })
    }

    /// Raises a hazard. Its photos (SHA-256) are ones this device holds, or, raised from an
    /// inspection item, ones the inspection carries ([`Error::PhotoNotHeld`] otherwise).
    fn create_hazard(&self, new: &NewHazard, source: Option<HazardSource>) -> Result<RecordId> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let from = source.as_ref().map(|s| s.inspection.clone());
        let fields = hazard_fields(new, source, &user, self.now())?;
        self.write(|w| {
            w.require_photos(from.as_ref(), &cited_photos(&fields))?;
            w.create(RecordKind::Hazard, &fields)
        })
    }

    /// The hazard with its folded state, overdue at the store's clock.
    pub fn hazard(&self, id: &RecordId) -> Result<Hazard> {
        let now = self.now().unix_ms;
        let mut hazard = self.read(id, |doc| Ok(hazard_of(id, doc, now)?))?;
        self.verify_event_authors(&mut hazard)?;
        Ok(hazard)
    }

    /// Several hazards with the heads each was read at, read in bulk (`Store::read_many`: no
    /// cache, a few threads), in the order of `ids`.
    #[cfg_attr(not(feature = "documents"), allow(dead_code))]
    pub(crate) fn hazards_with_heads(
        &self,
        ids: &[RecordId],
    ) -> Result<Vec<(Hazard, Vec<String>)>> {
        let now = self.now().unix_ms;
        let mut out = self.read_many(ids, |id, doc| {
            let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
            heads.sort();
            Ok((hazard_of(id, doc, now)?, heads))
        })?;
        for (h, _) in &mut out {
            self.verify_event_authors(h)?;
        }
        Ok(out)
    }

    /// Replaces each event's change hash with the account the server verified as its pusher.
    fn verify_event_authors(&self, hazard: &mut Hazard) -> Result<()> {
        let receipts = self.sync_receipts(&hazard.id)?;
        for e in &mut hazard.events {
            let receipt = e
                .verified_by
                .take()
                .and_then(|change| receipts.get(&change));
            e.verified_by = receipt.and_then(|r| r.received_by.clone());
            e.clock_ahead = receipt.is_some_and(crate::store::Receipt::clock_ahead);
        }
        Ok(())
    }

    /// 评估分级: grades the hazard (`major`: a major hazard, 重大隐患; red makes it major
    /// anyway), with an optional note.
    pub fn grade_hazard(
        &self,
        id: &RecordId,
        grade: RiskGrade,
        major: bool,
        note: Option<&str>,
    ) -> Result<()> {
        self.hazard_event(id, HazardEventKind::Graded { grade, major }, note)
    }

    /// Orders the rectification: the unit, the person and the measures are required
    /// ([`check_order`]).
    pub fn order_rectification(&self, id: &RecordId, order: &RectificationOrder) -> Result<()> {
        check_order(order).finish()?;
        let kind = HazardEventKind::RectificationOrdered {
            unit: order.unit.clone(),
            person: order.person.clone(),
            person_name: order.person_name.clone(),
            deadline_ms: order.deadline_ms,
            measures: order.measures.clone(),
        };
        self.hazard_event(id, kind, None)
    }

    /// The rectifier reports the work done, with after-photos as evidence: each one attached
    /// to this hazard first (`add_photo` with `PhotoTarget::Hazard { rectification: true }`,
    /// on this device or another), cited here by its SHA-256. A hash with no photo behind it
    /// is refused: the evidence would be missing everywhere.
    pub fn submit_rectification(&self, id: &RecordId, note: &str, photos: &[String]) -> Result<()> {
        if photos.is_empty() {
            return Err(Error::InvalidArgument(
                "a rectification needs photos of the result".into(),
            ));
        }
        let kind = HazardEventKind::RectificationSubmitted {
            photos: photos
                .iter()
                .map(|p| crate::doc::events::photo_hash(p))
                .collect::<Result<Vec<_>, _>>()?,
        };
        self.hazard_event(id, kind, Some(note))
    }

    /// Re-inspection by someone other than who rectified: passed, or sent back (with a note).
    pub fn reinspect(&self, id: &RecordId, passed: bool, note: Option<&str>) -> Result<()> {
        if !passed && note.is_none_or(|n| n.trim().is_empty()) {
            return Err(Error::InvalidArgument(
                "sending a rectification back needs a note saying why".into(),
            ));
        }
        self.hazard_event(id, HazardEventKind::Reinspected { passed }, note)
    }

    /// 超期 / 挂牌督办: escalates the hazard one level; `note` says why.
    pub fn escalate_hazard(&self, id: &RecordId, note: &str) -> Result<()> {
        self.hazard_event(id, HazardEventKind::Escalated, Some(note))
    }

    /// 销号: closes a verified general hazard. A major hazard is closed only by a write-off.
    pub fn close_hazard(&self, id: &RecordId, note: Option<&str>) -> Result<()> {
        self.hazard_event(id, HazardEventKind::Closed, note)
    }

    /// 核销: a supervisor writes off a verified hazard (the only way to close a major one).
    pub fn write_off_hazard(&self, id: &RecordId, note: &str) -> Result<()> {
        self.hazard_event(id, HazardEventKind::WrittenOff, Some(note))
    }

    /// Records one event, load → check → write in one transaction: the write gate decides
    /// whether the user may (role, rules: `crate::hazard::rules`), then the event must fit the
    /// state the user sees, or nothing is written.
    fn hazard_event(&self, id: &RecordId, kind: HazardEventKind, note: Option<&str>) -> Result<()> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let event = HazardEvent::new(kind, &user, now, note);
        let value = serde_json::to_value(&event)?;
        self.write(|w| {
            let state = w.read(id, |doc| {
                if crate::doc::genesis::root_text(doc, "kind").as_deref() != Some("hazard") {
                    return Err(Error::InvalidArgument(format!(
                        "record {id} is not a hazard"
                    )));
                }
                Ok(state_of(doc))
            })?;
            // Order first (the state the user sees), then authority (the gate, on the write). A
            // major hazard's close fits the state but only the gate says why it is refused.
            let major_close = matches!(event.kind, HazardEventKind::Closed) && state.major;
            if !events::applies(&state, &event.kind) && !major_close {
                return Err(Error::InvalidState {
                    action: event.kind.action().into(),
                    state: state.status.as_str().into(),
                });
            }
            w.update(id, event.kind.name(), |e| {
                Ok(e.insert("/events", &event.id, &value)?)
            })?;
            Ok(())
        })
    }
}

/// The field errors of a hazard as raised: a project, a title or a description, lengths.
pub(crate) fn check_new(new: &NewHazard) -> Checks {
    let mut c = Checks::default();
    c.required("project", &new.project);
    if new.title.trim().is_empty() && new.description.trim().is_empty() {
        c.push("title", FieldProblem::Required);
    }
    c.max_chars("title", &new.title, TITLE_MAX);
    c.max_chars("location", &new.location, TITLE_MAX);
    c.max_chars("description", &new.description, TEXT_MAX);
    c
}

/// The field errors of a rectification order: the unit, the person and the measures.
pub(crate) fn check_order(order: &RectificationOrder) -> Checks {
    let mut c = Checks::default();
    c.required("unit", &order.unit);
    c.max_chars("unit", &order.unit, NAME_MAX);
    c.required("person", &order.person);
    c.max_chars("person_name", &order.person_name, NAME_MAX);
    c.required("measures", &order.measures);
    c.max_chars("measures", &order.measures, TEXT_MAX);
    c
}

/// The genesis fields of a new hazard: what was found, and the `raised` event. Checks the role.
pub(crate) fn hazard_fields(
    new: &NewHazard,
    source: Option<HazardSource>,
    user: &User,
    now: Timestamp,
) -> Result<Json> {
    check_new(new).finish()?;
    let raised = HazardEvent::new(
        HazardEventKind::Raised {
            grade: new.grade,
            major: new.major,
        },
        user,
        now,
        None,
    );
    let mut photos = serde_json::Map::new();
    for sha in &new.photos {
        let sha = crate::doc::events::photo_hash(sha)?;
        photos.insert(
            sha.clone(),
            json!({"sha256": sha, "by": user.id, "at_ms": now.unix_ms}),
        );
    }
    Ok(json!({
        "project": new.project, "site": new.site, "location": new.location,
        "title": new.title, "description": new.description,
        "source": source,
        "photos": photos,
        "events": {raised.id.clone(): raised},
    }))
}

/// The photos (SHA-256) the genesis fields of a new hazard cite.
fn cited_photos(fields: &Json) -> Vec<String> {
    fields["photos"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
