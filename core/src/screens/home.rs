//! The home screen: the signed-in user's patrol tasks of the day, the hazards they must act on
//! (ordered to them, or overdue anywhere they hold a role), inspections in progress, and the
//! sync state. From the projections only; no document is loaded.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{RecordKind, RecordSummary, User};
use crate::patrol::{TaskQuery, TaskView};
use crate::store::{ListQuery, ListSort, Store};

const DAY_MS: i64 = 86_400_000;

/// The home screen of the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HomeScreen {
    /// The signed-in user, with their roles.
    pub user: User,
    /// Today's patrol tasks of plans naming the user (the device's local day).
    pub tasks: Vec<TaskView>,
    /// Open hazards ordered to the user, earliest deadline first.
    pub my_hazards: Vec<RecordSummary>,
    /// Hazards past their rectification deadline, earliest first.
    pub overdue_hazards: Vec<RecordSummary>,
    /// Inspections not yet submitted, most recently updated first.
    pub open_inspections: Vec<RecordSummary>,
    /// Pending records and photos, last success, last error (signed out: nothing pending
    /// known to a server).
    #[cfg(feature = "sync-client")]
    pub sync: crate::sync::SyncStatus,
}

impl Store {
    /// The home screen of the signed-in user.
    pub fn home_screen(&self) -> Result<HomeScreen> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let local = now.unix_ms + i64::from(now.offset_minutes) * 60_000;
        let midnight = local - local.rem_euclid(DAY_MS) - i64::from(now.offset_minutes) * 60_000;
        let tasks = self.patrol_tasks(&TaskQuery {
            from_ms: midnight,
            to_ms: midnight + DAY_MS,
            assignee: Some(user.id.clone()),
            ..Default::default()
        })?;
        let hazards = |q: ListQuery| {
            self.list(&ListQuery {
                kind: Some(RecordKind::Hazard),
                ..q
            })
        };
        let open = |s: &RecordSummary| {
            s.status
                .as_deref()
                .and_then(|s| s.parse::<crate::hazard::HazardStatus>().ok())
                .is_none_or(|s| s.is_open())
        };
        let mut my_hazards = hazards(ListQuery {
            assignee: Some(user.id.clone()),
            sort: ListSort::Due,
            ..Default::default()
        })?;
        my_hazards.retain(open);
        let overdue_hazards = hazards(ListQuery {
            overdue_at_ms: Some(now.unix_ms),
            sort: ListSort::Due,
            ..Default::default()
        })?;
        let mut open_inspections = self.list(&ListQuery {
            kind: Some(RecordKind::Inspection),
            ..Default::default()
        })?;
        open_inspections.retain(|s| {
            s.status
                .as_deref()
                .and_then(crate::inspection::lifecycle::InspectionStatus::named)
                .is_none_or(|st| st.editable())
        });
        Ok(HomeScreen {
            user,
            tasks,
            my_hazards,
            overdue_hazards,
            open_inspections,
            #[cfg(feature = "sync-client")]
            sync: self.sync_status()?,
        })
    }
}
