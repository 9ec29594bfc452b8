//! The hazard register (台账) as asked for and as answered: filters, order and page
//! ([`RegisterQuery`]); one page of rows with counts over every match ([`Register`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use offgrid_common::model::RecordSummary;
use offgrid_common::query::ListSort;

/// A register request: filters (each narrows the result), sort and page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegisterQuery {
    /// Only this project's hazards.
    pub project: Option<String>,
    /// Only hazards at this site (as written, matched exactly).
    pub site: Option<String>,
    /// A [`super::HazardStatus`] name, e.g. "ordered".
    pub status: Option<String>,
    /// A [`crate::RiskGrade`] name, e.g. "red".
    pub grade: Option<String>,
    /// Only hazards overdue now (by the store's clock).
    pub overdue: bool,
    /// Only hazards whose responsible person (责任人) is this user id.
    pub assignee: Option<String>,
    /// Substring search over the hazards' text (see [`offgrid_common::ListQuery::text`]).
    pub text: Option<String>,
    /// The order of the rows ([`Register::rows`]).
    pub sort: ListSort,
    /// At most this many rows (`None`: all).
    pub limit: Option<u32>,
    /// Rows to skip first, for paging.
    pub offset: u32,
}

/// The hazard register (台账): one page of matching hazards and counts over all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Register {
    /// The matching hazards of this page, in the order asked for.
    pub rows: Vec<RecordSummary>,
    /// Every matching hazard (not only this page), by status and by grade ("" = ungraded).
    pub by_status: BTreeMap<String, u32>,
    /// Every matching hazard by grade ([`crate::RiskGrade`] name; "" = ungraded).
    pub by_grade: BTreeMap<String, u32>,
    /// How many matching hazards are overdue now.
    pub overdue: u32,
    /// The time "overdue" was judged at (UTC ms).
    pub now_ms: i64,
}
