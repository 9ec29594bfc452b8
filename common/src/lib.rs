//! # offgrid-common
//!
//! The base every other Offgrid crate stands on, with no I/O and no UniFFI: what a record is
//! ([`model`]: ids, kinds, grades, users, timestamps, clocks, list rows), who may do what
//! ([`access`]), time in the organisation's zone ([`zone`], [`civil`]), and the field errors
//! forms show ([`fields`]). Its one error type is [`Error`]; the crates above convert it into
//! theirs.

#![warn(missing_docs)]

pub mod access;
pub mod civil;
mod error;
pub mod fields;
mod hash;
pub mod model;
mod names;
pub mod photo;
pub mod query;
pub mod zone;

pub use access::{Permission, ProjectRole, Role};
pub use error::{Error, Result};
pub use hash::sha256_hex;
pub use model::{
    Clock, FixedClock, RecordId, RecordKind, RecordSummary, RiskGrade, SystemClock, Timestamp, User,
};
pub use query::{ListQuery, ListSort};
