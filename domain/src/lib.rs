//! # offgrid-domain
//!
//! Offgrid's record kinds and their rules, with no I/O: what a record's first change holds
//! (genesis), what lists read of it (projection columns and facts), its status as a
//! deterministic fold of its events, and the write policy every change passes on the device,
//! in merges and on the server ([`record`]: the gate and each kind's [`record::KindRules`]).
//! Each kind owns its rules in its own module: [`project`], [`inspection`], [`hazard`],
//! [`patrol`] (plans, runs, schedules, tasks, scans, SUN messages), [`grid`], [`site`]; the
//! checklist templates are in [`checklist`]. Its one error type is [`Error`].
//!
//! The device's store (`offgrid-core`) and the sync server reach every kind through
//! [`record::rules`].

#![warn(missing_docs)]

pub mod checklist;
mod error;
pub mod grid;
pub mod hazard;
pub mod inspection;
pub mod patrol;
pub mod photo;
pub mod project;
pub mod record;
pub mod site;

pub use error::{Error, Result};

// The support crates under the names the kinds' modules use.
use offgrid_common::{access, civil, model};
use offgrid_doc as doc;
