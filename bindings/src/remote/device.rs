//! `offgrid-core`'s own types as UniFFI sees them, declared as remote types: generated from
//! their definitions (fields, variants, docs and field defaults), checked against them by the
//! compiler. After changing one of them in the core, change it here the same way.

#![allow(missing_docs)] // the docs are the definitions'; a field without one has none there

use offgrid_common::model::RecordId;
use offgrid_common::model::RecordKind;
use offgrid_common::model::RecordSummary;
use offgrid_common::model::RiskGrade;
use offgrid_common::model::User;
use offgrid_core::ListQuery;
use offgrid_core::ListSort;
use offgrid_core::checklist::published::TemplateRef;
#[cfg(feature = "documents")]
use offgrid_core::documents::DocumentSettings;
#[cfg(feature = "documents")]
use offgrid_core::documents::ReplacedCharacter;
#[cfg(feature = "documents")]
use offgrid_core::documents::ReportOptions;
#[cfg(feature = "documents")]
use offgrid_core::documents::WrittenDocument;
use offgrid_core::grid::GridCell;
use offgrid_core::grid::GridLevel;
use offgrid_core::grid::GridMember;
use offgrid_core::grid::GridRole;
use offgrid_core::grid::NewGridCell;
use offgrid_core::hazard::Hazard;
use offgrid_core::hazard::HazardSource;
use offgrid_core::hazard::NewHazard;
use offgrid_core::hazard::RectificationOrder;
use offgrid_core::hazard::register::Register;
use offgrid_core::hazard::register::RegisterQuery;
use offgrid_core::inspection::AnswerOutcome;
use offgrid_core::inspection::Inspection;
use offgrid_core::inspection::NewInspection;
use offgrid_core::inspection::Signature;
use offgrid_core::patrol::coverage::CellCoverage;
use offgrid_core::patrol::coverage::CoverageFigures;
use offgrid_core::patrol::coverage::CoverageQuery;
use offgrid_core::patrol::coverage::CoverageSort;
use offgrid_core::patrol::coverage::TaskCounts;
use offgrid_core::patrol::runs::EventReceipt;
use offgrid_core::patrol::runs::NewObservation;
use offgrid_core::patrol::runs::PatrolRunView;
use offgrid_core::patrol::runs::ScanInput;
use offgrid_core::patrol::runs::ScanOutcome;
use offgrid_core::patrol::today::TaskQuery;
use offgrid_core::patrol::today::TaskView;
use offgrid_core::photo::CaptureContext;
use offgrid_core::photo::PhotoMeta;
use offgrid_core::photo::PhotoTarget;
use offgrid_core::screens::checklist::ChecklistCommand;
use offgrid_core::screens::checklist::ChecklistItem;
use offgrid_core::screens::checklist::ChecklistScreen;
use offgrid_core::screens::checklist::ChecklistSection;
use offgrid_core::screens::checklist::InspectionAction;
use offgrid_core::screens::forms::Draft;
use offgrid_core::screens::hazard::HazardCommand;
use offgrid_core::screens::hazard::HazardScreen;
use offgrid_core::screens::home::HomeScreen;
use offgrid_core::screens::list::ListFilter;
use offgrid_core::screens::list::ListRow;
use offgrid_core::screens::list::ListScreen;
use offgrid_core::screens::list::ListScreenKind;
use offgrid_core::screens::list::StatusCount;
use offgrid_core::screens::patrol::PatrolAction;
use offgrid_core::screens::patrol::PatrolCommand;
use offgrid_core::screens::patrol::PatrolRunScreen;
use offgrid_core::screens::patrol::SkippedCheckpoint;
use offgrid_core::screens::review::ReviewAction;
use offgrid_core::screens::review::ReviewCommand;
use offgrid_core::screens::review::ReviewFinding;
use offgrid_core::screens::review::ReviewScreen;
use offgrid_core::screens::review::SignatureSlot;
use offgrid_core::screens::sync::SyncScreen;
use offgrid_core::store::ChangeEvent;
use offgrid_core::store::PhotoFile;
use offgrid_core::store::UnreadableRecord;
use offgrid_core::store::VerifyReport;
use offgrid_core::store::photos::PhotoState;
use offgrid_core::store::photos::QueuedPhoto;
use offgrid_core::store::writer::ApplyOutcome;
use offgrid_core::sync::client::SyncProgress;
use offgrid_core::sync::client::SyncRejection;
use offgrid_core::sync::client::SyncReport;
use offgrid_core::sync::client::SyncStatus;
use offgrid_core::sync::service::SyncState;
use offgrid_domain::checklist::template::Clause;
use offgrid_domain::checklist::template::ItemKind;
use offgrid_domain::checklist::template::Text;
use offgrid_domain::hazard::actions::HazardAction;
use offgrid_domain::hazard::events::HazardEvent;
use offgrid_domain::hazard::events::HazardState;
use offgrid_domain::inspection::AnswerData;
use offgrid_domain::inspection::PhotoRef;
use offgrid_domain::inspection::lifecycle::InspectionEvent;
use offgrid_domain::inspection::lifecycle::InspectionStatus;
use offgrid_domain::inspection::progress::Missing;
use offgrid_domain::inspection::progress::MissingKind;
use offgrid_domain::inspection::progress::Progress;
use offgrid_domain::patrol::run::Gps;
use offgrid_domain::patrol::run::RunEvent;
use offgrid_domain::patrol::run::RunStatus;
use offgrid_domain::patrol::scan::ScanVerdict;
use offgrid_domain::patrol::schedule::Occurrence;
use offgrid_domain::patrol::task::TaskState;
use offgrid_domain::site::CheckMethod;
use offgrid_domain::site::Checkpoint;
use offgrid_photo::ExifData;
use offgrid_photo::GpsFix;
#[cfg(feature = "documents")]
use offgrid_protocol::documents::DocumentKind;
#[cfg(feature = "documents")]
use offgrid_protocol::sync::ShownRecord;
use std::collections::BTreeMap;
use std::collections::HashMap;

/// Which template version a record was made from.
#[uniffi::remote(Record)]
pub struct TemplateRef {
    /// The template's id, e.g. `rfj-stage-slab-rebar`.
    pub id: String,
    /// The template's version; a published (id, version) never changes.
    pub version: u32,
    /// SHA-256 of the template's canonical JSON.
    pub hash: String,
}

/// The issuing organisation's header, the same on every document it makes.
#[cfg(feature = "documents")]
#[uniffi::remote(Record)]
pub struct DocumentSettings {
    /// 监督机构, e.g. "某市人民防空工程质量监督站".
    pub agency: String,
    /// Document numbers: `{year}` (of the record), `{kind}` (监督 / 整改 / 复 / 台账) and
    /// `{serial}` (six hex digits from the record ids: the same records always get the same
    /// number, on any device, with no counter to collide offline).
    pub number_pattern: String,
    /// A PNG or JPEG shown above the agency's name.
    #[uniffi(default)]
    pub logo_path: Option<String>,
    /// The verification address the QR code points to, the hash appended
    /// (e.g. "https://offgrid.example.cn/v1/verify/"); without it the QR holds the hash alone.
    #[uniffi(default)]
    pub verify_url: Option<String>,
}

/// A document written to disk.
#[cfg(feature = "documents")]
#[uniffi::remote(Record)]
pub struct WrittenDocument {
    /// Which document this is.
    pub kind: DocumentKind,
    /// Where it was written (the `out` path given).
    pub path: String,
    /// The document's number, from [`DocumentSettings::number_pattern`].
    pub number: String,
    /// SHA-256 of the canonical JSON of what it shows (printed on it, in its QR code, attached).
    pub sha256: String,
    /// The records it was made from, each with the heads shown.
    pub records: Vec<ShownRecord>,
    /// PDF pages (0 for the spreadsheet).
    pub pages: u32,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Photos shown as "file missing" because this device does not have them (yet).
    pub missing_photos: Vec<String>,
    /// Characters none of the documents' fonts has (an extension B ideograph, an emoji, a
    /// private-use character), printed as U+FFFD (�) instead; the hash and the attached JSON
    /// keep them as recorded. A warning to show: the document is made all the same.
    pub replaced_characters: Vec<ReplacedCharacter>,
}

/// A character a document could not print, and where it is.
#[cfg(feature = "documents")]
#[uniffi::remote(Record)]
pub struct ReplacedCharacter {
    /// The character as recorded, e.g. "𠀀".
    pub character: String,
    /// Its code point, e.g. "U+20000".
    pub code_point: String,
    /// The JSON paths, in what the document shows, of the strings holding it
    /// (`/notice/items/0/location`), in the order they are laid out.
    pub fields: Vec<String>,
}

/// Options of the supervision report.
#[cfg(feature = "documents")]
#[uniffi::remote(Record)]
pub struct ReportOptions {
    /// Only failed items (不合格项), in red; the summary still counts everything.
    #[uniffi(default)]
    pub failed_only: bool,
}

/// A cell's level in the hierarchy, from the top.
#[uniffi::remote(Enum)]
pub enum GridLevel {
    /// 市: the top of the hierarchy; the only level with no parent cell.
    City,
    /// 区: a district of a city.
    District,
    /// 街道: a street (sub-district) office's area.
    Street,
    /// 社区: a community.
    Community,
    /// 网格: the smallest cell, patrolled by its members.
    Grid,
}

/// A member's duty in a cell.
#[uniffi::remote(Enum)]
pub enum GridRole {
    /// 网格长: responsible for the cell.
    Leader,
    /// 网格员: patrols it.
    Member,
}

/// A new cell.
#[uniffi::remote(Record)]
pub struct NewGridCell {
    /// Administrative division code + sequence (digits and letters), unique in the grid.
    pub code: String,
    /// The cell's name (non-empty).
    pub name: String,
    /// The cell's level: below its parent's.
    pub level: GridLevel,
    /// The parent cell (a level above); `None` only for a city.
    pub parent: Option<RecordId>,
    /// A GeoJSON Polygon or MultiPolygon (geometry, Feature or text of either).
    #[uniffi(default)]
    pub boundary: Option<String>,
}

/// A member of a cell.
#[uniffi::remote(Record)]
pub struct GridMember {
    /// The member's user id.
    pub user: String,
    /// The member's name as shown (may be empty).
    pub name: String,
    /// The member's duty in the cell.
    pub role: GridRole,
}

/// A cell as the app shows it.
#[uniffi::remote(Record)]
pub struct GridCell {
    /// The cell's record id.
    pub id: RecordId,
    /// Administrative division code + sequence, unique in the grid.
    pub code: String,
    /// The cell's name.
    pub name: String,
    /// The cell's level in the hierarchy.
    pub level: GridLevel,
    /// The parent cell; `None` for a city.
    pub parent: Option<RecordId>,
    /// GeoJSON geometry text, if drawn.
    pub boundary: Option<String>,
    /// By user id.
    pub members: Vec<GridMember>,
}

/// Where a hazard came from.
#[uniffi::remote(Record)]
pub struct HazardSource {
    /// The inspection the failed item is in.
    pub inspection: RecordId,
    /// The failed item's id in that inspection's template.
    pub item: String,
    /// The clause of the standard the item checks, if it names one.
    pub clause: Option<Clause>,
}

/// A hazard to raise: what was found and where. A title or a description is required.
#[uniffi::remote(Record)]
pub struct NewHazard {
    /// The project it belongs to (required).
    pub project: String,
    /// The site as written, e.g. "人防工程 A".
    pub site: String,
    /// 部位: where exactly.
    pub location: String,
    /// A short title (for an item's failure, the item's text).
    pub title: String,
    /// What is wrong, in the inspector's words.
    pub description: String,
    #[uniffi(default)]
    /// A grade known at once (e.g. the failed item's default); else graded later.
    pub grade: Option<RiskGrade>,
    /// Raise it as a major hazard (重大隐患); a red grade makes it major anyway.
    #[uniffi(default)]
    pub major: bool,
    #[uniffi(default)]
    /// Photos of the hazard as found (SHA-256).
    pub photos: Vec<String>,
}

/// A hazard as the app shows it.
#[uniffi::remote(Record)]
pub struct Hazard {
    /// The hazard's record id.
    pub id: RecordId,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// 部位: where exactly.
    pub location: String,
    /// The hazard's title.
    pub title: String,
    /// What is wrong, as described when raised.
    pub description: String,
    /// The inspection item it was raised from; `None` when raised on its own (or from a patrol
    /// observation).
    pub source: Option<HazardSource>,
    /// Its photos, keyed by SHA-256: as found and as rectified ([`PhotoRef::stage`] tells which).
    pub photos: BTreeMap<String, PhotoRef>,
    /// Every event, in fold order, including those not applied.
    pub events: Vec<HazardEvent>,
    /// The state folded from the events: status, grade, major, the order and its deadline.
    pub state: HazardState,
    /// Overdue at the store clock's "now".
    pub overdue: bool,
}

/// A rectification order (下达整改).
#[uniffi::remote(Record)]
pub struct RectificationOrder {
    /// 责任单位.
    pub unit: String,
    /// 责任人: user id, and the name as shown.
    pub person: String,
    /// The responsible person's display name, as the order records it.
    pub person_name: String,
    /// 期限, UTC ms.
    pub deadline_ms: i64,
    /// 措施.
    pub measures: String,
}

/// A register request: filters (each narrows the result), sort and page.
#[uniffi::remote(Record)]
pub struct RegisterQuery {
    /// Only this project's hazards.
    #[uniffi(default)]
    pub project: Option<String>,
    /// Only hazards at this site (as written, matched exactly).
    #[uniffi(default)]
    pub site: Option<String>,
    #[uniffi(default)]
    /// A [`super::HazardStatus`] name, e.g. "ordered".
    pub status: Option<String>,
    #[uniffi(default)]
    /// A [`offgrid_core::RiskGrade`] name, e.g. "red".
    pub grade: Option<String>,
    #[uniffi(default)]
    /// Only hazards overdue now (by the store's clock).
    pub overdue: bool,
    /// Only hazards whose responsible person (责任人) is this user id.
    #[uniffi(default)]
    pub assignee: Option<String>,
    /// Substring search over the hazards' text (see [`ListQuery::text`]).
    #[uniffi(default)]
    pub text: Option<String>,
    /// The order of the rows ([`Register::rows`]).
    pub sort: ListSort,
    /// At most this many rows (`None`: all).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// Rows to skip first, for paging.
    #[uniffi(default)]
    pub offset: u32,
}

/// The hazard register (台账): one page of matching hazards and counts over all of them.
#[uniffi::remote(Record)]
pub struct Register {
    /// The matching hazards of this page, in the order asked for.
    pub rows: Vec<RecordSummary>,
    /// Every matching hazard (not only this page), by status and by grade ("" = ungraded).
    pub by_status: BTreeMap<String, u32>,
    /// Every matching hazard by grade ([`offgrid_core::RiskGrade`] name; "" = ungraded).
    pub by_grade: BTreeMap<String, u32>,
    /// How many matching hazards are overdue now.
    pub overdue: u32,
    /// The time "overdue" was judged at (UTC ms).
    pub now_ms: i64,
}

/// What to create.
#[uniffi::remote(Record)]
pub struct NewInspection {
    /// The template to answer (its id).
    pub template_id: String,
    #[uniffi(default)]
    /// `None`: the newest version available.
    pub template_version: Option<u32>,
    /// The project it belongs to (required).
    pub project: String,
    /// The site as written, e.g. "3号楼 B1" (required).
    pub site: String,
    #[uniffi(default)]
    /// Defaults to the template's Chinese title.
    pub title: Option<String>,
}

/// A signature on an inspection: who signed, when, and the size of the stored image.
#[uniffi::remote(Record)]
pub struct Signature {
    /// The signature's key in the inspection's `signatures` map.
    pub id: String,
    /// The signature item it answers, if any.
    pub item: Option<String>,
    /// The signer's name as written.
    pub name: String,
    /// The user id of who recorded the signature.
    pub user_id: String,
    /// When it was signed, UTC ms by the signing device's clock.
    pub at_ms: i64,
    /// The signing device's UTC offset in minutes east (480 in China).
    pub offset_minutes: i32,
    /// Size of the signature image in bytes (the image stays in the record).
    pub image_bytes: u64,
}

/// An inspection as the app shows it.
#[uniffi::remote(Record)]
pub struct Inspection {
    /// The inspection's record id.
    pub id: RecordId,
    /// The template version it is pinned to.
    pub template: TemplateRef,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// The inspection's title.
    pub title: String,
    /// Where it stands: draft, in progress, submitted, returned, reviewed.
    pub status: InspectionStatus,
    /// Each item's answer, by item id: every item of the template, `value` `None` while unanswered.
    pub answers: HashMap<String, AnswerData>,
    /// Every signature recorded, by key.
    pub signatures: Vec<Signature>,
    /// The lifecycle events (submitted, returned, reviewed), in fold order.
    pub events: Vec<InspectionEvent>,
    /// Progress against the template: required, answered, score, failures, what is missing.
    pub progress: Progress,
    /// Items whose answer was changed on another device after (or concurrently with) the
    /// submission. Kept, and flagged for the reviewer.
    pub amendments: Vec<String>,
}

/// What answering did.
#[uniffi::remote(Record)]
pub struct AnswerOutcome {
    /// Whether the answer is a failure (e.g. "fail" on a pass/fail item).
    pub failed: bool,
    /// The grade of the hazard this failure should raise, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
    /// Items that became visible / hidden because of this answer.
    pub shown: Vec<String>,
    /// Items that became hidden because of this answer.
    pub hidden: Vec<String>,
}

/// Which period, which part of the grid (`cell` and everything under it; `None`: all), and
/// which rows in what order, as a register filters and sorts.
#[uniffi::remote(Record)]
pub struct CoverageQuery {
    /// The period's start, UTC ms (inclusive): tasks open at some time in `[from_ms, to_ms)`.
    pub from_ms: i64,
    /// The period's end, UTC ms (exclusive).
    pub to_ms: i64,
    /// The cell to start from, with everything under it (`None`: every cell held here).
    pub cell: Option<RecordId>,
    /// Only cells at most this many levels below the root (0: the root only); `None`: all.
    #[uniffi(default)]
    pub max_depth: Option<u32>,
    /// Only cells whose rolled-up figures need the office's attention
    /// ([`CoverageFigures::needs_attention`]).
    #[uniffi(default)]
    pub attention_only: bool,
    /// The order of the rows (`None`: the grid's).
    #[uniffi(default)]
    pub sort: Option<CoverageSort>,
}

/// The order of coverage rows.
#[uniffi::remote(Enum)]
pub enum CoverageSort {
    /// The grid's hierarchy, depth first by code.
    Grid,
    /// Most tasks missed or partial first.
    Missed,
    /// Most tasks awaiting sync first.
    AwaitingSync,
    /// Most open hazards first, the gravest grade counting first.
    Hazards,
    /// Most scans the server found forged, copied or disputed, and changes with the clock
    /// ahead, first.
    Suspect,
}

/// Tasks of a period by state.
#[uniffi::remote(Record)]
pub struct TaskCounts {
    /// Tasks whose window has not opened.
    pub upcoming: u32,
    /// Tasks open with no run started.
    pub due: u32,
    /// Tasks with a run started, still open.
    pub in_progress: u32,
    /// Tasks complete within their window.
    pub done: u32,
    /// Tasks complete, but after their window and grace.
    pub late: u32,
    /// Tasks whose window and grace passed with checkpoints left uncovered.
    pub partial: u32,
    /// Tasks whose window and grace passed with no run, every assignee synced since.
    pub missed: u32,
    /// Tasks whose window and grace passed with no run known here, some assignee not synced since
    /// (待同步).
    pub awaiting_sync: u32,
    /// Tasks a supervisor excused.
    pub excused: u32,
}

/// What a period looked like in one cell: its own sites (`own`) and with every cell under it
/// (`total`).
#[uniffi::remote(Record)]
pub struct CellCoverage {
    /// The cell's record id.
    pub cell: RecordId,
    /// The cell's code.
    pub code: String,
    /// The cell's name.
    pub name: String,
    /// The parent cell; `None` for a city.
    pub parent: Option<RecordId>,
    /// Levels below the query's root (0: the root, or a city).
    pub depth: u32,
    /// Sites in the cell and every cell under it.
    pub sites: u32,
    /// The cell's own figures: the tasks, scans and hazards of the sites directly in it.
    pub own: CoverageFigures,
    /// The figures of the cell and every cell under it, rolled up.
    pub total: CoverageFigures,
}

/// The figures of a period, for one cell's sites or rolled up over a subtree.
#[uniffi::remote(Record)]
pub struct CoverageFigures {
    /// Tasks of the period by state.
    pub tasks: TaskCounts,
    /// Required checkpoints not covered by any run of partial and missed tasks.
    pub checkpoints_missed: u32,
    /// Flags raised by the scans of the period's runs.
    pub flags: u32,
    /// Scans of the period's runs whose NTAG 424 SUN message the sync server found forged
    /// (`sun_invalid`) or copied (`sun_replayed`): not a real tap at the checkpoint.
    pub forged_scans: u32,
    /// Scans of the period's runs the sync server judged otherwise than the phone did
    /// (`scan_disputed`: which checkpoint, or whether it counts, from the server's copies of
    /// the plan and the site).
    pub disputed_scans: u32,
    /// Changes of the period's runs made, by the phone's clock, after the server received them
    /// (`clock_ahead`): a clock set ahead, which could hide a late patrol.
    pub clock_ahead: u32,
    /// Open hazards at the cell's sites, by grade name ("" when ungraded).
    pub open_hazards: BTreeMap<String, u32>,
}

/// What was read or chosen at a checkpoint.
#[uniffi::remote(Record)]
pub struct ScanInput {
    /// How the checkpoint was checked: NFC, QR or manual with photo (required).
    pub method: Option<CheckMethod>,
    /// The NFC NDEF URI or QR text read (NFC, QR).
    pub payload: Option<String>,
    /// The checkpoint chosen by hand (manual with photo).
    pub checkpoint: Option<String>,
    /// SHA-256 of photos taken there, already attached to the run.
    pub photos: Vec<String>,
    /// Reading of a clock that does not jump when the time is set (ms since boot), if the platform
    /// has one.
    pub monotonic_ms: Option<i64>,
    /// Where the phone was, if it had a fix.
    pub gps: Option<Gps>,
}

/// A problem seen on the way.
#[uniffi::remote(Record)]
pub struct NewObservation {
    /// The checkpoint it was seen at (`None`: on the way).
    pub checkpoint: Option<String>,
    /// What was seen (required): a hazard raised from it takes it as its description.
    pub text: String,
    /// The grade the runner gives it (`None`: ungraded); a hazard raised from it starts with it.
    pub grade: Option<RiskGrade>,
    /// SHA-256 of photos already attached to the run.
    pub photos: Vec<String>,
}

/// A run as the app shows it.
#[uniffi::remote(Record)]
pub struct PatrolRunView {
    /// The run's record id.
    pub id: RecordId,
    /// The run's title: the plan's title, with the window's local date for a task.
    pub title: String,
    /// The patrol plan it runs.
    pub plan: RecordId,
    /// The task it is for (`None`: a patrol outside any task).
    pub task: Option<String>,
    /// The plan version it follows.
    pub version: u32,
    /// The task's window (`None`: outside any task, or the plan version is not held here).
    pub window: Option<Occurrence>,
    /// The site patrolled (a site record's id).
    pub site: RecordId,
    /// The runner's user id: only they may add to the run.
    pub runner: String,
    /// A skipped checkpoint counts only once a supervisor approves it.
    pub skip_needs_approval: bool,
    /// In progress, paused, finished or voided.
    pub status: RunStatus,
    /// When the run started, UTC ms by the runner's device (`None`: no events held).
    pub started_ms: Option<i64>,
    /// When the runner finished it, UTC ms by the runner's device (`None`: not finished).
    pub finished_ms: Option<i64>,
    /// The plan version's checkpoints, in route order.
    pub checkpoints: Vec<Checkpoint>,
    /// Checkpoints covered so far: by a scan that counts, or by a skip that counts (approved, or no
    /// approval needed).
    pub covered: Vec<String>,
    /// Required checkpoints not yet covered, in route order.
    pub remaining: Vec<String>,
    /// Flags of the run's scans, by name, with how often.
    pub flags: std::collections::BTreeMap<String, u32>,
    /// Every event, in fold order.
    pub events: Vec<RunEvent>,
    /// Events that changed nothing (after the finish, …).
    pub not_applied: Vec<String>,
    /// Events the sync server confirmed: when it received them and from whom (evidence beside
    /// the device's clock; ADR 0006).
    pub receipts: Vec<EventReceipt>,
}

/// When the sync server received the change that recorded an event, and who pushed it.
#[uniffi::remote(Record)]
pub struct EventReceipt {
    /// The event's id in the run.
    pub event: String,
    /// When the server received it (server clock, UTC ms).
    pub received_ms: i64,
    /// The account the server verified as its pusher (`None`: it named none).
    pub received_by: Option<String>,
    /// What the server found checking the change (`sun_valid`, `sun_invalid`,
    /// `sun_replayed`, `sun_unverified`, `scan_disputed`, `clock_ahead`; see
    /// [`super::check::ServerCheck`]).
    pub server_checks: Vec<String>,
}

/// A recorded scan: its event id and verdict.
#[uniffi::remote(Record)]
pub struct ScanOutcome {
    /// The scan event's id in the run.
    pub event: String,
    /// The verdict: which checkpoint, whether it counts, the flags raised.
    pub verdict: ScanVerdict,
}

/// Which tasks to list: those open at some time in `[from_ms, to_ms)`.
#[uniffi::remote(Record)]
pub struct TaskQuery {
    /// The period's start, UTC ms (inclusive).
    pub from_ms: i64,
    /// The period's end, UTC ms (exclusive).
    pub to_ms: i64,
    /// Only tasks of plans naming this assignee (in any version).
    pub assignee: Option<String>,
    /// Only tasks of this plan.
    pub plan: Option<RecordId>,
    /// Only tasks at this site (a site record's id).
    pub site: Option<RecordId>,
}

/// A task as lists show it.
#[uniffi::remote(Record)]
pub struct TaskView {
    /// The task's id: the same on every device.
    pub id: String,
    /// The plan it is a task of.
    pub plan: RecordId,
    /// The plan's title.
    pub plan_title: String,
    /// The site patrolled (a site record's id).
    pub site: RecordId,
    /// The plan version in force when its window opens.
    pub version: u32,
    /// Its window: opens, closes, grace end (UTC ms) and local date.
    pub occurrence: Occurrence,
    /// User ids of who is to patrol it (the version's assignees).
    pub assignees: Vec<String>,
    /// Its state at the store's clock.
    pub state: TaskState,
    /// Runs made for it that are held here.
    pub runs: Vec<RecordId>,
}

/// What a photo is evidence of.
#[uniffi::remote(Enum)]
pub enum PhotoTarget {
    /// An inspection item's answer.
    Inspection {
        /// The inspection's record id.
        id: RecordId,
        /// The item whose answer the photo is evidence of.
        item: String,
    },
    /// A hazard as found, or its rectification (the photos a rectification is submitted with).
    Hazard {
        /// The hazard's record id.
        id: RecordId,
        /// `true`: a photo of the rectification (by who may submit it); `false`: as found.
        rectification: bool,
    },
    /// A patrol.
    Patrol {
        /// The record id of a patrol run (or of a patrol record).
        id: RecordId,
    },
}

/// What the shell knows about the capture (the camera's EXIF may say otherwise: both are kept).
#[uniffi::remote(Record)]
pub struct CaptureContext {
    /// When the shell took or received the photo (device clock, UTC ms).
    #[uniffi(default)]
    pub captured_ms: Option<i64>,
    /// The device's UTC offset in minutes east at capture (480 in China).
    #[uniffi(default)]
    pub offset_minutes: Option<i32>,
    /// The phone's location fix, if it had one (rarely underground).
    #[uniffi(default)]
    pub gps: Option<GpsFix>,
}

/// A photo as recorded in its record: who attached it and when, what the shell said, what the
/// EXIF says, and the image facts.
#[uniffi::remote(Record)]
pub struct PhotoMeta {
    /// SHA-256 of the original bytes, lowercase hex: the photo's identity.
    pub sha256: String,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// Width of the original in pixels, as stored (before orientation).
    pub width: u32,
    /// Height of the original in pixels, as stored (before orientation).
    pub height: u32,
    /// The inspection item it answers.
    pub item: Option<String>,
    /// Hazards: "found" or "rectification".
    pub stage: Option<String>,
    /// The user id of who attached it.
    pub by: String,
    /// Their name as shown when attaching (empty if not recorded).
    pub by_name: String,
    /// When it was attached (store clock) and the device's offset.
    pub at_ms: i64,
    /// The attaching device's UTC offset in minutes east.
    pub offset_minutes: i32,
    /// What the shell reported about the capture.
    pub capture: CaptureContext,
    /// What the original's EXIF says, when it has any.
    pub exif: Option<ExifData>,
}

/// What a user can do on an inspection.
#[uniffi::remote(Enum)]
pub enum InspectionAction {
    /// Answer items, add photos and notes, sign.
    Answer,
    /// Submit (offered once nothing required is missing).
    Submit,
    /// Accept or return a submitted inspection.
    Review,
}

/// A step on an inspection taken from the checklist screen (answers go through
/// [`Store::checklist_answer`]).
#[uniffi::remote(Enum)]
pub enum ChecklistCommand {
    /// Submits; refused with `Incomplete` listing what is missing.
    Submit,
    /// Accepts, or returns with a note (required when returning).
    Review {
        /// `true` accepts (reviewed, final); `false` returns it to the inspector.
        accept: bool,
        /// The reviewer's note; required when returning.
        note: Option<String>,
    },
}

/// One visible item of the checklist runner, with its answer and what it still needs.
#[uniffi::remote(Record)]
pub struct ChecklistItem {
    /// The item's id in the template; answers are keyed by it.
    pub id: String,
    /// The check as a statement or a question (zh-CN and en).
    pub text: Text,
    /// How to measure, limits, what to do when in doubt (`None`: no help).
    pub help: Option<Text>,
    /// The type of answer, with that type's own fields (options, unit, limits).
    pub kind: ItemKind,
    /// Must be answered before the inspection can be submitted.
    pub required: bool,
    /// The answer's value, as JSON (`None`: not answered).
    pub value: Option<serde_json::Value>,
    /// The answer's value as a person reads it (`checklist::display::answer_text`): words for
    /// pass/fail, the labels of the options chosen, a number with its unit.
    pub value_text: Option<Text>,
    /// The inspector's note on the item (`None`: none).
    pub note: Option<String>,
    /// SHA-256 of the item's photos.
    pub photos: Vec<String>,
    /// What is still missing for submission (answer, photos, a note, a signature), if any.
    pub missing: Option<MissingKind>,
    /// The answer fails the item.
    pub failed: bool,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The clause as cited (`checklist::display::clause_text`).
    pub clause_text: Option<Text>,
    /// The grade of the hazard a failure raises, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
}

/// A section of the checklist runner with its visible items.
#[uniffi::remote(Record)]
pub struct ChecklistSection {
    /// The section's id in the template.
    pub id: String,
    /// The section's title (zh-CN and en).
    pub title: Text,
    /// Its visible items, in template order.
    pub items: Vec<ChecklistItem>,
}

/// The checklist runner screen of an inspection, for the signed-in user.
#[uniffi::remote(Record)]
pub struct ChecklistScreen {
    /// The inspection's record id.
    pub id: RecordId,
    /// The inspection's title.
    pub title: String,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// Where the inspection stands (draft, in progress, submitted, returned, reviewed).
    pub status: InspectionStatus,
    /// Sections with at least one visible item.
    pub sections: Vec<ChecklistSection>,
    /// Required, answered, completion and score, failures, what is missing.
    pub progress: Progress,
    /// Items changed after the submission (flagged for the reviewer).
    pub amendments: Vec<String>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<InspectionAction>,
}

/// A form's content before it is saved.
#[uniffi::remote(Enum)]
pub enum Draft {
    /// The new-inspection form.
    Inspection {
        /// What the form holds.
        draft: NewInspection,
    },
    /// The raise-a-hazard form.
    Hazard {
        /// What the form holds.
        draft: NewHazard,
    },
    /// The rectification order form (下达整改); a deadline already passed is refused.
    RectificationOrder {
        /// What the form holds.
        order: RectificationOrder,
    },
    /// The patrol observation form (上报).
    Observation {
        /// What the form holds.
        observation: NewObservation,
    },
}

/// The hazard detail screen, for the signed-in user.
#[uniffi::remote(Record)]
pub struct HazardScreen {
    /// The hazard: fields, events in fold order (the timeline, with `verified_by`), state.
    pub hazard: Hazard,
    /// Photos as found, oldest first.
    pub before_photos: Vec<PhotoRef>,
    /// Photos of the rectification, oldest first.
    pub after_photos: Vec<PhotoRef>,
    /// The steps the signed-in user may take now (none without a user).
    pub allowed_actions: Vec<HazardAction>,
}

/// A step of the loop, as a screen forwards it.
#[uniffi::remote(Enum)]
pub enum HazardCommand {
    /// 评估分级: grades the hazard ([`Store::grade_hazard`]).
    Grade {
        /// The grade given.
        grade: RiskGrade,
        /// Graded a major hazard (重大隐患); a red grade makes it major anyway.
        major: bool,
        /// An optional note.
        note: Option<String>,
    },
    /// 下达整改: orders the rectification ([`Store::order_rectification`]).
    OrderRectification {
        /// Who (unit, person), by when, what to do.
        order: RectificationOrder,
    },
    /// After-photos (SHA-256) attached to the hazard as rectification photos first.
    SubmitRectification {
        /// What was done.
        note: String,
        /// SHA-256 of the after-photos (at least one).
        photos: Vec<String>,
    },
    /// 复查: re-inspection by someone other than who rectified ([`Store::reinspect`]).
    Reinspect {
        /// `true`: 复查通过 (verified); `false`: 退回整改 (sent back).
        passed: bool,
        /// Why; required when sending back.
        note: Option<String>,
    },
    /// 超期 / 挂牌督办: escalates the hazard one level.
    Escalate {
        /// Why.
        note: String,
    },
    /// 销号: closes a verified general hazard.
    Close {
        /// An optional note.
        note: Option<String>,
    },
    /// 核销: a supervisor writes off a verified hazard (the only way to close a major one).
    WriteOff {
        /// Why.
        note: String,
    },
}

/// The home screen of the signed-in user.
#[uniffi::remote(Record)]
pub struct HomeScreen {
    /// The signed-in user, with their roles.
    pub user: User,
    /// Today's patrol tasks of plans naming the user (the device's local day).
    pub tasks: Vec<TaskView>,
    /// Open hazards ordered to the user, earliest deadline first.
    pub my_hazards: Vec<RecordSummary>,
    /// Hazards past their rectification deadline, earliest first.
    pub overdue_hazards: Vec<RecordSummary>,
    /// Inspections not yet submitted, most recently updated first.
    pub open_inspections: Vec<RecordSummary>,
    /// Pending records and photos, last success, last error (signed out: nothing pending
    /// known to a server).
    pub sync: offgrid_core::sync::SyncStatus,
}

/// Which list.
#[uniffi::remote(Enum)]
pub enum ListScreenKind {
    /// The inspection list.
    Inspections,
    /// The hazard list (隐患).
    Hazards,
}

/// What a list shows. Every field set narrows it; `None` and `false` do not.
#[uniffi::remote(Record)]
pub struct ListFilter {
    /// Only this project's records.
    #[uniffi(default)]
    pub project: Option<String>,
    /// Only records at this site (as written, matched exactly).
    #[uniffi(default)]
    pub site: Option<String>,
    #[uniffi(default)]
    /// A status's raw value; one the kind does not have is refused.
    pub status: Option<String>,
    #[uniffi(default)]
    /// Hazards: the grade's raw value (`red`, `orange`, `yellow`, `blue`).
    pub grade: Option<String>,
    #[uniffi(default)]
    /// Hazards ordered to me; inspections I created.
    pub mine: bool,
    #[uniffi(default)]
    /// Only records past a running deadline (hazards ordered to be rectified).
    pub overdue: bool,
    #[uniffi(default)]
    /// Words in the title, location or description (Chinese words of one or two characters
    /// too).
    pub text: Option<String>,
    #[uniffi(default)]
    /// The page, from 0.
    pub page: u32,
    #[uniffi(default)]
    /// Rows per page (default 50, at most 500).
    pub page_size: Option<u32>,
}

/// How many records under the filter hold a status.
#[uniffi::remote(Record)]
pub struct StatusCount {
    /// A status's raw value (e.g. `submitted`, `ordered`).
    pub status: String,
    /// How many records hold it.
    pub count: u32,
}

/// One row.
#[uniffi::remote(Record)]
pub struct ListRow {
    /// The record as the list tables hold it.
    pub record: RecordSummary,
    /// Whole days past the running deadline (0 on the day it passed); `None`: not overdue.
    pub overdue_days: Option<u32>,
}

/// One page of the inspection or hazard list, with the status chips and what the user may do.
#[uniffi::remote(Record)]
pub struct ListScreen {
    /// Which list.
    pub kind: ListScreenKind,
    /// The filter the rows answer (page size filled in).
    pub filter: ListFilter,
    /// Hazards: earliest deadline first; inspections: most recently updated first.
    pub rows: Vec<ListRow>,
    /// Records under the filter, over all pages.
    pub total: u32,
    /// Per status of the kind, in lifecycle order (zeros included): the records under the
    /// filter without its status.
    pub statuses: Vec<StatusCount>,
    /// Another page follows this one.
    pub has_more: bool,
    /// The user may create an inspection / raise a hazard (in the filter's project, if it
    /// names one).
    pub can_create: bool,
}

/// What a user can do on a run.
#[uniffi::remote(Enum)]
pub enum PatrolAction {
    /// Scan a checkpoint's tag, or check one by hand with a photo (the runner, in progress).
    Scan,
    /// Skip a required checkpoint, with a reason (the runner, in progress).
    Skip,
    /// Report a problem seen on the way (上报; the runner, in progress).
    Observe,
    /// Answer a checklist item of the plan's template ([`Store::answer_on_patrol`]; the runner, in
    /// progress).
    Answer,
    /// Pause the run (the runner, in progress).
    Pause,
    /// Resume a paused run (the runner).
    Resume,
    /// Finish the run; a reason is needed if required checkpoints are uncovered (the runner).
    Finish,
    /// 作废 (a supervisor).
    Void,
    /// Approve a skipped checkpoint (a supervisor, not the runner).
    ApproveSkip,
}

/// A skipped checkpoint, and whether it counts yet.
#[uniffi::remote(Record)]
pub struct SkippedCheckpoint {
    /// The checkpoint's id.
    pub checkpoint: String,
    /// The skip's event id (what an approval names).
    pub skip: String,
    /// Why it was skipped (locked, flooded, no access, …).
    pub reason: String,
    /// Counted: approved, or the plan needs no approval.
    pub counts: bool,
}

/// A step on a run, as the run screen forwards it.
#[uniffi::remote(Enum)]
pub enum PatrolCommand {
    /// A tag read (NFC, QR) or a checkpoint chosen by hand with a photo; the verdict comes
    /// back as the screen's `last_scan`.
    Scan {
        /// What was read or chosen.
        scan: ScanInput,
    },
    /// Skips a required checkpoint not yet covered.
    Skip {
        /// The checkpoint's id.
        checkpoint: String,
        /// Why (locked, flooded, no access, …); required.
        reason: String,
    },
    /// Reports a problem seen on the way (上报).
    Observe {
        /// What was seen, where, graded how, with which photos.
        observation: NewObservation,
    },
    /// Pauses the run.
    Pause,
    /// Resumes a paused run.
    Resume,
    /// Finishes the run.
    Finish {
        /// Why, when required checkpoints are uncovered (required then).
        reason: Option<String>,
    },
    /// A supervisor approves a skip (its event id).
    ApproveSkip {
        /// The skip's event id.
        skip: String,
    },
    /// A supervisor voids the run (作废), saying why.
    Void {
        /// Why; required.
        reason: String,
    },
}

/// The patrol run screen, for the signed-in user.
#[uniffi::remote(Record)]
pub struct PatrolRunScreen {
    /// The run with its state, checkpoints, events and server receipts.
    pub run: PatrolRunView,
    /// The first required checkpoint not yet covered, in route order.
    pub next_checkpoint: Option<Checkpoint>,
    /// Checkpoints a counting scan covered, in route order.
    pub scanned: Vec<String>,
    /// Skipped checkpoints, in event order, each with whether it counts yet.
    pub skipped: Vec<SkippedCheckpoint>,
    /// The latest scan and its verdict (which checkpoint, whether it counts, its flags), for
    /// the feedback after scanning.
    pub last_scan: Option<ScanOutcome>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<PatrolAction>,
}

/// What a user can do on the review screen.
#[uniffi::remote(Enum)]
pub enum ReviewAction {
    /// Sign (as oneself) while the inspection is editable.
    Sign,
    /// Submit: offered once nothing is missing.
    Submit,
    /// Accept a submitted inspection (a supervisor).
    Accept,
    /// Return it to the inspector with a note (a supervisor).
    Return,
}

/// A step taken on the review screen.
#[uniffi::remote(Enum)]
pub enum ReviewCommand {
    /// Signs as the signed-in user: `name` as written, the signature pad's image at
    /// `image_path` (read, then removed if it is in the capture folder), answering the
    /// signature item `item` if given.
    Sign {
        /// The signature item it answers (`None`: a signature without an item).
        item: Option<String>,
        /// The signer's name as written.
        name: String,
        /// Path of the signature pad's image (at most 2 MiB).
        image_path: String,
    },
    /// Submits; refused with `Incomplete` listing what is missing.
    Submit,
    /// Accepts the submitted inspection (a supervisor): it is final.
    Accept {
        /// An optional note.
        note: Option<String>,
    },
    /// Returns the submitted inspection to the inspector (a supervisor).
    Return {
        /// Why; required.
        note: String,
    },
}

/// A failed item, as the reviewer reads it.
#[uniffi::remote(Record)]
pub struct ReviewFinding {
    /// The item's id.
    pub item: String,
    /// The title of the section it is in.
    pub section: Text,
    /// The check as a statement or a question.
    pub text: Text,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The clause as cited (`checklist::display::clause_text`).
    pub clause_text: Option<Text>,
    /// The answer's value, as JSON.
    pub value: Option<serde_json::Value>,
    /// The answer's value as a person reads it (`checklist::display::answer_text`).
    pub value_text: Option<Text>,
    /// The inspector's note on the item (`None`: none).
    pub note: Option<String>,
    /// SHA-256 of the item's photos.
    pub photos: Vec<String>,
    /// The grade of the hazard this failure raises, if the item says so.
    pub raises_hazard: Option<RiskGrade>,
    /// Who answered it, and when.
    pub by: Option<String>,
    /// When it was last answered, UTC ms by that device's clock.
    pub at_ms: Option<i64>,
}

/// A place for signatures: a visible signature item of the form, or (`item: None`) the
/// signatures made without one.
#[uniffi::remote(Record)]
pub struct SignatureSlot {
    /// The signature item's id (`None`: the slot of signatures made without an item).
    pub item: Option<String>,
    /// The item's text (`None` for the slot without an item).
    pub text: Option<Text>,
    /// The item must be signed before submission.
    pub required: bool,
    /// Oldest first (the image itself stays in the record).
    pub signatures: Vec<Signature>,
}

/// The review and sign-off screen of an inspection, for the signed-in user.
#[uniffi::remote(Record)]
pub struct ReviewScreen {
    /// The inspection's record id.
    pub id: RecordId,
    /// The inspection's title.
    pub title: String,
    /// The project it belongs to.
    pub project: String,
    /// The site as written.
    pub site: String,
    /// Where the inspection stands (draft, in progress, submitted, returned, reviewed).
    pub status: InspectionStatus,
    /// Required, answered, completion and score, failures, what is missing.
    pub progress: Progress,
    /// Failed items in template order.
    pub findings: Vec<ReviewFinding>,
    /// What blocks submission.
    pub missing: Vec<Missing>,
    /// One slot per visible signature item, in template order, then one for the signatures that
    /// answer no visible item (if any).
    pub signatures: Vec<SignatureSlot>,
    /// Items changed after the submission, flagged for the reviewer.
    pub amendments: Vec<String>,
    /// Submissions, returns (with their notes) and the review, in order.
    pub events: Vec<InspectionEvent>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<ReviewAction>,
}

/// The sync status screen: the service's state beside what the store knows.
#[uniffi::remote(Record)]
pub struct SyncScreen {
    /// What the sync service is doing now (idle, syncing with progress, offline, needs login,
    /// error).
    pub state: SyncState,
    /// Pending records and photos, last success and error, the server and account, refused changes.
    pub status: SyncStatus,
    /// "Sync now" is offered: signed in and not syncing already.
    pub can_sync_now: bool,
}

/// Which file of a photo.
#[uniffi::remote(Enum)]
pub enum PhotoFile {
    /// The original bytes, unmodified.
    Original,
    /// Long edge 2048, upright JPEG: what is uploaded and shown full screen.
    Upload,
    /// Long edge 256, upright JPEG: lists and grids.
    Thumb,
}

/// Result of [`Store::verify`].
#[uniffi::remote(Record)]
pub struct VerifyReport {
    /// `PRAGMA integrity_check` output: `["ok"]` when healthy.
    pub integrity: Vec<String>,
    /// How many records the store holds (0 if they could not be listed).
    pub records: u64,
    /// Records whose stored bytes do not load, with the reason. The bytes are kept.
    pub unreadable: Vec<UnreadableRecord>,
}

/// A record whose stored bytes do not load (see [`Store::verify`]).
#[uniffi::remote(Record)]
pub struct UnreadableRecord {
    /// The record's id.
    pub id: RecordId,
    /// Why its bytes do not load.
    pub reason: String,
}

/// What one commit (or, coalesced, several) changed.
#[uniffi::remote(Record)]
pub struct ChangeEvent {
    /// The kinds of the records that changed, each once, in [`RecordKind::ALL`] order: a list
    /// screen refreshes when its kind is here.
    pub topics: Vec<RecordKind>,
    /// The records that changed, each once, sorted: a detail screen refreshes when its record
    /// is here.
    pub records: Vec<RecordId>,
}

/// Where a photo stands on its way to the server.
#[uniffi::remote(Enum)]
pub enum PhotoState {
    /// Only on this device.
    Local,
    /// An upload has started (it resumes by byte range).
    Uploading,
    /// The server has the bytes.
    Uploaded,
    /// The server checked the bytes against the hash.
    Verified,
}

/// One row of the photo queue.
#[uniffi::remote(Record)]
pub struct QueuedPhoto {
    /// SHA-256 of the original bytes, lowercase hex.
    pub sha256: String,
    /// Where it stands on its way to the server.
    pub state: PhotoState,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// When this device first recorded it, UTC ms by the store's clock.
    pub added_ms: i64,
    /// When it last changed state, UTC ms by the store's clock.
    pub state_ms: i64,
}

/// A list request. Every field narrows the result; `text` searches every string of the record.
#[uniffi::remote(Record)]
pub struct ListQuery {
    /// Only records of this kind.
    #[uniffi(default)]
    pub kind: Option<RecordKind>,
    /// Only this project's records.
    #[uniffi(default)]
    pub project: Option<String>,
    /// Only records at this site (root `site`, matched exactly).
    #[uniffi(default)]
    pub site: Option<String>,
    /// Only records in this status (as [`RecordSummary::status`] holds it, e.g. "ordered").
    #[uniffi(default)]
    pub status: Option<String>,
    /// Only records of this grade (a [`offgrid_core::RiskGrade`] name, e.g. "red").
    #[uniffi(default)]
    pub grade: Option<String>,
    /// Only records whose assignee (who is to act) is this user id.
    #[uniffi(default)]
    pub assignee: Option<String>,
    #[uniffi(default)]
    /// Only records whose first change was made by this user id.
    pub created_by: Option<String>,
    #[uniffi(default)]
    /// Substring search. Three or more characters use the trigram index; one or two (a Chinese
    /// word like 渗水 or 裂) scan the indexed text.
    pub text: Option<String>,
    #[uniffi(default)]
    /// Only records with conflicting values.
    pub conflicted: bool,
    #[uniffi(default)]
    /// Only records overdue at this time (UTC ms): a running deadline (as the record's kind
    /// says: for hazards, awaiting rectification) has passed.
    pub overdue_at_ms: Option<i64>,
    /// The order of the results.
    pub sort: ListSort,
    /// At most this many results (`None`: all).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// Results to skip first, for paging.
    #[uniffi(default)]
    pub offset: u32,
}

/// List order.
#[uniffi::remote(Enum)]
pub enum ListSort {
    /// Most recently updated first.
    Updated,
    /// Earliest deadline first (no deadline last).
    Due,
    /// Most severe grade first (red, orange, yellow, blue, ungraded), then earliest deadline.
    Grade,
}

/// What [`Writer::apply_changes`] did.
#[uniffi::remote(Record)]
pub struct ApplyOutcome {
    /// Whether the document changed (false for duplicates).
    pub changed: bool,
    /// Heads after applying, hex.
    pub heads: Vec<String>,
    /// Changes still needed before some received ones can apply, hex. They are kept meanwhile.
    pub missing_deps: Vec<String>,
}

/// Progress, reported after every round trip and photo.
#[uniffi::remote(Record)]
pub struct SyncProgress {
    /// "push_pull", "photos_up", "photos_down" or "done".
    pub phase: String,
    /// Records the server acknowledged so far.
    pub records_up: u64,
    /// Records received from the server so far.
    pub records_down: u64,
    /// Bytes sent so far, photos included (bodies as sent, plus an estimate for headers).
    pub bytes_up: u64,
    /// Bytes received so far, photos included.
    pub bytes_down: u64,
    /// Photos uploaded so far.
    pub photos_up: u64,
    /// Photos downloaded so far.
    pub photos_down: u64,
    /// Push/pull round trips so far.
    pub round_trips: u64,
}

/// A record the server refused, and why (it stays on the device, unsynced).
#[uniffi::remote(Record)]
pub struct SyncRejection {
    /// The refused record's id, or `template:<id>` for a template version.
    pub id: String,
    /// The refusal's code: the server's (`forbidden`, `wrong_project`, `unknown_project`,
    /// `bad_change`, `too_large`, `bad_id`), or `no_project` for a record that names no project.
    pub code: String,
    /// Why, in words for a developer and the log.
    pub reason: String,
}

/// What a sync did.
#[uniffi::remote(Record)]
pub struct SyncReport {
    /// The counts of the sync as it ended.
    pub progress: SyncProgress,
    /// Records the server refused, and records that cannot be synced (`no_project`).
    pub rejected: Vec<SyncRejection>,
    /// Records still unacknowledged (rejected ones, or pushed with missing dependencies).
    pub pending_records: u64,
    /// Photos referenced by this device's records that the server has not verified.
    pub pending_photos: u64,
    /// Everything is on the server, photos included, and this device holds everything the
    /// server holds for it (every scope's digest matched).
    pub complete: bool,
    /// Records this device found it lacked (a scope's digest did not match the server's)
    /// and fetched again.
    pub repaired: u64,
    /// Scopes (projects, `org`) whose digest still does not match the server's after the
    /// repair: something the server holds is not on this device (see the log).
    pub unverified: Vec<String>,
}

/// What a sync screen shows, read from the store (no network).
#[uniffi::remote(Record)]
pub struct SyncStatus {
    /// A sync account is saved on this device (logged in once).
    pub signed_in: bool,
    /// The server this device syncs with (`None`: not signed in).
    pub server_url: Option<String>,
    /// The account's user id (`None`: not signed in).
    pub user_id: Option<String>,
    /// When a sync last ended complete ([`SyncReport::complete`]), UTC ms by the device's system
    /// clock (`None`: never).
    pub last_success_ms: Option<i64>,
    /// When a sync was last started, UTC ms by the device's system clock (`None`: never).
    pub last_attempt_ms: Option<i64>,
    /// Why the last sync failed, in words (`None`: it did not fail, or none ran).
    pub last_error: Option<String>,
    /// Records with changes the server has not acknowledged.
    pub pending_records: u64,
    /// Photos referenced by this device's records that the server has not verified.
    pub pending_photos: u64,
    /// Records the server refused (kept on the device with all their data), with why.
    pub refused: Vec<SyncRejection>,
    /// Scopes the last sync found this device lacking records of and could not repair.
    pub unverified: Vec<String>,
}

/// What the sync screen and the status bar show.
#[uniffi::remote(Enum)]
pub enum SyncState {
    /// Nothing running. `complete`: the last sync left nothing pending.
    Idle {
        /// When a sync last ended complete, UTC ms by the device's system clock (`None`: never).
        last_success_ms: Option<i64>,
        /// Records with changes the server has not acknowledged.
        pending_records: u64,
        /// Photos referenced by this device's records that the server has not verified.
        pending_photos: u64,
        /// The last sync left nothing pending ([`super::SyncReport::complete`]); `false` after
        /// a cancelled one.
        complete: bool,
    },
    /// A sync is running.
    Syncing {
        /// What it has done so far.
        progress: SyncProgress,
    },
    /// The server could not be reached; tries again from `retry_at_ms`.
    Offline {
        /// What failed, in words.
        message: String,
        /// Failures in a row, this one included.
        failures: u32,
        /// When the next periodic run may sync, UTC ms by the store's clock.
        retry_at_ms: i64,
    },
    /// Not signed in, or the server refused the token (revoked: a lost phone reported).
    NeedsLogin {
        /// Why, in words.
        message: String,
    },
    /// The last sync failed for another reason than the network or the login (the server
    /// refused it, or something on the device failed); tries again from `retry_at_ms`.
    Error {
        /// What failed, in words.
        message: String,
        /// Failures in a row, this one included.
        failures: u32,
        /// When the next periodic run may sync, UTC ms by the store's clock.
        retry_at_ms: i64,
    },
}
