//! How far an inspection is: completion, score, failed items and, before submission, the full
//! list of what is missing. Computed from the template, the answers and which items are visible.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::AnswerData;
use super::answer::{is_failure, is_not_applicable};
use crate::checklist::{Clause, ItemKind, Template, Visibility};
use crate::model::RiskGrade;

/// How far an inspection is, from its template, answers and which items are visible
/// ([`compute`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Visible required items.
    pub required: u32,
    /// Of those, answered (photo items: enough photos; signature items: signed).
    pub answered: u32,
    /// answered / required × 100 (100 when nothing is required).
    pub completion_pct: f64,
    /// Weighted share of passed among scored answers (failures and passes; "na" excluded),
    /// × 100; `None` before any scored answer.
    pub score_pct: Option<f64>,
    /// Visible answered items whose answer is a failure, in template order.
    pub failed: Vec<FailedItem>,
    /// Everything that blocks submission.
    pub missing: Vec<Missing>,
    /// Items hidden by their visibility conditions, in template order: a form does not show
    /// them, and they are neither required nor scored.
    #[serde(default)]
    pub hidden: Vec<String>,
}

/// An item whose answer is a failure, with what the template says a failure means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedItem {
    /// The item's id.
    pub item: String,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The grade of the hazard the failure raises (`None`: it raises none).
    pub raises_hazard: Option<RiskGrade>,
}

/// One thing that blocks submission: an item and what it lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// The item's id.
    pub item: String,
    /// What the item lacks.
    pub what: MissingKind,
}

/// What a visible item lacks before the inspection can be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    /// Required and not answered.
    Answer,
    /// Fewer photos than the item's minimum.
    Photos,
    /// A required signature item is not signed.
    Signature,
    /// Failed, and the template demands a photo of the failure.
    FailurePhoto,
    /// Failed, and the template demands a note.
    FailureNote,
}

impl MissingKind {
    /// What is missing, as words for messages ("photo of the failure").
    pub fn as_str(self) -> &'static str {
        match self {
            MissingKind::Answer => "answer",
            MissingKind::Photos => "photos",
            MissingKind::Signature => "signature",
            MissingKind::FailurePhoto => "photo of the failure",
            MissingKind::FailureNote => "note on the failure",
        }
    }
}

/// Computes the progress of an inspection of `template` with `answers` (by item id);
/// `signed_items`: the ids of signature items that have a signature.
pub fn compute(
    template: &Template,
    answers: &HashMap<String, AnswerData>,
    signed_items: &[String],
) -> Progress {
    let values: HashMap<String, Json> = answers
        .iter()
        .filter_map(|(k, a)| {
            a.value
                .clone()
                .filter(|v| !v.is_null())
                .map(|v| (k.clone(), v))
        })
        .collect();
    let visibility = Visibility::new(template, &values);
    let (mut required, mut answered) = (0u32, 0u32);
    let (mut passed_weight, mut scored_weight) = (0.0, 0.0);
    let mut failed = Vec::new();
    let mut missing = Vec::new();
    let mut hidden = Vec::new();
    for (_, item) in template.items() {
        if !visibility.is_visible(&item.id) {
            hidden.push(item.id.clone());
            continue;
        }
        let answer = answers.get(&item.id);
        let photos = answer.map_or(0, |a| a.photos.len()) as u32;
        let value = values.get(&item.id);
        let done = match &item.kind {
            ItemKind::Photo { min_count } => photos >= *min_count,
            ItemKind::Signature => signed_items.contains(&item.id),
            _ => value.is_some(),
        };
        if item.required {
            required += 1;
            if done {
                answered += 1;
            } else {
                let what = match item.kind {
                    ItemKind::Photo { .. } => MissingKind::Photos,
                    ItemKind::Signature => MissingKind::Signature,
                    _ => MissingKind::Answer,
                };
                missing.push(Missing {
                    item: item.id.clone(),
                    what,
                });
            }
        }
        let Some(value) = value else { continue };
        let fails = is_failure(item, value);
        if crate::checklist::validate::can_fail(&item.kind)
            && !is_not_applicable(value)
            && item.weight > 0.0
        {
            scored_weight += item.weight;
            if !fails {
                passed_weight += item.weight;
            }
        }
        if fails {
            failed.push(FailedItem {
                item: item.id.clone(),
                clause: item.clause.clone(),
                raises_hazard: item.raises_hazard,
            });
            if item.evidence.photo_on_fail && photos == 0 {
                missing.push(Missing {
                    item: item.id.clone(),
                    what: MissingKind::FailurePhoto,
                });
            }
            let has_note = answer
                .and_then(|a| a.note.as_deref())
                .is_some_and(|n| !n.trim().is_empty());
            if item.evidence.note_on_fail && !has_note {
                missing.push(Missing {
                    item: item.id.clone(),
                    what: MissingKind::FailureNote,
                });
            }
        }
    }
    Progress {
        required,
        answered,
        completion_pct: if required == 0 {
            100.0
        } else {
            f64::from(answered) * 100.0 / f64::from(required)
        },
        score_pct: (scored_weight > 0.0).then(|| passed_weight * 100.0 / scored_weight),
        failed,
        missing,
        hidden,
    }
}
