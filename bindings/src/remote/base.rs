//! `offgrid-common`'s, `offgrid-protocol`'s, `offgrid-doc`'s and `offgrid-photo`'s types as UniFFI sees them. Those crates know
//! nothing of UniFFI; each of their types that crosses the FFI is declared here once, as a
//! *remote* type mirroring its definition (a field or variant that differs fails to compile),
//! and the crates above use them with `uniffi::use_remote_type!`.

use offgrid_common::access::{ProjectRole, Role};
use offgrid_common::fields::{FieldError, FieldProblem};
use offgrid_common::model::{RecordId, RecordKind, RecordSummary, RiskGrade, Timestamp, User};
use offgrid_doc::{Conflict, ConflictValue, HistoryEntry};
use offgrid_photo::{ExifData, GpsFix, PhotoInfo};
use offgrid_protocol::documents::{DocumentKind, DocumentStatus, Verification};
use offgrid_protocol::{Account, ShownRecord};

use super::JsonValue;

uniffi::custom_type!(RecordId, String, {
    remote,
    try_lift: |s| Ok(RecordId(s)),
    lower: |id| id.0,
});

/// What a record is.
#[uniffi::remote(Enum)]
pub enum RecordKind {
    Project,
    Inspection,
    Hazard,
    Patrol,
    /// A cell of the organisation's grid (city → district → street → community → grid).
    GridCell,
    /// A civil-defence work (人防工程) with its checkpoints and their tags.
    Site,
    /// A patrol plan (巡查计划): site, required checkpoints, schedule, assignees; versioned.
    PatrolPlan,
    /// One patroller's run of a patrol (巡查记录): scans, skips, observations; one writer.
    PatrolRun,
}

/// Four-colour risk grade (风险分级): red 重大 major, orange 较大 significant, yellow 一般
/// general, blue 低 low.
#[uniffi::remote(Enum)]
pub enum RiskGrade {
    Red,
    Orange,
    Yellow,
    Blue,
}

/// The person using the device. Every change is attributed to one (id and display name are
/// written into the change's metadata; the automerge actor id is per install, not per user).
#[uniffi::remote(Record)]
pub struct User {
    /// The user's account id on the sync server; written into every change the user makes and
    /// as a record's `created_by`.
    pub id: String,
    /// Display name (e.g. 王芳), written into every change the user makes.
    pub name: String,
    /// Role per project .
    pub roles: Vec<ProjectRole>,
}

/// A moment as the device saw it: UTC milliseconds plus the device's UTC offset in minutes.
/// Device clocks can be wrong; what they said is kept as evidence.
#[uniffi::remote(Record)]
pub struct Timestamp {
    /// UTC milliseconds since 1970-01-01, by the device's clock.
    pub unix_ms: i64,
    /// The device's UTC offset in minutes east (480 in China).
    pub offset_minutes: i32,
}

/// One row of a list: what the projection tables hold for a record. Reading it never loads the
/// record's document.
#[uniffi::remote(Record)]
pub struct RecordSummary {
    /// The record's id.
    pub id: RecordId,
    /// What the record is.
    pub kind: RecordKind,
    /// The project it belongs to (root `project`; `org` for the organisation scope's grid
    /// cells, sites, patrol plans and runs); `None` for a document that names none.
    pub project: Option<String>,
    /// Root `title`: what lists show as the record's name.
    pub title: Option<String>,
    /// Where it stands, as its kind derives it (an inspection's or hazard's lifecycle status, a
    /// patrol run's status, a patrol plan's `active` or `invalid`, a grid cell's level), else
    /// root `status`; `None` when neither says.
    pub status: Option<String>,
    /// Root `site`: free text for inspections and hazards, a site record's id for patrol plans
    /// and runs.
    pub site: Option<String>,
    /// A hazard's risk grade once graded ([`RiskGrade::as_str`]), else root `grade`.
    pub grade: Option<String>,
    /// Who is to act, a user id: a hazard's person ordered to rectify, a patrol run's runner;
    /// else root `assignee`.
    pub assignee: Option<String>,
    /// Deadline, UTC milliseconds.
    pub due_ms: Option<i64>,
    /// When the record was created, UTC milliseconds by the creating device's clock (root
    /// `created_ms`).
    pub created_ms: i64,
    /// User id of its creator (root `created_by`).
    pub created_by: Option<String>,
    /// When it last changed, UTC milliseconds: the latest of its heads' timestamps (the writing
    /// devices' clocks), never before `created_ms`.
    pub updated_ms: i64,
    /// User id of the latest head's author, as its change says; `None` if it names none.
    pub updated_by: Option<String>,
    /// Number of fields with concurrent values from different devices.
    pub conflict_count: u32,
    /// When the record becomes overdue, UTC milliseconds, while a deadline runs (for hazards:
    /// awaiting rectification); `None` when no deadline runs.
    pub overdue_from_ms: Option<i64>,
}

/// What someone does on a project.
#[uniffi::remote(Enum)]
pub enum Role {
    /// Inspects, raises hazards, re-inspects rectifications.
    Inspector,
    /// Rectifies hazards (usually the contractor).
    Rectifier,
    /// Reviews inspections, orders rectification, writes off major hazards.
    Supervisor,
    /// Everything, including templates and members.
    Admin,
    /// Reads only.
    Viewer,
}

/// A role on one project (`"*"` means every project).
#[uniffi::remote(Record)]
pub struct ProjectRole {
    /// The project's id, or `"*"` for every project.
    pub project: String,
    /// The role held there.
    pub role: Role,
}

/// What is wrong with a field.
#[uniffi::remote(Enum)]
pub enum FieldProblem {
    /// Empty (or only spaces) where something is needed.
    Required,
    /// Longer than `max` characters (a Chinese character counts one).
    TooLong { max: u32 },
    /// A deadline already passed. Advice on a form only: the store accepts it (an order copied
    /// from a paper notice may have passed already).
    InPast,
    /// Names something this device does not know (a template, a checkpoint).
    Unknown,
    /// The signed-in user may not do this there (e.g. create an inspection in that project).
    NotAllowed,
}

/// A field and what is wrong with it. `field` is the draft's field name as in the bindings'
/// record (`title`, `deadline_ms`, `template_id`).
#[uniffi::remote(Record)]
pub struct FieldError {
    pub field: String,
    pub problem: FieldProblem,
}

/// The signed-in user as the server knows them.
#[uniffi::remote(Record)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub roles: Vec<ProjectRole>,
}

/// A record as a document shows it: its id and the heads of the state shown.
#[uniffi::remote(Record)]
pub struct ShownRecord {
    pub id: RecordId,
    pub heads: Vec<String>,
}

/// One change of a record: who, when, what it touched.
#[uniffi::remote(Record)]
pub struct HistoryEntry {
    pub change: String,
    pub deps: Vec<String>,
    pub actor: String,
    pub seq: u64,
    /// The writing device's clock (UTC ms) and offset: what it said, even if wrong.
    pub time_ms: i64,
    pub offset_minutes: i32,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub message: String,
    /// JSON pointers of the fields this change set, inserted into or deleted.
    pub paths: Vec<String>,
    /// When the sync server received the change (UTC ms), once known.
    pub received_ms: Option<i64>,
    /// The account the server verified as the change's pusher (`None`: not yet confirmed by
    /// the server; `user_id` is only what the change says).
    pub verified_by: Option<String>,
    /// The server found the change stamped after it received it (`clock_ahead`).
    pub clock_ahead: bool,
}

/// A field with concurrent values from different devices.
#[uniffi::remote(Record)]
pub struct Conflict {
    /// JSON pointer of the field.
    pub path: String,
    /// Every concurrent value; exactly one has `winner` set (the one shown everywhere).
    pub values: Vec<ConflictValue>,
}

/// One of a field's concurrent values, with who wrote it and when.
#[uniffi::remote(Record)]
pub struct ConflictValue {
    pub value: JsonValue,
    pub winner: bool,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// When the writing device said it was (UTC ms) and its offset.
    pub time_ms: i64,
    pub offset_minutes: i32,
    /// Automerge actor (per install) and change hash, hex.
    pub actor: String,
    pub change: String,
    /// The account the sync server verified as the pusher of that change (`None`: not yet
    /// confirmed by the server).
    pub verified_by: Option<String>,
}

/// The four documents.
#[uniffi::remote(Enum)]
pub enum DocumentKind {
    /// 人防工程质量监督报告.
    SupervisionReport,
    /// 整改通知书.
    RectificationNotice,
    /// 整改回复单.
    ReplyForm,
    /// 隐患台账 (XLSX).
    Register,
}

/// Whether a document still shows its records as they are.
#[uniffi::remote(Enum)]
pub enum DocumentStatus {
    /// Every record it shows is still in the state it shows.
    Valid,
    /// At least one record changed since (see `changed`).
    Superseded,
    /// Not a document this store made, and its records are not here.
    Unknown,
}

/// What is known of a document by its SHA-256: where it stands, and what it is if it was
/// issued here.
#[uniffi::remote(Record)]
pub struct Verification {
    /// Valid, superseded or unknown.
    pub status: DocumentStatus,
    /// The SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Which document it is, if known.
    pub kind: Option<DocumentKind>,
    /// Its number (人防质监〔2026〕监督第…号), if known.
    pub number: Option<String>,
    /// When it was issued (UTC milliseconds), if known.
    pub issued_ms: Option<i64>,
    /// Records whose state moved on since the document was made.
    pub changed: Vec<RecordId>,
}

/// A position: from the phone's location service (the shell) or from EXIF.
#[uniffi::remote(Record)]
pub struct GpsFix {
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Altitude in metres, when known.
    pub altitude_m: Option<f64>,
    /// Horizontal accuracy in metres, when the source reports it.
    pub accuracy_m: Option<f64>,
}

/// What the image's EXIF says.
#[uniffi::remote(Record)]
pub struct ExifData {
    /// DateTimeOriginal as written, `YYYY-MM-DDTHH:MM:SS` (local time of the camera).
    pub taken_local: Option<String>,
    /// OffsetTimeOriginal in minutes east of UTC, when the camera wrote it.
    pub taken_offset_minutes: Option<i32>,
    /// The moment in UTC ms, when both the time and its offset are known.
    pub taken_unix_ms: Option<i64>,
    /// Where, when the camera wrote a GPS position.
    pub gps: Option<GpsFix>,
    /// 1–8 (1 = upright). Already applied to the derived images.
    pub orientation: u8,
    /// The camera's maker.
    pub make: Option<String>,
    /// The camera's model.
    pub model: Option<String>,
}

/// Facts about an original image.
#[uniffi::remote(Record)]
pub struct PhotoInfo {
    /// SHA-256 of the original bytes, lowercase hex: the photo's identity.
    pub sha256: String,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// Width of the original as stored (before orientation).
    pub width: u32,
    /// Height of the original as stored (before orientation).
    pub height: u32,
    /// Width of the upright upload copy.
    pub upload_width: u32,
    /// Height of the upright upload copy.
    pub upload_height: u32,
    /// Width of the upright thumbnail.
    pub thumb_width: u32,
    /// Height of the upright thumbnail.
    pub thumb_height: u32,
    /// What the original's EXIF says, when it has any.
    pub exif: Option<ExifData>,
}
