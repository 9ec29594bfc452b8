//! # offgrid-documents
//!
//! Official documents laid out from domain data: the quality supervision report (质量监督报告)
//! of an inspection, the rectification notice (整改通知书) and its reply form (整改回复单) for a
//! set of hazards — PDF/A-3b laid out by typst from the templates in `documents/templates/` —
//! and the hazard register (台账) as XLSX.
//!
//! Every document shows a number, the ids of the records it was made from and the SHA-256 of
//! the canonical JSON of what it shows (record heads and photo hashes included), as text and as
//! a QR code; the PDF carries that JSON as an attachment. The same records in the same state
//! give byte-identical files.
//!
//! The records are read through a [`Source`] (the device's store, or the server's database):
//! this crate knows no storage. Writing the file and registering it as issued are the caller's.
//! Its one error type is [`Error`].

#![warn(missing_docs)]

mod canonical;
mod error;
mod made;
mod notice;
mod photos;
mod qr;
mod register;
mod reply;
mod source;
mod supervision;
mod text;
mod typeset;

pub use error::{Error, Result};
pub use made::{
    DocumentSettings, Made, ReplacedCharacter, ReportOptions, default_file_name, hazard_register,
    rectification_notice, reply_form, supervision_report,
};
pub use offgrid_protocol::ShownRecord;
pub use offgrid_protocol::documents::{DocumentKind, DocumentStatus, Verification};
pub use source::Source;

pub(crate) use made::Assembled;
