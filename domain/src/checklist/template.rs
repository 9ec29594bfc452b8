//! The checklist template format: a versioned, bilingual list of sections and items, written as
//! JSON (see `docs/templates.md` and the JSON Schema from [`json_schema`]). A published template
//! is immutable and identified by id + version + content hash.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::condition::Condition;
use crate::model::RiskGrade;

/// User-facing text in both languages the app ships: Chinese first, English second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The Chinese text (`zh-CN` in JSON); not empty.
    #[serde(rename = "zh-CN")]
    pub zh: String,
    /// The English text, a faithful translation of the Chinese; not empty.
    pub en: String,
}

impl Text {
    /// A text from its Chinese and English.
    pub fn new(zh: &str, en: &str) -> Self {
        Text {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// What a template is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplatePurpose {
    /// Construction quality supervision: a stage inspection (e.g. rebar before pouring).
    StageInspection,
    /// Periodic maintenance check of a finished work.
    Maintenance,
    /// Safety patrol (fire, gas, flood, electrics).
    Patrol,
    /// Equipment maintenance, e.g. air-raid sirens.
    Equipment,
}

/// A checklist template: what an inspection, maintenance check, patrol or equipment check asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Stable id, lowercase words joined by '-', e.g. `rfj-stage-slab-rebar`.
    pub id: String,
    /// Increases by one for each published change; a published version never changes.
    pub version: u32,
    /// The template's name as users see it.
    pub title: Text,
    /// What the template is for, shown with its title (`None`: no description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// What the template is used for.
    pub purpose: TemplatePurpose,
    /// Standards the items cite, e.g. "GB 50134-2004".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standards: Vec<String>,
    /// The sections, in the order they are shown; at least one.
    pub sections: Vec<Section>,
}

/// A titled group of items, shown together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Unique within the template.
    pub id: String,
    /// The heading shown above the section's items.
    pub title: Text,
    /// The items, in the order they are asked; at least one.
    pub items: Vec<Item>,
}

// No `deny_unknown_fields` here: serde cannot combine it with `flatten`. Unknown item fields are
// rejected by `validate::parse` instead (see `ITEM_FIELDS`).
/// One check of a template: what is asked, the answer it takes and what a failure means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Item {
    /// Unique within the template; answers are keyed by it.
    pub id: String,
    /// The check as a statement or a question.
    pub text: Text,
    /// Shown on demand: how to measure, limits, what to do when in doubt (`None`: no help).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// The type of answer, with that type's own fields (the JSON `type` and its fields).
    #[serde(flatten)]
    pub kind: ItemKind,
    /// Must be answered (when visible) before the inspection can be submitted.
    #[serde(default = "yes")]
    pub required: bool,
    /// Evidence demanded when the item fails.
    #[serde(default, skip_serializing_if = "Evidence::is_none")]
    pub evidence: Evidence,
    /// The clause of the standard this item checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<Clause>,
    /// Weight in the inspection score (0 = not scored).
    #[serde(default = "one")]
    pub weight: f64,
    /// A failure of this item raises a hazard with this default grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raises_hazard: Option<RiskGrade>,
    /// Shown (and required) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Condition>,
}

/// Fields an item may have besides those of its type ([`ItemKind::fields`]).
pub const ITEM_FIELDS: [&str; 10] = [
    "id",
    "text",
    "help",
    "type",
    "required",
    "evidence",
    "clause",
    "weight",
    "raises_hazard",
    "visible_if",
];

impl ItemKind {
    /// The fields this item type adds.
    pub fn fields(type_name: &str) -> &'static [&'static str] {
        match type_name {
            "single_choice" | "multiple_choice" => &["options"],
            "number" => &["unit", "min", "max"],
            "text" => &["multiline"],
            "photo" => &["min_count"],
            "checkpoint" => &["code"],
            _ => &[],
        }
    }
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}

/// The type of answer an item takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    /// "pass", "fail" or "na" (not applicable).
    PassFail,
    /// One option id.
    SingleChoice {
        /// The options offered, in order; at least two.
        options: Vec<Choice>,
    },
    /// Several option ids.
    MultipleChoice {
        /// The options offered, in order; at least two.
        options: Vec<Choice>,
    },
    /// A measured number; outside `min`..`max` the item fails.
    Number {
        /// The unit the number is measured in, e.g. "MPa" (`None`: unitless).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Below this the item fails (`None`: no lower limit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Above this the item fails (`None`: no upper limit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Free text; never fails.
    Text {
        /// Offer a multi-line field (default: a single line).
        #[serde(default)]
        multiline: bool,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Photos (by SHA-256), at least `min_count`.
    Photo {
        /// The fewest photos that answer the item (default 1).
        #[serde(default = "one_u32")]
        min_count: u32,
    },
    /// A signature; never fails.
    Signature,
    /// A QR/NFC code at the point that must be scanned (GPS does not work underground).
    Checkpoint {
        /// The code the checkpoint's tag carries; the scanned code must equal it.
        code: String,
    },
    /// A location: GPS fix where available, or a described place.
    Location,
}

fn one_u32() -> u32 {
    1
}

/// One option of a single- or multiple-choice item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Unique within the item; the answer holds it.
    pub id: String,
    /// What the option says.
    pub label: Text,
    /// Choosing this option fails the item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fails: bool,
}

/// Evidence a failure of the item needs before the form can be submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// A failure needs at least one photo.
    #[serde(default)]
    pub photo_on_fail: bool,
    /// A failure needs a note.
    #[serde(default)]
    pub note_on_fail: bool,
}

impl Evidence {
    fn is_none(&self) -> bool {
        !self.photo_on_fail && !self.note_on_fail
    }
}

/// The clause of a standard an item checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// e.g. "DBJ33/T 1309-2023".
    pub standard: String,
    /// e.g. "5.1.1"; absent when the standard is cited as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// The clause number could not be confirmed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

impl Template {
    /// Every item with the JSON path of its definition.
    pub fn items(&self) -> impl Iterator<Item = (String, &Item)> {
        self.sections.iter().enumerate().flat_map(|(s, section)| {
            section
                .items
                .iter()
                .enumerate()
                .map(move |(i, item)| (format!("$.sections[{s}].items[{i}]"), item))
        })
    }

    /// The item with id `id`, in any section.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.sections
            .iter()
            .flat_map(|s| &s.items)
            .find(|i| i.id == id)
    }

    /// SHA-256 (hex) of the canonical JSON of the template: with id and version, its identity.
    pub fn content_hash(&self) -> String {
        use sha2::Digest;
        let canonical =
            serde_json::to_vec(&canonical(serde_json::to_value(self).unwrap_or(Json::Null)))
                .unwrap_or_default();
        crate::doc::json::hex(&sha2::Sha256::digest(canonical))
    }
}

/// Object keys sorted, recursively (serde_json's map is already sorted unless preserve_order).
fn canonical(v: Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(m.into_iter().map(|(k, v)| (k, canonical(v))).collect()),
        Json::Array(a) => Json::Array(a.into_iter().map(canonical).collect()),
        v => v,
    }
}

/// The JSON Schema of the template format, generated from these types.
pub fn json_schema() -> Json {
    serde_json::to_value(schemars::schema_for!(Template)).unwrap_or(Json::Null)
}

/// Which template version a record was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// The template's id, e.g. `rfj-stage-slab-rebar`.
    pub id: String,
    /// The template's version; a published (id, version) never changes.
    pub version: u32,
    /// SHA-256 of the template's canonical JSON.
    pub hash: String,
}

impl TemplateRef {
    /// The reference to `t` as it is: its id, version and content hash.
    pub fn of(t: &Template) -> Self {
        TemplateRef {
            id: t.id.clone(),
            version: t.version,
            hash: t.content_hash(),
        }
    }
}
