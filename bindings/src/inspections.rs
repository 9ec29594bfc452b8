//! Inspections through the FFI: create from a template, answer, attach photo references, sign,
//! submit, review. One line each over [`offgrid_core::Store`].

use std::sync::Arc;

use offgrid_core::RecordId;
use offgrid_core::inspection::{AnswerOutcome, Inspection, NewInspection, Progress};

use crate::{OffgridStore, Result, parse_json};

/// Inspections and the checklist templates they are made from.
#[derive(uniffi::Object)]
pub struct OffgridInspections {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Inspections and the checklist templates they are made from.
    pub fn inspections(self: Arc<Self>) -> Arc<OffgridInspections> {
        Arc::new(OffgridInspections { owner: self })
    }
}

impl OffgridInspections {
    /// The open store, or `Closed`.
    pub(crate) fn store(&self) -> Result<Arc<offgrid_core::Store>> {
        self.owner.store()
    }
}

#[uniffi::export]
impl OffgridInspections {
    /// Creates an inspection pinned to a template version; returns its id.
    pub fn create(&self, new: NewInspection) -> Result<RecordId> {
        Ok(self.store()?.create_inspection(&new)?)
    }

    /// The inspection with its answers, status, progress (incl. hidden items) and amendments.
    pub fn get(&self, id: RecordId) -> Result<Inspection> {
        Ok(self.store()?.inspection(&id)?)
    }

    /// Answers an item. `value_json` is JSON text: `"pass"`, `12.5`, `["a","b"]`,
    /// `{"lat": 30.1, "lon": 120.2}`; `null` clears the answer.
    pub fn answer(
        &self,
        id: RecordId,
        item_id: String,
        value_json: String,
        note: Option<String>,
    ) -> Result<AnswerOutcome> {
        let value = parse_json("the answer", &value_json)?;
        Ok(self
            .store()?
            .answer(&id, &item_id, &value, note.as_deref())?)
    }

    /// Attaches a photo (by the SHA-256 of its bytes) to an item's answer.
    pub fn add_photo(&self, id: RecordId, item_id: String, sha256: String) -> Result<()> {
        Ok(self.store()?.add_answer_photo(&id, &item_id, &sha256)?)
    }

    /// Signs the inspection (optionally answering a signature item) with the signature image.
    pub fn sign(
        &self,
        id: RecordId,
        item_id: Option<String>,
        name: String,
        image: Vec<u8>,
    ) -> Result<()> {
        Ok(self
            .store()?
            .sign_inspection(&id, item_id.as_deref(), &name, &image)?)
    }

    /// Submits; fails with `Incomplete` listing everything missing.
    pub fn submit(&self, id: RecordId) -> Result<Progress> {
        Ok(self.store()?.submit_inspection(&id)?)
    }

    /// Accepts, or returns with a `note` (required when returning).
    pub fn review(&self, id: RecordId, accept: bool, note: Option<String>) -> Result<()> {
        Ok(self
            .store()?
            .review_inspection(&id, accept, note.as_deref())?)
    }
}
