//! # offgrid-doc
//!
//! Everything that reads or writes one automerge document, with no I/O. Its one error type is
//! [`Error`].
//!
//! A record is one document. Its root holds `id`, `kind`, `created_ms`, `created_by`, the scalar
//! fields lists show (`title`, `status`, `project`, …) and the genesis maps of its kind. Paths are
//! JSON pointers (`/answers/item-3/value`).

#![warn(missing_docs)]

pub mod chunks;
pub mod conflicts;
pub mod edit;
mod error;
pub mod events;
pub mod genesis;
pub mod history;
pub mod json;
pub mod limits;
pub mod meta;
pub mod path;
pub mod walk;

pub use conflicts::{Conflict, ConflictValue};
pub use edit::Edit;
pub use error::{Error, Result};
pub use history::HistoryEntry;
pub use meta::ChangeMeta;
