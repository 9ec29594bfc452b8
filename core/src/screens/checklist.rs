//! The checklist runner: an inspection's sections with their visible items, each with its
//! value, note, photos, whether it is required and missing, failed with its clause; progress;
//! and what the signed-in user may do (answer while editable, submit once nothing is missing,
//! review a submitted one) — the conditions the inspection's actions and rules apply.

use serde::{Deserialize, Serialize};

use crate::access::Permission;
use crate::checklist::{Clause, ItemKind, Text, display};
use crate::error::Result;
use crate::inspection::Inspection;
use crate::inspection::lifecycle::InspectionStatus;
use crate::inspection::progress::{MissingKind, Progress};
use crate::model::{RecordId, RiskGrade, User};
use crate::store::Store;

/// What a user can do on an inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionAction {
    /// Answer items, add photos and notes, sign.
    Answer,
    /// Submit (offered once nothing required is missing).
    Submit,
    /// Accept or return a submitted inspection.
    Review,
}

/// A step on an inspection taken from the checklist screen (answers go through
/// [`Store::checklist_answer`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ChecklistCommand {
    /// Submits; refused with `Incomplete` listing what is missing.
    Submit,
    /// Accepts, or returns with a note (required when returning).
    Review {
        /// `true` accepts (reviewed, final); `false` returns it to the inspector.
        accept: bool,
        /// The reviewer's note; required when returning.
        note: Option<String>,
    },
}

/// One visible item of the checklist runner, with its answer and what it still needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistItem {
    /// The item's id in the template; answers are keyed by it.
    pub id: String,
    /// The check as a statement or a question (zh-CN and en).
    pub text: Text,
    /// How to measure, limits, what to do when in doubt (`None`: no help).
    pub help: Option<Text>,
    /// The type of answer, with that type's own fields (options, unit, limits).
    pub kind: ItemKind,
    /// Must be answered before the inspection can be submitted.
    pub required: bool,
    /// The answer's value, as JSON (`None`: not answered).
    pub value: Option<serde_json::Value>,
    /// The answer's value as a person reads it (`checklist::display::answer_text`): words for
    /// pass/fail, the labels of the options chosen, a number with its unit.
    pub value_text: Option<Text>,
    /// The inspector's note on the item (`None`: none).
    pub note: Option<String>,
    /// SHA-256 of the item's photos.
    pub photos: Vec<String>,
    /// What is still missing for submission (answer, photos, a note, a signature), if any.
    pub missing: Option<MissingKind>,
    /// The answer fails the item.
    pub failed: bool,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The clause as cited (`checklist::display::clause_text`).
    pub clause_text: Option<Text>,
    /// The grade of the hazard a failure raises, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
}

/// A section of the checklist runner with its visible items.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistSection {
    /// The section's id in the template.
    pub id: String,
    /// The section's title (zh-CN and en).
    pub title: Text,
    /// Its visible items, in template order.
    pub items: Vec<ChecklistItem>,
}

/// The checklist runner screen of an inspection, for the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistScreen {
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
    /// Sections with at least one visible item.
    pub sections: Vec<ChecklistSection>,
    /// Required, answered, completion and score, failures, what is missing.
    pub progress: Progress,
    /// Items changed after the submission (flagged for the reviewer).
    pub amendments: Vec<String>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<InspectionAction>,
}

impl Store {
    /// The checklist runner screen of an inspection, for the signed-in user.
    pub fn checklist_screen(&self, id: &RecordId) -> Result<ChecklistScreen> {
        let ins = self.inspection(id)?;
        let template = self.template(&ins.template.id, ins.template.version)?;
        let hidden = |item: &str| ins.progress.hidden.iter().any(|h| h == item);
        let sections = template
            .sections
            .iter()
            .map(|s| ChecklistSection {
                id: s.id.clone(),
                title: s.title.clone(),
                items: s
                    .items
                    .iter()
                    .filter(|i| !hidden(&i.id))
                    .map(|i| {
                        let answer = ins.answers.get(&i.id);
                        let failed = ins.progress.failed.iter().find(|f| f.item == i.id);
                        ChecklistItem {
                            id: i.id.clone(),
                            text: i.text.clone(),
                            help: i.help.clone(),
                            kind: i.kind.clone(),
                            required: i.required,
                            value: answer.and_then(|a| a.value.clone()),
                            value_text: answer
                                .and_then(|a| a.value.as_ref())
                                .and_then(|v| display::answer_text(i, v)),
                            note: answer.and_then(|a| a.note.clone()),
                            photos: answer
                                .map(|a| a.photos.keys().cloned().collect())
                                .unwrap_or_default(),
                            missing: ins
                                .progress
                                .missing
                                .iter()
                                .find(|m| m.item == i.id)
                                .map(|m| m.what),
                            failed: failed.is_some(),
                            clause: i.clause.clone(),
                            clause_text: i.clause.as_ref().map(display::clause_text),
                            raises_hazard: failed.and_then(|f| f.raises_hazard),
                        }
                    })
                    .collect(),
            })
            .filter(|s: &ChecklistSection| !s.items.is_empty())
            .collect();
        let allowed_actions = allowed(&ins, self.user().as_ref());
        Ok(ChecklistScreen {
            id: ins.id,
            title: ins.title,
            project: ins.project,
            site: ins.site,
            status: ins.status,
            sections,
            progress: ins.progress,
            amendments: ins.amendments,
            allowed_actions,
        })
    }

    /// Answers an item from the checklist runner and returns the screen again.
    pub fn checklist_answer(
        &self,
        id: &RecordId,
        item: &str,
        value: &serde_json::Value,
        note: Option<&str>,
    ) -> Result<ChecklistScreen> {
        self.answer(id, item, value, note)?;
        self.checklist_screen(id)
    }

    /// Takes a step on the inspection from the checklist screen and returns the screen again.
    pub fn checklist_command(
        &self,
        id: &RecordId,
        command: ChecklistCommand,
    ) -> Result<ChecklistScreen> {
        match command {
            ChecklistCommand::Submit => {
                self.submit_inspection(id)?;
            }
            ChecklistCommand::Review { accept, note } => {
                self.review_inspection(id, accept, note.as_deref())?
            }
        }
        self.checklist_screen(id)
    }
}

/// What `user` may do on the inspection now: the conditions its actions and rules apply.
pub(super) fn allowed(ins: &Inspection, user: Option<&User>) -> Vec<InspectionAction> {
    let mut actions = Vec::new();
    if let Some(user) = user {
        let can = |p| user.can(&ins.project, p);
        if ins.status.editable() && can(Permission::AnswerInspection) {
            actions.push(InspectionAction::Answer);
        }
        if ins.status.editable()
            && ins.progress.missing.is_empty()
            && can(Permission::SubmitInspection)
        {
            actions.push(InspectionAction::Submit);
        }
        if ins.status == InspectionStatus::Submitted && can(Permission::ReviewInspection) {
            actions.push(InspectionAction::Review);
        }
    }
    actions
}
