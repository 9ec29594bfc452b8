//! # offgrid-serve
//!
//! The sync server's command line, shared by the `offgrid-server` binary (the server alone: no
//! device core, no SQLCipher, no image codec, no typst) and the desktop CLI's `offgrid serve` and
//! `offgrid admin`: the same arguments, defaults and messages in both.

#![warn(missing_docs)]

mod admin;
mod logging;
mod serve;
mod storage;

pub use admin::{AdminArgs, AdminCommand, TagKeyCommand, admin};
pub use logging::init_logging;
pub use serve::{ServeArgs, serve};
pub use storage::StorageArgs;
