//! Official documents made from the records on this device, with no network: the quality
//! supervision report (质量监督报告) of an inspection, the rectification notice (整改通知书) and its
//! reply form (整改回复单) for a set of hazards — PDF/A-3b laid out by typst from the templates in
//! `core/templates/documents/` — and the hazard register (台账) as XLSX.
//!
//! Every document shows a number, the ids of the records it was made from and the SHA-256 of the
//! canonical JSON of what it shows (record heads and photo hashes included), as text and as a QR
//! code; the PDF carries that JSON as an attachment. Documents are registered in the store
//! (`issued_documents`) so that [`Store::verify_document`] can say whether one is still valid,
//! superseded by later changes to its records, or unknown, and reported to the server with the
//! next sync so that it can answer `GET /v1/verify/{sha256}` for anyone holding the paper.
//!
//! A document received from elsewhere is verified from the claims in its metadata
//! ([`claims`], [`Store::verify_file`]).
//!
//! The same records in the same state give byte-identical files. Making documents needs the
//! `documents` feature (typst, the XLSX writer: `make`); the kinds, the register of issued
//! documents and verification are in every build.

#[cfg(feature = "documents")]
mod canonical;
pub mod claims;
pub(crate) mod issued;
#[cfg(feature = "documents")]
mod make;
#[cfg(feature = "documents")]
mod notice;
#[cfg(feature = "documents")]
mod photos;
#[cfg(feature = "documents")]
mod qr;
#[cfg(feature = "documents")]
mod register;
#[cfg(feature = "documents")]
mod reply;
#[cfg(feature = "documents")]
mod supervision;
#[cfg(feature = "documents")]
mod text;
#[cfg(feature = "documents")]
mod typeset;
#[cfg(feature = "documents")]
mod write;

#[cfg(feature = "documents")]
pub(crate) use make::Assembled;
#[cfg(feature = "documents")]
pub use make::{
    DocumentSettings, ReplacedCharacter, ReportOptions, WrittenDocument, default_file_name,
};
pub use offgrid_protocol::documents::{DocumentKind, DocumentStatus, Verification};

/// A record as a document shows it (its id and the heads shown); reported to the server.
pub use offgrid_protocol::ShownRecord;
