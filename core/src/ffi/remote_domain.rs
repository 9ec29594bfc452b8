//! `offgrid-domain`'s types as UniFFI sees them, declared once here as *remote* types (see
//! [`super::remote`]): the domain crate knows nothing of UniFFI, and a field or variant that
//! differs from its definition fails to compile.

use std::collections::BTreeMap;

use offgrid_common::model::{RecordId, RiskGrade};
use offgrid_domain::checklist::Condition;
use serde_json::Value as Json;

use offgrid_domain::checklist::template::{
    Choice, Clause, Evidence, Item, ItemKind, Section, Template, TemplatePurpose, Text,
};
use offgrid_domain::hazard::actions::HazardAction;
use offgrid_domain::hazard::events::{HazardEvent, HazardEventKind, HazardState, HazardStatus};
use offgrid_domain::inspection::lifecycle::{
    InspectionEvent, InspectionEventKind, InspectionStatus,
};
use offgrid_domain::inspection::progress::{FailedItem, Missing, MissingKind, Progress};
use offgrid_domain::inspection::{AnswerData, PhotoRef};
use offgrid_domain::patrol::plan::PlanVersion;
use offgrid_domain::patrol::plans::{Excusal, NewPlan, PatrolPlan};
use offgrid_domain::patrol::run::{Gps, RunEvent, RunEventKind, RunStatus, TrackPoint};
use offgrid_domain::patrol::scan::{ScanFlag, ScanVerdict};
use offgrid_domain::patrol::schedule::{Occurrence, Recurrence, Schedule};
use offgrid_domain::patrol::task::{Completion, TaskState};
use offgrid_domain::site::tags::{TagBinding, TagEvent, TagEventKind};
use offgrid_domain::site::{
    CheckMethod, Checkpoint, CheckpointKind, NewCheckpoint, NewSite, Site, SiteEdit, SiteKind,
    SiteQuery,
};

/// User-facing text in both languages the app ships: Chinese first, English second.
#[uniffi::remote(Record)]
#[uniffi(name = "LocalizedText")]
pub struct Text {
    pub zh: String,
    pub en: String,
}

/// What a template is used for.
#[uniffi::remote(Enum)]
pub enum TemplatePurpose {
    /// Construction quality supervision: a stage inspection (e.g. rebar before pouring).
    StageInspection,
    /// Periodic maintenance check of a finished work.
    Maintenance,
    /// Safety patrol (fire, gas, flood, electrics).
    Patrol,
    /// Equipment maintenance, e.g. air-raid sirens.
    Equipment,
}

#[uniffi::remote(Record)]
pub struct Template {
    /// Stable id, lowercase words joined by '-', e.g. `rfj-stage-slab-rebar`.
    pub id: String,
    /// Increases by one for each published change; a published version never changes.
    pub version: u32,
    pub title: Text,
    pub description: Option<Text>,
    pub purpose: TemplatePurpose,
    /// Standards the items cite, e.g. "GB 50134-2004".
    pub standards: Vec<String>,
    pub sections: Vec<Section>,
}

#[uniffi::remote(Record)]
pub struct Section {
    pub id: String,
    pub title: Text,
    pub items: Vec<Item>,
}

#[uniffi::remote(Record)]
pub struct Item {
    /// Unique within the template; answers are keyed by it.
    pub id: String,
    pub text: Text,
    pub help: Option<Text>,
    pub kind: ItemKind,
    /// Must be answered (when visible) before the inspection can be submitted.
    pub required: bool,
    /// Evidence demanded when the item fails.
    pub evidence: Evidence,
    /// The clause of the standard this item checks.
    pub clause: Option<Clause>,
    /// Weight in the inspection score (0 = not scored).
    pub weight: f64,
    /// A failure of this item raises a hazard with this default grade.
    pub raises_hazard: Option<RiskGrade>,
    /// Shown (and required) only when this holds.
    pub visible_if: Option<Condition>,
}

/// The type of answer an item takes.
#[uniffi::remote(Enum)]
pub enum ItemKind {
    /// "pass", "fail" or "na" (not applicable).
    PassFail,
    /// One option id.
    SingleChoice {
        options: Vec<Choice>,
    },
    /// Several option ids.
    MultipleChoice {
        options: Vec<Choice>,
    },
    /// A measured number; outside `min`..`max` the item fails.
    Number {
        unit: Option<String>,
        min: Option<f64>,
        max: Option<f64>,
    },
    Text {
        multiline: bool,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Photos (by SHA-256), at least `min_count`.
    Photo {
        min_count: u32,
    },
    Signature,
    /// A QR/NFC code at the point that must be scanned (GPS does not work underground).
    Checkpoint {
        code: String,
    },
    /// A location: GPS fix where available, or a described place.
    Location,
}

#[uniffi::remote(Record)]
pub struct Choice {
    pub id: String,
    pub label: Text,
    /// Choosing this option fails the item.
    pub fails: bool,
}

#[uniffi::remote(Record)]
pub struct Evidence {
    pub photo_on_fail: bool,
    pub note_on_fail: bool,
}

#[uniffi::remote(Record)]
pub struct Clause {
    /// e.g. "DBJ33/T 1309-2023".
    pub standard: String,
    /// e.g. "5.1.1"; absent when the standard is cited as a whole.
    pub clause: Option<String>,
    /// The clause number could not be confirmed.
    pub unconfirmed: bool,
}

/// A step of the loop a user can take (the shells label it; zh-CN first).
#[uniffi::remote(Enum)]
pub enum HazardAction {
    /// 评估分级.
    Grade,
    /// 下达整改.
    OrderRectification,
    /// 提交整改.
    SubmitRectification,
    /// 复查 (passed or sent back).
    Reinspect,
    /// 挂牌督办.
    Escalate,
    /// 销号.
    Close,
    /// 核销.
    WriteOff,
}

#[uniffi::remote(Record)]
pub struct HazardEvent {
    pub id: String,
    pub kind: HazardEventKind,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    pub offset_minutes: i32,
    pub note: Option<String>,
    /// The account the sync server verified as the pusher of the change that recorded this
    /// event (`None`: not yet confirmed by the server). Never read from the document.
    pub verified_by: Option<String>,
    /// The server found the change that recorded this event stamped, by the device's clock,
    /// after the server received it (`clock_ahead`): its time is not to be trusted. Never read
    /// from the document.
    pub clock_ahead: bool,
}

#[uniffi::remote(Enum)]
pub enum HazardEventKind {
    /// 发现/登记.
    Raised {
        grade: Option<RiskGrade>,
        major: bool,
    },
    /// 评估分级.
    Graded { grade: RiskGrade, major: bool },
    /// 下达整改: who (unit, person), by when, what to do.
    RectificationOrdered {
        unit: String,
        person: String,
        person_name: String,
        deadline_ms: i64,
        measures: String,
    },
    /// 提交整改, with after-photos (SHA-256).
    RectificationSubmitted { photos: Vec<String> },
    /// 复查: passed, or sent back (退回整改).
    Reinspected { passed: bool },
    /// 超期 / 挂牌督办: escalated one level.
    Escalated,
    /// 销号.
    Closed,
    /// 核销: a supervisor writes a (major) hazard off after acceptance.
    WrittenOff,
}

#[uniffi::remote(Enum)]
pub enum HazardStatus {
    /// 待评估: found, not yet graded.
    Raised,
    /// 待下达整改: graded, no rectification ordered.
    Graded,
    /// 待整改 / 整改中.
    Ordered,
    /// 待复查: rectification submitted.
    Submitted,
    /// 退回整改: sent back after re-inspection.
    Returned,
    /// 复查通过: awaiting closing (or write-off for a major hazard).
    Verified,
    /// 已销号.
    Closed,
    /// 已核销.
    WrittenOff,
}

/// The state a hazard's events fold into.
#[uniffi::remote(Record)]
pub struct HazardState {
    pub status: HazardStatus,
    pub grade: Option<RiskGrade>,
    pub major: bool,
    /// The responsible unit, person and deadline of the current order.
    pub unit: Option<String>,
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub deadline_ms: Option<i64>,
    pub measures: Option<String>,
    /// Who submitted the latest rectification (may not re-inspect it).
    pub rectified_by: Option<String>,
    pub escalations: u32,
    /// Ids of events kept but not applied (they did not fit the state after a merge).
    pub not_applied: Vec<String>,
}

/// Lifecycle events, stored under `/events/<uuid>`.
#[uniffi::remote(Record)]
pub struct InspectionEvent {
    pub id: String,
    pub kind: InspectionEventKind,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    pub offset_minutes: i32,
    pub note: Option<String>,
}

#[uniffi::remote(Enum)]
pub enum InspectionEventKind {
    Submitted,
    Returned,
    Reviewed,
}

#[uniffi::remote(Enum)]
pub enum InspectionStatus {
    Draft,
    InProgress,
    Submitted,
    Returned,
    Reviewed,
}

/// One item's answer as stored.
#[uniffi::remote(Record)]
pub struct AnswerData {
    pub value: Option<Json>,
    pub note: Option<String>,
    /// Photo references by SHA-256.
    pub photos: BTreeMap<String, PhotoRef>,
    pub by: Option<String>,
    pub at_ms: Option<i64>,
}

#[uniffi::remote(Record)]
pub struct PhotoRef {
    pub sha256: String,
    pub by: String,
    pub at_ms: i64,
    /// For hazards: "found" or "rectification" (absent on references made by hash only).
    pub stage: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Progress {
    /// Visible required items.
    pub required: u32,
    /// Of those, answered (photo items: enough photos; signature items: signed).
    pub answered: u32,
    /// answered / required × 100 (100 when nothing is required).
    pub completion_pct: f64,
    /// Weighted share of passed among scored answers (failures and passes; "na" excluded),
    /// × 100; `None` before any scored answer.
    pub score_pct: Option<f64>,
    pub failed: Vec<FailedItem>,
    /// Everything that blocks submission.
    pub missing: Vec<Missing>,
    /// Items hidden by their visibility conditions, in template order: a form does not show
    /// them, and they are neither required nor scored.
    pub hidden: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct FailedItem {
    pub item: String,
    pub clause: Option<Clause>,
    pub raises_hazard: Option<RiskGrade>,
}

#[uniffi::remote(Record)]
pub struct Missing {
    pub item: String,
    pub what: MissingKind,
}

#[uniffi::remote(Enum)]
pub enum MissingKind {
    Answer,
    /// Fewer photos than the item's minimum.
    Photos,
    Signature,
    /// Failed, and the template demands a photo of the failure.
    FailurePhoto,
    /// Failed, and the template demands a note.
    FailureNote,
}

/// One version of a plan.
#[uniffi::remote(Record)]
pub struct PlanVersion {
    pub version: u32,
    /// In force for occurrences opening at or after this time (UTC ms).
    pub effective_from_ms: i64,
    pub site: RecordId,
    /// The site's checkpoints this plan requires, as they were when the version was made, in
    /// route order.
    pub checkpoints: Vec<Checkpoint>,
    /// The checklist template answered on the run (`id@version`), if any.
    pub template: Option<String>,
    pub schedule: Schedule,
    /// Checkpoints must be scanned in route order.
    pub in_sequence: bool,
    pub assignees: Vec<String>,
    pub completion: Completion,
    /// A skipped checkpoint counts only once a supervisor approves the skip.
    pub skip_needs_approval: bool,
}

/// A new plan, or a plan's next version.
#[uniffi::remote(Record)]
pub struct NewPlan {
    pub title: String,
    pub site: RecordId,
    /// Checkpoints of the site by id or name, in the order patrolled (empty: every checkpoint
    /// the site has in service, in route order). One the site lacks, or a name several of its
    /// checkpoints share, is refused (`InvalidValue` at `/checkpoints`).
    pub checkpoints: Vec<String>,
    /// Checklist template answered on the run (`id@version`).
    pub template: Option<String>,
    pub schedule: Schedule,
    pub in_sequence: bool,
    pub assignees: Vec<String>,
    pub completion: Completion,
    pub skip_needs_approval: bool,
}

/// A plan with all its versions, oldest first.
#[uniffi::remote(Record)]
pub struct PatrolPlan {
    pub id: RecordId,
    pub title: String,
    pub site: RecordId,
    pub versions: Vec<PlanVersion>,
    /// Tasks a supervisor excused, by task id.
    pub excused: Vec<Excusal>,
}

/// A task excused by a supervisor (the site was closed, flooded, …).
#[uniffi::remote(Record)]
pub struct Excusal {
    pub task: String,
    pub by: String,
    pub reason: String,
}

/// A position fix (WGS-84), where the phone had one.
#[uniffi::remote(Record)]
pub struct Gps {
    pub lon: f64,
    pub lat: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// One event of a run.
#[uniffi::remote(Record)]
pub struct RunEvent {
    pub id: String,
    pub kind: RunEventKind,
    pub by: String,
    pub at_ms: i64,
}

#[uniffi::remote(Enum)]
pub enum RunEventKind {
    Start,
    /// A checkpoint scan, with the device's verdict at the time.
    Scan {
        method: CheckMethod,
        /// The tag's key ([`crate::site::tag_key`]) for NFC and QR.
        tag: Option<String>,
        /// The raw payload read (an NTAG 424 SUN URL, for the server to verify).
        payload: Option<String>,
        /// Reading of a clock that does not jump when the time is set (ms since boot).
        monotonic_ms: Option<i64>,
        gps: Option<Gps>,
        /// SHA-256 of photos taken at the checkpoint.
        photos: Vec<String>,
        verdict: ScanVerdict,
    },
    /// A required checkpoint not visited, and why.
    Skip {
        checkpoint: String,
        reason: String,
    },
    /// A supervisor approved the skip `skip` (an event id).
    ApproveSkip {
        skip: String,
    },
    /// A checklist answer given at a checkpoint (or for the run).
    Answer {
        checkpoint: Option<String>,
        item: String,
        value: serde_json::Value,
        note: Option<String>,
    },
    /// A problem seen on the way (上报); a hazard may be raised from it.
    Observe {
        checkpoint: Option<String>,
        text: String,
        grade: Option<RiskGrade>,
        photos: Vec<String>,
    },
    Pause,
    Resume,
    /// The runner ended the run; a reason when required checkpoints were left uncovered.
    Finish {
        reason: Option<String>,
    },
    /// A supervisor voided the run (it counts for nothing, and stays on record).
    Void {
        reason: String,
    },
}

/// Where a run stands.
#[uniffi::remote(Enum)]
pub enum RunStatus {
    InProgress,
    Paused,
    Finished,
    Voided,
}

/// A position fix recorded above ground during a run (GPS is of no use underground).
#[uniffi::remote(Record)]
pub struct TrackPoint {
    pub at_ms: i64,
    pub lon: f64,
    pub lat: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// What a scan raised. Soft: a flagged scan is kept and may still count.
#[uniffi::remote(Enum)]
pub enum ScanFlag {
    /// The tag was bound to no checkpoint at the scan's time (never bound, or unbound).
    UnknownTag,
    /// The tag belongs to another site.
    ForeignTag,
    /// The checkpoint is this site's but the plan does not require it.
    NotRequired,
    /// The checkpoint does not accept this method, or the tag was bound for another method, or
    /// a manual check came without a photo.
    MethodNotAllowed,
    /// Outside the task's window and grace (by the device's clock).
    OutOfWindow,
    /// Too soon after a scan at another checkpoint to have walked there.
    TooFast,
    /// One of many scans within a minute.
    Burst,
    /// Not the next checkpoint of a plan patrolled in sequence.
    OutOfOrder,
    /// The checkpoint was already covered in this run.
    Repeat,
}

/// The verdict on one scan.
#[uniffi::remote(Record)]
pub struct ScanVerdict {
    /// The checkpoint the scan names (of this site), whether or not it counts.
    pub checkpoint: Option<String>,
    /// It covers `checkpoint` for the run.
    pub counts: bool,
    pub flags: Vec<ScanFlag>,
}

/// On which local days a plan's windows open.
#[uniffi::remote(Enum)]
pub enum Recurrence {
    /// Every day.
    Day,
    /// On these ISO weekdays (1 = Monday … 7 = Sunday).
    Week { days: Vec<u8> },
    /// On these days of the month (1–31); a day a month lacks (31 in April) is skipped.
    Month { days: Vec<u8> },
}

/// When a plan's patrols are due.
#[uniffi::remote(Record)]
pub struct Schedule {
    pub recurrence: Recurrence,
    /// Local start times of the day's windows, minutes after midnight (0–1439), e.g. `[540]`
    /// for 09:00, `[540, 1260]` for 09:00 and 21:00.
    pub starts: Vec<u16>,
    /// Length of each window in minutes (1 to a day). A window starting at 22:00 for 480
    /// minutes ends at 06:00 the next day.
    pub window_minutes: u32,
    /// Minutes after a window's end in which a patrol still counts, as late.
    pub grace_minutes: u32,
    /// The zone of the local times, minutes east of UTC (+08:00 is 480).
    pub utc_offset_minutes: i32,
}

/// One window of a plan.
#[uniffi::remote(Record)]
pub struct Occurrence {
    /// The window opens (UTC ms).
    pub start_ms: i64,
    /// The window closes (UTC ms).
    pub end_ms: i64,
    /// The grace after the window ends (UTC ms): a patrol finished by then is late, not missed.
    pub grace_end_ms: i64,
    /// The local day the window opens on, `YYYY-MM-DD` in the plan's zone.
    pub local_date: String,
}

/// Who must patrol for a task to be done.
#[uniffi::remote(Enum)]
pub enum Completion {
    /// Any one assignee's complete run does it.
    Any,
    /// Every assignee must make a complete run.
    Each,
}

/// Where a task stands.
#[uniffi::remote(Enum)]
pub enum TaskState {
    /// The window has not opened.
    Upcoming,
    /// The window (or its grace) is open and no run has started.
    Due,
    /// A run has started and the window (or its grace) is still open.
    InProgress,
    /// Complete within the window.
    Done,
    /// Complete, but after the window and its grace.
    Late,
    /// The window and grace passed with runs that left checkpoints uncovered.
    Partial,
    /// The window and grace passed with no run, and every assignee has synced since.
    Missed,
    /// The window and grace passed with no run known here, and some assignee has not synced
    /// since: their run may still arrive (待同步).
    AwaitingSync,
    /// A supervisor excused the task.
    Excused,
}

/// What kind of work a site is.
#[uniffi::remote(Enum)]
pub enum SiteKind {
    /// 单建: a stand-alone work.
    Standalone,
    /// 结建: built with (under) a building.
    Attached,
    /// 平战结合: used in peacetime (car park, market, cooling shelter).
    DualUse,
    Other,
}

/// What a checkpoint is.
#[uniffi::remote(Enum)]
pub enum CheckpointKind {
    /// 出入口.
    Entrance,
    /// 防护密闭门.
    BlastDoor,
    /// 配电室.
    PowerRoom,
    /// 集水井.
    Sump,
    /// 通风口 / 滤毒室.
    Ventilation,
    Other,
}

/// How a patroller proves they were at a checkpoint (打卡方式).
#[uniffi::remote(Enum)]
pub enum CheckMethod {
    /// An NFC tag read by the phone.
    Nfc,
    /// A QR code label scanned with the camera.
    Qr,
    /// No tag: a photo taken on the spot.
    ManualPhoto,
}

/// A new site.
#[uniffi::remote(Record)]
pub struct NewSite {
    pub name: String,
    pub address: String,
    pub kind: SiteKind,
    /// 管护单位.
    pub unit: String,
    /// The grid cell it lies in.
    pub cell: RecordId,
    /// The entrance above ground: a GeoJSON Point or "lon,lat".
    #[uniffi(default)]
    pub location: Option<String>,
    /// Construction projects it belongs to.
    #[uniffi(default)]
    pub projects: Vec<String>,
}

/// Changes to a site's own fields (`None`: unchanged).
#[uniffi::remote(Record)]
pub struct SiteEdit {
    #[uniffi(default)]
    pub name: Option<String>,
    #[uniffi(default)]
    pub address: Option<String>,
    #[uniffi(default)]
    pub kind: Option<SiteKind>,
    #[uniffi(default)]
    pub unit: Option<String>,
    #[uniffi(default)]
    pub location: Option<String>,
    /// Moves the site to another cell (organisation admins only).
    #[uniffi(default)]
    pub cell: Option<RecordId>,
}

/// A new checkpoint of a site.
#[uniffi::remote(Record)]
pub struct NewCheckpoint {
    pub name: String,
    pub kind: CheckpointKind,
    /// Methods it accepts (at least one).
    pub methods: Vec<CheckMethod>,
}

/// A checkpoint as the app shows it.
#[uniffi::remote(Record)]
pub struct Checkpoint {
    pub id: String,
    pub name: String,
    pub kind: CheckpointKind,
    pub methods: Vec<CheckMethod>,
    /// Position in the site's route (the order checkpoints were added, unless moved).
    pub seq: i64,
    /// No longer patrolled (kept: past scans cite it).
    pub retired: bool,
    /// Tags bound to it now (their keys, see [`tag_key`]).
    pub tags: Vec<String>,
}

/// A site as the app shows it.
#[uniffi::remote(Record)]
pub struct Site {
    pub id: RecordId,
    pub name: String,
    pub address: String,
    pub kind: SiteKind,
    pub unit: String,
    pub cell: RecordId,
    /// GeoJSON Point text.
    pub location: Option<String>,
    pub projects: Vec<String>,
    /// In route order.
    pub checkpoints: Vec<Checkpoint>,
    /// Every bind and unbind, in fold order.
    pub tag_events: Vec<TagEvent>,
}

/// Which sites to list.
#[uniffi::remote(Record)]
pub struct SiteQuery {
    /// Sites in this cell (not its sub-cells).
    #[uniffi(default)]
    pub cell: Option<RecordId>,
    /// Sites of this construction project.
    #[uniffi(default)]
    pub project: Option<String>,
    /// Substring of the name, address or unit.
    #[uniffi(default)]
    pub text: Option<String>,
}

/// One bind or unbind.
#[uniffi::remote(Record)]
pub struct TagEvent {
    pub id: String,
    pub kind: TagEventKind,
    /// The tag's key ([`tag_key`]).
    pub tag: String,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    pub offset_minutes: i32,
}

#[uniffi::remote(Enum)]
pub enum TagEventKind {
    Bind {
        checkpoint: String,
        method: CheckMethod,
    },
    Unbind {
        reason: String,
    },
}

/// What a tag stood for at a moment.
#[uniffi::remote(Record)]
pub struct TagBinding {
    pub tag: String,
    pub site: RecordId,
    pub site_name: String,
    pub checkpoint: String,
    pub checkpoint_name: String,
    pub method: CheckMethod,
    /// The bind event in force.
    pub bound_at_ms: i64,
    pub bound_by: String,
}
