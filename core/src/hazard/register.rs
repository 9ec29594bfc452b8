//! The hazard register (台账): hazards filtered by project, site, status, grade, overdue,
//! assignee and text, sorted, with counts by status and by grade — all from the projection
//! tables, without loading a document.

use crate::error::Result;
use crate::model::RecordKind;
use crate::store::{ListQuery, Store};
pub use offgrid_domain::hazard::register::{Register, RegisterQuery};

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
