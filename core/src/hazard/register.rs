//! The hazard register (台账): hazards filtered by project, site, status, grade, overdue,
//! assignee and text, sorted, with counts by status and by grade — all from the projection
//! tables, without loading a document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{RecordKind, RecordSummary};
use crate::store::{ListQuery, ListSort, Store};

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
    /// Substring search over the hazards' text (see [`ListQuery::text`]).
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

impl Store {
    /// The hazard register for `q`: the page of rows, counts by status and grade, and how many are
    /// overdue at the store's clock.
    pub fn register(&self, q: &RegisterQuery) -> Result<Register> {
        let now_ms = self.now().unix_ms;
        let list = ListQuery {
            kind: Some(RecordKind::Hazard),
            project: q.project.clone(),
            site: q.site.clone(),
            status: q.status.clone(),
            grade: q.grade.clone(),
            assignee: q.assignee.clone(),
            text: q.text.clone(),
            overdue_at_ms: q.overdue.then_some(now_ms),
            sort: q.sort,
            limit: q.limit,
            offset: q.offset,
            ..Default::default()
        };
        let rows = self.list(&list)?;
        let all = ListQuery {
            limit: None,
            offset: 0,
            ..list.clone()
        };
        let by_status = self.counts(&all, "status")?;
        let by_grade = self.counts(&all, "grade")?;
        let overdue = self
            .counts(
                &ListQuery {
                    overdue_at_ms: Some(now_ms),
                    ..all
                },
                "status",
            )?
            .values()
            .sum();
        Ok(Register {
            rows,
            by_status,
            by_grade,
            overdue,
            now_ms,
        })
    }
}
