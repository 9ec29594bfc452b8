//! Patrol tasks: derived, never created. A task is one occurrence of one plan version; its id is
//! a hash of (plan, version, occurrence start), so every device and the server compute the same
//! tasks offline and nothing can be duplicated by two devices "creating" the same patrol.
//!
//! A task's state is a fold over what is known about it: the runs made for it (by whom, which
//! checkpoints they covered, whether they finished), excusals, the time, and how far each
//! assignee's devices have synced ([`TaskFacts::watermarks`]). A task whose window passed with
//! no run known is **missed only once every assignee has synced past the window's end**; until
//! then it is "awaiting sync" (待同步), because the run may be on a phone still underground. A
//! run that arrives late turns the task done (or late), and that is what everyone then shows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::schedule::Occurrence;
use crate::model::RecordId;

/// The id of the task of `plan` (version `version`) whose window opens at `start_ms`: a UUID
/// (version 8) from the SHA-256 of the three, the same on every device.
pub fn task_id(plan: &RecordId, version: u32, start_ms: i64) -> String {
    let digest = Sha256::new()
        .chain_update(b"offgrid-patrol-task\0")
        .chain_update(plan.as_str().as_bytes())
        .chain_update(b"\0")
        .chain_update(version.to_be_bytes())
        .chain_update(start_ms.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::new_v8(bytes).to_string()
}

/// Who must patrol for a task to be done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Any one assignee's complete run does it.
    #[default]
    Any,
    /// Every assignee must make a complete run.
    Each,
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

offgrid_common::named!(pub TaskState, "task state" {
    Upcoming => "upcoming",
    Due => "due",
    InProgress => "in_progress",
    Done => "done",
    Late => "late",
    Partial => "partial",
    Missed => "missed",
    AwaitingSync => "awaiting_sync",
    Excused => "excused",
});

/// What one run contributes to its task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFacts {
    /// Who made the run.
    pub by: String,
    /// When it started (device time, UTC ms).
    pub started_ms: i64,
    /// When it finished, if it did.
    pub finished_ms: Option<i64>,
    /// Checkpoints covered: scanned validly, or skipped where a skip counts.
    pub covered: BTreeSet<String>,
    /// Voided by a supervisor: counts for nothing.
    pub voided: bool,
}

/// Everything a task's state is folded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFacts<'a> {
    /// The task's window.
    pub occurrence: &'a Occurrence,
    /// User ids of who is to patrol (the version's assignees).
    pub assignees: &'a [String],
    /// Whether one assignee's complete run or every assignee's completes the task.
    pub completion: Completion,
    /// The checkpoints the plan version requires.
    pub required: &'a [String],
    /// What each run made for the task contributes (voided runs count for nothing).
    pub runs: &'a [RunFacts],
    /// A supervisor excused the task.
    pub excused: bool,
    /// Per assignee, the time up to which everything their devices hold has reached this
    /// device (the least sync watermark of their devices); absent: never synced.
    pub watermarks: &'a BTreeMap<String, i64>,
}

/// The task's state at `now_ms`. Deterministic: the same facts give the same state everywhere.
pub fn fold(f: &TaskFacts<'_>, now_ms: i64) -> TaskState {
    if f.excused {
        return TaskState::Excused;
    }
    let o = f.occurrence;
    let runs: Vec<&RunFacts> = f.runs.iter().filter(|r| !r.voided).collect();
    // When each assignee completed (the earliest finished run covering every checkpoint).
    let complete_at = |who: &str| {
        runs.iter()
            .filter(|r| r.by == who)
            .filter(|r| f.required.iter().all(|c| r.covered.contains(c)))
            .filter_map(|r| r.finished_ms)
            .min()
    };
    let completed_at = match f.completion {
        Completion::Any => f.assignees.iter().filter_map(|a| complete_at(a)).min(),
        Completion::Each => {
            let all: Option<Vec<i64>> = f.assignees.iter().map(|a| complete_at(a)).collect();
            all.and_then(|t| t.into_iter().max())
        }
    };
    // A complete run by someone not assigned still counts when the plan names nobody.
    let completed_at = completed_at.or_else(|| {
        f.assignees
            .is_empty()
            .then(|| {
                runs.iter()
                    .filter(|r| f.required.iter().all(|c| r.covered.contains(c)))
                    .filter_map(|r| r.finished_ms)
                    .min()
            })
            .flatten()
    });
    if let Some(at) = completed_at {
        return if at < o.grace_end_ms {
            TaskState::Done
        } else {
            TaskState::Late
        };
    }
    let open = now_ms < o.grace_end_ms;
    if now_ms < o.start_ms && runs.is_empty() {
        return TaskState::Upcoming;
    }
    if open {
        return if runs.is_empty() {
            TaskState::Due
        } else {
            // A run is under way, or finished short while others may still complete.
            TaskState::InProgress
        };
    }
    // The window and grace are over and the task is not complete. Final only once every
    // assignee who has not completed has synced past the grace: until then their complete run
    // may be on a phone still underground.
    let synced_past = |who: &&String| f.watermarks.get(*who).is_some_and(|w| *w >= o.grace_end_ms);
    let settled = !f.assignees.is_empty()
        && f.assignees
            .iter()
            .filter(|a| complete_at(a).is_none())
            .all(|a| synced_past(&a));
    match (settled, runs.is_empty()) {
        (false, _) => TaskState::AwaitingSync,
        (true, true) => TaskState::Missed,
        (true, false) => TaskState::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn occurrence() -> Occurrence {
        Occurrence {
            start_ms: 10 * H,
            end_ms: 12 * H,
            grace_end_ms: 13 * H,
            local_date: "1970-01-01".into(),
        }
    }

    fn run(by: &str, finished: Option<i64>, covered: &[&str]) -> RunFacts {
        RunFacts {
            by: by.into(),
            started_ms: 10 * H,
            finished_ms: finished,
            covered: covered.iter().map(|c| c.to_string()).collect(),
            voided: false,
        }
    }

    fn state(
        runs: &[RunFacts],
        completion: Completion,
        marks: &[(&str, i64)],
        now: i64,
    ) -> TaskState {
        let o = occurrence();
        let assignees = vec!["li".to_string(), "wang".to_string()];
        let required = vec!["cp1".to_string(), "cp2".to_string()];
        let watermarks = marks.iter().map(|(a, t)| (a.to_string(), *t)).collect();
        fold(
            &TaskFacts {
                occurrence: &o,
                assignees: &assignees,
                completion,
                required: &required,
                runs,
                excused: false,
                watermarks: &watermarks,
            },
            now,
        )
    }

    #[test]
    fn task_ids_are_stable_and_distinct() {
        let plan = RecordId("plan-1".into());
        let a = task_id(&plan, 1, 10 * H);
        assert_eq!(a, task_id(&plan, 1, 10 * H));
        assert_ne!(a, task_id(&plan, 2, 10 * H));
        assert_ne!(a, task_id(&plan, 1, 11 * H));
        assert_ne!(a, task_id(&RecordId("plan-2".into()), 1, 10 * H));
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 8);
    }

    #[test]
    fn from_upcoming_to_done_or_late() {
        use Completion::Any;
        assert_eq!(state(&[], Any, &[], 9 * H), TaskState::Upcoming);
        assert_eq!(state(&[], Any, &[], 11 * H), TaskState::Due);
        assert_eq!(
            state(&[], Any, &[], 12 * H + 1),
            TaskState::Due,
            "in the grace"
        );
        let started = [run("li", None, &["cp1"])];
        assert_eq!(state(&started, Any, &[], 11 * H), TaskState::InProgress);
        let done = [run("li", Some(11 * H), &["cp1", "cp2"])];
        assert_eq!(state(&done, Any, &[], 11 * H), TaskState::Done);
        assert_eq!(state(&done, Any, &[], 99 * H), TaskState::Done);
        let late = [run("li", Some(14 * H), &["cp1", "cp2"])];
        assert_eq!(state(&late, Any, &[], 15 * H), TaskState::Late);
        let partial = [run("li", Some(11 * H), &["cp1"])];
        let synced = [("li", 20 * H), ("wang", 20 * H)];
        assert_eq!(state(&partial, Any, &synced, 14 * H), TaskState::Partial);
        assert_eq!(
            state(&partial, Any, &[("li", 20 * H)], 14 * H),
            TaskState::AwaitingSync,
            "wang's complete run may still arrive"
        );
        assert_eq!(
            state(&started, Any, &synced, 14 * H),
            TaskState::Partial,
            "never finished"
        );
        // The grace is half-open: finished at its very end is late.
        let at_end = [run("li", Some(13 * H), &["cp1", "cp2"])];
        assert_eq!(state(&at_end, Any, &[], 15 * H), TaskState::Late);
        assert_eq!(state(&[], Any, &[], 13 * H), TaskState::AwaitingSync);
    }

    #[test]
    fn missed_only_after_every_assignee_synced_past_the_window() {
        use Completion::Any;
        let after = 14 * H;
        assert_eq!(state(&[], Any, &[], after), TaskState::AwaitingSync);
        assert_eq!(
            state(&[], Any, &[("li", 20 * H)], after),
            TaskState::AwaitingSync,
            "wang has not synced"
        );
        assert_eq!(
            state(
                &[],
                Any,
                &[("li", 20 * H), ("wang", 12 * H + 30 * 60_000)],
                after
            ),
            TaskState::AwaitingSync,
            "wang synced inside the grace: a run finished after that may still come"
        );
        assert_eq!(
            state(&[], Any, &[("li", 20 * H), ("wang", 13 * H)], after),
            TaskState::Missed
        );
        // The late sync brings wang's run: the task is done, as it was on time.
        let done = [run("wang", Some(11 * H), &["cp1", "cp2"])];
        assert_eq!(
            state(&done, Any, &[("li", 20 * H), ("wang", 20 * H)], after),
            TaskState::Done
        );
    }

    #[test]
    fn each_assignee_must_complete_when_the_plan_says_so() {
        use Completion::Each;
        let one = [run("li", Some(11 * H), &["cp1", "cp2"])];
        assert_eq!(state(&one, Each, &[], 11 * H), TaskState::InProgress);
        assert_eq!(
            state(&one, Each, &[], 14 * H),
            TaskState::AwaitingSync,
            "wang has not synced"
        );
        assert_eq!(
            state(&one, Each, &[("wang", 20 * H)], 14 * H),
            TaskState::Partial,
            "li completed; wang synced without a run"
        );
        let both = [
            run("li", Some(11 * H), &["cp1", "cp2"]),
            run("wang", Some(12 * H + 1), &["cp2", "cp1"]),
        ];
        assert_eq!(state(&both, Each, &[], 14 * H), TaskState::Done);
        assert_eq!(state(&both, Completion::Any, &[], 14 * H), TaskState::Done);
    }

    #[test]
    fn voided_runs_count_for_nothing_and_excusal_wins() {
        let mut v = run("li", Some(11 * H), &["cp1", "cp2"]);
        v.voided = true;
        let all = [("li", 99 * H), ("wang", 99 * H)];
        assert_eq!(
            state(&[v.clone()], Completion::Any, &all, 14 * H),
            TaskState::Missed
        );
        let o = occurrence();
        let who = vec!["li".to_string()];
        let excused = fold(
            &TaskFacts {
                occurrence: &o,
                assignees: &who,
                completion: Completion::Any,
                required: &[],
                runs: &[v],
                excused: true,
                watermarks: &BTreeMap::new(),
            },
            14 * H,
        );
        assert_eq!(excused, TaskState::Excused);
    }
}
