//! The review and sign-off screen of an inspection: what the reviewer needs to decide — the
//! failed items with their clause, value, note and photos, what is still missing, the
//! signatures (each signature item of the form with who signed it, and signatures made
//! without an item), items amended after the submission, the lifecycle so far — and what the
//! signed-in user may do: sign and submit while it is editable, accept or return it once
//! submitted. Commands take the step and return the screen again.

use serde::{Deserialize, Serialize};

use super::checklist::InspectionAction;
use crate::checklist::{Clause, ItemKind, Text, display};
use crate::error::{Error, Result};
use crate::inspection::{InspectionEvent, InspectionStatus, Missing, Progress, Signature};
use crate::model::{RecordId, RiskGrade};
use crate::store::Store;

/// The largest signature image accepted (a signature pad's PNG is a few tens of KB).
const MAX_SIGNATURE_BYTES: u64 = 2 * 1024 * 1024;

/// What a user can do on the review screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Sign (as oneself) while the inspection is editable.
    Sign,
    /// Submit: offered once nothing is missing.
    Submit,
    /// Accept a submitted inspection (a supervisor).
    Accept,
    /// Return it to the inspector with a note (a supervisor).
    Return,
}

/// A step taken on the review screen.
#[derive(Clone, Debug, PartialEq)]
pub enum ReviewCommand {
    /// Signs as the signed-in user: `name` as written, the signature pad's image at
    /// `image_path` (read, then removed if it is in the capture folder), answering the
    /// signature item `item` if given.
    Sign {
        /// The signature item it answers (`None`: a signature without an item).
        item: Option<String>,
        /// The signer's name as written.
        name: String,
        /// Path of the signature pad's image (at most 2 MiB).
        image_path: String,
    },
    /// Submits; refused with `Incomplete` listing what is missing.
    Submit,
    /// Accepts the submitted inspection (a supervisor): it is final.
    Accept {
        /// An optional note.
        note: Option<String>,
    },
    /// Returns the submitted inspection to the inspector (a supervisor).
    Return {
        /// Why; required.
        note: String,
    },
}

/// A failed item, as the reviewer reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewFinding {
    /// The item's id.
    pub item: String,
    /// The title of the section it is in.
    pub section: Text,
    /// The check as a statement or a question.
    pub text: Text,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The clause as cited (`checklist::display::clause_text`).
    pub clause_text: Option<Text>,
    /// The answer's value, as JSON.
    pub value: Option<serde_json::Value>,
    /// The answer's value as a person reads it (`checklist::display::answer_text`).
    pub value_text: Option<Text>,
    /// The inspector's note on the item (`None`: none).
    pub note: Option<String>,
    /// SHA-256 of the item's photos.
    pub photos: Vec<String>,
    /// The grade of the hazard this failure raises, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
    /// Who answered it, and when.
    pub by: Option<String>,
    /// When it was last answered, UTC ms by that device's clock.
    pub at_ms: Option<i64>,
}

/// A place for signatures: a visible signature item of the form, or (`item: None`) the
/// signatures made without one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignatureSlot {
    /// The signature item's id (`None`: the slot of signatures made without an item).
    pub item: Option<String>,
    /// The item's text (`None` for the slot without an item).
    pub text: Option<Text>,
    /// The item must be signed before submission.
    pub required: bool,
    /// Oldest first (the image itself stays in the record).
    pub signatures: Vec<Signature>,
}

/// The review and sign-off screen of an inspection, for the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewScreen {
    /// The inspection's record id.
    pub id: RecordId,
    /// The inspection's title.
    pub title: String,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// Where the inspection stands (draft, in progress, submitted, returned, reviewed).
    pub status: InspectionStatus,
    /// Required, answered, completion and score, failures, what is missing.
    pub progress: Progress,
    /// Failed items in template order.
    pub findings: Vec<ReviewFinding>,
    /// What blocks submission.
    pub missing: Vec<Missing>,
    /// One slot per visible signature item, in template order, then one for the signatures that
    /// answer no visible item (if any).
    pub signatures: Vec<SignatureSlot>,
    /// Items changed after the submission, flagged for the reviewer.
    pub amendments: Vec<String>,
    /// Submissions, returns (with their notes) and the review, in order.
    pub events: Vec<InspectionEvent>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<ReviewAction>,
}

impl Store {
    /// The review and sign-off screen of an inspection, for the signed-in user.
    pub fn review_screen(&self, id: &RecordId) -> Result<ReviewScreen> {
        let ins = self.inspection(id)?;
        let template = self.template(&ins.template.id, ins.template.version)?;
        let hidden = |item: &str| ins.progress.hidden.iter().any(|h| h == item);
        let mut findings = Vec::new();
        let mut slots = Vec::new();
        let mut signatures = ins.signatures.clone();
        signatures.sort_by(|a, b| (a.at_ms, &a.id).cmp(&(b.at_ms, &b.id)));
        for section in &template.sections {
            for item in section.items.iter().filter(|i| !hidden(&i.id)) {
                if matches!(item.kind, ItemKind::Signature) {
                    slots.push(SignatureSlot {
                        item: Some(item.id.clone()),
                        text: Some(item.text.clone()),
                        required: item.required,
                        signatures: signatures
                            .iter()
                            .filter(|s| s.item.as_deref() == Some(item.id.as_str()))
                            .cloned()
                            .collect(),
                    });
                }
                let Some(failed) = ins.progress.failed.iter().find(|f| f.item == item.id) else {
                    continue;
                };
                let answer = ins.answers.get(&item.id);
                findings.push(ReviewFinding {
                    item: item.id.clone(),
                    section: section.title.clone(),
                    text: item.text.clone(),
                    clause: item.clause.clone(),
                    clause_text: item.clause.as_ref().map(display::clause_text),
                    value: answer.and_then(|a| a.value.clone()),
                    value_text: answer
                        .and_then(|a| a.value.as_ref())
                        .and_then(|v| display::answer_text(item, v)),
                    note: answer.and_then(|a| a.note.clone()),
                    photos: answer
                        .map(|a| a.photos.keys().cloned().collect())
                        .unwrap_or_default(),
                    raises_hazard: failed.raises_hazard,
                    by: answer.and_then(|a| a.by.clone()),
                    at_ms: answer.and_then(|a| a.at_ms),
                });
            }
        }
        let loose: Vec<Signature> = signatures
            .iter()
            .filter(|s| {
                s.item
                    .as_deref()
                    .is_none_or(|i| !slots.iter().any(|x| x.item.as_deref() == Some(i)))
            })
            .cloned()
            .collect();
        if !loose.is_empty() {
            slots.push(SignatureSlot {
                item: None,
                text: None,
                required: false,
                signatures: loose,
            });
        }
        let allowed_actions = super::checklist::allowed(&ins, self.user().as_ref())
            .into_iter()
            .flat_map(|a| match a {
                InspectionAction::Answer => vec![ReviewAction::Sign],
                InspectionAction::Submit => vec![ReviewAction::Submit],
                InspectionAction::Review => vec![ReviewAction::Accept, ReviewAction::Return],
            })
            .collect();
        Ok(ReviewScreen {
            id: ins.id,
            title: ins.title,
            project: ins.project,
            site: ins.site,
            status: ins.status,
            missing: ins.progress.missing.clone(),
            progress: ins.progress,
            findings,
            signatures: slots,
            amendments: ins.amendments,
            events: ins.events,
            allowed_actions,
        })
    }

    /// Takes a step on the review screen (judged as every write is) and returns it again.
    pub fn review_command(&self, id: &RecordId, command: ReviewCommand) -> Result<ReviewScreen> {
        match command {
            ReviewCommand::Sign {
                item,
                name,
                image_path,
            } => {
                let path = std::path::Path::new(&image_path);
                let size = std::fs::metadata(path)?.len();
                if size > MAX_SIGNATURE_BYTES {
                    return Err(Error::InvalidArgument(format!(
                        "the signature image is {size} bytes; at most {MAX_SIGNATURE_BYTES}"
                    )));
                }
                let image = std::fs::read(path)?;
                self.sign_inspection(id, item.as_deref(), &name, &image)?;
                if self.is_capture(path) {
                    // Stored in the record; the pad's copy is no longer needed.
                    let _ = std::fs::remove_file(path);
                }
            }
            ReviewCommand::Submit => {
                self.submit_inspection(id)?;
            }
            ReviewCommand::Accept { note } => self.review_inspection(id, true, note.as_deref())?,
            ReviewCommand::Return { note } => self.review_inspection(id, false, Some(&note))?,
        }
        self.review_screen(id)
    }
}
