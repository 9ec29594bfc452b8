//! Patrol plan records (kind `patrol_plan`, in the organisation scope): a site, and versions
//! that are only ever added. Each version freezes the checkpoints it requires, the schedule,
//! the assignees and how completion counts; a new version is in force from the end of the
//! window open when it is made (or at once), so a task's version never changes under it.
//!
//! Document layout: root `title`, `site` (written once); genesis maps `versions` (version
//! number → {by, at_ms, spec: the [`PlanVersion`] as JSON text}) and `excusals` (task id →
//! {by, at_ms, reason}: a supervisor excused the task, e.g. the site was flooded).

use serde::{Deserialize, Serialize};

use super::plan::{PlanVersion, VersionFacts};
use super::schedule::{Occurrence, Schedule};
use super::task::Completion;
use crate::model::RecordId;

/// A new plan, or a plan's next version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPlan {
    /// The plan's title, shown on its tasks and runs.
    pub title: String,
    /// The site to patrol; a plan's site never changes.
    pub site: RecordId,
    /// Checkpoints of the site by id or name, in the order patrolled (empty: every checkpoint
    /// the site has in service, in route order). One the site lacks, or a name several of its
    /// checkpoints share, is refused (`InvalidValue` at `/checkpoints`).
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// Checklist template answered on the run (`id@version`).
    #[serde(default)]
    pub template: Option<String>,
    /// When the patrols are due.
    pub schedule: Schedule,
    /// Checkpoints must be scanned in route order.
    #[serde(default)]
    pub in_sequence: bool,
    /// User ids of who patrols (at least one).
    pub assignees: Vec<String>,
    /// Whether one assignee's complete run or every assignee's completes a task.
    #[serde(default)]
    pub completion: Completion,
    /// A skipped checkpoint counts only once a supervisor approves the skip.
    #[serde(default)]
    pub skip_needs_approval: bool,
}

/// A plan with all its versions, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Excusal {
    /// The id of the excused task.
    pub task: String,
    /// The user id of the supervisor who excused it.
    pub by: String,
    /// Why the task was excused.
    pub reason: String,
}

impl PatrolPlan {
    /// The newest version.
    pub fn current(&self) -> Option<&PlanVersion> {
        self.versions.last()
    }

    /// The occurrences opening in `[from_ms, to_ms)`, each with the version in force for it.
    pub fn occurrences(&self, from_ms: i64, to_ms: i64) -> Vec<(&PlanVersion, Occurrence)> {
        super::plan::in_force(&self.versions, from_ms, to_ms)
    }

    /// The version in force for an occurrence opening at `at_ms`.
    pub fn version_at(&self, at_ms: i64) -> Option<&PlanVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective_from_ms <= at_ms)
    }
}

/// What today's tasks read of a plan, from its projection (`records.facts`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// The plan's title.
    #[serde(rename = "t")]
    pub title: String,
    /// The id of the site patrolled.
    pub site: String,
    /// What deriving tasks needs of each version, oldest first.
    #[serde(rename = "vs")]
    pub versions: Vec<VersionFacts>,
    /// Excused task ids.
    #[serde(rename = "ex", default, skip_serializing_if = "Vec::is_empty")]
    pub excused: Vec<String>,
}

#[derive(Deserialize)]
struct VersionEntry {
    spec: String,
}

/// The versions of a hydrated `versions` map that parse, by version number.
pub fn versions_of(map: &serde_json::Value) -> Vec<PlanVersion> {
    let mut out: Vec<PlanVersion> = map
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|v| serde_json::from_value::<VersionEntry>(v.clone()).ok())
                .filter_map(|e| serde_json::from_str::<PlanVersion>(&e.spec).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|v| v.version);
    out
}

/// The plan `id` from its hydrated root: title, site, the versions that parse and the excusals.
pub fn plan_from_json(id: &RecordId, root: &serde_json::Value) -> PatrolPlan {
    let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
    let excused = root["excusals"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(task, e)| {
                    let t = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                    Excusal {
                        task: task.clone(),
                        by: t("by"),
                        reason: t("reason"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    PatrolPlan {
        id: id.clone(),
        title: text("title"),
        site: RecordId(text("site")),
        versions: versions_of(&root["versions"]),
        excused,
    }
}
