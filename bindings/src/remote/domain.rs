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
    /// The Chinese text (`zh-CN` in JSON); not empty.
    pub zh: String,
    /// The English text, a faithful translation of the Chinese; not empty.
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

/// A checklist template: what an inspection, maintenance check, patrol or equipment check asks.
#[uniffi::remote(Record)]
pub struct Template {
    /// Stable id, lowercase words joined by '-', e.g. `rfj-stage-slab-rebar`.
    pub id: String,
    /// Increases by one for each published change; a published version never changes.
    pub version: u32,
    /// The template's name as users see it.
    pub title: Text,
    /// What the template is for, shown with its title (`None`: no description).
    pub description: Option<Text>,
    /// What the template is used for.
    pub purpose: TemplatePurpose,
    /// Standards the items cite, e.g. "GB 50134-2004".
    pub standards: Vec<String>,
    /// The sections, in the order they are shown; at least one.
    pub sections: Vec<Section>,
}

/// A titled group of items, shown together.
#[uniffi::remote(Record)]
pub struct Section {
    /// Unique within the template.
    pub id: String,
    /// The heading shown above the section's items.
    pub title: Text,
    /// The items, in the order they are asked; at least one.
    pub items: Vec<Item>,
}

/// One check of a template: what is asked, the answer it takes and what a failure means.
#[uniffi::remote(Record)]
pub struct Item {
    /// Unique within the template; answers are keyed by it.
    pub id: String,
    /// The check as a statement or a question.
    pub text: Text,
    /// Shown on demand: how to measure, limits, what to do when in doubt (`None`: no help).
    pub help: Option<Text>,
    /// The type of answer, with that type's own fields (the JSON `type` and its fields).
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
        /// The options offered, in order; at least two.
        options: Vec<Choice>,
    },
    /// Several option ids.
    MultipleChoice {
        /// The options offered, in order; at least two.
        options: Vec<Choice>,
    },
    /// A measured number; outside `min`..`max` the item fails.
    Number {
        /// The unit the number is measured in, e.g. "MPa" (`None`: unitless).
        unit: Option<String>,
        /// Below this the item fails (`None`: no lower limit).
        min: Option<f64>,
        /// Above this the item fails (`None`: no upper limit).
        max: Option<f64>,
    },
    /// Free text; never fails.
    Text {
        /// Offer a multi-line field (default: a single line).
        multiline: bool,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Photos (by SHA-256), at least `min_count`.
    Photo {
        /// The fewest photos that answer the item (default 1).
        min_count: u32,
    },
    /// A signature; never fails.
    Signature,
    /// A QR/NFC code at the point that must be scanned (GPS does not work underground).
    Checkpoint {
        /// The code the checkpoint's tag carries; the scanned code must equal it.
        code: String,
    },
    /// A location: GPS fix where available, or a described place.
    Location,
}

/// One option of a single- or multiple-choice item.
#[uniffi::remote(Record)]
pub struct Choice {
    /// Unique within the item; the answer holds it.
    pub id: String,
    /// What the option says.
    pub label: Text,
    /// Choosing this option fails the item.
    pub fails: bool,
}

/// Evidence a failure of the item needs before the form can be submitted.
#[uniffi::remote(Record)]
pub struct Evidence {
    /// A failure needs at least one photo.
    pub photo_on_fail: bool,
    /// A failure needs a note.
    pub note_on_fail: bool,
}

/// The clause of a standard an item checks.
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

/// One step of a hazard's closed loop, stored under its id in the hazard's `events` map.
#[uniffi::remote(Record)]
pub struct HazardEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    pub id: String,
    /// What happened, with its details (the event's `type` and that type's fields).
    pub kind: HazardEventKind,
    /// The user id of its author (the gate checks it is the author of the change that added it).
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    pub by_name: String,
    /// When it happened, UTC milliseconds by the recording device's clock: the first key of the
    /// fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    pub offset_minutes: i32,
    /// The author's remark on this step (`None`: none).
    pub note: Option<String>,
    /// The account the sync server verified as the pusher of the change that recorded this
    /// event (`None`: not yet confirmed by the server). Never read from the document.
    pub verified_by: Option<String>,
    /// The server found the change that recorded this event stamped, by the device's clock,
    /// after the server received it (`clock_ahead`): its time is not to be trusted. Never read
    /// from the document.
    pub clock_ahead: bool,
}

/// What a hazard event records: one step of the closed loop, stored as the event's `type`.
#[uniffi::remote(Enum)]
pub enum HazardEventKind {
    /// 发现/登记.
    Raised {
        /// The grade given when raising it (`None`: graded later, by a `graded` event).
        grade: Option<RiskGrade>,
        /// Raised as a major hazard (重大隐患); a red grade makes it major anyway.
        major: bool,
    },
    /// 评估分级.
    Graded {
        /// The grade given.
        grade: RiskGrade,
        /// Graded a major hazard (重大隐患); a red grade makes it major anyway.
        major: bool,
    },
    /// 下达整改: who (unit, person), by when, what to do.
    RectificationOrdered {
        /// The responsible unit (责任单位).
        unit: String,
        /// The user id of the responsible person (责任人): the hazard's assignee.
        person: String,
        /// The responsible person's display name when ordered (empty when not recorded).
        person_name: String,
        /// The rectification deadline (期限), UTC ms; past it, the hazard is overdue.
        deadline_ms: i64,
        /// What is to be done (整改措施).
        measures: String,
    },
    /// 提交整改, with after-photos (SHA-256).
    RectificationSubmitted {
        /// SHA-256 (hex) of the after-photos, attached to the hazard's `photos` map.
        photos: Vec<String>,
    },
    /// 复查: passed, or sent back (退回整改).
    Reinspected {
        /// `true`: 复查通过 (verified); `false`: 退回整改 (sent back).
        passed: bool,
    },
    /// 超期 / 挂牌督办: escalated one level.
    Escalated,
    /// 销号.
    Closed,
    /// 核销: a supervisor writes a (major) hazard off after acceptance.
    WrittenOff,
}

/// Where a hazard stands in the closed loop: the fold of its events.
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
    /// Where the hazard stands in the loop.
    pub status: HazardStatus,
    /// The latest grade (`None`: not graded yet).
    pub grade: Option<RiskGrade>,
    /// A major hazard (重大隐患): raised or graded so, or graded red. Closed only by a write-off.
    pub major: bool,
    /// The responsible unit (责任单位) of the current order (`None`: none ordered).
    pub unit: Option<String>,
    /// The user id of the responsible person (责任人) of the current order (`None`: none ordered).
    pub assignee: Option<String>,
    /// The responsible person's display name, as the order recorded it.
    pub assignee_name: Option<String>,
    /// The current order's rectification deadline, UTC ms (`None`: none ordered).
    pub deadline_ms: Option<i64>,
    /// What the current order asks to be done (`None`: none ordered).
    pub measures: Option<String>,
    /// Who submitted the latest rectification (may not re-inspect it).
    pub rectified_by: Option<String>,
    /// How many times the hazard was escalated (超期 / 挂牌督办).
    pub escalations: u32,
    /// Ids of events kept but not applied (they did not fit the state after a merge).
    pub not_applied: Vec<String>,
}

/// Lifecycle events, stored under `/events/<uuid>`.
#[uniffi::remote(Record)]
pub struct InspectionEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    pub id: String,
    /// What happened (stored as the event's `type`).
    pub kind: InspectionEventKind,
    /// The user id of its author (the gate checks it is the author of the change that added it).
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    pub by_name: String,
    /// When it happened, UTC milliseconds by the recording device's clock: the first key of the
    /// fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    pub offset_minutes: i32,
    /// The author's remark; a return always has one, saying why (`None`: none).
    pub note: Option<String>,
}

/// A step of an inspection's lifecycle, stored as the event's `type`.
#[uniffi::remote(Enum)]
pub enum InspectionEventKind {
    /// The inspector submitted the inspection for review (first time or again after a return).
    Submitted,
    /// A supervisor sent the submitted inspection back to the inspector, with a note.
    Returned,
    /// A supervisor accepted the submitted inspection: it is final.
    Reviewed,
}

/// Where an inspection stands: the fold of its events and whether anyone has started it.
#[uniffi::remote(Enum)]
pub enum InspectionStatus {
    /// Created, nothing answered yet.
    Draft,
    /// Someone has started answering (the `started` map is not empty); not yet submitted.
    InProgress,
    /// Submitted and awaiting review; read only.
    Submitted,
    /// Sent back by the reviewer: editable again, to be submitted again.
    Returned,
    /// Accepted by a supervisor; read only for good.
    Reviewed,
}

/// One item's answer as stored.
#[uniffi::remote(Record)]
pub struct AnswerData {
    /// The answer, in the form its item type takes ([`answer::check`]); `None` or null: unanswered.
    pub value: Option<Json>,
    /// The inspector's note on the item (`None`: none).
    pub note: Option<String>,
    /// Photo references by SHA-256.
    pub photos: BTreeMap<String, PhotoRef>,
    /// The user id of who last wrote the value or note (`None`: never answered).
    pub by: Option<String>,
    /// When the value or note was last written, UTC ms by that device's clock (`None`: never).
    pub at_ms: Option<i64>,
}

/// A reference to a stored photo (an inspection item's, a hazard's), keyed by its SHA-256.
#[uniffi::remote(Record)]
pub struct PhotoRef {
    /// SHA-256 of the photo, lowercase hex: the key it is stored under.
    pub sha256: String,
    /// The user id of who attached it.
    pub by: String,
    /// When it was attached, UTC ms by the attaching device's clock.
    pub at_ms: i64,
    /// For hazards: "found" or "rectification" (absent on references made by hash only).
    pub stage: Option<String>,
}

/// How far an inspection is, from its template, answers and which items are visible
/// ([`compute`]).
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
    /// Visible answered items whose answer is a failure, in template order.
    pub failed: Vec<FailedItem>,
    /// Everything that blocks submission.
    pub missing: Vec<Missing>,
    /// Items hidden by their visibility conditions, in template order: a form does not show
    /// them, and they are neither required nor scored.
    pub hidden: Vec<String>,
}

/// An item whose answer is a failure, with what the template says a failure means.
#[uniffi::remote(Record)]
pub struct FailedItem {
    /// The item's id.
    pub item: String,
    /// The clause of the standard the item checks (`None`: the template cites none).
    pub clause: Option<Clause>,
    /// The grade of the hazard the failure raises (`None`: it raises none).
    pub raises_hazard: Option<RiskGrade>,
}

/// One thing that blocks submission: an item and what it lacks.
#[uniffi::remote(Record)]
pub struct Missing {
    /// The item's id.
    pub item: String,
    /// What the item lacks.
    pub what: MissingKind,
}

/// What a visible item lacks before the inspection can be submitted.
#[uniffi::remote(Enum)]
pub enum MissingKind {
    /// Required and not answered.
    Answer,
    /// Fewer photos than the item's minimum.
    Photos,
    /// A required signature item is not signed.
    Signature,
    /// Failed, and the template demands a photo of the failure.
    FailurePhoto,
    /// Failed, and the template demands a note.
    FailureNote,
}

/// One version of a plan.
#[uniffi::remote(Record)]
pub struct PlanVersion {
    /// The version number: from 1, one more than the version before.
    pub version: u32,
    /// In force for occurrences opening at or after this time (UTC ms).
    pub effective_from_ms: i64,
    /// The site patrolled (the plan's).
    pub site: RecordId,
    /// The site's checkpoints this plan requires, as they were when the version was made, in
    /// route order.
    pub checkpoints: Vec<Checkpoint>,
    /// The checklist template answered on the run (`id@version`), if any.
    pub template: Option<String>,
    /// When the patrols are due.
    pub schedule: Schedule,
    /// Checkpoints must be scanned in route order.
    pub in_sequence: bool,
    /// User ids of who patrols (at least one).
    pub assignees: Vec<String>,
    /// Whether one assignee's complete run or every assignee's completes a task.
    pub completion: Completion,
    /// A skipped checkpoint counts only once a supervisor approves the skip.
    pub skip_needs_approval: bool,
}

/// A new plan, or a plan's next version.
#[uniffi::remote(Record)]
pub struct NewPlan {
    /// The plan's title, shown on its tasks and runs.
    pub title: String,
    /// The site to patrol; a plan's site never changes.
    pub site: RecordId,
    /// Checkpoints of the site by id or name, in the order patrolled (empty: every checkpoint
    /// the site has in service, in route order). One the site lacks, or a name several of its
    /// checkpoints share, is refused (`InvalidValue` at `/checkpoints`).
    pub checkpoints: Vec<String>,
    /// Checklist template answered on the run (`id@version`).
    pub template: Option<String>,
    /// When the patrols are due.
    pub schedule: Schedule,
    /// Checkpoints must be scanned in route order.
    pub in_sequence: bool,
    /// User ids of who patrols (at least one).
    pub assignees: Vec<String>,
    /// Whether one assignee's complete run or every assignee's completes a task.
    pub completion: Completion,
    /// A skipped checkpoint counts only once a supervisor approves the skip.
    pub skip_needs_approval: bool,
}

/// A plan with all its versions, oldest first.
#[uniffi::remote(Record)]
pub struct PatrolPlan {
    /// The plan record's id.
    pub id: RecordId,
    /// The plan's title.
    pub title: String,
    /// The site patrolled.
    pub site: RecordId,
    /// The versions that parse, oldest first.
    pub versions: Vec<PlanVersion>,
    /// Tasks a supervisor excused, by task id.
    pub excused: Vec<Excusal>,
}

/// A task excused by a supervisor (the site was closed, flooded, …).
#[uniffi::remote(Record)]
pub struct Excusal {
    /// The id of the excused task.
    pub task: String,
    /// The user id of the supervisor who excused it.
    pub by: String,
    /// Why the task was excused.
    pub reason: String,
}

/// A position fix (WGS-84), where the phone had one.
#[uniffi::remote(Record)]
pub struct Gps {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// One event of a run.
#[uniffi::remote(Record)]
pub struct RunEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    pub id: String,
    /// What happened, with its details (the event's `type` and that type's fields).
    pub kind: RunEventKind,
    /// The user id of its author: the runner, or a supervisor for an approval or a void.
    pub by: String,
    /// When it happened, UTC ms by the recording device's clock: the first key of the fold order.
    pub at_ms: i64,
}

/// What a run event records, stored as the event's `type`.
#[uniffi::remote(Enum)]
pub enum RunEventKind {
    /// The runner began the run (recorded with the run's first change).
    Start,
    /// A checkpoint scan, with the device's verdict at the time.
    Scan {
        /// How the checkpoint was checked.
        method: CheckMethod,
        /// The tag's key ([`crate::site::tag_key`]) for NFC and QR.
        tag: Option<String>,
        /// The raw payload read (an NTAG 424 SUN URL, for the server to verify).
        payload: Option<String>,
        /// Reading of a clock that does not jump when the time is set (ms since boot).
        monotonic_ms: Option<i64>,
        /// Where the phone was, if it had a fix.
        gps: Option<Gps>,
        /// SHA-256 of photos taken at the checkpoint.
        photos: Vec<String>,
        /// Whether the scan counts and what it flags ([`super::scan::judge`]); the server
        /// judges it again.
        verdict: ScanVerdict,
    },
    /// A required checkpoint not visited, and why.
    Skip {
        /// The id of the checkpoint not visited.
        checkpoint: String,
        /// Why it was not visited (not blank).
        reason: String,
    },
    /// A supervisor approved the skip `skip` (an event id).
    ApproveSkip {
        /// The id of the `skip` event approved.
        skip: String,
    },
    /// A checklist answer given at a checkpoint (or for the run).
    Answer {
        /// The checkpoint it was given at (`None`: for the whole run).
        checkpoint: Option<String>,
        /// The id of the item, in the plan version's checklist template.
        item: String,
        /// The answer, in the form the item's type takes.
        value: serde_json::Value,
        /// The runner's note on the answer (`None`: none).
        note: Option<String>,
    },
    /// A problem seen on the way (上报); a hazard may be raised from it.
    Observe {
        /// The checkpoint it was seen at (`None`: on the way).
        checkpoint: Option<String>,
        /// What was seen: a hazard raised from it takes it as its description.
        text: String,
        /// The grade the runner gives it (`None`: ungraded); a hazard raised from it starts
        /// with it.
        grade: Option<RiskGrade>,
        /// SHA-256 of the photos taken of it.
        photos: Vec<String>,
    },
    /// The runner paused the run (applies only while it is in progress).
    Pause,
    /// The runner resumed the run (applies only while it is paused).
    Resume,
    /// The runner ended the run; a reason when required checkpoints were left uncovered.
    Finish {
        /// Why required checkpoints were left uncovered (`None`: every one was covered).
        reason: Option<String>,
    },
    /// A supervisor voided the run (it counts for nothing, and stays on record).
    Void {
        /// Why the run was voided (not blank).
        reason: String,
    },
}

/// Where a run stands.
#[uniffi::remote(Enum)]
pub enum RunStatus {
    /// Started, or resumed, and not finished.
    InProgress,
    /// Paused by the runner.
    Paused,
    /// Finished by the runner: later events of the runner change nothing.
    Finished,
    /// Voided by a supervisor (even after finishing): the run counts for nothing.
    Voided,
}

/// A position fix recorded above ground during a run (GPS is of no use underground).
#[uniffi::remote(Record)]
pub struct TrackPoint {
    /// When the fix was taken, UTC ms by the device's clock.
    pub at_ms: i64,
    /// Longitude in degrees (WGS-84).
    pub lon: f64,
    /// Latitude in degrees (WGS-84).
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
    /// The soft flags the scan raised, each once (a flagged scan is kept and may still count).
    pub flags: Vec<ScanFlag>,
}

/// On which local days a plan's windows open.
#[uniffi::remote(Enum)]
pub enum Recurrence {
    /// Every day.
    Day,
    /// On these ISO weekdays (1 = Monday … 7 = Sunday).
    Week {
        /// ISO weekday numbers, 1 = Monday … 7 = Sunday.
        days: Vec<u8>,
    },
    /// On these days of the month (1–31); a day a month lacks (31 in April) is skipped.
    Month {
        /// Days of the month, 1–31.
        days: Vec<u8>,
    },
}

/// When a plan's patrols are due.
#[uniffi::remote(Record)]
pub struct Schedule {
    /// On which local days the windows open.
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
    /// Another kind of work (其他).
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
    /// Another kind of checkpoint (其他).
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
    /// The site's name (not blank).
    pub name: String,
    /// Its address.
    pub address: String,
    /// What kind of work it is.
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
    /// A new name (not blank).
    #[uniffi(default)]
    pub name: Option<String>,
    /// A new address.
    #[uniffi(default)]
    pub address: Option<String>,
    /// A new kind of work.
    #[uniffi(default)]
    pub kind: Option<SiteKind>,
    /// A new maintaining unit (管护单位).
    #[uniffi(default)]
    pub unit: Option<String>,
    /// A new entrance location: a GeoJSON Point or "lon,lat".
    #[uniffi(default)]
    pub location: Option<String>,
    /// Moves the site to another cell (organisation admins only).
    #[uniffi(default)]
    pub cell: Option<RecordId>,
}

/// A new checkpoint of a site.
#[uniffi::remote(Record)]
pub struct NewCheckpoint {
    /// The checkpoint's name, as patrollers see it (a plan may cite it by name).
    pub name: String,
    /// What the checkpoint is.
    pub kind: CheckpointKind,
    /// Methods it accepts (at least one).
    pub methods: Vec<CheckMethod>,
}

/// A checkpoint as the app shows it.
#[uniffi::remote(Record)]
pub struct Checkpoint {
    /// Its id, unique within the site: plans, scans and tags cite it.
    pub id: String,
    /// Its name, as patrollers see it.
    pub name: String,
    /// What the checkpoint is.
    pub kind: CheckpointKind,
    /// Methods it accepts.
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
    /// The site record's id.
    pub id: RecordId,
    /// The site's name (root `title`).
    pub name: String,
    /// Its address.
    pub address: String,
    /// What kind of work it is (`Other` when the root names none this version knows).
    pub kind: SiteKind,
    /// The maintaining unit (管护单位).
    pub unit: String,
    /// The grid cell it lies in.
    pub cell: RecordId,
    /// GeoJSON Point text.
    pub location: Option<String>,
    /// Ids of the construction projects it belongs to.
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
    /// The key it is stored under in the site's `tags` map (a UUID): the second key of the fold
    /// order.
    pub id: String,
    /// Bind or unbind, with its details (the event's `type` and that type's fields).
    pub kind: TagEventKind,
    /// The tag's key ([`tag_key`]).
    pub tag: String,
    /// The user id of its author.
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    pub by_name: String,
    /// When it happened, UTC ms by the recording device's clock: the first key of the fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    pub offset_minutes: i32,
}

/// What a tag event does, stored as the event's `type`.
#[uniffi::remote(Enum)]
pub enum TagEventKind {
    /// From now on the tag stands for `checkpoint` of this site (replacing any earlier binding).
    Bind {
        /// The id of the checkpoint.
        checkpoint: String,
        /// How the tag is read (NFC or QR).
        method: CheckMethod,
    },
    /// From now on the tag stands for nothing.
    Unbind {
        /// Why (a replaced or stolen tag, …); empty when none was given.
        reason: String,
    },
}

/// What a tag stood for at a moment.
#[uniffi::remote(Record)]
pub struct TagBinding {
    /// The tag's key ([`tag_key`]).
    pub tag: String,
    /// The site whose event bound it.
    pub site: RecordId,
    /// That site's name.
    pub site_name: String,
    /// The id of the checkpoint it stood for.
    pub checkpoint: String,
    /// That checkpoint's name (empty when the site no longer lists it).
    pub checkpoint_name: String,
    /// How the tag is read, as it was bound.
    pub method: CheckMethod,
    /// When the bind event in force was recorded, UTC ms by that device's clock.
    pub bound_at_ms: i64,
    /// The user id of who bound it.
    pub bound_by: String,
}
