//! Writing documents on the device (feature `documents`): each is made by
//! `offgrid-documents` from this store (its [`offgrid_documents::Source`]), written atomically
//! and registered as issued.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DocumentKind, DocumentSettings, ReplacedCharacter, ReportOptions, ShownRecord};
use crate::error::Result;
use crate::model::RecordId;
use crate::store::Store;

/// A document written to disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WrittenDocument {
    /// Which document this is.
    pub kind: DocumentKind,
    /// Where it was written (the `out` path given).
    pub path: String,
    /// The document's number, from [`DocumentSettings::number_pattern`].
    pub number: String,
    /// SHA-256 of the canonical JSON of what it shows (printed on it, in its QR code, attached).
    pub sha256: String,
    /// The records it was made from, each with the heads shown.
    pub records: Vec<ShownRecord>,
    /// PDF pages (0 for the spreadsheet).
    pub pages: u32,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Photos shown as "file missing" because this device does not have them (yet).
    pub missing_photos: Vec<String>,
    /// Characters none of the documents' fonts has (an extension B ideograph, an emoji, a
    /// private-use character), printed as U+FFFD (�) instead; the hash and the attached JSON
    /// keep them as recorded. A warning to show: the document is made all the same.
    #[serde(default)]
    pub replaced_characters: Vec<ReplacedCharacter>,
}

impl Store {
    /// Writes the quality supervision report of an inspection to `out` (PDF).
    pub fn write_supervision_report(
        &self,
        inspection: &RecordId,
        options: &ReportOptions,
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let made = offgrid_documents::supervision_report(self, inspection, options, settings)?;
        self.finish(made, out)
    }

    /// Writes the rectification notice for `hazards` (one project) to `out` (PDF).
    pub fn write_rectification_notice(
        &self,
        hazards: &[RecordId],
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let made = offgrid_documents::rectification_notice(self, hazards, settings)?;
        self.finish(made, out)
    }

    /// Writes the reply form answering the notice of the same `hazards` to `out` (PDF).
    pub fn write_reply_form(
        &self,
        hazards: &[RecordId],
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let made = offgrid_documents::reply_form(self, hazards, settings)?;
        self.finish(made, out)
    }

    /// Writes the hazard register (台账) of the hazards `query` selects to `out` (XLSX).
    pub fn write_register(
        &self,
        query: &crate::hazard::RegisterQuery,
        settings: &DocumentSettings,
        thumbnails: bool,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let made = offgrid_documents::hazard_register(self, query, settings, thumbnails)?;
        self.finish(made, out)
    }

    /// Writes `made` to `out` atomically and registers it as issued.
    fn finish(&self, made: offgrid_documents::Made, out: &Path) -> Result<WrittenDocument> {
        super::write::atomically(out, &made.bytes)?;
        let written = WrittenDocument {
            kind: made.kind,
            path: out.display().to_string(),
            number: made.number,
            sha256: made.sha256,
            records: made.records,
            pages: made.pages,
            bytes: made.bytes.len() as u64,
            missing_photos: made.missing_photos,
            replaced_characters: made.replaced_characters,
        };
        self.register_issued(&written)?;
        Ok(written)
    }

    /// The folder beside the photos where the shells' documents are written (created).
    pub fn documents_dir(&self) -> Result<PathBuf> {
        let dir = self.blobs().capture_dir().with_file_name("documents");
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }
}
