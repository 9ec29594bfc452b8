//! The inspection kind's rules: genesis maps, the status column from the fold, and the write
//! policy. Answers, notes, photos and signatures by roles that may answer, while the author has
//! not seen the inspection submitted (edits concurrent with a submission are amendments and are
//! kept); a signature only by the person it names; submission by roles that may submit; review
//! and return only by a supervisor.

use std::collections::BTreeSet;

use automerge::Automerge;

use super::lifecycle::{InspectionEvent, InspectionEventKind};
use crate::access::Permission;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Refusal, Transition};

/// The rules of inspection records ([`RecordKind::Inspection`]), listed in
/// [`crate::record::builtin`].
pub struct InspectionRules;

/// Root maps that hold the inspector's work (other root fields, such as the title, need the
/// same permission).
const WORK: [&str; 5] = ["answers", "photos", "notes", "signatures", "started"];

impl KindRules for InspectionRules {
    fn kind(&self) -> RecordKind {
        RecordKind::Inspection
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &[
            "answers",
            "photos",
            "notes",
            "signatures",
            "events",
            "started",
        ]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["photos", "notes", "signatures", "events", "started"]
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        KindColumns {
            status: Some(super::status_of(doc).as_str().to_owned()),
            ..Default::default()
        }
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        if t.is_genesis() {
            crate::record::require_all(t, Permission::CreateInspection)?;
            // Born in draft: the lifecycle starts with the first submission.
            if t.map_at("events", None)
                .as_object()
                .is_some_and(|m| !m.is_empty())
            {
                return Err(Refusal::rule(
                    "genesis_empty",
                    "a new inspection has no lifecycle events yet",
                ));
            }
            // Answers, photos, notes and signatures written with the record (an import) are
            // the creator's work: they need the permission to answer.
            let answered = t.map_at("answers", None).as_object().is_some_and(|m| {
                m.values().any(|a| {
                    ["value", "note", "by", "at_ms"]
                        .iter()
                        .any(|k| !a.get(*k).unwrap_or(&serde_json::Value::Null).is_null())
                        || a["photos"].as_object().is_some_and(|p| !p.is_empty())
                })
            });
            let other_work = ["signatures", "photos", "notes", "started"]
                .iter()
                .any(|m| t.map_at(m, None).as_object().is_some_and(|m| !m.is_empty()));
            if answered || other_work {
                crate::record::require_all(t, Permission::AnswerInspection)?;
            }
            return Ok(());
        }

        for root in t.roots() {
            if root == "events" {
                continue;
            }
            for author in t.authors_under(root) {
                t.roles_of(author.as_deref())
                    .require(Permission::AnswerInspection, &t.project)?;
            }
        }
        // An item's photos are only added.
        for touch in t.touches.iter().filter(|x| x.path.len() >= 4) {
            if touch.path[0] == "answers"
                && touch.path[2] == "photos"
                && (touch.how == crate::record::transition::How::Delete || t.rewrites(touch, 4))
            {
                return Err(Refusal::rule(
                    "append_only",
                    "an item's photos are only added, never changed or removed",
                ));
            }
        }
        // An answer's `by` is whoever wrote it (every value a new change wrote, conflicts too).
        for touch in t.touches.iter().filter(|x| x.path.len() == 3) {
            if touch.path[0] == "answers" && touch.path[2] == "by" {
                for (by, author) in t.new_values(&touch.path) {
                    if by.as_str() != author.as_deref() {
                        return Err(Refusal::rule(
                            "author_mismatch",
                            format!("the answer to {} names another author", touch.path[1]),
                        ));
                    }
                }
            }
        }
        // Work written by someone who saw the inspection submitted (or reviewed).
        let mut changes = BTreeSet::new();
        for root in WORK {
            changes.extend(t.changes_under(root));
        }
        for change in changes {
            let seen = t.deps_of(&change);
            if !super::status_at(t.doc, &seen).editable() {
                return Err(Refusal::rule(
                    "submitted",
                    "the inspection was submitted before this change was made: it is read only",
                ));
            }
        }
        for entry in t.new_entries("events") {
            let Ok(event) = serde_json::from_value::<InspectionEvent>(entry.value.clone()) else {
                return Err(Refusal::rule(
                    "unknown_event",
                    format!(
                        "/events/{} is not an inspection event this server knows",
                        entry.key
                    ),
                ));
            };
            let permission = match event.kind {
                InspectionEventKind::Submitted => Permission::SubmitInspection,
                InspectionEventKind::Returned | InspectionEventKind::Reviewed => {
                    Permission::ReviewInspection
                }
            };
            t.roles_of(Some(&event.by))
                .require(permission, &t.project)?;
        }
        Ok(())
    }
}
