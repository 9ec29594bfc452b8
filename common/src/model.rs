//! Plain data shared by every layer: record ids and kinds, the current user, timestamps with the
//! device's offset, the clock, and the summary row that lists show.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A record's id: a UUIDv7 string made by the device that created the record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub String);

impl RecordId {
    pub fn new() -> Self {
        RecordId(uuid::Uuid::now_v7().to_string())
    }
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

impl RecordKind {
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Project,
        RecordKind::Inspection,
        RecordKind::Hazard,
        RecordKind::Patrol,
        RecordKind::GridCell,
        RecordKind::Site,
        RecordKind::PatrolPlan,
        RecordKind::PatrolRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Project => "project",
            RecordKind::Inspection => "inspection",
            RecordKind::Hazard => "hazard",
            RecordKind::Patrol => "patrol",
            RecordKind::GridCell => "grid_cell",
            RecordKind::Site => "site",
            RecordKind::PatrolPlan => "patrol_plan",
            RecordKind::PatrolRun => "patrol_run",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown record kind {s:?}")))
    }
}

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
    Red,
    Orange,
    Yellow,
    Blue,
}

impl RiskGrade {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskGrade::Red => "red",
            RiskGrade::Orange => "orange",
            RiskGrade::Yellow => "yellow",
            RiskGrade::Blue => "blue",
        }
    }

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
    pub id: String,
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
    pub unix_ms: i64,
    pub offset_minutes: i32,
}

/// Source of "now". Everything that depends on the time takes a clock so tests can move it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock, with the UTC offset the shell reports (the core does not read time zones).
#[derive(Debug, Default)]
pub struct SystemClock {
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
    pub fn new(unix_ms: i64, offset_minutes: i32) -> Self {
        FixedClock {
            unix_ms: AtomicI64::new(unix_ms),
            offset_minutes,
        }
    }
    pub fn set(&self, unix_ms: i64) {
        self.unix_ms.store(unix_ms, Ordering::SeqCst);
    }
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
    pub id: RecordId,
    pub kind: RecordKind,
    pub project: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub site: Option<String>,
    pub grade: Option<String>,
    pub assignee: Option<String>,
    /// Deadline, UTC milliseconds.
    pub due_ms: Option<i64>,
    pub created_ms: i64,
    pub created_by: Option<String>,
    pub updated_ms: i64,
    pub updated_by: Option<String>,
    /// Number of fields with concurrent values from different devices.
    pub conflict_count: u32,
    /// When the record becomes overdue, UTC milliseconds, while a deadline runs (for hazards:
    /// awaiting rectification); `None` when no deadline runs.
    #[serde(default)]
    pub overdue_from_ms: Option<i64>,
}
