//! Sync with an Offgrid server. [`protocol`]: the wire types (`offgrid-protocol`, shared with
//! `offgrid-server`);
//! [`http`]: transport with retry and backoff; [`client`]: login, the sync loop, reconcile,
//! status; [`photos`]: resumable photo upload and verified download; `pulled`: pulled records
//! decoded ahead of the writer; [`service`]: the sync service the shells run (state, backoff,
//! cancel, observers).

#[cfg(feature = "sync-client")]
pub mod client;
#[cfg(feature = "sync-client")]
pub mod http;
#[cfg(feature = "sync-client")]
pub mod photos;
/// The wire types, from `offgrid-protocol`.
pub use offgrid_protocol as protocol;
#[cfg(feature = "sync-client")]
mod pulled;
#[cfg(feature = "sync-client")]
pub mod service;

#[cfg(feature = "sync-client")]
pub use client::{
    SyncOptions, SyncProgress, SyncRejection, SyncReport, SyncStatus, login, reconcile, sync,
    user_of,
};
#[cfg(feature = "sync-client")]
pub use http::RetryPolicy;
