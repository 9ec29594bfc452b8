//! # offgrid-ffi
//!
//! The UniFFI layer between `offgrid-core` and the Android (Kotlin) and iOS (Swift) shells, also
//! loadable from Python. It is deliberately thin:
//! - one UniFFI namespace, `offgrid_ffi`, for the whole library (one copy of UniFFI's runtime in
//!   Kotlin, Swift and Python): the crates below know nothing of UniFFI, and each of their types
//!   that crosses is declared here once as a remote type mirroring its definition (`remote/`:
//!   a field or variant that differs fails to compile);
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

// Every type that crosses the FFI, declared once, in this crate's one namespace.
mod remote;
use remote::JsonValue;

pub(crate) type Result<T, E = OffgridError> = std::result::Result<T, E>;

/// Parses JSON text from the shell. Parameters that carry JSON are plain strings so malformed
/// text is a typed [`OffgridError::InvalidArgument`], not an internal error.
pub(crate) fn parse_json(what: &str, text: &str) -> Result<JsonValue> {
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
