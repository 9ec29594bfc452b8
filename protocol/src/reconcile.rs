//! Repairing divergence, `POST /v1/reconcile`: every record's heads, compared on the server,
//! with nothing reset on either side.

use serde::{Deserialize, Serialize};

/// `POST /v1/reconcile`: every record's heads, to repair divergence (e.g. after a server
/// restore) without wiping the device.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReconcileRequest {
    /// Every record the device holds, with its heads there; with `scope`, the device's records
    /// of that scope with the heads the server acknowledged.
    pub records: Vec<RecordHeads>,
    /// Set when a scope's digest did not match: `records` are the device's records of that
    /// scope with the heads the server acknowledged, and the answer lists in
    /// [`ReconcileResponse::device_lacks`] what the device lacks or is behind on. Nothing is
    /// reset on either side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// One record of a [`ReconcileRequest`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordHeads {
    /// The record's id.
    pub id: String,
    /// Its heads: hashes of the changes no other change depends on, lowercase hex SHA-256.
    pub heads: Vec<String>,
}

/// The answer to `POST /v1/reconcile`: what to repair.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReconcileResponse {
    /// Records the server lacks some of: the client pushes their whole history next sync.
    pub server_lacks: Vec<String>,
    /// Projects whose feed the client should pull again from the start.
    pub pull_again: Vec<String>,
    /// With [`ReconcileRequest::scope`]: records of the scope the server holds at other heads
    /// than the device sent, or that the device did not send (at most [`MAX_LACKS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_lacks: Vec<String>,
}

/// Most records one reconcile answer names in [`ReconcileResponse::device_lacks`].
pub const MAX_LACKS: usize = 10_000;
