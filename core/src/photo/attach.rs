//! Attaching a photo to a record: the evidence of an inspection item, of a hazard as found or
//! as rectified, or of a patrol.
//!
//! Order of work, so that nothing half-done survives a failure or a kill:
//! 1. check the user may do this and the record accepts it (before any work);
//! 2. process the bytes (hash, EXIF, upload copy, thumbnail) outside every lock;
//! 3. write the three files durably (see `store::blobs`);
//! 4. one transaction: the `photos` row (queue state `local`), the metadata under
//!    `/photos/<sha256>` and, for an item, the reference in the item's `photos` map.
//!
//! A kill between 3 and 4 leaves whole, unreferenced files that the same photo reuses when
//! attached again. The same photo attached twice is one photo.

use serde::{Deserialize, Serialize};

use super::{PhotoLimits, process};
use crate::access::Permission;
use crate::error::{Error, Result};
use crate::model::{RecordId, RecordKind};
use crate::store::{PhotoFile, Store};
pub use offgrid_domain::photo::{CaptureContext, PhotoMeta};

/// What a photo is evidence of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PhotoTarget {
    /// An inspection item's answer.
    Inspection {
        /// The inspection's record id.
        id: RecordId,
        /// The item whose answer the photo is evidence of.
        item: String,
    },
    /// A hazard as found, or its rectification (the photos a rectification is submitted with).
    Hazard {
        /// The hazard's record id.
        id: RecordId,
        /// `true`: a photo of the rectification (by who may submit it); `false`: as found.
        rectification: bool,
    },
    /// A patrol.
    Patrol {
        /// The record id of a patrol run (or of a patrol record).
        id: RecordId,
    },
}

impl Store {
    /// Attaches the photo the camera wrote at `path` (see [`Store::add_photo`]). A file in the
    /// capture folder is removed once the photo is stored; if attaching fails it stays, listed
    /// by [`Store::leftover_captures`], so nothing taken is lost.
    pub fn add_captured(
        &self,
        target: &PhotoTarget,
        path: &std::path::Path,
        capture: &CaptureContext,
    ) -> Result<PhotoMeta> {
        let bytes = std::fs::read(path)?;
        let meta = self.add_photo(target, &bytes, capture)?;
        if self.is_capture(path) {
            // Stored durably by add_photo; the camera's copy is no longer needed.
            let _ = std::fs::remove_file(path);
        }
        Ok(meta)
    }

    /// Processes and stores a photo and attaches it to `target`. Returns what was recorded.
    pub fn add_photo(
        &self,
        target: &PhotoTarget,
        bytes: &[u8],
        capture: &CaptureContext,
    ) -> Result<PhotoMeta> {
        let (id, item, stage) = self.check_photo_target(target)?;
        let processed = process(bytes, &PhotoLimits::default())?;
        let info = &processed.info;
        let blobs = self.blobs();
        blobs.put(&info.sha256, PhotoFile::Original, bytes)?;
        blobs.put(&info.sha256, PhotoFile::Upload, &processed.upload)?;
        blobs.put(&info.sha256, PhotoFile::Thumb, &processed.thumb)?;
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let meta = PhotoMeta {
            sha256: info.sha256.clone(),
            format: info.format.clone(),
            bytes: info.bytes,
            width: info.width,
            height: info.height,
            item: item.clone(),
            stage: stage.map(str::to_owned),
            by: user.id.clone(),
            by_name: user.name.clone(),
            at_ms: now.unix_ms,
            offset_minutes: now.offset_minutes,
            capture: capture.clone(),
            exif: info.exif.clone(),
        };
        let sha = info.sha256.clone();
        let meta_json = serde_json::to_value(&meta)?;
        let recorded = self.write(|w| {
            // The state checked above, again on the document this write changes.
            w.read(&id, |doc| still_accepts(doc, target))?;
            w.record_photo(info)?;
            w.update(&id, &format!("photo {}", &sha[..12]), |e| {
                let at = format!("/photos/{sha}");
                let existing = e.get(&at)?;
                if existing.is_none() {
                    e.insert("/photos", &sha, &meta_json)?;
                }
                if let Some(item) = &item {
                    crate::inspection::reference_answer_photo(e, item, &sha, &meta.by, meta.at_ms)?;
                }
                Ok(existing)
            })
        })?;
        tracing::debug!(bytes = info.bytes, "photo attached");
        match recorded {
            // Attached before: the first record of it stands.
            Some(first) => Ok(serde_json::from_value(first).unwrap_or(meta)),
            None => Ok(meta),
        }
    }

    /// Every photo recorded in a record, oldest first.
    pub fn photos(&self, id: &RecordId) -> Result<Vec<PhotoMeta>> {
        let all = self.get_path(id, "/photos")?.unwrap_or_default();
        let mut photos: Vec<PhotoMeta> = all
            .as_object()
            .map(|m| {
                m.values()
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .collect()
            })
            .unwrap_or_default();
        photos.sort_by(|a, b| (a.at_ms, &a.sha256).cmp(&(b.at_ms, &b.sha256)));
        Ok(photos)
    }

    /// The record, item and hazard stage a photo goes to, after checking role and state.
    fn check_photo_target(
        &self,
        target: &PhotoTarget,
    ) -> Result<(RecordId, Option<String>, Option<&'static str>)> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        match target {
            PhotoTarget::Inspection { id, item } => {
                let (_, template) = self.editable_inspection(id, Permission::AnswerInspection)?;
                template
                    .item(item)
                    .ok_or_else(|| Error::UnknownItem { item: item.clone() })?;
                Ok((id.clone(), Some(item.clone()), None))
            }
            PhotoTarget::Hazard { id, rectification } => {
                let hazard = self.hazard(id)?;
                let stage = if *rectification {
                    // Who may submit the rectification may photograph it: the person ordered,
                    // or a rectifier of the project (the hazard rules, as the gate applies them).
                    let roles =
                        crate::record::Roles::Known(user.roles_on(&hazard.project).collect());
                    let submit = crate::hazard::HazardEventKind::RectificationSubmitted {
                        photos: Vec::new(),
                    };
                    crate::hazard::rules::may_record(
                        &submit,
                        &user.id,
                        &roles,
                        &hazard.project,
                        &hazard.state,
                    )
                    .map_err(|_| Error::Forbidden {
                        permission: Permission::SubmitRectification.as_str().into(),
                        project: hazard.project.clone(),
                    })?;
                    "rectification"
                } else {
                    user.require(&hazard.project, Permission::RaiseHazard)?;
                    "found"
                };
                if !hazard.state.status.is_open() {
                    return Err(Error::InvalidState {
                        action: "add a photo".into(),
                        state: hazard.state.status.as_str().into(),
                    });
                }
                Ok((id.clone(), None, Some(stage)))
            }
            PhotoTarget::Patrol { id } => {
                let kind = self.get_path(id, "/kind")?;
                let kind = kind.as_ref().and_then(|k| k.as_str());
                if kind == Some(RecordKind::PatrolRun.as_str()) {
                    // A run's photos are its runner's (the run's rules refuse anyone else).
                    return Ok((id.clone(), None, None));
                }
                if kind != Some(RecordKind::Patrol.as_str()) {
                    return Err(Error::InvalidArgument(format!(
                        "record {id} is not a patrol"
                    )));
                }
                let project = self.get_path(id, "/project")?;
                if let Some(project) = project.as_ref().and_then(|p| p.as_str()) {
                    user.require(project, Permission::RaiseHazard)?;
                }
                Ok((id.clone(), None, None))
            }
        }
    }
}

/// Whether the record still takes photos for `target` (read inside the write transaction).
fn still_accepts(doc: &automerge::Automerge, target: &PhotoTarget) -> Result<()> {
    let state = match target {
        PhotoTarget::Inspection { .. } => {
            let status = crate::inspection::status_of(doc);
            (!status.editable()).then(|| status.as_str())
        }
        PhotoTarget::Hazard { .. } => {
            let status = crate::hazard::state_of(doc).status;
            (!status.is_open()).then(|| status.as_str())
        }
        PhotoTarget::Patrol { .. } => crate::patrol::run_rules::closed(doc),
    };
    match state {
        Some(state) => Err(Error::InvalidState {
            action: "add a photo".into(),
            state: state.into(),
        }),
        None => Ok(()),
    }
}
