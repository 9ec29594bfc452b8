//! Hazards and their closed loop through the FFI, and the register (台账). One line each over
//! [`offgrid_core::Store`].

use std::sync::Arc;

use offgrid_core::hazard::{Hazard, NewHazard, RectificationOrder, Register, RegisterQuery};
use offgrid_core::{RecordId, RiskGrade};

use crate::{OffgridStore, Result};

/// Hazards, their closed loop, and the register (台账).
#[derive(uniffi::Object)]
pub struct OffgridHazards {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Hazards, their closed loop, and the register (台账).
    pub fn hazards(self: Arc<Self>) -> Arc<OffgridHazards> {
        Arc::new(OffgridHazards { owner: self })
    }
}

impl OffgridHazards {
    /// The open store, or `Closed`.
    fn store(&self) -> Result<Arc<offgrid_core::Store>> {
        self.owner.store()
    }
}

#[uniffi::export]
impl OffgridHazards {
    /// Raises a hazard on its own (e.g. on a patrol).
    pub fn create(&self, new: NewHazard) -> Result<RecordId> {
        Ok(self.store()?.raise_hazard(&new)?)
    }

    /// Raises several hazards in one transaction.
    pub fn create_many(&self, hazards: Vec<NewHazard>) -> Result<Vec<RecordId>> {
        Ok(self.store()?.raise_hazards(&hazards)?)
    }

    /// Raises a hazard from a failed item, linking inspection, item, clause and photos.
    pub fn create_from_item(
        &self,
        inspection: RecordId,
        item_id: String,
        location: String,
        description: String,
    ) -> Result<RecordId> {
        Ok(self
            .store()?
            .raise_hazard_from_item(&inspection, &item_id, &location, &description)?)
    }

    /// The hazard with its events, folded state and whether it is overdue now.
    pub fn get(&self, id: RecordId) -> Result<Hazard> {
        Ok(self.store()?.hazard(&id)?)
    }

    /// 评估分级.
    pub fn grade(
        &self,
        id: RecordId,
        grade: RiskGrade,
        major: bool,
        note: Option<String>,
    ) -> Result<()> {
        Ok(self
            .store()?
            .grade_hazard(&id, grade, major, note.as_deref())?)
    }

    /// 下达整改: who, by when, what to do.
    pub fn order_rectification(&self, id: RecordId, order: RectificationOrder) -> Result<()> {
        Ok(self.store()?.order_rectification(&id, &order)?)
    }

    /// 提交整改 with after-photos (SHA-256), each attached first with `add_photo` /
    /// `add_captured` and `PhotoTarget::Hazard { rectification: true }`.
    pub fn submit_rectification(
        &self,
        id: RecordId,
        note: String,
        photos: Vec<String>,
    ) -> Result<()> {
        Ok(self.store()?.submit_rectification(&id, &note, &photos)?)
    }

    /// 复查: passed, or sent back.
    pub fn reinspect(&self, id: RecordId, passed: bool, note: Option<String>) -> Result<()> {
        Ok(self.store()?.reinspect(&id, passed, note.as_deref())?)
    }

    /// 挂牌督办: escalates one level.
    pub fn escalate(&self, id: RecordId, note: String) -> Result<()> {
        Ok(self.store()?.escalate_hazard(&id, &note)?)
    }

    /// 销号.
    pub fn close(&self, id: RecordId, note: Option<String>) -> Result<()> {
        Ok(self.store()?.close_hazard(&id, note.as_deref())?)
    }

    /// 核销 (a supervisor, for major hazards).
    pub fn write_off(&self, id: RecordId, note: String) -> Result<()> {
        Ok(self.store()?.write_off_hazard(&id, &note)?)
    }

    /// The register: filtered, sorted rows and counts, from the list tables.
    pub fn register(&self, query: RegisterQuery) -> Result<Register> {
        Ok(self.store()?.register(&query)?)
    }
}
