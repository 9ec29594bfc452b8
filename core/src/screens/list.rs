//! The inspection and hazard lists: one page of rows from the list tables (no document is
//! loaded) under the filter that made them, how many records each status holds under the same
//! filter (the status chips), whether another page follows, and whether the signed-in user may
//! create a record from here. Statuses cross as raw values (`submitted`,
//! `ordered`); the shells localise them.

use serde::{Deserialize, Serialize};

use crate::access::Permission;
use crate::error::{Error, Result};
use crate::hazard::HazardStatus;
use crate::inspection::InspectionStatus;
use crate::model::{RecordKind, RecordSummary};
use crate::store::{ListQuery, ListSort, Store};

/// Rows per page when the filter names no size, and the most a page holds.
const PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;
const DAY_MS: i64 = 86_400_000;

/// Which list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListScreenKind {
    /// The inspection list.
    Inspections,
    /// The hazard list (隐患).
    Hazards,
}

impl ListScreenKind {
    fn record_kind(self) -> RecordKind {
        match self {
            ListScreenKind::Inspections => RecordKind::Inspection,
            ListScreenKind::Hazards => RecordKind::Hazard,
        }
    }

    /// Its statuses' raw values, in lifecycle order.
    fn statuses(self) -> Vec<&'static str> {
        match self {
            ListScreenKind::Inspections => {
                InspectionStatus::ALL.iter().map(|s| s.as_str()).collect()
            }
            ListScreenKind::Hazards => HazardStatus::ALL.iter().map(|s| s.as_str()).collect(),
        }
    }

    fn create_permission(self) -> Permission {
        match self {
            ListScreenKind::Inspections => Permission::CreateInspection,
            ListScreenKind::Hazards => Permission::RaiseHazard,
        }
    }
}

/// What a list shows. Every field set narrows it; `None` and `false` do not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    /// Only this project's records.
    pub project: Option<String>,
    /// Only records at this site (as written, matched exactly).
    pub site: Option<String>,
    /// A status's raw value; one the kind does not have is refused.
    pub status: Option<String>,
    /// Hazards: the grade's raw value (`red`, `orange`, `yellow`, `blue`).
    pub grade: Option<String>,
    /// Hazards ordered to me; inspections I created.
    pub mine: bool,
    /// Only records past a running deadline (hazards ordered to be rectified).
    pub overdue: bool,
    /// Words in the title, location or description (Chinese words of one or two characters
    /// too).
    pub text: Option<String>,
    /// The page, from 0.
    pub page: u32,
    /// Rows per page (default 50, at most 500).
    pub page_size: Option<u32>,
}

/// How many records under the filter hold a status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    /// A status's raw value (e.g. `submitted`, `ordered`).
    pub status: String,
    /// How many records hold it.
    pub count: u32,
}

/// One row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListRow {
    /// The record as the list tables hold it.
    pub record: RecordSummary,
    /// Whole days past the running deadline (0 on the day it passed); `None`: not overdue.
    pub overdue_days: Option<u32>,
}

/// One page of the inspection or hazard list, with the status chips and what the user may do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListScreen {
    /// Which list.
    pub kind: ListScreenKind,
    /// The filter the rows answer (page size filled in).
    pub filter: ListFilter,
    /// Hazards: earliest deadline first; inspections: most recently updated first.
    pub rows: Vec<ListRow>,
    /// Records under the filter, over all pages.
    pub total: u32,
    /// Per status of the kind, in lifecycle order (zeros included): the records under the
    /// filter without its status.
    pub statuses: Vec<StatusCount>,
    /// Another page follows this one.
    pub has_more: bool,
    /// The user may create an inspection / raise a hazard (in the filter's project, if it
    /// names one).
    pub can_create: bool,
}

impl Store {
    /// A page of the inspection or hazard list for the signed-in user.
    pub fn list_screen(&self, kind: ListScreenKind, filter: ListFilter) -> Result<ListScreen> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let statuses = kind.statuses();
        if let Some(s) = &filter.status
            && !statuses.contains(&s.as_str())
        {
            return Err(Error::InvalidArgument(format!(
                "{s} is not a status of {}",
                kind.record_kind().as_str()
            )));
        }
        let now = self.now().unix_ms;
        let page_size = filter.page_size.unwrap_or(PAGE).clamp(1, MAX_PAGE);
        let filter = ListFilter {
            page_size: Some(page_size),
            ..filter
        };
        let mine = filter.mine.then(|| user.id.clone());
        let base = ListQuery {
            kind: Some(kind.record_kind()),
            project: filter.project.clone(),
            site: filter.site.clone(),
            grade: filter.grade.clone(),
            assignee: mine.clone().filter(|_| kind == ListScreenKind::Hazards),
            created_by: mine.filter(|_| kind == ListScreenKind::Inspections),
            text: filter.text.clone().filter(|t| !t.trim().is_empty()),
            overdue_at_ms: filter.overdue.then_some(now),
            ..Default::default()
        };
        let counts = self.counts(&base, "status")?;
        let statuses: Vec<StatusCount> = statuses
            .into_iter()
            .map(|s| StatusCount {
                status: s.to_owned(),
                count: counts.get(s).copied().unwrap_or(0),
            })
            .collect();
        let total = match &filter.status {
            Some(s) => counts.get(s).copied().unwrap_or(0),
            None => counts.values().sum(),
        };
        let rows: Vec<ListRow> = self
            .list(&ListQuery {
                status: filter.status.clone(),
                sort: match kind {
                    ListScreenKind::Hazards => ListSort::Due,
                    ListScreenKind::Inspections => ListSort::Updated,
                },
                limit: Some(page_size),
                offset: filter.page.saturating_mul(page_size),
                ..base
            })?
            .into_iter()
            .map(|record| ListRow {
                overdue_days: record
                    .overdue_from_ms
                    .filter(|from| *from < now)
                    .map(|from| u32::try_from((now - from) / DAY_MS).unwrap_or(u32::MAX)),
                record,
            })
            .collect();
        let shown = u64::from(filter.page) * u64::from(page_size) + rows.len() as u64;
        let can_create = match &filter.project {
            Some(p) => user.can(p, kind.create_permission()),
            None => user.can_anywhere(kind.create_permission()),
        };
        Ok(ListScreen {
            kind,
            has_more: shown < u64::from(total),
            filter,
            rows,
            total,
            statuses,
            can_create,
        })
    }
}
