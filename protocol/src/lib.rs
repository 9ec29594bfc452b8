//! The sync protocol's wire types, shared by the device's sync client (`offgrid-core`) and the
//! server (`offgrid-server`). JSON, gzip-compressed in both directions; binary fields (automerge
//! changes, snapshots) are base64. Every field is documented in `docs/openapi.yaml`.
//!
//! One round trip carries everything: the client pushes the changes the server has not
//! acknowledged for every dirty record and pulls the project feeds after its cursors. Every
//! step is idempotent (changes are content-addressed), so a lost request or response is
//! simply retried.
//!
//! - [`login`]: signing in (`/v1/login`) and the account it answers with.
//! - [`sync`]: one sync round trip (`/v1/sync`): pushes, pulls, acknowledgements, documents
//!   reported, templates, watermarks.
//! - [`digest`]: a scope's count and checksum, so a device can tell it holds everything.
//! - [`reconcile`]: repairing divergence (`/v1/reconcile`).
//! - [`bytes`]: binary fields as base64; the forms ids and hashes take.
//! - [`error`]: the error body of every refused request.

#![warn(missing_docs)]

pub mod bytes;
pub mod digest;
pub mod documents;
pub mod error;
pub mod login;
pub mod reconcile;
pub mod sync;

pub use bytes::{Bytes, is_sha256_hex, is_valid_id, sha256_hex};
pub use digest::{DigestBuilder, ScopeDigest};
pub use error::ErrorBody;
pub use login::{Account, LoginRequest, LoginResponse};
pub use reconcile::{MAX_LACKS, ReconcileRequest, ReconcileResponse, RecordHeads};
pub use sync::{
    Acked, IssuedDocument, MAX_DOCUMENTS, MAX_FETCH, MissingDeps, NeedBlob, PublishedTemplate,
    Pulled, PushRecord, Rejected, ShownRecord, SyncRequest, SyncResponse, TEMPLATES_CURSOR,
    WATERMARKS_CURSOR,
};

/// Sent as `Offgrid-Protocol`; the server refuses versions it does not speak.
pub const PROTOCOL_VERSION: u32 = 1;

/// Default pull budget per response (bytes of change data), small enough for one bar of signal.
pub const DEFAULT_PULL_BYTES: u64 = 1 << 20;
