//! The types that cross the FFI, as UniFFI sees them: one namespace (`offgrid_ffi`) for the
//! whole library, so Kotlin, Swift and Python carry one copy of UniFFI's runtime.
//!
//! None of the crates below knows UniFFI. Each of their types that crosses the FFI is declared
//! here once, as a *remote* type mirroring its definition (a field or variant that differs fails
//! to compile): [`base`] for `offgrid-common`'s, `offgrid-protocol`'s, `offgrid-doc`'s and
//! `offgrid-photo`'s, [`domain`] for `offgrid-domain`'s, [`device`] for `offgrid-core`'s
//! (generated from their definitions, docs included). This module holds the few *custom
//! types*: values that cross the FFI as something simpler.
//! - `RecordId` travels as its string.
//! - JSON values (answers, record fields) and visibility [`Condition`]s travel as JSON text; the
//!   shells parse them with their own JSON library only where they need to look inside.
//! - Maps keyed by SHA-256 or by name are `BTreeMap`s in Rust (stable order for the CLI and
//!   tests) and plain maps in Kotlin/Swift/Python.

use std::collections::{BTreeMap, HashMap};

use offgrid_domain::checklist::Condition;
use offgrid_domain::inspection::PhotoRef;

mod base;
mod device;
mod domain;

/// A JSON value (an answer, a record's fields).
pub(crate) type JsonValue = serde_json::Value;
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
pub(crate) type PhotoMap = BTreeMap<String, PhotoRef>;
uniffi::custom_type!(PhotoMap, HashMap<String, PhotoRef>, {
    remote,
    try_lift: |m| Ok(m.into_iter().collect()),
    lower: |m| m.into_iter().collect(),
});

/// Counts keyed by a status or grade name.
pub(crate) type Counts = BTreeMap<String, u32>;
uniffi::custom_type!(Counts, HashMap<String, u32>, {
    remote,
    try_lift: |m| Ok(m.into_iter().collect()),
    lower: |m| m.into_iter().collect(),
});
