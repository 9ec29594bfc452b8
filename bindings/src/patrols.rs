//! Grid patrols through the FFI (ADR 0008), as a sub-object of the store: `store.patrols()`
//! (plans and their versions, the tasks of a period, runs with scans, skips, observations).
//! Each method is one line over [`offgrid_core::Store`]; closing the store closes it.

use std::sync::Arc;

use offgrid_core::patrol::{
    CellCoverage, CoverageQuery, NewObservation, NewPlan, PatrolPlan, PatrolRunView, ScanInput,
    ScanOutcome, TaskQuery, TaskView, TrackPoint,
};
use offgrid_core::{RecordId, RecordSummary};

use crate::{OffgridStore, Result};

/// Patrol plans, their tasks, and patrol runs.
#[derive(uniffi::Object)]
pub struct OffgridPatrols {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Patrol plans, tasks and runs.
    pub fn patrols(self: Arc<Self>) -> Arc<OffgridPatrols> {
        Arc::new(OffgridPatrols { owner: self })
    }
}

#[uniffi::export]
impl OffgridPatrols {
    /// Adds a plan for a site held here; its first version is in force at once.
    pub fn add_plan(&self, plan: NewPlan) -> Result<RecordId> {
        Ok(self.owner.store()?.add_patrol_plan(&plan)?)
    }

    /// Adds the plan's next version (in force once the window open now has closed); returns
    /// its number.
    pub fn revise_plan(&self, id: RecordId, plan: NewPlan) -> Result<u32> {
        Ok(self.owner.store()?.revise_patrol_plan(&id, &plan)?)
    }

    /// The plan `id` with its versions. `NotFound` if it is not held here, `InvalidArgument` if
    /// the record is not a patrol plan. Reads the database: call it off the main thread.
    pub fn plan(&self, id: RecordId) -> Result<PatrolPlan> {
        Ok(self.owner.store()?.patrol_plan(&id)?)
    }

    /// Plans held here, optionally of a site or naming an assignee, by title.
    pub fn plans(
        &self,
        site: Option<RecordId>,
        assignee: Option<String>,
    ) -> Result<Vec<RecordSummary>> {
        Ok(self
            .owner
            .store()?
            .patrol_plans(site.as_ref(), assignee.as_deref())?)
    }

    /// Excuses one task of a plan (supervisors), with the reason.
    pub fn excuse_task(&self, plan: RecordId, task: String, reason: String) -> Result<()> {
        Ok(self
            .owner
            .store()?
            .excuse_patrol_task(&plan, &task, &reason)?)
    }

    /// The tasks open in the query's period with their states (from the list tables).
    pub fn tasks(&self, query: TaskQuery) -> Result<Vec<TaskView>> {
        Ok(self.owner.store()?.patrol_tasks(&query)?)
    }

    /// Coverage of a period per grid cell, depth first, each with its own figures and those
    /// rolled up from the cells under it (from the list tables).
    pub fn coverage(&self, query: CoverageQuery) -> Result<Vec<CellCoverage>> {
        Ok(self.owner.store()?.patrol_coverage(&query)?)
    }

    /// Starts a patrol of a plan (for `task`, else the window open now); returns the run's id.
    /// An unfinished run of this user for the same task is returned instead of a new one.
    pub fn start(&self, plan: RecordId, task: Option<String>) -> Result<RecordId> {
        Ok(self.owner.store()?.start_patrol(&plan, task.as_deref())?)
    }

    /// The run `id` with its state: status, checkpoints covered and remaining, events, flags,
    /// and what the sync server confirmed receiving. `NotFound` if it is not held here,
    /// `InvalidArgument` if the record is not a patrol run. Reads the database: call it off the
    /// main thread.
    pub fn run(&self, id: RecordId) -> Result<PatrolRunView> {
        Ok(self.owner.store()?.patrol_run(&id)?)
    }

    /// The runs of a plan held here, newest window first.
    pub fn runs(&self, plan: RecordId) -> Result<Vec<RecordSummary>> {
        Ok(self.owner.store()?.patrol_runs(&plan)?)
    }

    /// Records a scan (NFC, QR, or a manual check with photos) and returns its verdict.
    pub fn scan(&self, run: RecordId, scan: ScanInput) -> Result<ScanOutcome> {
        Ok(self.owner.store()?.scan_checkpoint(&run, &scan)?)
    }

    /// Skips a required checkpoint, with the reason; returns the skip's event id.
    pub fn skip(&self, run: RecordId, checkpoint: String, reason: String) -> Result<String> {
        Ok(self
            .owner
            .store()?
            .skip_checkpoint(&run, &checkpoint, &reason)?)
    }

    /// Records a problem seen on the way; returns the observation's event id.
    pub fn observe(&self, run: RecordId, observation: NewObservation) -> Result<String> {
        Ok(self.owner.store()?.observe_on_patrol(&run, &observation)?)
    }

    /// Answers an item of the plan's checklist on the run (at `checkpoint`); `value_json` is
    /// the answer as JSON, checked against the item's type. Returns the event id.
    pub fn answer(
        &self,
        run: RecordId,
        checkpoint: Option<String>,
        item: String,
        value_json: String,
        note: Option<String>,
    ) -> Result<String> {
        let value = crate::parse_json("the answer", &value_json)?;
        Ok(self.owner.store()?.answer_on_patrol(
            &run,
            checkpoint.as_deref(),
            &item,
            value,
            note.as_deref(),
        )?)
    }

    /// Raises a hazard from an observation, in `project`; again, the same hazard.
    pub fn raise_hazard(
        &self,
        run: RecordId,
        observation: String,
        project: String,
    ) -> Result<RecordId> {
        Ok(self
            .owner
            .store()?
            .raise_hazard_from_observation(&run, &observation, &project)?)
    }

    /// Adds a chunk of GPS track points (above ground, while the run is open); returns its id.
    pub fn add_track(&self, run: RecordId, points: Vec<TrackPoint>) -> Result<String> {
        Ok(self.owner.store()?.add_track_points(&run, &points)?)
    }

    /// The run's track, in time order.
    pub fn track(&self, run: RecordId) -> Result<Vec<TrackPoint>> {
        Ok(self.owner.store()?.patrol_track(&run)?)
    }

    /// Pauses the run (lunch, a locked door); returns the pause event's id. While paused, scans,
    /// skips, answers and observations are refused (`InvalidState`) until `resume`;
    /// `add_track` still works. Only the runner may pause (`Forbidden`); `InvalidState` unless
    /// the run is in progress.
    pub fn pause(&self, run: RecordId) -> Result<String> {
        Ok(self.owner.store()?.pause_patrol(&run)?)
    }

    /// Resumes a paused run; returns the resume event's id. Only the runner may resume
    /// (`Forbidden`); `InvalidState` unless the run is paused.
    pub fn resume(&self, run: RecordId) -> Result<String> {
        Ok(self.owner.store()?.resume_patrol(&run)?)
    }

    /// Finishes the run; `reason` is required when checkpoints are left uncovered.
    pub fn finish(&self, run: RecordId, reason: Option<String>) -> Result<String> {
        Ok(self.owner.store()?.finish_patrol(&run, reason.as_deref())?)
    }

    /// Approves a skipped checkpoint (supervisors).
    pub fn approve_skip(&self, run: RecordId, skip: String) -> Result<String> {
        Ok(self.owner.store()?.approve_patrol_skip(&run, &skip)?)
    }

    /// Voids a run (supervisors), with the reason.
    pub fn void_run(&self, run: RecordId, reason: String) -> Result<String> {
        Ok(self.owner.store()?.void_patrol(&run, &reason)?)
    }
}
