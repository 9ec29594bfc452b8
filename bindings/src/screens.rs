//! Screen models through the FFI (issue 14), as a sub-object of the store: `store.screens()`.
//! One query per screen, computed in the core with the actions the signed-in user may take;
//! commands return the refreshed screen. Each method is one line over
//! [`offgrid_core::Store`].

use std::sync::Arc;

use offgrid_core::RecordId;
use offgrid_core::fields::FieldError;
use offgrid_core::screens::{
    ChecklistCommand, ChecklistScreen, Draft, HazardCommand, HazardScreen, HomeScreen, ListFilter,
    ListScreen, ListScreenKind, PatrolCommand, PatrolRunScreen, ReviewCommand, ReviewScreen,
    SyncScreen,
};

use crate::{OffgridStore, Result};

/// The screens' models.
#[derive(uniffi::Object)]
pub struct OffgridScreens {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Screen models: home, lists, checklist, review, hazard detail, patrol run, coverage,
    /// sync; draft validation for forms.
    pub fn screens(self: Arc<Self>) -> Arc<OffgridScreens> {
        Arc::new(OffgridScreens { owner: self })
    }
}

#[uniffi::export]
impl OffgridScreens {
    /// Today's patrol tasks, hazards to act on, open inspections and the sync state.
    pub fn home(&self) -> Result<HomeScreen> {
        Ok(self.owner.store()?.home_screen()?)
    }

    /// A page of the inspection or hazard list under `filter`, with the status chips' counts
    /// and whether the user may create one.
    pub fn list(&self, kind: ListScreenKind, filter: ListFilter) -> Result<ListScreen> {
        Ok(self.owner.store()?.list_screen(kind, filter)?)
    }

    /// An inspection's checklist: visible items with values, what is missing, progress, and
    /// what the user may do.
    pub fn checklist(&self, id: RecordId) -> Result<ChecklistScreen> {
        Ok(self.owner.store()?.checklist_screen(&id)?)
    }

    /// Answers an item (`value_json`: the value as JSON); returns the checklist again.
    pub fn checklist_answer(
        &self,
        id: RecordId,
        item_id: String,
        value_json: String,
        note: Option<String>,
    ) -> Result<ChecklistScreen> {
        let value = crate::parse_json("the answer", &value_json)?;
        Ok(self
            .owner
            .store()?
            .checklist_answer(&id, &item_id, &value, note.as_deref())?)
    }

    /// Submits or reviews the inspection; returns the checklist again.
    pub fn checklist_command(
        &self,
        id: RecordId,
        command: ChecklistCommand,
    ) -> Result<ChecklistScreen> {
        Ok(self.owner.store()?.checklist_command(&id, command)?)
    }

    /// Review and sign-off: failed items with their clause, what is missing, signatures,
    /// amendments, the lifecycle, and sign / submit / accept / return as allowed.
    pub fn review(&self, id: RecordId) -> Result<ReviewScreen> {
        Ok(self.owner.store()?.review_screen(&id)?)
    }

    /// Signs (from the pad's image file), submits, accepts or returns; returns the review
    /// screen again.
    pub fn review_command(&self, id: RecordId, command: ReviewCommand) -> Result<ReviewScreen> {
        Ok(self.owner.store()?.review_command(&id, command)?)
    }

    /// The field errors of a form's draft (empty: it may be saved).
    pub fn validate_draft(&self, draft: Draft) -> Result<Vec<FieldError>> {
        Ok(self.owner.store()?.validate_draft(&draft)?)
    }

    /// A hazard with its timeline, photos before and after, and the steps allowed now.
    pub fn hazard(&self, id: RecordId) -> Result<HazardScreen> {
        Ok(self.owner.store()?.hazard_screen(&id)?)
    }

    /// Takes a step of the hazard loop; returns the hazard screen again.
    pub fn hazard_command(&self, id: RecordId, command: HazardCommand) -> Result<HazardScreen> {
        Ok(self.owner.store()?.hazard_command(&id, command)?)
    }

    /// Coverage of `[from_ms, to_ms)` for the grid cells the user is a member of, each with
    /// the cells under it.
    pub fn my_coverage(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<offgrid_core::patrol::CellCoverage>> {
        Ok(self.owner.store()?.my_coverage_screen(from_ms, to_ms)?)
    }

    /// A patrol run with its next checkpoint, progress, flags and the actions allowed now.
    pub fn patrol_run(&self, id: RecordId) -> Result<PatrolRunScreen> {
        Ok(self.owner.store()?.patrol_run_screen(&id)?)
    }

    /// Scans, skips, observes, pauses, resumes, finishes, approves a skip or voids; returns the
    /// run screen again (a scan's verdict is its `last_scan`).
    pub fn patrol_command(&self, id: RecordId, command: PatrolCommand) -> Result<PatrolRunScreen> {
        Ok(self.owner.store()?.patrol_command(&id, command)?)
    }

    /// The sync status: the service's state, pending records and photos, last success, last
    /// error, refused changes, and whether "sync now" is offered.
    pub fn sync(&self) -> Result<SyncScreen> {
        let service = crate::sync_service::service_of(&self.owner);
        Ok(self.owner.store()?.sync_screen(&service)?)
    }
}
