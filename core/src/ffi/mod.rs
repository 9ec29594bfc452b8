//! UniFFI support (feature `uniffi`, used by the `offgrid-ffi` crate only).
//!
//! The core's own types derive `uniffi::Record`/`uniffi::Enum` where they are defined
//! (`cfg_attr(feature = "uniffi", …)`), so nothing is mapped by hand twice. The types of
//! `offgrid-common`, `offgrid-protocol`, `offgrid-doc` and `offgrid-domain`, crates that know
//! nothing of UniFFI, are declared as remote types in [`remote`] and [`remote_domain`]. This
//! module holds the crate's scaffolding and the few *custom types*: values that cross the FFI as
//! something simpler.
//! - `RecordId` travels as its string.
//! - JSON values (answers, record fields) and visibility [`Condition`]s travel as JSON text; the
//!   shells parse them with their own JSON library only where they need to look inside.
//! - Maps keyed by SHA-256 or by name are `BTreeMap`s in Rust (stable order for the CLI and
//!   tests) and plain maps in Kotlin/Swift/Python.

use std::collections::{BTreeMap, HashMap};

use crate::checklist::Condition;
use crate::inspection::PhotoRef;

mod remote;
mod remote_domain;

/// A JSON value (an answer, a record's fields).
pub type JsonValue = serde_json::Value;
uniffi::custom_type!(JsonValue, String, {
    remote,
    try_lift: |s| Ok(serde_json::from_str(&s)?),
    lower: |v| v.to_string(),
});

uniffi::custom_type!(Condition, String, {
    remote,
    try_lift: |s| Ok(serde_json::from_str(&s)?),
    // Serialising a condition cannot fail (string keys, no non-string map keys); "null" is
    // only a defensive fallback so that lowering can never panic.
    lower: |c| serde_json::to_string(&c).unwrap_or_else(|_| "null".into()),
});

/// Photo references keyed by SHA-256.
pub type PhotoMap = BTreeMap<String, PhotoRef>;
uniffi::custom_type!(PhotoMap, HashMap<String, PhotoRef>, {
    remote,
    try_lift: |m| Ok(m.into_iter().collect()),
    lower: |m| m.into_iter().collect(),
});

/// Counts keyed by a status or grade name.
pub type Counts = BTreeMap<String, u32>;
uniffi::custom_type!(Counts, HashMap<String, u32>, {
    remote,
    try_lift: |m| Ok(m.into_iter().collect()),
    lower: |m| m.into_iter().collect(),
});
