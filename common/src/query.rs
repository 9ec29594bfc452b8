//! What a list asks for ([`ListQuery`]: filters, order, page): one type for every list of
//! records, read from projections on a device and on the server alike.

use serde::{Deserialize, Serialize};

use crate::model::RecordKind;

/// A list request. Every field narrows the result; `text` searches every string of the record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Only records of this kind.
    pub kind: Option<RecordKind>,
    /// Only this project's records.
    pub project: Option<String>,
    /// Only records at this site (root `site`, matched exactly).
    pub site: Option<String>,
    /// Only records in this status (as [`crate::RecordSummary::status`] holds it, e.g. "ordered").
    pub status: Option<String>,
    /// Only records of this grade (a [`crate::RiskGrade`] name, e.g. "red").
    pub grade: Option<String>,
    /// Only records whose assignee (who is to act) is this user id.
    pub assignee: Option<String>,
    /// Only records whose first change was made by this user id.
    pub created_by: Option<String>,
    /// Substring search. Three or more characters use the trigram index; one or two (a Chinese
    /// word like 渗水 or 裂) scan the indexed text.
    pub text: Option<String>,
    /// Only records with conflicting values.
    pub conflicted: bool,
    /// Only records overdue at this time (UTC ms): a running deadline (as the record's kind
    /// says: for hazards, awaiting rectification) has passed.
    pub overdue_at_ms: Option<i64>,
    /// The order of the results.
    #[serde(default)]
    pub sort: ListSort,
    /// At most this many results (`None`: all).
    pub limit: Option<u32>,
    /// Results to skip first, for paging.
    pub offset: u32,
}

/// List order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListSort {
    /// Most recently updated first.
    #[default]
    Updated,
    /// Earliest deadline first (no deadline last).
    Due,
    /// Most severe grade first (red, orange, yellow, blue, ungraded), then earliest deadline.
    Grade,
}
