//! Making documents (feature `documents`): the organisation's settings, the writers of the
//! four documents on [`Store`], and the PDF pipeline they share — what a document shows as
//! JSON, hashed, what the fonts cannot print replaced, laid out by typst, written atomically
//! and registered as issued.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{DocumentKind, ShownRecord, canonical, photos, qr, register, text, typeset, write};
use super::{notice, reply, supervision};
use crate::error::{Error, Result};
use crate::model::RecordId;
use crate::store::Store;

/// The issuing organisation's header, the same on every document it makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentSettings {
    /// 监督机构, e.g. "某市人民防空工程质量监督站".
    pub agency: String,
    /// Document numbers: `{year}` (of the record), `{kind}` (监督 / 整改 / 复 / 台账) and
    /// `{serial}` (six hex digits from the record ids: the same records always get the same
    /// number, on any device, with no counter to collide offline).
    pub number_pattern: String,
    /// A PNG or JPEG shown above the agency's name.
    #[serde(default)]
    pub logo_path: Option<String>,
    /// The verification address the QR code points to, the hash appended
    /// (e.g. "https://offgrid.example.cn/v1/verify/"); without it the QR holds the hash alone.
    #[serde(default)]
    pub verify_url: Option<String>,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            agency: "人民防空工程质量监督站".into(),
            number_pattern: "人防质监〔{year}〕{kind}第{serial}号".into(),
            logo_path: None,
            verify_url: None,
        }
    }
}

impl DocumentSettings {
    pub(super) fn number(&self, kind: DocumentKind, year: i64, records: &[RecordId]) -> String {
        let mut ids: Vec<&str> = records.iter().map(|r| r.0.as_str()).collect();
        ids.sort_unstable();
        let serial = canonical::sha256_hex(ids.join(",").as_bytes())[..6].to_uppercase();
        self.number_pattern
            .replace("{year}", &year.to_string())
            .replace("{kind}", number_word(kind))
            .replace("{serial}", &serial)
    }
}

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

/// A character a document could not print, and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacedCharacter {
    /// The character as recorded, e.g. "𠀀".
    pub character: String,
    /// Its code point, e.g. "U+20000".
    pub code_point: String,
    /// The JSON paths, in what the document shows, of the strings holding it
    /// (`/notice/items/0/location`), in the order they are laid out.
    pub fields: Vec<String>,
}

/// Options of the supervision report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportOptions {
    /// Only failed items (不合格项), in red; the summary still counts everything.
    #[serde(default)]
    pub failed_only: bool,
}

/// What the assemblers hand to the renderer.
pub(crate) struct Assembled {
    pub(super) kind: DocumentKind,
    /// The document-specific part of what is shown (`report`, `notice`, `reply`).
    pub(super) body: (&'static str, Value),
    pub(super) records: Vec<ShownRecord>,
    pub(super) number: String,
    pub(super) failed_only: bool,
    pub(super) photos: photos::Prepared,
    pub(super) signatures: Vec<Vec<u8>>,
    /// The document's date (UTC ms and the offset it was written in): printed, and the PDF's
    /// creation date, so that the same records give the same bytes.
    pub(super) dated: (i64, i32),
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
        let assembled = supervision::assemble(self, inspection, options, settings)?;
        self.finish_pdf(assembled, typeset::Layout::Supervision, settings, out)
    }

    /// Writes the rectification notice for `hazards` (one project) to `out` (PDF).
    pub fn write_rectification_notice(
        &self,
        hazards: &[RecordId],
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let assembled = notice::assemble(self, hazards, settings)?;
        self.finish_pdf(assembled, typeset::Layout::Notice, settings, out)
    }

    /// Writes the reply form answering the notice of the same `hazards` to `out` (PDF).
    pub fn write_reply_form(
        &self,
        hazards: &[RecordId],
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let assembled = reply::assemble(self, hazards, settings)?;
        self.finish_pdf(assembled, typeset::Layout::Reply, settings, out)
    }

    /// Writes the hazard register (台账) of the hazards `query` selects to `out` (XLSX).
    pub fn write_register(
        &self,
        query: &crate::hazard::RegisterQuery,
        settings: &DocumentSettings,
        thumbnails: bool,
        out: &Path,
    ) -> Result<WrittenDocument> {
        register::write(self, query, settings, thumbnails, out)
    }

    fn finish_pdf(
        &self,
        a: Assembled,
        layout: typeset::Layout,
        settings: &DocumentSettings,
        out: &Path,
    ) -> Result<WrittenDocument> {
        let shown = json!({
            "kind": a.kind.as_str(),
            "number": a.number,
            "org": {"agency": settings.agency},
            "records": a.records,
            "failed_only": a.failed_only,
            a.body.0: a.body.1,
        });
        // Characters no font has are printed as U+FFFD and reported; the hash and the attached
        // JSON are of the text as recorded.
        let (printed, replaced_characters) = text::printable(&shown);
        let record_json = canonical::to_bytes(&shown);
        let sha256 = canonical::sha256_hex(&record_json);
        let qr_text = match &settings.verify_url {
            Some(url) => format!("{url}{sha256}"),
            None => sha256.clone(),
        };
        let logo = match &settings.logo_path {
            Some(p) => Some(std::fs::read(p).map_err(|e| Error::Document {
                reason: format!("cannot read the logo {p}: {e}"),
            })?),
            None => None,
        };
        let (y, m, d) = text::local_ymd(a.dated.0, a.dated.1);
        let data = json!({
            "doc": printed,
            "sha256": sha256,
            "logo": logo.is_some(),
            "date": {"year": y, "month": m, "day": d},
        });
        let inputs = typeset::Inputs {
            data_json: serde_json::to_vec(&data).map_err(|e| Error::Document {
                reason: e.to_string(),
            })?,
            record_json: record_json.clone(),
            qr_svg: qr::svg(&qr_text)?,
            photos: a.photos.files(self)?,
            signatures: a.signatures,
            logo,
        };
        let (pdf, pages) = typeset::render(layout, inputs, &sha256)?;
        write::atomically(out, &pdf)?;
        let written = WrittenDocument {
            kind: a.kind,
            path: out.display().to_string(),
            number: a.number,
            sha256,
            records: a.records,
            pages: pages as u32,
            bytes: pdf.len() as u64,
            missing_photos: a.photos.missing,
            replaced_characters,
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

/// Where the CLI and the shells put documents when no path is given.
pub fn default_file_name(kind: DocumentKind, number_or_id: &str) -> PathBuf {
    let ext = if kind == DocumentKind::Register {
        "xlsx"
    } else {
        "pdf"
    };
    let safe: String = number_or_id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(format!("{}-{safe}.{ext}", kind.as_str()))
}

/// The word of the document number ("监督" in 人防质监〔2026〕监督第…号).
fn number_word(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::SupervisionReport => "监督",
        DocumentKind::RectificationNotice => "整改",
        DocumentKind::ReplyForm => "复",
        DocumentKind::Register => "台账",
    }
}
