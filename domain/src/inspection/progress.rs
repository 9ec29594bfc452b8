//! How far an inspection is: completion, score, failed items and, before submission, the full
//! list of what is missing. Computed from the template, the answers and which items are visible.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::AnswerData;
use super::answer::{is_failure, is_not_applicable};
use crate::checklist::{Clause, ItemKind, Template, Visibility};
use crate::model::RiskGrade;

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
    pub failed: Vec<FailedItem>,
    /// Everything that blocks submission.
    pub missing: Vec<Missing>,
    /// Items hidden by their visibility conditions, in template order: a form does not show
    /// them, and they are neither required nor scored.
    #[serde(default)]
    pub hidden: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedItem {
    pub item: String,
    pub clause: Option<Clause>,
    pub raises_hazard: Option<RiskGrade>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub item: String,
    pub what: MissingKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    Answer,
    /// Fewer photos than the item's minimum.
    Photos,
    Signature,
    /// Failed, and the template demands a photo of the failure.
    FailurePhoto,
    /// Failed, and the template demands a note.
    FailureNote,
}

impl MissingKind {
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
