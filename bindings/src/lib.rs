//! # offgrid-ffi
//!
//! The UniFFI layer between `offgrid-core` and the Android (Kotlin) and iOS (Swift) shells, also
//! loadable from Python. It is deliberately thin:
//! - the domain types are the core's own, derived with `uniffi::Record`/`Enum` behind the core's
//!   `uniffi` feature, so nothing is mapped by hand twice;
//! - [`OffgridStore`] is a newtype over [`offgrid_core::Store`] with the generic record API;
//!   the domain lives in small sub-objects over the same store, one file each, every method one
//!   line: `store.screens()`, `inspections()` (with templates), `hazards()`, `patrols()`,
//!   `photos()`, `sync()` (with its `service()`), `grid()`, `sites()`. What a shell never needs
//!   (raw automerge changes and heads) is not exported: devices exchange changes through sync;
//! - one public error, [`OffgridError`], converted from the core's error in one place
//!   (`error.rs`);
//! - two foreign traits implemented by the shells: [`ChangeListener`] (which records changed)
//!   and [`Logger`] (the core's `tracing` events, for Logcat/OSLog).
//!
//! Database calls are synchronous: shells call them off the main thread. UniFFI catches Rust
//! panics at the boundary and raises them as an internal exception; the core does not panic on
//! bad input, it returns [`OffgridError`].
//!
//! Ownership: every object is reference-counted. Kotlin objects are `AutoCloseable` (`use {}` or
//! `close()` releases the Rust side); Swift releases in `deinit`; Python when the object is
//! garbage-collected. [`OffgridStore::close_database`] closes the database file at once, whoever
//! still holds the object.

#![warn(missing_docs)]

#[cfg(target_os = "android")]
mod android;
#[cfg(feature = "documents")]
mod documents;
mod encryption;
mod error;
mod hazards;
mod inspections;
mod listener;
mod logging;
mod patrols;
mod photos;
mod reference;
mod screens;
mod store;
mod sync;
mod sync_service;
mod templates;

#[cfg(feature = "documents")]
pub use documents::OffgridDocuments;
pub use encryption::{generate_store_key, rekey_store};
pub use error::OffgridError;
pub use hazards::OffgridHazards;
pub use inspections::OffgridInspections;
pub use listener::{ChangeListener, ChangeSubscription};
pub use logging::{LogLevel, LogRecord, Logger, set_logger};
pub use patrols::OffgridPatrols;
pub use photos::OffgridPhotos;
pub use reference::{OffgridGrid, OffgridSites, SiteTagEvent};
pub use screens::OffgridScreens;
pub use store::OffgridStore;
pub use sync::{OffgridSync, SyncCancel, SyncProgressListener};
pub use sync_service::{OffgridSyncService, SyncStateListener};

uniffi::setup_scaffolding!("offgrid_ffi");

// Types whose UniFFI converters the core defines as "remote" custom types.
use offgrid_core::ffi;
uniffi::use_remote_type!(offgrid_core::ffi::JsonValue);
uniffi::use_remote_type!(offgrid_core::ffi::Counts);
// offgrid-common's, offgrid-protocol's and offgrid-doc's types, declared once as remote types by the core
// (`offgrid_core::ffi`). The macro takes the declaring crate, then the type as named here.
use offgrid_core::doc::{Conflict, HistoryEntry};
use offgrid_core::fields::FieldError;
use offgrid_core::model::{RecordId, RecordKind, RecordSummary, RiskGrade, User};
use offgrid_core::sync::protocol::Account;
uniffi::use_remote_type!(offgrid_core::Conflict);
uniffi::use_remote_type!(offgrid_core::HistoryEntry);
uniffi::use_remote_type!(offgrid_core::Account);
uniffi::use_remote_type!(offgrid_core::RecordId);
uniffi::use_remote_type!(offgrid_core::RecordKind);
uniffi::use_remote_type!(offgrid_core::RecordSummary);
uniffi::use_remote_type!(offgrid_core::RiskGrade);
uniffi::use_remote_type!(offgrid_core::User);
uniffi::use_remote_type!(offgrid_core::FieldError);
// offgrid-domain's types and the documents' wire types, declared once as remote types by the
// core (`offgrid_core::ffi`).
use offgrid_core::checklist::template::{
    Choice, Clause, Evidence, Item, ItemKind, Section, Template, TemplatePurpose, Text,
};
use offgrid_core::documents::{DocumentKind, DocumentStatus, Verification};
use offgrid_core::hazard::events::{HazardEvent, HazardEventKind, HazardState, HazardStatus};
use offgrid_core::inspection::lifecycle::{InspectionEvent, InspectionEventKind, InspectionStatus};
use offgrid_core::inspection::progress::{FailedItem, Missing, MissingKind, Progress};
use offgrid_core::inspection::{AnswerData, PhotoRef};
use offgrid_core::patrol::plans::{Excusal, NewPlan, PatrolPlan};
use offgrid_core::patrol::run::{Gps, RunEvent, RunEventKind, RunStatus, TrackPoint};
use offgrid_core::patrol::scan::{ScanFlag, ScanVerdict};
use offgrid_core::patrol::schedule::{Occurrence, Recurrence, Schedule};
use offgrid_core::patrol::task::{Completion, TaskState};
use offgrid_core::site::tags::{TagBinding, TagEvent, TagEventKind};
use offgrid_core::site::{
    CheckMethod, Checkpoint, CheckpointKind, NewCheckpoint, NewSite, Site, SiteEdit, SiteKind,
    SiteQuery,
};
uniffi::use_remote_type!(offgrid_core::Choice);
uniffi::use_remote_type!(offgrid_core::Clause);
uniffi::use_remote_type!(offgrid_core::Evidence);
uniffi::use_remote_type!(offgrid_core::Item);
uniffi::use_remote_type!(offgrid_core::ItemKind);
uniffi::use_remote_type!(offgrid_core::Section);
uniffi::use_remote_type!(offgrid_core::Template);
uniffi::use_remote_type!(offgrid_core::TemplatePurpose);
uniffi::use_remote_type!(offgrid_core::Text);
uniffi::use_remote_type!(offgrid_core::HazardEvent);
uniffi::use_remote_type!(offgrid_core::HazardEventKind);
uniffi::use_remote_type!(offgrid_core::HazardState);
uniffi::use_remote_type!(offgrid_core::HazardStatus);
uniffi::use_remote_type!(offgrid_core::InspectionEvent);
uniffi::use_remote_type!(offgrid_core::InspectionEventKind);
uniffi::use_remote_type!(offgrid_core::InspectionStatus);
uniffi::use_remote_type!(offgrid_core::FailedItem);
uniffi::use_remote_type!(offgrid_core::Missing);
uniffi::use_remote_type!(offgrid_core::MissingKind);
uniffi::use_remote_type!(offgrid_core::Progress);
uniffi::use_remote_type!(offgrid_core::AnswerData);
uniffi::use_remote_type!(offgrid_core::PhotoRef);
uniffi::use_remote_type!(offgrid_core::Excusal);
uniffi::use_remote_type!(offgrid_core::NewPlan);
uniffi::use_remote_type!(offgrid_core::PatrolPlan);
uniffi::use_remote_type!(offgrid_core::Gps);
uniffi::use_remote_type!(offgrid_core::RunEvent);
uniffi::use_remote_type!(offgrid_core::RunEventKind);
uniffi::use_remote_type!(offgrid_core::RunStatus);
uniffi::use_remote_type!(offgrid_core::TrackPoint);
uniffi::use_remote_type!(offgrid_core::ScanFlag);
uniffi::use_remote_type!(offgrid_core::ScanVerdict);
uniffi::use_remote_type!(offgrid_core::Occurrence);
uniffi::use_remote_type!(offgrid_core::Recurrence);
uniffi::use_remote_type!(offgrid_core::Schedule);
uniffi::use_remote_type!(offgrid_core::Completion);
uniffi::use_remote_type!(offgrid_core::TaskState);
uniffi::use_remote_type!(offgrid_core::TagBinding);
uniffi::use_remote_type!(offgrid_core::TagEvent);
uniffi::use_remote_type!(offgrid_core::TagEventKind);
uniffi::use_remote_type!(offgrid_core::CheckMethod);
uniffi::use_remote_type!(offgrid_core::Checkpoint);
uniffi::use_remote_type!(offgrid_core::CheckpointKind);
uniffi::use_remote_type!(offgrid_core::NewCheckpoint);
uniffi::use_remote_type!(offgrid_core::NewSite);
uniffi::use_remote_type!(offgrid_core::Site);
uniffi::use_remote_type!(offgrid_core::SiteEdit);
uniffi::use_remote_type!(offgrid_core::SiteKind);
uniffi::use_remote_type!(offgrid_core::SiteQuery);
uniffi::use_remote_type!(offgrid_core::DocumentKind);
uniffi::use_remote_type!(offgrid_core::DocumentStatus);
uniffi::use_remote_type!(offgrid_core::Verification);

pub(crate) type Result<T, E = OffgridError> = std::result::Result<T, E>;

/// Parses JSON text from the shell. Parameters that carry JSON are plain strings so malformed
/// text is a typed [`OffgridError::InvalidArgument`], not an internal error.
pub(crate) fn parse_json(what: &str, text: &str) -> Result<ffi::JsonValue> {
    serde_json::from_str(text).map_err(|e| OffgridError::InvalidArgument {
        reason: format!("{what} is not valid JSON: {e}"),
    })
}

/// Removes everything the store at `db_path` keeps on this device (the database, its photos,
/// the documents made here). For a device whose token the office revoked
/// (`OffgridException.TokenRevoked` from sync): close the store first (drop every
/// `OffgridStore` on the file). Returns how many files and folders were removed.
#[uniffi::export]
pub fn wipe_store(db_path: String) -> Result<u64> {
    Ok(offgrid_core::store::wipe(std::path::Path::new(&db_path))?)
}

/// The version of the Offgrid core this library was built from.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
