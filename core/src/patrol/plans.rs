//! Patrol plan records (kind `patrol_plan`, in the organisation scope): a site, and versions
//! that are only ever added. Each version freezes the checkpoints it requires, the schedule,
//! the assignees and how completion counts; a new version is in force from the end of the
//! window open when it is made (or at once), so a task's version never changes under it.
//!
//! Document layout: root `title`, `site` (written once); genesis maps `versions` (version
//! number → {by, at_ms, spec: the [`PlanVersion`] as JSON text}) and `excusals` (task id →
//! {by, at_ms, reason}: a supervisor excused the task, e.g. the site was flooded).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::plan::{PlanVersion, VersionFacts};
use super::schedule::{Occurrence, Schedule};
use super::task::Completion;
use crate::error::{Error, Result};
use crate::grid::{ORG, escape};
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// A window lasts at most a day and its grace less than another: an occurrence open now opened
/// within the last three days.
const DAY_MS: i64 = 86_400_000;

/// A new plan, or a plan's next version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewPlan {
    pub title: String,
    pub site: RecordId,
    /// Checkpoints of the site by id or name, in the order patrolled (empty: every checkpoint
    /// the site has in service, in route order). One the site lacks, or a name several of its
    /// checkpoints share, is refused (`InvalidValue` at `/checkpoints`).
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// Checklist template answered on the run (`id@version`).
    #[serde(default)]
    pub template: Option<String>,
    pub schedule: Schedule,
    #[serde(default)]
    pub in_sequence: bool,
    pub assignees: Vec<String>,
    #[serde(default)]
    pub completion: Completion,
    #[serde(default)]
    pub skip_needs_approval: bool,
}

/// A plan with all its versions, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatrolPlan {
    pub id: RecordId,
    pub title: String,
    pub site: RecordId,
    pub versions: Vec<PlanVersion>,
    /// Tasks a supervisor excused, by task id.
    pub excused: Vec<Excusal>,
}

/// A task excused by a supervisor (the site was closed, flooded, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Excusal {
    pub task: String,
    pub by: String,
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
pub(crate) struct PlanFacts {
    #[serde(rename = "t")]
    pub title: String,
    pub site: String,
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
pub(crate) fn versions_of(map: &serde_json::Value) -> Vec<PlanVersion> {
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

pub(crate) fn plan_from_json(id: &RecordId, root: &serde_json::Value) -> PatrolPlan {
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

impl Store {
    /// Adds a patrol plan for a site held here; its first version is in force at once.
    pub fn add_patrol_plan(&self, new: &NewPlan) -> Result<RecordId> {
        let mut ids = self.add_patrol_plans(std::slice::from_ref(new))?;
        Ok(ids.remove(0))
    }

    /// Plans a set of sites in one step: one plan per site (each site's tasks, coverage and
    /// history stand on their own), all written in one transaction or none. Each `NewPlan`
    /// names its site; the same schedule and assignees for several sites is the same
    /// `NewPlan` with another site.
    pub fn add_patrol_plans(&self, plans: &[NewPlan]) -> Result<Vec<RecordId>> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now().unix_ms;
        let fields = plans
            .iter()
            .map(|new| {
                let version = self.version_of(new, 1, now)?;
                Ok(json!({
                    "project": ORG,
                    "title": new.title.trim(),
                    "site": new.site.as_str(),
                    "versions": {"1": version_entry(&version, &user.id, now)?},
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        self.write(|w| {
            fields
                .iter()
                .map(|f| w.create(RecordKind::PatrolPlan, f))
                .collect()
        })
    }

    /// Adds the plan's next version, from `new` (its site must be the plan's). It is in force
    /// from the end of the current version's window open now (grace included), or at once:
    /// a patrol under way keeps the version it started under. Returns the version number.
    pub fn revise_patrol_plan(&self, id: &RecordId, new: &NewPlan) -> Result<u32> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now().unix_ms;
        let plan = self.patrol_plan(id)?;
        if new.site != plan.site {
            return Err(Error::InvalidValue {
                path: "/site".into(),
                reason: "a plan's site does not change (make a new plan)".into(),
            });
        }
        let current = plan.current().ok_or_else(|| Error::InvalidState {
            action: "revise the plan".into(),
            state: "it has no readable version".into(),
        })?;
        // The window open now, under whichever version is in force for it.
        let open_until = plan
            .occurrences(now - 3 * DAY_MS, now + 1)
            .into_iter()
            .filter(|(_, o)| o.start_ms <= now && now < o.grace_end_ms)
            .map(|(_, o)| o.grace_end_ms)
            .max();
        let from = open_until.unwrap_or(now).max(current.effective_from_ms);
        let number = current.version + 1;
        let version = self.version_of(new, number, from)?;
        let entry = version_entry(&version, &user.id, now)?;
        self.write(|w| {
            w.update(id, "revise patrol plan", |e| {
                if e.get(&format!("/versions/{number}"))?.is_some() {
                    return Err(Error::InvalidState {
                        action: format!("add version {number} of the plan"),
                        state: format!("another version {number} was just added"),
                    });
                }
                Ok(e.insert("/versions", &number.to_string(), &entry)?)
            })
        })?;
        Ok(number)
    }

    /// Excuses a task of the plan (the site was closed, flooded, …): it counts as excused.
    pub fn excuse_patrol_task(&self, plan: &RecordId, task: &str, reason: &str) -> Result<()> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        if reason.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/reason".into(),
                reason: "an excusal needs a reason".into(),
            });
        }
        let now = self.now().unix_ms;
        self.write(|w| {
            w.update(plan, "excuse patrol task", |e| {
                if e.get(&format!("/excusals/{}", escape(task)))?.is_some() {
                    return Ok(());
                }
                Ok(e.insert(
                    "/excusals",
                    task,
                    &json!({"by": user.id, "at_ms": now, "reason": reason.trim()}),
                )?)
            })
        })
    }

    /// The plan `id` with its versions.
    pub fn patrol_plan(&self, id: &RecordId) -> Result<PatrolPlan> {
        self.read(id, |doc| {
            let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
            if root["kind"] != RecordKind::PatrolPlan.as_str() {
                return Err(Error::InvalidArgument(format!(
                    "record {id} is not a patrol plan"
                )));
            }
            Ok(plan_from_json(id, &root))
        })
    }

    /// The plans held here, optionally only those of `site` or naming `assignee` in a version,
    /// by title (from the projection).
    pub fn patrol_plans(
        &self,
        site: Option<&RecordId>,
        assignee: Option<&str>,
    ) -> Result<Vec<crate::model::RecordSummary>> {
        let mut rows = self.list(&crate::store::ListQuery {
            kind: Some(RecordKind::PatrolPlan),
            ..Default::default()
        })?;
        for key in [
            site.map(|s| format!("site:{s}")),
            assignee.map(|a| format!("assignee:{a}")),
        ]
        .into_iter()
        .flatten()
        {
            let ids: std::collections::BTreeSet<RecordId> =
                self.records_with_key(&key)?.into_iter().collect();
            rows.retain(|r| ids.contains(&r.id));
        }
        rows.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// The checklist template a plan version names (`id@version`).
    pub(crate) fn plan_template(
        &self,
        spec: &str,
    ) -> Result<std::sync::Arc<crate::checklist::Template>> {
        let (id, version) = spec
            .rsplit_once('@')
            .and_then(|(id, v)| Some((id, v.parse::<u32>().ok()?)))
            .ok_or_else(|| Error::InvalidValue {
                path: "/template".into(),
                reason: format!("{spec:?} is not a template's id@version"),
            })?;
        self.template(id, version)
    }

    /// Version `number` of a plan from `new`, its checkpoints frozen from the site as held here.
    fn version_of(&self, new: &NewPlan, number: u32, from_ms: i64) -> Result<PlanVersion> {
        if new.title.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/title".into(),
                reason: "a plan needs a title".into(),
            });
        }
        if let Some(spec) = &new.template {
            // The template answered on the run must be one this device holds.
            self.plan_template(spec)?;
        }
        let site = self.site(&new.site)?;
        let checkpoints = if new.checkpoints.is_empty() {
            site.checkpoints
                .into_iter()
                .filter(|c| !c.retired)
                .collect()
        } else {
            new.checkpoints
                .iter()
                .map(|given| {
                    let bad = |reason: String| Error::InvalidValue {
                        path: "/checkpoints".into(),
                        reason,
                    };
                    // By id, or else by its name (which must name exactly one).
                    if let Some(c) = site.checkpoints.iter().find(|c| &c.id == given) {
                        return Ok(c.clone());
                    }
                    let named: Vec<_> = site
                        .checkpoints
                        .iter()
                        .filter(|c| &c.name == given)
                        .collect();
                    match named.as_slice() {
                        [one] => Ok((*one).clone()),
                        [] => Err(bad(format!("the site has no checkpoint {given}"))),
                        _ => Err(bad(format!(
                            "{} checkpoints of the site are named {given}: give the id",
                            named.len()
                        ))),
                    }
                })
                .collect::<Result<Vec<_>>>()?
        };
        let mut assignees: Vec<String> =
            new.assignees.iter().map(|a| a.trim().to_owned()).collect();
        assignees.retain(|a| !a.is_empty());
        assignees.dedup();
        let version = PlanVersion {
            version: number,
            effective_from_ms: from_ms,
            site: new.site.clone(),
            checkpoints,
            template: new.template.clone(),
            schedule: new.schedule.clone(),
            in_sequence: new.in_sequence,
            assignees,
            completion: new.completion,
            skip_needs_approval: new.skip_needs_approval,
        };
        version.validate()?;
        Ok(version)
    }
}

fn version_entry(v: &PlanVersion, by: &str, at_ms: i64) -> Result<serde_json::Value> {
    Ok(json!({
        "by": by,
        "at_ms": at_ms,
        "spec": serde_json::to_string(v)?,
    }))
}
