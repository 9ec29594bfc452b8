//! # offgrid-core
//!
//! The shared core of Offgrid, an offline-first inspection app. Everything an inspector enters is
//! a field of an [automerge](https://automerge.org) document — one document per record
//! (project, inspection, hazard, patrol) — kept in a crash-safe SQLite [`Store`]. Documents from
//! different devices merge without losing either side; concurrent values of one field are kept
//! and reported as [conflicts](Store::conflicts).
//!
//! Layers (see `docs/ARCHITECTURE.md`):
//! - [`model`], [`access`], [`zone`], [`fields`] (from `offgrid-common`): ids, kinds, users,
//!   roles, time in the organisation's zone, field errors.
//! - [`checklist`]: checklist templates: format, validation, visibility conditions, built-ins.
//! - [`hazard`]: hazards and their closed loop (events folded into a status), the register.
//! - [`inspection`]: inspections from pinned templates: answers, progress, lifecycle.
//! - [`grid`], [`site`]: the organisation's reference data: grid cells, sites with their
//!   checkpoints and tags (ADR 0007).
//! - [`doc`] (`offgrid-doc`): everything that reads or writes one automerge document, with no
//!   I/O.
//! - [`store`]: persistence (SQLite), projections for lists and search, cache, notifications.

// Without the sync client (`default-features = false`) the device-side helpers it uses are
// unused.
#![cfg_attr(not(feature = "sync-client"), allow(dead_code))]
#![warn(missing_docs)]

pub mod checklist;
pub mod documents;
pub mod error;
pub mod grid;
pub mod hazard;
pub mod inspection;
mod parallel;
pub mod patrol;
pub mod photo;
pub mod screens;
pub mod site;
pub mod store;
pub mod sync;

// The base types, from `offgrid-common`, at the paths the rest of the core names them by.
/// The Rust example of `docs/bindings.md`, compiled as a doctest so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/bindings.md")]
pub struct BindingsGuide;

pub use offgrid_common::{access, civil, fields, model, zone};
/// One automerge document, no I/O (`offgrid-doc`).
pub use offgrid_doc as doc;
pub use offgrid_domain::{project, record};

pub use access::{Permission, ProjectRole, Role};
pub use error::{Error, Result};
pub use model::{
    Clock, FixedClock, RecordId, RecordKind, RecordSummary, RiskGrade, SystemClock, Timestamp, User,
};
pub use store::{
    ApplyOutcome, ListQuery, ListSort, Store, StoreKey, StoreOptions, Subscription,
    UnreadableRecord, VerifyReport, Writer,
};
