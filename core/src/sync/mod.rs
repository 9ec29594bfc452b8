//! Sync with an Offgrid server. [`protocol`]: the wire types (shared with `offgrid-server`);
//! [`http`]: transport with retry and backoff; [`client`]: login, the sync loop, reconcile,
//! status; [`photos`]: resumable photo upload and verified download.

pub mod client;
pub mod http;
pub mod photos;
pub mod protocol;

pub use client::{
    SyncOptions, SyncProgress, SyncRejection, SyncReport, SyncStatus, login, reconcile, sync,
    user_of,
};
pub use http::RetryPolicy;
