//! Inspections: created from a pinned template version for a project and a site, answered item
//! by item (value, note, photo references, who and when), signed, submitted with a full list of
//! what is missing, and reviewed or returned by a supervisor.
//!
//! Document layout (kind `inspection`): root `title`, `project`, `site`, `template`
//! {id, version, hash}; genesis maps `answers` (one map per template item, each with its own
//! `photos` map), `photos`, `notes`, `signatures`, `events`. Edits that reach a submitted
//! inspection from another device are kept and reported as [`Inspection::amendments`].

pub use offgrid_domain::inspection::{
    AnswerData, PhotoRef, answer, lifecycle, progress, rules, status_at, status_of,
};

use std::collections::HashMap;
use std::sync::Arc;

use automerge::{Automerge, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

pub use lifecycle::{InspectionEvent, InspectionEventKind, InspectionStatus};
pub use offgrid_domain::inspection::read::{Inspection, Signature};
use offgrid_domain::inspection::read::{amended_items, read};
pub use progress::{FailedItem, Missing, MissingKind, Progress};

use crate::access::Permission;
use crate::checklist::TemplateRef;
use crate::checklist::{ItemKind, Template, Visibility};
use crate::error::{Error, Result};
use crate::fields::{Checks, FieldProblem, TITLE_MAX};
use crate::model::{RecordId, RecordKind, RiskGrade};
use crate::store::Store;

/// What to create.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewInspection {
    /// The template to answer (its id).
    pub template_id: String,
    /// `None`: the newest version available.
    pub template_version: Option<u32>,
    /// The project it belongs to (required).
    pub project: String,
    /// The site as written, e.g. "3号楼 B1" (required).
    pub site: String,
    /// Defaults to the template's Chinese title.
    pub title: Option<String>,
}

/// What answering did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerOutcome {
    /// Whether the answer is a failure (e.g. "fail" on a pass/fail item).
    pub failed: bool,
    /// The grade of the hazard this failure should raise, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
    /// Items that became visible / hidden because of this answer.
    pub shown: Vec<String>,
    /// Items that became hidden because of this answer.
    pub hidden: Vec<String>,
}

impl Store {
    /// Creates an inspection pinned to a template version (stored, so it can always be read).
    pub fn create_inspection(&self, new: &NewInspection) -> Result<RecordId> {
        let (checks, template) = self.check_new_inspection(new)?;
        checks.finish()?;
        let template = template.ok_or_else(|| Error::InvalidFields {
            fields: vec![crate::fields::FieldError {
                field: "template_id".into(),
                problem: FieldProblem::Unknown,
            }],
        })?;
        let r = self.pin_template(&template)?;
        // Genesis: one map per item (with its photos map), so devices only ever write into them.
        let answers: serde_json::Map<String, Json> = template
            .items()
            .map(|(_, i)| (i.id.clone(), json!({"photos": {}})))
            .collect();
        let fields = json!({
            "title": new.title.clone().unwrap_or_else(|| template.title.zh.clone()),
            "project": new.project,
            "site": new.site,
            "template": {"id": r.id, "version": r.version, "hash": r.hash},
            "answers": answers,
        });
        self.create(RecordKind::Inspection, &fields)
    }

    /// The field errors of a new inspection (template, project, site, title), with the template it names if this device has it.
    pub(crate) fn check_new_inspection(
        &self,
        new: &NewInspection,
    ) -> Result<(Checks, Option<Template>)> {
        let mut c = Checks::default();
        c.required("template_id", &new.template_id);
        let template = if new.template_id.trim().is_empty() {
            None
        } else {
            match new.template_version {
                Some(v) => match self.template(&new.template_id, v) {
                    Ok(t) => Some((*t).clone()),
                    Err(Error::InvalidArgument(_)) => None,
                    Err(e) => return Err(e),
                },
                None => self
                    .templates()?
                    .into_iter()
                    .find(|t| t.id == new.template_id),
            }
        };
        if template.is_none() {
            c.push("template_id", FieldProblem::Unknown);
        }
        c.required("project", &new.project);
        c.required("site", &new.site);
        if let Some(title) = &new.title {
            c.max_chars("title", title, TITLE_MAX);
        }
        Ok((c, template))
    }

    /// The inspection with its status, progress and amendments.
    pub fn inspection(&self, id: &RecordId) -> Result<Inspection> {
        let (data, amendments) = self.read(id, |doc| Ok((read(doc, id)?, amended_items(doc)?)))?;
        let template = self.template(&data.template.id, data.template.version)?;
        let signed: Vec<String> = data
            .signatures
            .iter()
            .filter_map(|s| s.item.clone())
            .collect();
        let progress = progress::compute(&template, &data.answers, &signed);
        Ok(Inspection {
            progress,
            amendments,
            ..data
        })
    }

    /// Answers an item (value and optional note). Checks the role, the state and the value.
    pub fn answer(
        &self,
        id: &RecordId,
        item_id: &str,
        value: &Json,
        note: Option<&str>,
    ) -> Result<AnswerOutcome> {
        // The hot path. What answering needs (project, status, template, values, visibility) is
        // kept per inspection while the document's heads are unchanged, so an answer evaluates
        // only the conditions that read it; any other change (a merge) rebuilds it. The state is
        // checked against the heads inside the write transaction: if a merge came in between,
        // it is rebuilt and the answer tried again, so the check and the write see one document.
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let base = format!("/answers{}", crate::doc::path::format(&[item_id]));
        let mut attempts = 0;
        let (mut state, item, new_heads) = loop {
            attempts += 1;
            let heads = self.heads(id)?;
            let cached = self
                .with_cache(|c: &mut AnswerStates| c.0.remove(id))
                .filter(|s| s.heads == heads);
            let state = match cached {
                Some(s) => s,
                None => {
                    let (_, status, template, values) = self.read(id, answer_context)?;
                    let t = self.template(&template.id, template.version)?;
                    let visibility = Visibility::new(&t, &values);
                    AnswerState {
                        heads,
                        status,
                        template: t,
                        values,
                        visibility,
                    }
                }
            };
            let template = state.template.clone();
            let item = template
                .item(item_id)
                .ok_or_else(|| Error::UnknownItem {
                    item: item_id.into(),
                })?
                .clone();
            answer::check(&item, value)?;
            let now = self.now();
            let written = self.write(|w| {
                if w.heads(id)? != state.heads {
                    return Ok(None);
                }
                if !state.status.editable() {
                    return Err(Error::InvalidState {
                        action: "change the inspection".into(),
                        state: state.status.as_str().into(),
                    });
                }
                w.update(id, &format!("answer {item_id}"), |e| {
                    e.replace(&format!("{base}/value"), value)?;
                    if let Some(note) = note {
                        e.set(&format!("{base}/note"), note)?;
                    }
                    e.set(&format!("{base}/by"), user.id.as_str())?;
                    e.set(&format!("{base}/at_ms"), now.unix_ms)?;
                    mark_started(e, &user.id, now.unix_ms)
                })?;
                w.heads(id).map(Some)
            })?;
            match written {
                Some(new_heads) => break (state, item, new_heads),
                None if attempts < 3 => continue,
                None => {
                    return Err(Error::InvalidState {
                        action: "answer".into(),
                        state: "changing under concurrent merges".into(),
                    });
                }
            }
        };
        let item = &item;
        if value.is_null() {
            state.values.remove(item_id);
        } else {
            state.values.insert(item_id.to_owned(), value.clone());
        }
        let changed = state
            .visibility
            .answer_changed(item_id, &state.values)
            .changed;
        let (shown, hidden) = changed
            .into_iter()
            .partition(|i| state.visibility.is_visible(i));
        state.status = match state.status {
            InspectionStatus::Draft => InspectionStatus::InProgress,
            s => s,
        };
        state.heads = new_heads;
        self.with_cache(|states: &mut AnswerStates| {
            if states.0.len() >= ANSWER_STATES {
                states.0.clear();
            }
            states.0.insert(id.clone(), state);
        });
        let failed = answer::is_failure(item, value);
        Ok(AnswerOutcome {
            failed,
            raises_hazard: item.raises_hazard.filter(|_| failed),
            shown,
            hidden,
        })
    }

    /// Cites a photo by its SHA-256 as evidence of an item's answer. The photo is one this
    /// device holds (stored by the photo pipeline: `add_photo`) or one the inspection already
    /// carries (attached to it here or on another device); any other hash is refused with
    /// [`Error::PhotoNotHeld`].
    pub fn add_answer_photo(&self, id: &RecordId, item_id: &str, sha256: &str) -> Result<()> {
        let template = self.inspection_template(id)?;
        template.item(item_id).ok_or_else(|| Error::UnknownItem {
            item: item_id.into(),
        })?;
        let sha256 = crate::doc::events::photo_hash(sha256)?;
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        self.inspection_change_checked(
            id,
            &format!("photo for {item_id}"),
            "change the inspection",
            InspectionStatus::editable,
            |w| w.require_photos(Some(id), std::slice::from_ref(&sha256)),
            |e| reference_answer_photo(e, item_id, &sha256, &user.id, now.unix_ms),
        )
    }

    /// Signs the inspection (name as written, time, image bytes), optionally answering a
    /// signature item.
    pub fn sign_inspection(
        &self,
        id: &RecordId,
        item_id: Option<&str>,
        name: &str,
        image: &[u8],
    ) -> Result<()> {
        let template = self.inspection_template(id)?;
        if let Some(item_id) = item_id {
            let item = template.item(item_id).ok_or_else(|| Error::UnknownItem {
                item: item_id.into(),
            })?;
            if !matches!(item.kind, ItemKind::Signature) {
                return Err(Error::InvalidAnswer {
                    item: item_id.into(),
                    reason: "not a signature item".into(),
                });
            }
        }
        if name.trim().is_empty() || image.is_empty() {
            return Err(Error::InvalidArgument(
                "a signature needs the signer's name and the image".into(),
            ));
        }
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let key = RecordId::new().0;
        self.inspection_change(
            id,
            "sign",
            "change the inspection",
            InspectionStatus::editable,
            |e| {
                e.insert(
                    "/signatures",
                    &key,
                    &json!({
                        "item": item_id, "name": name, "user_id": user.id,
                        "at_ms": now.unix_ms, "offset_minutes": now.offset_minutes,
                    }),
                )?;
                e.set_bytes(&format!("/signatures/{key}/image"), image.to_vec())?;
                mark_started(e, &user.id, now.unix_ms)
            },
        )
    }

    /// Submits: refused with the full list of what is missing, if anything is.
    pub fn submit_inspection(&self, id: &RecordId) -> Result<Progress> {
        for _ in 0..3 {
            let heads = self.heads(id)?;
            let ins = self.inspection(id)?;
            if !ins.status.editable() {
                return Err(Error::InvalidState {
                    action: "change the inspection".into(),
                    state: ins.status.as_str().into(),
                });
            }
            if !ins.progress.missing.is_empty() {
                return Err(Error::Incomplete {
                    missing: ins.progress.missing.clone(),
                });
            }
            // What was checked must still be what is submitted: else check again.
            let done = self.write(|w| {
                if w.heads(id)? != heads {
                    return Ok(false);
                }
                self.add_inspection_event(
                    w,
                    id,
                    InspectionEventKind::Submitted,
                    None,
                    "submit",
                    InspectionStatus::editable,
                )?;
                Ok(true)
            })?;
            if done {
                return Ok(ins.progress);
            }
        }
        Err(Error::InvalidState {
            action: "submit".into(),
            state: "changing under concurrent merges".into(),
        })
    }

    /// A supervisor accepts (`reviewed`) or returns a submitted inspection (a note is required
    /// to return it).
    pub fn review_inspection(&self, id: &RecordId, accept: bool, note: Option<&str>) -> Result<()> {
        if !accept && note.is_none_or(|n| n.trim().is_empty()) {
            return Err(Error::InvalidArgument(
                "returning an inspection needs a note saying why".into(),
            ));
        }
        let kind = if accept {
            InspectionEventKind::Reviewed
        } else {
            InspectionEventKind::Returned
        };
        self.write(|w| {
            self.add_inspection_event(w, id, kind, note, "review", |s| {
                s == InspectionStatus::Submitted
            })
        })
    }

    /// Adds a lifecycle event inside `w`: the status (read in the same transaction) must be one
    /// `allowed` accepts, then the gate decides whether the user may.
    fn add_inspection_event(
        &self,
        w: &mut crate::store::Writer<'_>,
        id: &RecordId,
        kind: InspectionEventKind,
        note: Option<&str>,
        action: &str,
        allowed: impl Fn(InspectionStatus) -> bool,
    ) -> Result<()> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = w.now();
        let key = RecordId::new().0;
        let event = InspectionEvent {
            id: key.clone(),
            kind,
            by: user.id.clone(),
            by_name: user.name.clone(),
            at_ms: now.unix_ms,
            offset_minutes: now.offset_minutes,
            note: note.map(str::to_owned),
        };
        let value = serde_json::to_value(&event)?;
        let status = w.read(id, inspection_status)?;
        if !allowed(status) {
            return Err(Error::InvalidState {
                action: action.into(),
                state: status.as_str().into(),
            });
        }
        w.update(id, &format!("{kind:?}").to_lowercase(), |e| {
            Ok(e.insert("/events", &key, &value)?)
        })?;
        Ok(())
    }

    /// One change to an inspection, load → check → write in one transaction: the status read in
    /// the same transaction must be one `allowed` accepts, then the write gate decides whether
    /// the user may (`crate::inspection::rules`), or nothing is written.
    fn inspection_change<R>(
        &self,
        id: &RecordId,
        message: &str,
        action: &str,
        allowed: impl Fn(InspectionStatus) -> bool,
        f: impl FnOnce(&mut crate::doc::Edit<'_>) -> Result<R>,
    ) -> Result<R> {
        self.inspection_change_checked(id, message, action, allowed, |_| Ok(()), f)
    }

    /// As [`Store::inspection_change`], with `check` run in the same transaction once the
    /// state fits, before the change.
    fn inspection_change_checked<R>(
        &self,
        id: &RecordId,
        message: &str,
        action: &str,
        allowed: impl Fn(InspectionStatus) -> bool,
        check: impl FnOnce(&mut crate::store::Writer<'_>) -> Result<()>,
        f: impl FnOnce(&mut crate::doc::Edit<'_>) -> Result<R>,
    ) -> Result<R> {
        self.write(|w| {
            let status = w.read(id, inspection_status)?;
            if !allowed(status) {
                return Err(Error::InvalidState {
                    action: action.into(),
                    state: status.as_str().into(),
                });
            }
            check(w)?;
            w.update(id, message, f)
        })
    }

    /// The template an inspection was made from.
    pub(crate) fn inspection_template(&self, id: &RecordId) -> Result<Arc<Template>> {
        let (_, _, template, _) = self.read(id, answer_context)?;
        self.template(&template.id, template.version)
    }

    /// The inspection and its template, if the user may do `permission` and it is editable.
    pub(crate) fn editable_inspection(
        &self,
        id: &RecordId,
        permission: Permission,
    ) -> Result<(Inspection, Arc<Template>)> {
        let ins = self.inspection(id)?;
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        user.require(&ins.project, permission)?;
        if !ins.status.editable() {
            return Err(Error::InvalidState {
                action: "change the inspection".into(),
                state: ins.status.as_str().into(),
            });
        }
        let template = self.template(&ins.template.id, ins.template.version)?;
        Ok((ins, template))
    }
}

/// How many inspections keep their answering state in memory (a handful are open at once).
const ANSWER_STATES: usize = 8;

/// Per open inspection, what answering needs (kept with the store).
#[derive(Default)]
struct AnswerStates(HashMap<RecordId, AnswerState>);

/// What answering an inspection needs, valid while the document's heads are `heads`.
struct AnswerState {
    heads: Vec<String>,
    status: InspectionStatus,
    template: Arc<Template>,
    values: HashMap<String, Json>,
    visibility: Visibility,
}

/// Records that `user` has started work on the inspection (once per user; concurrent first
/// answers by different users never touch the same key). "In progress" derives from it.
/// Adds a photo reference to an item's `photos` map (the same photo twice is one photo) and
/// marks the inspection started.
pub(crate) fn reference_answer_photo(
    e: &mut crate::doc::Edit<'_>,
    item_id: &str,
    sha256: &str,
    by: &str,
    at_ms: i64,
) -> Result<()> {
    let map = format!("/answers{}/photos", crate::doc::path::format(&[item_id]));
    if e.get(&format!("{map}/{sha256}"))?.is_none() {
        e.insert(
            &map,
            sha256,
            &json!({"sha256": sha256, "by": by, "at_ms": at_ms}),
        )?;
    }
    mark_started(e, by, at_ms)
}

fn mark_started(e: &mut crate::doc::Edit<'_>, user: &str, now_ms: i64) -> Result<()> {
    if e.get(&crate::doc::path::format(&["started", user]))?
        .is_none()
    {
        e.insert("/started", user, &json!(now_ms))?;
    }
    Ok(())
}

/// Project, status, template and answer values of an inspection, read without hydrating it.
fn answer_context(
    doc: &Automerge,
) -> Result<(String, InspectionStatus, TemplateRef, HashMap<String, Json>)> {
    let text = |key: &str| match doc.get(automerge::ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
        _ => None,
    };
    if text("kind").as_deref() != Some("inspection") {
        return Err(Error::InvalidArgument(
            "the record is not an inspection".into(),
        ));
    }
    let template = match get_obj(doc, &automerge::ROOT, "template") {
        Some((_, t)) => serde_json::from_value(crate::doc::json::hydrate(doc, &t)?)?,
        None => {
            return Err(Error::InvalidArgument(
                "the inspection names no template".into(),
            ));
        }
    };
    let mut values = HashMap::new();
    if let Some((_, answers)) = get_obj(doc, &automerge::ROOT, "answers")
        && let Json::Object(items) = crate::doc::json::hydrate(doc, &answers)?
    {
        for (item, mut a) in items {
            if let Some(v) = a.get_mut("value").map(Json::take).filter(|v| !v.is_null()) {
                values.insert(item, v);
            }
        }
    }
    Ok((
        text("project").unwrap_or_default(),
        status_of(doc),
        template,
        values,
    ))
}

/// The status of an inspection record (an error for another kind).
fn inspection_status(doc: &Automerge) -> Result<InspectionStatus> {
    if crate::doc::genesis::root_text(doc, "kind").as_deref() != Some("inspection") {
        return Err(Error::InvalidArgument(
            "the record is not an inspection".into(),
        ));
    }
    Ok(status_of(doc))
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
