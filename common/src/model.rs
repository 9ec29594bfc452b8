//! Plain data shared by every layer: record ids and kinds, the current user, timestamps with the
//! device's offset, the clock, and the summary row that lists show.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// A record's id: a UUID string, made by the device that created the record (UUIDv7 from
/// [`RecordId::new`]; a hazard raised from a patrol observation gets a UUIDv8 derived from the
/// observation, the same on every phone that raises it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub String);

impl RecordId {
    /// A fresh id: a UUIDv7 of this device's clock and random bits.
    pub fn new() -> Self {
        RecordId(uuid::Uuid::now_v7().to_string())
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RecordId {
    fn from(s: &str) -> Self {
        RecordId(s.to_owned())
    }
}

/// What a record is. Each kind has its own genesis maps (see the core's `doc::genesis`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A construction project (人防工程) that inspections and hazards belong to: its members,
    /// sites and settings.
    Project,
    /// An inspection against a pinned checklist template version, answered item by item,
    /// submitted and reviewed.
    Inspection,
    /// A hazard (隐患), followed through its closed loop until closed or written off.
    Hazard,
    /// The legacy generic patrol record (巡查); patrols are now [`RecordKind::PatrolPlan`] and
    /// [`RecordKind::PatrolRun`].
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

crate::named!(pub RecordKind, "record kind" {
    Project => "project",
    Inspection => "inspection",
    Hazard => "hazard",
    Patrol => "patrol",
    GridCell => "grid_cell",
    Site => "site",
    PatrolPlan => "patrol_plan",
    PatrolRun => "patrol_run",
});

/// Four-colour risk grade (风险分级): red 重大 major, orange 较大 significant, yellow 一般
/// general, blue 低 low.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskGrade {
    /// 重大: major.
    Red,
    /// 较大: significant.
    Orange,
    /// 一般: general.
    Yellow,
    /// 低: low.
    Blue,
}

crate::named!(pub RiskGrade, "risk grade" {
    Red => "red",
    Orange => "orange",
    Yellow => "yellow",
    Blue => "blue",
});

impl RiskGrade {
    /// The label users read: (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            RiskGrade::Red => ("重大", "major"),
            RiskGrade::Orange => ("较大", "significant"),
            RiskGrade::Yellow => ("一般", "general"),
            RiskGrade::Blue => ("低", "low"),
        }
    }
}

/// The person using the device. Every change is attributed to one (id and display name are
/// written into the change's metadata; the automerge actor id is per install, not per user).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's account id on the sync server; written into every change the user makes and
    /// as a record's `created_by`.
    pub id: String,
    /// Display name (e.g. 王芳), written into every change the user makes.
    pub name: String,
    /// Role per project (see [`crate::access`]).
    #[serde(default)]
    pub roles: Vec<crate::access::ProjectRole>,
}

impl User {
    /// A user with no roles yet.
    pub fn new(id: &str, name: &str) -> Self {
        User {
            id: id.to_owned(),
            name: name.to_owned(),
            roles: Vec::new(),
        }
    }

    /// Adds a role on `project` (`"*"`: every project).
    pub fn with_role(mut self, project: &str, role: crate::access::Role) -> Self {
        self.roles.push(crate::access::ProjectRole {
            project: project.to_owned(),
            role,
        });
        self
    }
}

/// A moment as the device saw it: UTC milliseconds plus the device's UTC offset in minutes.
/// Device clocks can be wrong; what they said is kept as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// UTC milliseconds since 1970-01-01, by the device's clock.
    pub unix_ms: i64,
    /// The device's UTC offset in minutes east (480 in China).
    pub offset_minutes: i32,
}

/// Source of "now". Everything that depends on the time takes a clock so tests can move it.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock, with the UTC offset the shell reports (the core does not read time zones).
#[derive(Debug, Default)]
pub struct SystemClock {
    /// The UTC offset in minutes east that the shell reports, stamped on every [`Timestamp`]
    /// it gives.
    pub offset_minutes: i32,
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp {
            unix_ms,
            offset_minutes: self.offset_minutes,
        }
    }
}

/// A clock that only moves when told to (tests, simulations, the demo).
#[derive(Debug)]
pub struct FixedClock {
    unix_ms: AtomicI64,
    offset_minutes: i32,
}

impl FixedClock {
    /// A clock standing at `unix_ms` (UTC milliseconds), with a UTC offset of `offset_minutes`.
    pub fn new(unix_ms: i64, offset_minutes: i32) -> Self {
        FixedClock {
            unix_ms: AtomicI64::new(unix_ms),
            offset_minutes,
        }
    }
    /// Moves the clock to `unix_ms` (UTC milliseconds), backwards too.
    pub fn set(&self, unix_ms: i64) {
        self.unix_ms.store(unix_ms, Ordering::SeqCst);
    }
    /// Moves the clock `ms` milliseconds on (back, if negative).
    pub fn advance_ms(&self, ms: i64) {
        self.unix_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp {
            unix_ms: self.unix_ms.load(Ordering::SeqCst),
            offset_minutes: self.offset_minutes,
        }
    }
}

/// One row of a list: what the projection tables hold for a record. Reading it never loads the
/// record's document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub overdue_from_ms: Option<i64>,
}
