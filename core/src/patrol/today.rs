//! The tasks of a period with their states, from the projection tables only: plans' versions
//! and runs' covered checkpoints are in `records.facts`, so today's tasks of thousands of plans
//! are computed without loading a document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::{Known, tasks};
use super::plans::PlanFacts;
use super::run_rules::RunFactsRow;
use super::schedule::Occurrence;
use super::task::{RunFacts, TaskState};
use crate::error::Result;
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// A window lasts at most a day and its grace less than another.
const LOOKBACK_MS: i64 = 3 * 86_400_000;

/// Which tasks to list: those open at some time in `[from_ms, to_ms)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskQuery {
    /// The period's start, UTC ms (inclusive).
    pub from_ms: i64,
    /// The period's end, UTC ms (exclusive).
    pub to_ms: i64,
    /// Only tasks of plans naming this assignee (in any version).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Only tasks of this plan.
    #[serde(default)]
    pub plan: Option<RecordId>,
    /// Only tasks at this site (a site record's id).
    #[serde(default)]
    pub site: Option<RecordId>,
}

/// A task as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// A task with what coverage counts of it.
pub(crate) struct Derived {
    pub view: TaskView,
    /// Checkpoints its version requires.
    pub required: usize,
    /// The most of them one run (not voided) covered.
    pub best_covered: usize,
    /// Flags raised by its runs' scans.
    pub flags: u32,
}

impl Store {
    /// The tasks open at some time in the query's period, with their states at the store's
    /// clock, by window start then plan title.
    pub fn patrol_tasks(&self, q: &TaskQuery) -> Result<Vec<TaskView>> {
        Ok(self.derive_tasks(q)?.into_iter().map(|d| d.view).collect())
    }

    pub(crate) fn derive_tasks(&self, q: &TaskQuery) -> Result<Vec<Derived>> {
        let now = self.now().unix_ms;
        let key = match (&q.plan, &q.site, &q.assignee) {
            (Some(_), _, _) => None,
            (None, Some(site), _) => Some(format!("site:{site}")),
            (None, None, Some(a)) => Some(format!("assignee:{a}")),
            (None, None, None) => None,
        };
        let mut plans: Vec<(RecordId, PlanFacts)> = self
            .facts(RecordKind::PatrolPlan, key.as_deref())?
            .into_iter()
            .filter(|(id, _)| q.plan.as_ref().is_none_or(|p| p == id))
            .filter_map(|(id, f)| serde_json::from_str(&f).ok().map(|f| (id, f)))
            .collect();
        if let Some(a) = &q.assignee {
            plans.retain(|(_, f)| f.versions.iter().any(|v| v.assignees.contains(a)));
        }
        if let Some(s) = &q.site {
            plans.retain(|(_, f)| f.site == s.as_str());
        }
        let mut known = Known::default();
        let mut runs_of: BTreeMap<String, Vec<RecordId>> = BTreeMap::new();
        let mut flags_of: BTreeMap<String, u32> = BTreeMap::new();
        for (id, facts) in self.run_facts_between(q.from_ms - LOOKBACK_MS, q.to_ms)? {
            let Ok(r) = serde_json::from_str::<RunFactsRow>(&facts) else {
                continue;
            };
            if r.task.is_empty() {
                continue;
            }
            runs_of.entry(r.task.clone()).or_default().push(id);
            *flags_of.entry(r.task.clone()).or_default() += r.flags.values().sum::<u32>();
            known.runs.entry(r.task).or_default().push(RunFacts {
                by: r.by,
                started_ms: r.started_ms,
                finished_ms: r.finished_ms,
                covered: r.covered.into_iter().collect(),
                voided: r.voided,
            });
        }
        known.watermarks = self.patrol_watermarks()?;
        if let Some(user) = self.user() {
            // Everything this user's device holds is here.
            known.watermarks.insert(user.id, now);
        }
        let mut out = Vec::new();
        for (id, f) in &plans {
            known.excused = f.excused.iter().cloned().collect();
            for t in tasks(id, &f.versions, q.from_ms, q.to_ms, &known, now) {
                if q.assignee
                    .as_ref()
                    .is_some_and(|a| !t.assignees.contains(a))
                {
                    continue;
                }
                let required: &[String] = f
                    .versions
                    .iter()
                    .find(|v| v.version == t.version)
                    .map_or(&[], |v| v.required.as_slice());
                let best_covered = known
                    .runs
                    .get(&t.id)
                    .into_iter()
                    .flatten()
                    .filter(|r| !r.voided)
                    .map(|r| required.iter().filter(|c| r.covered.contains(*c)).count())
                    .max()
                    .unwrap_or(0);
                out.push(Derived {
                    required: required.len(),
                    best_covered,
                    flags: flags_of.get(&t.id).copied().unwrap_or(0),
                    view: TaskView {
                        runs: runs_of.get(&t.id).cloned().unwrap_or_default(),
                        id: t.id,
                        plan: t.plan,
                        plan_title: f.title.clone(),
                        site: RecordId(f.site.clone()),
                        version: t.version,
                        occurrence: t.occurrence,
                        assignees: t.assignees,
                        state: t.state,
                    },
                });
            }
        }
        out.sort_by(|a, b| {
            let (a, b) = (&a.view, &b.view);
            (a.occurrence.start_ms, &a.plan_title, &a.id).cmp(&(
                b.occurrence.start_ms,
                &b.plan_title,
                &b.id,
            ))
        });
        Ok(out)
    }
}
