//! The hazard kind's rules: genesis maps, list columns from the fold, and the write policy of the
//! closed loop. Each event type only by a role allowed to do it on the project; a rectification
//! only by the person ordered (with a role on the project) or a rectifier, citing photos attached
//! as rectification photos;
//! a re-inspection never by whoever rectified; a major hazard closed only by a write-off.
//!
//! A hazard raised from a patrol observation starts with the observation's first change
//! (`crate::patrol::observed`): authored by the runner, holding only what they observed, with
//! no events. It needs no permission of the runner, but a `raised` event by someone who may
//! raise hazards must come with it; later, anyone who may raise hazards may raise it again (a
//! second phone that raised it offline), and the fold applies the first.

use automerge::Automerge;

use super::events::{self, HazardEvent, HazardEventKind};
use crate::access::Permission;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Refusal, Roles, Transition};

/// The rules of hazard records ([`RecordKind::Hazard`]), listed in [`crate::record::builtin`].
pub struct HazardRules;

/// Root fields that describe what was found: corrected by those who raise hazards. Other root
/// fields (notes of the shells) by anyone who writes on the project; the state is the events.
const EDITABLE: [&str; 4] = ["title", "description", "location", "site"];

impl KindRules for HazardRules {
    fn kind(&self) -> RecordKind {
        RecordKind::Hazard
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["photos", "notes", "events"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["photos", "notes", "events"]
    }

    fn immutable_fields(&self) -> &'static [&'static str] {
        &["patrol"]
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        let st = super::state_of(doc);
        KindColumns {
            status: Some(st.status.as_str().to_owned()),
            grade: st.grade.map(|g| g.as_str().to_owned()),
            assignee: st.assignee.clone(),
            due_ms: st.deadline_ms,
            overdue_from_ms: st
                .deadline_ms
                .filter(|_| st.status.awaiting_rectification()),
            ..Default::default()
        }
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        let need = |roles: &Roles, permission| roles.require(permission, &t.project);
        let all: Vec<HazardEvent> = crate::doc::events::from_json(&t.map_at("events", None));
        // Raised from a patrol observation (its link written once, in the first change).
        let observed = crate::doc::json::root_map_keys(t.doc, "patrol").contains(&"run".to_owned());
        let raised = all
            .iter()
            .any(|e| matches!(e.kind, HazardEventKind::Raised { .. }));
        if t.is_genesis() && observed && all.is_empty() {
            // The observation's own first change: the runner's words, photos and no more.
            if !t.partial && t.is_authoritative() {
                return Err(Refusal::rule(
                    "raised_first",
                    "a hazard observed on a patrol comes with its raised event",
                ));
            }
            return Ok(());
        } else if t.is_genesis() {
            crate::record::require_all(t, Permission::RaiseHazard)?;
        } else {
            if observed && !raised && t.is_authoritative() {
                return Err(Refusal::rule(
                    "raised_first",
                    "a hazard observed on a patrol comes with its raised event",
                ));
            }
            for root in t.roots() {
                if self.genesis_maps().contains(&root) {
                    continue;
                }
                for author in t.authors_under(root) {
                    let roles = t.roles_of(author.as_deref());
                    if EDITABLE.contains(&root) {
                        need(&roles, Permission::RaiseHazard)?;
                    } else if !roles.writes() {
                        return Err(Refusal::rule("viewer", "viewers read only"));
                    }
                }
            }
        }

        let photos = t.map_at("photos", None);
        for entry in t.new_entries("events") {
            let Ok(event) = serde_json::from_value::<HazardEvent>(entry.value.clone()) else {
                return Err(Refusal::rule(
                    "unknown_event",
                    format!(
                        "/events/{} is not a hazard event this server knows",
                        entry.key
                    ),
                ));
            };
            let at = all
                .iter()
                .position(|e| e.id == entry.key)
                .unwrap_or(all.len());
            let before = events::fold(&all[..at]);
            let roles = t.roles_of(Some(&event.by));
            use HazardEventKind as E;
            match &event.kind {
                E::Raised { .. } if t.is_genesis() || observed => {
                    need(&roles, Permission::RaiseHazard)?
                }
                E::Raised { .. } => {
                    return Err(Refusal::rule(
                        "raised_once",
                        "a hazard is raised once, when it is created",
                    ));
                }
                _ if t.is_genesis() => {
                    return Err(Refusal::rule(
                        "raised_first",
                        format!(
                            "a new hazard starts with its raised event, not {}",
                            event.kind.name()
                        ),
                    ));
                }
                other => {
                    may_record(other, &event.by, &roles, &t.project, &before)?;
                    if let E::RectificationSubmitted { photos: cited } = other {
                        cite_rectification_photos(cited, &photos)?;
                    }
                }
            }
        }

        let state = events::fold(&all);
        for entry in t.new_entries("photos") {
            let roles = t.roles_of(entry.author.as_deref());
            if entry.value["stage"] == "rectification" {
                let ordered =
                    state.assignee.is_some() && state.assignee == entry.author && roles.writes();
                if !ordered {
                    need(&roles, Permission::SubmitRectification)?;
                }
            } else {
                need(&roles, Permission::RaiseHazard)?;
            }
        }
        for entry in t.new_entries("notes") {
            if !t.roles_of(entry.author.as_deref()).writes() {
                return Err(Refusal::rule("viewer", "viewers read only"));
            }
        }
        Ok(())
    }
}

/// Whether `by`, holding `roles` on `project`, may record an event of `kind` (not `raised`) on
/// a hazard whose fold has reached `before`: the part of the policy about who, and who not
/// (the re-inspector is not the rectifier, a major hazard is written off, not closed). The
/// gate applies it to every event; screens offer only the actions it allows
/// ([`super::actions`]).
pub fn may_record(
    kind: &HazardEventKind,
    by: &str,
    roles: &Roles,
    project: &str,
    before: &events::HazardState,
) -> Result<(), Refusal> {
    use HazardEventKind as E;
    let need = |permission| roles.require(permission, project);
    match kind {
        E::Raised { .. } => need(Permission::RaiseHazard),
        E::Graded { .. } => need(Permission::GradeHazard),
        E::RectificationOrdered { .. } => need(Permission::OrderRectification),
        E::RectificationSubmitted { .. } => {
            // The person ordered (with any role but viewer), or a rectifier of the project.
            let ordered = before.assignee.as_deref() == Some(by) && roles.writes();
            if ordered {
                Ok(())
            } else {
                need(Permission::SubmitRectification)
            }
        }
        E::Reinspected { .. } => {
            need(Permission::Reinspect)?;
            if before.rectified_by.as_deref() == Some(by) {
                return Err(Refusal::rule(
                    "reinspector_rectified",
                    "the re-inspector must not be the person who rectified",
                ));
            }
            Ok(())
        }
        E::Escalated => need(Permission::Escalate),
        E::Closed => {
            need(Permission::CloseHazard)?;
            if before.major {
                return Err(Refusal::rule(
                    "major_write_off",
                    "a major hazard is closed only by a supervisor's write-off",
                ));
            }
            Ok(())
        }
        E::WrittenOff => need(Permission::WriteOffHazard),
    }
}

/// A rectification cites photos of the result, each attached to the hazard as a rectification
/// photo (`photos`: the hazard's photo map).
fn cite_rectification_photos(cited: &[String], photos: &serde_json::Value) -> Result<(), Refusal> {
    if cited.is_empty() {
        return Err(Refusal::rule(
            "rectification_photos",
            "a rectification cites photos of the result",
        ));
    }
    for sha in cited {
        if photos[sha.as_str()]["stage"] != "rectification" {
            return Err(Refusal::rule(
                "rectification_photos",
                format!(
                    "photo {} is not attached to this hazard as a rectification photo: attach \
                     it first (add_photo with rectification), then cite it",
                    &sha[..12.min(sha.len())]
                ),
            ));
        }
    }
    Ok(())
}
