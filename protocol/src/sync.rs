//! One sync round trip, `POST /v1/sync`: the changes a device pushes, what the server pulls
//! back (feed data, acknowledgements, refusals), documents reported, published templates and
//! sync watermarks.

use std::collections::BTreeMap;

use offgrid_common::model::RecordId;
use serde::{Deserialize, Serialize};

use crate::bytes::Bytes;
use crate::digest::ScopeDigest;

/// `POST /v1/sync`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncRequest {
    /// This install's automerge actor id: feed entries it pushed itself are not sent back.
    pub device: String,
    /// Opaque feed cursor per project, as the last response gave it. A project missing here is
    /// pulled from the start (as snapshots).
    #[serde(default)]
    pub cursors: BTreeMap<String, String>,
    /// Records with changes the server has not acknowledged.
    #[serde(default)]
    pub push: Vec<PushRecord>,
    /// Pull budget: bytes of change data in the response (the server may cap it lower).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Checklist template versions published on this device that the server has not taken
    /// yet (each the template's JSON), stored before the records that name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<serde_json::Value>,
    /// This request pushes everything the device holds that the server lacks: the server
    /// records the time it arrived as the device's sync watermark (ADR 0008).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pushed_all: bool,
    /// Official documents made on this device that the server has not taken yet, so that it
    /// can answer `GET /v1/verify/{sha256}`. Read after this request's pushes are applied: a
    /// document may show the changes pushed with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<IssuedDocument>,
    /// Records to send whole in this response, whatever the cursors (at most [`MAX_FETCH`]):
    /// what a device found missing when a scope's digest did not match (issue 28). Records the
    /// account may not read, or that do not exist, are left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetch: Vec<String>,
}

/// Most records one sync request may ask for whole ([`SyncRequest::fetch`]).
pub const MAX_FETCH: usize = 500;

/// An official document as its device reports it: the SHA-256 printed on it (of the canonical
/// JSON of what it shows) and the records with the heads it shows. The server cannot check the
/// hash against the content (it does not lay documents out); it checks that the reporter may
/// read every record and holds every head shown, and records who reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    /// The SHA-256 printed on it (and in its QR code), lowercase hex: what
    /// `GET /v1/verify/{sha256}` is asked with.
    pub sha256: String,
    /// `supervision_report`, `rectification_notice`, `reply_form` or `register`.
    pub kind: String,
    /// The document number printed on it (1-200 characters).
    pub number: String,
    /// When it was made (the device's clock, UTC ms).
    pub issued_ms: i64,
    /// The records it shows, each with the heads of the state shown (at least one).
    pub records: Vec<ShownRecord>,
}

/// Most documents one sync request reports.
pub const MAX_DOCUMENTS: usize = 100;

/// The key in `cursors` under which the server keeps the latest sync watermark it sent the
/// device: only newer ones are sent again.
pub const WATERMARKS_CURSOR: &str = "#watermarks";

/// The key in `cursors` under which the server keeps the digest of the published templates
/// the device holds: when it differs from the server's, every published template is sent.
pub const TEMPLATES_CURSOR: &str = "#templates";

/// A published template version, as the server delivers it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublishedTemplate {
    /// The template's JSON (its hash is recomputed by the device).
    pub template: serde_json::Value,
    /// The account that published it.
    pub published_by: String,
    /// When the server took it (server clock, UTC ms).
    pub published_ms: i64,
}

/// One record's unacknowledged changes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PushRecord {
    /// The record's id.
    pub id: String,
    /// The record's project, fixed at its first write on the server.
    pub project: String,
    /// The record's kind (`inspection`, `hazard`, `patrol_run`, …).
    pub kind: String,
    /// Automerge changes, each encoded on its own, in causal order.
    pub changes: Vec<Bytes>,
    /// Not sent (bytes on a weak link): the client's heads once these changes are applied,
    /// kept beside the request to record what the server acknowledged.
    #[serde(skip)]
    pub heads: Vec<String>,
    /// SHA-256 of every photo the record references.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The answer to `POST /v1/sync`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Records whose pushed changes are all stored and applied.
    #[serde(default)]
    pub acked: Vec<Acked>,
    /// Records with changes stored but waiting for dependencies the server has never seen.
    #[serde(default)]
    pub missing: Vec<MissingDeps>,
    /// Records refused, with why. Nothing of a refused record was stored.
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    /// Changes (or snapshots) from the feeds, after the request's cursors.
    #[serde(default)]
    pub pull: Vec<Pulled>,
    /// The cursor to send next time, per project the user can read.
    #[serde(default)]
    pub cursors: BTreeMap<String, String>,
    /// More feed entries are waiting: send another request with the new cursors.
    #[serde(default)]
    pub more: bool,
    /// Photos referenced by pushed records that the server does not hold for their project.
    #[serde(default)]
    pub need_blobs: Vec<NeedBlob>,
    /// The server's clock (UTC ms).
    pub server_time_ms: i64,
    /// Every published template version, when the device's digest (`cursors["#templates"]`)
    /// is not the server's; sent before the records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<PublishedTemplate>,
    /// Pushed template versions refused (`id` is `<template id>@<version>`): `forbidden` (no
    /// right to publish), `template_conflict` (that version is published with other content),
    /// `bad_template`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_refusals: Vec<Rejected>,
    /// Reported documents the server holds now (by SHA-256), including ones it held before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents_taken: Vec<String>,
    /// Reported documents refused for good (`id` is the SHA-256): `bad_document` (malformed),
    /// `forbidden` (a record the reporter may not read), `document_conflict` (that hash is
    /// held with other records). A document showing heads the server does not hold yet is
    /// neither taken nor refused: it is reported again with the next sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub document_refusals: Vec<Rejected>,
    /// Per account, the time (server clock) up to which everything its devices hold had
    /// reached the server: the least watermark of its devices (those not revoked). Only
    /// those newer than `cursors["#watermarks"]`. A patrol task is declared missed only once
    /// every assignee's watermark is past its window (ADR 0008).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub watermarks: BTreeMap<String, i64>,
    /// Per scope (project, or `org`) whose cursor this response brings to the end of its feed:
    /// what the device should now hold of it ([`ScopeDigest`]). A device whose own digest of
    /// the scope differs has missed something and asks for it ([`ReconcileRequest::scope`],
    /// [`SyncRequest::fetch`]) instead of calling the sync complete.
    ///
    /// [`ReconcileRequest::scope`]: crate::ReconcileRequest::scope
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digests: BTreeMap<String, ScopeDigest>,
    /// The organisation's time zone (an IANA name): the device keeps it for "today" and for
    /// deadlines given as dates (`Store::zone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// A record as a document shows it: its id and the heads of the state shown.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShownRecord {
    /// The record's id.
    pub id: RecordId,
    /// The heads of the state shown: change hashes, lowercase hex SHA-256 (at least one).
    pub heads: Vec<String>,
}

/// A record whose pushed changes are all stored and applied ([`SyncResponse::acked`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Acked {
    /// The record's id.
    pub id: String,
    /// The server's heads for the record after this request.
    pub heads: Vec<String>,
    /// What the server found checking a patrol run's changes, by change hash: finding names
    /// joined by commas (`crate::patrol::check`: a scan's SUN message, a disputed verdict, a
    /// clock ahead of the server's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, String>,
}

/// A record whose pushed changes are stored but wait for dependencies the server has never
/// seen ([`SyncResponse::missing`]): the device sends its whole history next round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MissingDeps {
    /// The record's id.
    pub id: String,
    /// Hashes of changes the server needs before it can apply what it holds.
    pub deps: Vec<String>,
}

/// Something pushed or reported that the server refused, with a code and why: a record
/// ([`SyncResponse::rejected`]), a template version or a document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rejected {
    /// The record's id; in `template_refusals` `<template id>@<version>`, in
    /// `document_refusals` the document's SHA-256.
    pub id: String,
    /// `forbidden` (no write access, or the write gate refused: `reason` starts with the rule's
    /// name, e.g. `permission: …`, `reinspector_rectified: …`), `wrong_project`,
    /// `unknown_project`, `bad_change`, `too_large`, `bad_id`.
    pub code: String,
    /// Why, in words for a developer and the log.
    pub reason: String,
}

/// Feed data for one record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pulled {
    /// The record's project, whose feed it comes from (`org`: the organisation scope).
    pub project: String,
    /// The record's id.
    pub id: String,
    /// The record's kind (`inspection`, `hazard`, `patrol_run`, …).
    pub kind: String,
    /// Changes in feed order (causal within the record).
    #[serde(default)]
    pub changes: Vec<Bytes>,
    /// A whole document (automerge `save`) instead of a long history, for a new device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Bytes>,
    /// When the server received each change (UTC ms), parallel to `changes`: evidence beside
    /// the device's own clock, which may be wrong.
    #[serde(default)]
    pub received_ms: Vec<i64>,
    /// The account the server verified as the pusher of each change, parallel to `changes`:
    /// who really wrote it, whatever its message claims.
    #[serde(default)]
    pub received_by: Vec<String>,
    /// What the server checked in the record's changes, by change hash (see [`Acked::checks`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, String>,
}

/// A photo the server needs: the device uploads it with `PUT /v1/blobs/{sha256}?project=…`
/// ([`SyncResponse::need_blobs`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedBlob {
    /// The photo's SHA-256, lowercase hex.
    pub sha256: String,
    /// The project of the record that references it: the one to upload it for.
    pub project: String,
}
