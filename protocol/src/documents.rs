//! What the server answers about a document a device made: its kind, and whether the records it
//! shows are still in the state it shows ([`Verification`]).

use offgrid_common::model::RecordId;
use serde::{Deserialize, Serialize};

/// The four documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 人防工程质量监督报告.
    SupervisionReport,
    /// 整改通知书.
    RectificationNotice,
    /// 整改回复单.
    ReplyForm,
    /// 隐患台账 (XLSX).
    Register,
}

offgrid_common::named!(pub DocumentKind, "document kind" {
    SupervisionReport => "supervision_report",
    RectificationNotice => "rectification_notice",
    ReplyForm => "reply_form",
    Register => "register",
});

/// Whether a document still shows its records as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Every record it shows is still in the state it shows.
    Valid,
    /// At least one record changed since (see `changed`).
    Superseded,
    /// Not a document this store made, and its records are not here.
    Unknown,
}

offgrid_common::named!(pub DocumentStatus, "document status" {
    Valid => "valid",
    Superseded => "superseded",
    Unknown => "unknown",
});

/// What is known of a document by its SHA-256: where it stands, and what it is if it was
/// issued here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Valid, superseded or unknown.
    pub status: DocumentStatus,
    /// The SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Which document it is, if known.
    pub kind: Option<DocumentKind>,
    /// Its number (人防质监〔2026〕监督第…号), if known.
    pub number: Option<String>,
    /// When it was issued (UTC milliseconds), if known.
    pub issued_ms: Option<i64>,
    /// Records whose state moved on since the document was made.
    pub changed: Vec<RecordId>,
}
