//! Official documents made from the records on this device, with no network: the quality
//! supervision report (质量监督报告) of an inspection, the rectification notice (整改通知书) and its
//! reply form (整改回复单) for a set of hazards, and the hazard register (台账) — laid out by
//! `offgrid-documents` from this store (its `Source`, feature `documents`), written atomically.
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
//! Making documents needs the `documents` feature (typst, the XLSX writer); the kinds, the
//! register of issued documents and verification are in every build.
//!
//! [`Store::verify_document`]: crate::store::Store::verify_document
//! [`Store::verify_file`]: crate::store::Store::verify_file

pub mod claims;
pub(crate) mod issued;
#[cfg(feature = "documents")]
mod make;
#[cfg(feature = "documents")]
mod source;
#[cfg(feature = "documents")]
mod write;

#[cfg(feature = "documents")]
pub use make::WrittenDocument;
#[cfg(feature = "documents")]
pub use offgrid_documents::{
    DocumentSettings, ReplacedCharacter, ReportOptions, default_file_name,
};
pub use offgrid_protocol::documents::{DocumentKind, DocumentStatus, Verification};

/// A record as a document shows it (its id and the heads shown); reported to the server.
pub use offgrid_protocol::ShownRecord;
