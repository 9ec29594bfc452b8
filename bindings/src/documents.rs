//! Official documents through the FFI: the core writes each into the store's `documents`
//! folder and returns where (the shell shares or prints the file; bytes never cross), and
//! verifies a document's hash. One line each over [`offgrid_core::Store`].

use std::sync::Arc;

use offgrid_core::RecordId;
use offgrid_core::documents::{
    DocumentKind, DocumentSettings, ReportOptions, Verification, WrittenDocument,
};
use offgrid_core::hazard::RegisterQuery;

use crate::{OffgridStore, Result};

/// Documents: supervision report, rectification notice, reply form (PDF), register (XLSX).
#[derive(uniffi::Object)]
pub struct OffgridDocuments {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Documents: supervision report, rectification notice, reply form, register.
    pub fn documents(self: Arc<Self>) -> Arc<OffgridDocuments> {
        Arc::new(OffgridDocuments { owner: self })
    }
}

impl OffgridDocuments {
    fn target(
        &self,
        kind: DocumentKind,
        name: &str,
    ) -> Result<(Arc<offgrid_core::Store>, std::path::PathBuf)> {
        let store = self.owner.store()?;
        let dir = store.documents_dir()?;
        let path = dir.join(offgrid_core::documents::default_file_name(kind, name));
        Ok((store, path))
    }
}

#[uniffi::export]
impl OffgridDocuments {
    /// 人防工程质量监督报告 of an inspection (PDF), written into the store's documents folder.
    pub fn supervision_report(
        &self,
        inspection: RecordId,
        options: ReportOptions,
        settings: DocumentSettings,
    ) -> Result<WrittenDocument> {
        let (store, path) = self.target(DocumentKind::SupervisionReport, &inspection.0)?;
        Ok(store.write_supervision_report(&inspection, &options, &settings, &path)?)
    }

    /// 整改通知书 for hazards of one project (PDF).
    pub fn rectification_notice(
        &self,
        hazards: Vec<RecordId>,
        settings: DocumentSettings,
    ) -> Result<WrittenDocument> {
        let name = hazards.first().map(|h| h.0.clone()).unwrap_or_default();
        let (store, path) = self.target(DocumentKind::RectificationNotice, &name)?;
        Ok(store.write_rectification_notice(&hazards, &settings, &path)?)
    }

    /// 整改回复单 answering the notice of the same hazards (PDF).
    pub fn reply_form(
        &self,
        hazards: Vec<RecordId>,
        settings: DocumentSettings,
    ) -> Result<WrittenDocument> {
        let name = hazards.first().map(|h| h.0.clone()).unwrap_or_default();
        let (store, path) = self.target(DocumentKind::ReplyForm, &name)?;
        Ok(store.write_reply_form(&hazards, &settings, &path)?)
    }

    /// 隐患台账 of the hazards `query` selects (XLSX), thumbnails optional.
    pub fn register(
        &self,
        query: RegisterQuery,
        settings: DocumentSettings,
        thumbnails: bool,
    ) -> Result<WrittenDocument> {
        let name = query.project.clone().unwrap_or_else(|| "all".into());
        let (store, path) = self.target(DocumentKind::Register, &name)?;
        Ok(store.write_register(&query, &settings, thumbnails, &path)?)
    }

    /// Whether the document with this SHA-256 (printed on it, in its QR code) is still valid,
    /// superseded by later changes to its records, or unknown on this device.
    pub fn verify(&self, sha256: String) -> Result<Verification> {
        Ok(self.owner.store()?.verify_document(&sha256)?)
    }

    /// Whether the PDF at `path` (made by Offgrid here or on another device, received by mail
    /// or a messenger) is still valid, superseded or unknown on this device, from the hash and
    /// the records its metadata claims. A file Offgrid did not make is a `Document` error.
    pub fn verify_file(&self, path: String) -> Result<Verification> {
        Ok(self
            .owner
            .store()?
            .verify_file(std::path::Path::new(&path))?)
    }
}
