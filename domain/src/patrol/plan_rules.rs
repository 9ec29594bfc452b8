//! The patrol plan kind's rules: born in the organisation scope with `versions` and `excusals`
//! (both append-only), written by supervisors and admins of the scope
//! ([`Permission::ManagePatrol`]). A version must parse, be valid, name the plan's site, follow
//! the version before it, and never be in force before it was written: a backdated version
//! would re-key tasks (their id includes the version) that runs already point to. Read by the
//! readers of its site and by every assignee of any version.

use std::collections::BTreeSet;

use automerge::Automerge;

use super::plan::PlanVersion;
use super::plans::{PlanFacts, versions_of};
use crate::access::Permission;
use crate::doc::genesis::root_text;
use crate::doc::json::root_map as map;
use crate::grid::rules::in_org;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Readers, Refusal, Transition};

/// The rules of patrol plan records ([`RecordKind::PatrolPlan`]), listed in
/// [`crate::record::builtin`].
pub struct PlanRules;

impl KindRules for PlanRules {
    fn kind(&self) -> RecordKind {
        RecordKind::PatrolPlan
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["versions", "excusals"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["versions", "excusals"]
    }

    fn immutable_fields(&self) -> &'static [&'static str] {
        &["site"]
    }

    fn search_fields(&self) -> Option<&'static [&'static str]> {
        Some(&["title"])
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        let versions = versions_of(&map(doc, "versions"));
        let site = root_text(doc, "site").unwrap_or_default();
        let assignees: BTreeSet<&str> = versions
            .iter()
            .flat_map(|v| v.assignees.iter().map(String::as_str))
            .collect();
        let mut keys = vec![format!("site:{site}")];
        keys.extend(assignees.iter().map(|a| format!("assignee:{a}")));
        let facts = PlanFacts {
            title: root_text(doc, "title").unwrap_or_default(),
            site,
            versions: versions.iter().map(PlanVersion::facts).collect(),
            excused: map(doc, "excusals")
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        };
        KindColumns {
            status: Some(
                if versions.is_empty() {
                    "invalid"
                } else {
                    "active"
                }
                .into(),
            ),
            keys,
            facts: serde_json::to_string(&facts).ok(),
            ..Default::default()
        }
    }

    fn readers(&self, doc: &Automerge) -> Option<Readers> {
        let mut members: Vec<String> = versions_of(&map(doc, "versions"))
            .into_iter()
            .flat_map(|v| v.assignees)
            .collect();
        members.sort();
        members.dedup();
        Some(Readers {
            parent: root_text(doc, "site").filter(|s| !s.is_empty()),
            members,
            ..Default::default()
        })
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        in_org(t)?;
        crate::record::require_all(t, Permission::ManagePatrol)?;
        let site = root_text(t.doc, "site").unwrap_or_default();
        let all = versions_of(&t.map_at("versions", None));
        for entry in t.new_entries("versions") {
            let bad = |reason: String| {
                Refusal::rule("plan_version", format!("/versions/{}: {reason}", entry.key))
            };
            let spec = entry.value["spec"].as_str().unwrap_or_default();
            let v: PlanVersion =
                serde_json::from_str(spec).map_err(|e| bad(format!("not a plan version: {e}")))?;
            v.validate().map_err(|e| bad(e.to_string()))?;
            if entry.key != v.version.to_string() {
                return Err(bad(format!("holds version {}", v.version)));
            }
            if v.site.as_str() != site {
                return Err(bad("names another site than the plan's".into()));
            }
            let at_ms = entry.value["at_ms"].as_i64().unwrap_or(i64::MAX);
            if v.effective_from_ms < at_ms {
                return Err(bad(
                    "in force before it was written (a version applies from now on)".into(),
                ));
            }
            if v.version > 1 {
                let Some(before) = all.iter().find(|p| p.version == v.version - 1) else {
                    return Err(bad(format!("version {} is missing", v.version - 1)));
                };
                if v.effective_from_ms < before.effective_from_ms {
                    return Err(bad(format!(
                        "in force before version {} it follows",
                        before.version
                    )));
                }
            }
        }
        for entry in t.new_entries("excusals") {
            if entry.value["reason"]
                .as_str()
                .is_none_or(|r| r.trim().is_empty())
            {
                return Err(Refusal::rule(
                    "excusal_reason",
                    format!("/excusals/{} gives no reason", entry.key),
                ));
            }
        }
        Ok(())
    }
}
