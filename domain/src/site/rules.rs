//! The site kind's rules: born in the organisation scope with `projects`, `checkpoints` and
//! `tags` (append-only: a tag's history is evidence for every scan); created, moved to another
//! cell or linked to projects only by the organisation's admins ([`Permission::ManageGrid`]);
//! its own fields, checkpoints and tags also by supervisors of a project it belongs to
//! ([`Permission::ManageSite`], judged on the projects it had before the write). Read by the
//! readers of its cell and the members of its projects.

use automerge::{Automerge, ReadDoc};

use crate::access::Permission;
use crate::doc::genesis::root_text;
use crate::grid::ORG;
use crate::grid::rules::in_org;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Readers, Refusal, Transition};

/// The rules of site records ([`RecordKind::Site`]), listed in [`crate::record::builtin`].
pub struct SiteRules;

/// Root fields only the organisation's admins change: they decide who reads the site.
const SCOPE: [&str; 2] = ["cell", "projects"];

impl KindRules for SiteRules {
    fn kind(&self) -> RecordKind {
        RecordKind::Site
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["projects", "checkpoints", "tags"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["tags"]
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        let mut keys = vec![format!(
            "cell:{}",
            root_text(doc, "cell").unwrap_or_default()
        )];
        keys.extend(projects(doc).into_iter().map(|p| format!("project:{p}")));
        let mut tags: Vec<String> = match doc.get(automerge::ROOT, "tags") {
            Ok(Some((automerge::Value::Object(_), obj))) => doc
                .keys(&obj)
                .filter_map(|k| match doc.get(&obj, k.as_str()) {
                    Ok(Some((automerge::Value::Object(_), e))) => root_text_in(doc, &e, "tag"),
                    _ => None,
                })
                .map(|t| format!("tag:{t}"))
                .collect(),
            _ => Vec::new(),
        };
        tags.sort();
        tags.dedup();
        keys.extend(tags);
        KindColumns {
            keys,
            ..Default::default()
        }
    }

    fn readers(&self, doc: &Automerge) -> Option<Readers> {
        Some(Readers {
            parent: root_text(doc, "cell").filter(|c| !c.is_empty()),
            projects: projects(doc),
            ..Default::default()
        })
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        in_org(t)?;
        if t.is_genesis() {
            return crate::record::require_all(t, Permission::ManageGrid);
        }
        let scope_touched = t
            .touches
            .iter()
            .any(|x| x.path.first().is_some_and(|r| SCOPE.contains(&r.as_str())));
        let linked: Vec<String> = t
            .map_at("projects", Some(t.before))
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for author in &t.new_authors {
            let a = author.as_deref();
            if t.roles_of(a).grant(Permission::ManageGrid) {
                continue;
            }
            let supervises = linked
                .iter()
                .any(|p| t.roles_on(a, p).grant(Permission::ManageSite));
            if !supervises || scope_touched {
                return Err(Refusal::Permission {
                    permission: Permission::ManageGrid,
                    project: ORG.into(),
                });
            }
        }
        Ok(())
    }
}

fn projects(doc: &Automerge) -> Vec<String> {
    match doc.get(automerge::ROOT, "projects") {
        Ok(Some((automerge::Value::Object(_), obj))) => doc.keys(&obj).collect(),
        _ => Vec::new(),
    }
}

fn root_text_in(doc: &Automerge, obj: &automerge::ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key) {
        Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
        _ => None,
    }
}
