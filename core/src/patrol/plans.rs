//! Patrol plans on the device: adding plans and versions, excusing tasks. The plan's
//! document and types are `offgrid_domain::patrol::plans`'s.

use serde_json::json;

pub use offgrid_domain::patrol::plans::*;

use super::plan::PlanVersion;
use crate::error::{Error, Result};
use crate::grid::{ORG, escape};
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// A window lasts at most a day and its grace less than another: an occurrence open now opened
/// within the last three days.
const DAY_MS: i64 = 86_400_000;

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
