//! The organisation's settings, the makers of the four documents from a [`Source`], and the
//! PDF pipeline they share: what a document shows as JSON, hashed, what the fonts cannot print
//! replaced, laid out by typst. Writing the file and registering it as issued are the caller's.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::document;
use crate::{DocumentKind, ShownRecord, Source, canonical, photos, qr, register, text, typeset};
use crate::{notice, reply, supervision};
use offgrid_common::model::RecordId;

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
    /// (e.g. `https://offgrid.example.cn/v1/verify/`); without it the QR holds the hash alone.
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
    pub(crate) fn number(&self, kind: DocumentKind, year: i64, records: &[RecordId]) -> String {
        let mut ids: Vec<&str> = records.iter().map(|r| r.0.as_str()).collect();
        ids.sort_unstable();
        let serial = canonical::sha256_hex(ids.join(",").as_bytes())[..6].to_uppercase();
        self.number_pattern
            .replace("{year}", &year.to_string())
            .replace("{kind}", number_word(kind))
            .replace("{serial}", &serial)
    }
}

/// A document made: its file's bytes and what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// Which document this is.
    pub kind: DocumentKind,
    /// The document's number, from [`DocumentSettings::number_pattern`].
    pub number: String,
    /// SHA-256 of the canonical JSON of what it shows (printed on it, in its QR code, attached).
    pub sha256: String,
    /// The records it was made from, each with the heads shown.
    pub records: Vec<ShownRecord>,
    /// PDF pages (0 for the spreadsheet).
    pub pages: u32,
    /// The file: a PDF/A-3b, or the register's XLSX.
    pub bytes: Vec<u8>,
    /// Photos shown as "file missing" because the source does not have them (yet).
    pub missing_photos: Vec<String>,
    /// Characters none of the documents' fonts has (an extension B ideograph, an emoji, a
    /// private-use character), printed as U+FFFD (�) instead; the hash and the attached JSON
    /// keep them as recorded. A warning to show: the document is made all the same.
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
    pub(crate) kind: DocumentKind,
    /// The document-specific part of what is shown (`report`, `notice`, `reply`).
    pub(crate) body: (&'static str, Value),
    pub(crate) records: Vec<ShownRecord>,
    pub(crate) number: String,
    pub(crate) failed_only: bool,
    pub(crate) photos: photos::Prepared,
    pub(crate) signatures: Vec<Vec<u8>>,
    /// The document's date (UTC ms and the offset it was written in): printed, and the PDF's
    /// creation date, so that the same records give the same bytes.
    pub(crate) dated: (i64, i32),
}

/// The quality supervision report of an inspection (PDF).
pub fn supervision_report<S: Source>(
    src: &S,
    inspection: &RecordId,
    options: &ReportOptions,
    settings: &DocumentSettings,
) -> Result<Made, S::Error> {
    let assembled = supervision::assemble(src, inspection, options, settings)?;
    finish_pdf(src, assembled, typeset::Layout::Supervision, settings)
}

/// The rectification notice for `hazards` (one project) (PDF).
pub fn rectification_notice<S: Source>(
    src: &S,
    hazards: &[RecordId],
    settings: &DocumentSettings,
) -> Result<Made, S::Error> {
    let assembled = notice::assemble(src, hazards, settings)?;
    finish_pdf(src, assembled, typeset::Layout::Notice, settings)
}

/// The reply form answering the notice of the same `hazards` (PDF).
pub fn reply_form<S: Source>(
    src: &S,
    hazards: &[RecordId],
    settings: &DocumentSettings,
) -> Result<Made, S::Error> {
    let assembled = reply::assemble(src, hazards, settings)?;
    finish_pdf(src, assembled, typeset::Layout::Reply, settings)
}

/// The hazard register (台账) of the hazards `query` selects (XLSX), with the photos'
/// thumbnails when `thumbnails`.
pub fn hazard_register<S: Source>(
    src: &S,
    query: &offgrid_domain::hazard::RegisterQuery,
    settings: &DocumentSettings,
    thumbnails: bool,
) -> Result<Made, S::Error> {
    register::make(src, query, settings, thumbnails)
}

fn finish_pdf<S: Source>(
    src: &S,
    a: Assembled,
    layout: typeset::Layout,
    settings: &DocumentSettings,
) -> Result<Made, S::Error> {
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
        Some(p) => {
            Some(std::fs::read(p).map_err(|e| document(format!("cannot read the logo {p}: {e}")))?)
        }
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
        data_json: serde_json::to_vec(&data).map_err(|e| document(e.to_string()))?,
        record_json: record_json.clone(),
        qr_svg: qr::svg(&qr_text)?,
        photos: a.photos.files(src)?,
        signatures: a.signatures,
        logo,
    };
    let (pdf, pages) = typeset::render(layout, inputs, &sha256)?;
    Ok(Made {
        kind: a.kind,
        number: a.number,
        sha256,
        records: a.records,
        pages: pages as u32,
        bytes: pdf,
        missing_photos: a.photos.missing,
        replaced_characters,
    })
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
