//! A patrol plan's version: the site, the checkpoints it requires (frozen with the version, so a
//! later edit of the site never rewrites what past tasks required), the schedule, who patrols
//! and how completion is counted. [`tasks`] turns a plan's versions and what is known of its
//! runs into the tasks of a period with their states.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::schedule::{Occurrence, Schedule, Versioned, occurrences_of};
use super::task::{Completion, RunFacts, TaskFacts, TaskState, fold, task_id};
use crate::error::{Error, Result};
use crate::model::RecordId;
use crate::site::Checkpoint;

/// One version of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

impl PlanVersion {
    /// Refuses a version that could never be patrolled or would confuse its tasks.
    pub fn validate(&self) -> Result<()> {
        self.schedule.validate()?;
        let bad = |path: &str, reason: &str| {
            Err(Error::InvalidValue {
                path: format!("/{path}"),
                reason: reason.into(),
            })
        };
        if self.version == 0 {
            return bad("version", "versions count from 1");
        }
        if self.checkpoints.is_empty() {
            return bad("checkpoints", "a plan requires at least one checkpoint");
        }
        if let Some(c) = self.checkpoints.iter().find(|c| c.retired) {
            return Err(Error::InvalidValue {
                path: "/checkpoints".into(),
                reason: format!("checkpoint {} is retired", c.id),
            });
        }
        let mut ids: Vec<&str> = self.checkpoints.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != self.checkpoints.len() {
            return bad("checkpoints", "the same checkpoint twice");
        }
        if self.assignees.is_empty() {
            return bad("assignees", "a plan names at least one assignee");
        }
        Ok(())
    }

    /// The required checkpoints' ids, in route order.
    pub fn required(&self) -> Vec<String> {
        self.checkpoints.iter().map(|c| c.id.clone()).collect()
    }

    /// What deriving tasks needs of this version.
    pub fn facts(&self) -> VersionFacts {
        VersionFacts {
            version: self.version,
            effective_from_ms: self.effective_from_ms,
            schedule: self.schedule.clone(),
            assignees: self.assignees.clone(),
            completion: self.completion,
            required: self.required(),
        }
    }
}

/// What deriving a version's tasks needs (kept in the plan's projection, so today's tasks of
/// thousands of plans are computed without loading a document).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionFacts {
    /// The version number ([`PlanVersion::version`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// In force for occurrences opening at or after this time (UTC ms).
    #[serde(rename = "from")]
    pub effective_from_ms: i64,
    /// When the patrols are due.
    #[serde(rename = "s")]
    pub schedule: Schedule,
    /// User ids of who patrols.
    #[serde(rename = "a")]
    pub assignees: Vec<String>,
    /// Whether one assignee's complete run or every assignee's completes a task.
    #[serde(rename = "c", default)]
    pub completion: Completion,
    /// Required checkpoint ids, in route order.
    #[serde(rename = "r")]
    pub required: Vec<String>,
}

/// A task with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task's id ([`task_id`]): the same on every device.
    pub id: String,
    /// The plan it is a task of.
    pub plan: RecordId,
    /// The plan version in force when its window opens.
    pub version: u32,
    /// Its window.
    pub occurrence: Occurrence,
    /// User ids of who is to patrol it (the version's assignees).
    pub assignees: Vec<String>,
    /// Its state at the time asked for.
    pub state: TaskState,
}

/// What is known of a plan's runs and excusals, by task id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Known {
    /// What each known run contributes, by the id of the task it was made for.
    pub runs: BTreeMap<String, Vec<RunFacts>>,
    /// Ids of the tasks a supervisor excused.
    pub excused: std::collections::BTreeSet<String>,
    /// Per account, how far its devices have synced (see [`TaskFacts::watermarks`]).
    pub watermarks: BTreeMap<String, i64>,
}

/// The tasks of `plan` open at some time in `[from_ms, to_ms)`, each under the version in force
/// when it opens, with its state at `now_ms`.
pub fn tasks(
    plan: &RecordId,
    versions: &[VersionFacts],
    from_ms: i64,
    to_ms: i64,
    known: &Known,
    now_ms: i64,
) -> Vec<Task> {
    in_force(versions, from_ms, to_ms)
        .into_iter()
        .map(|(v, occurrence)| {
            let version = v.version;
            let id = task_id(plan, version, occurrence.start_ms);
            let state = fold(
                &TaskFacts {
                    occurrence: &occurrence,
                    assignees: &v.assignees,
                    completion: v.completion,
                    required: &v.required,
                    runs: known.runs.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                    excused: known.excused.contains(&id),
                    watermarks: &known.watermarks,
                },
                now_ms,
            );
            Task {
                id,
                plan: plan.clone(),
                version,
                occurrence,
                assignees: v.assignees.clone(),
                state,
            }
        })
        .collect()
}

/// A plan version as the schedule sees it.
pub trait Scheduled {
    /// The version number.
    fn version(&self) -> u32;
    /// In force for occurrences opening at or after this time (UTC ms).
    fn effective_from_ms(&self) -> i64;
    /// The version's schedule.
    fn schedule(&self) -> &Schedule;
}

impl Scheduled for PlanVersion {
    fn version(&self) -> u32 {
        self.version
    }
    fn effective_from_ms(&self) -> i64 {
        self.effective_from_ms
    }
    fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}

impl Scheduled for VersionFacts {
    fn version(&self) -> u32 {
        self.version
    }
    fn effective_from_ms(&self) -> i64 {
        self.effective_from_ms
    }
    fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}

/// The occurrences opening in `[from_ms, to_ms)`, each with the version in force for it.
pub fn in_force<V: Scheduled>(versions: &[V], from_ms: i64, to_ms: i64) -> Vec<(&V, Occurrence)> {
    let schedules: Vec<Versioned<'_>> = versions
        .iter()
        .map(|v| Versioned {
            version: v.version(),
            effective_from_ms: v.effective_from_ms(),
            schedule: v.schedule(),
        })
        .collect();
    occurrences_of(&schedules, from_ms, to_ms)
        .into_iter()
        .filter_map(|(n, o)| versions.iter().find(|v| v.version() == n).map(|v| (v, o)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{CheckMethod, CheckpointKind};

    const H: i64 = 3_600_000;
    const DAY: i64 = 24 * H;

    fn checkpoint(id: &str) -> Checkpoint {
        Checkpoint {
            id: id.into(),
            name: id.into(),
            kind: CheckpointKind::Entrance,
            methods: vec![CheckMethod::Nfc],
            seq: 0,
            retired: false,
            tags: vec![],
        }
    }

    fn version(n: u32, from: i64, start_minute: u16, who: &[&str]) -> PlanVersion {
        PlanVersion {
            version: n,
            effective_from_ms: from,
            site: RecordId("s1".into()),
            checkpoints: vec![checkpoint("gate"), checkpoint("door")],
            template: None,
            schedule: Schedule::daily(start_minute, 120),
            in_sequence: false,
            assignees: who.iter().map(|w| w.to_string()).collect(),
            completion: Completion::Any,
            skip_needs_approval: false,
        }
    }

    #[test]
    fn versions_are_validated() {
        version(1, 0, 540, &["li"]).validate().unwrap();
        let mut v = version(1, 0, 540, &[]);
        assert!(v.validate().is_err(), "no assignee");
        v = version(1, 0, 540, &["li"]);
        v.checkpoints.push(checkpoint("gate"));
        assert!(v.validate().is_err(), "a checkpoint twice");
        v = version(1, 0, 540, &["li"]);
        v.checkpoints[0].retired = true;
        assert!(v.validate().is_err(), "a retired checkpoint");
        v = version(0, 0, 540, &["li"]);
        assert!(v.validate().is_err(), "version 0");
    }

    #[test]
    fn tasks_follow_versions_and_fold_their_runs() {
        let plan = RecordId("plan-1".into());
        // Day 0 (1970-01-01 at +08:00 starts at −8 h UTC): 09:00 local is 01:00 UTC.
        let v1 = version(1, 0, 540, &["li"]);
        // From day 2 on, wang patrols at 14:00.
        let v2 = version(2, 2 * DAY, 840, &["wang"]);
        let mut known = Known::default();
        let all = tasks(&plan, &[v1.facts(), v2.facts()], 0, 4 * DAY, &known, 0);
        assert_eq!(
            all.iter().map(|t| t.version).collect::<Vec<_>>(),
            [1, 1, 2, 2],
            "days 0 and 1 under version 1, days 2 and 3 under version 2"
        );
        assert!(all.iter().all(|t| t.state == TaskState::Upcoming));
        assert_eq!(all[2].assignees, ["wang"]);
        // Li patrolled day 0 completely; day 1 he never did, and has synced since.
        known.runs.insert(
            all[0].id.clone(),
            vec![RunFacts {
                by: "li".into(),
                started_ms: all[0].occurrence.start_ms,
                finished_ms: Some(all[0].occurrence.start_ms + H),
                covered: ["gate", "door"].iter().map(|c| c.to_string()).collect(),
                voided: false,
            }],
        );
        known.watermarks.insert("li".into(), 3 * DAY);
        let now = 3 * DAY;
        let states: Vec<TaskState> =
            tasks(&plan, &[v1.facts(), v2.facts()], 0, 4 * DAY, &known, now)
                .into_iter()
                .map(|t| t.state)
                .collect();
        assert_eq!(
            states,
            [
                TaskState::Done,
                TaskState::Missed,
                // Wang has never synced: day 2 may still be on his phone.
                TaskState::AwaitingSync,
                TaskState::Upcoming,
            ]
        );
    }
}
