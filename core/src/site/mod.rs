//! Sites on the device: adding, editing and reading the sites and checkpoints of the
//! organisation scope. The site's document, its types and its rules are
//! `offgrid_domain::site`'s.

pub mod tags;

use serde_json::json;

pub use offgrid_domain::site::*;

use crate::error::{Error, Result};
use crate::grid::{ORG, escape, geojson};
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

impl Store {
    /// Adds a site in `cell` (a grid cell held here).
    pub fn add_site(&self, new: &NewSite) -> Result<RecordId> {
        let user = self.user().ok_or(crate::error::Error::NoCurrentUser)?;
        if new.name.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/name".into(),
                reason: "a site needs a name".into(),
            });
        }
        self.grid_cell(&new.cell)?;
        let location = new.location.as_deref().map(geojson::point).transpose()?;
        let now = self.now().unix_ms;
        let mut projects = serde_json::Map::new();
        for p in &new.projects {
            if !crate::sync::protocol::is_valid_id(p) {
                return Err(Error::InvalidValue {
                    path: "/projects".into(),
                    reason: format!("{p:?} is not a project id"),
                });
            }
            projects.insert(p.clone(), json!({"by": user.id, "at_ms": now}));
        }
        let fields = json!({
            "project": ORG,
            "title": new.name.trim(),
            "address": new.address.trim(),
            "site_kind": new.kind.as_str(),
            "unit": new.unit.trim(),
            "cell": new.cell.as_str(),
            "location": location,
            "projects": projects,
        });
        self.create(RecordKind::Site, &fields)
    }

    /// The site `id`.
    pub fn site(&self, id: &RecordId) -> Result<Site> {
        self.read(id, |doc| {
            let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
            if root["kind"] != RecordKind::Site.as_str() {
                return Err(Error::InvalidArgument(format!("record {id} is not a site")));
            }
            Ok(site_from_json(id, &root))
        })
    }

    /// Sites held here matching `q`, by name.
    pub fn sites(&self, q: &SiteQuery) -> Result<Vec<crate::model::RecordSummary>> {
        let mut keyed: Option<std::collections::BTreeSet<RecordId>> = None;
        for key in [
            q.cell.as_ref().map(|c| format!("cell:{c}")),
            q.project.as_ref().map(|p| format!("project:{p}")),
        ]
        .into_iter()
        .flatten()
        {
            let ids: std::collections::BTreeSet<RecordId> =
                self.records_with_key(&key)?.into_iter().collect();
            keyed = Some(match keyed {
                Some(k) => k.intersection(&ids).cloned().collect(),
                None => ids,
            });
        }
        let mut rows = self.list(&crate::store::ListQuery {
            kind: Some(RecordKind::Site),
            text: q.text.clone(),
            ..Default::default()
        })?;
        if let Some(keyed) = keyed {
            rows.retain(|r| keyed.contains(&r.id));
        }
        rows.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Changes a site's own fields. Moving it to another cell needs the organisation's admins.
    pub fn update_site(&self, id: &RecordId, edit: &SiteEdit) -> Result<()> {
        if edit.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Error::InvalidValue {
                path: "/name".into(),
                reason: "a site needs a name".into(),
            });
        }
        if let Some(cell) = &edit.cell {
            self.grid_cell(cell)?;
        }
        let location = edit.location.as_deref().map(geojson::point).transpose()?;
        self.site_write(id, "edit site", |e, _| {
            if let Some(v) = &edit.name {
                e.set("/title", v.trim())?;
            }
            if let Some(v) = &edit.address {
                e.set("/address", v.trim())?;
            }
            if let Some(v) = edit.kind {
                e.set("/site_kind", v.as_str())?;
            }
            if let Some(v) = &edit.unit {
                e.set("/unit", v.trim())?;
            }
            if let Some(v) = &location {
                e.set("/location", v.as_str())?;
            }
            if let Some(v) = &edit.cell {
                e.set("/cell", v.as_str())?;
            }
            Ok(())
        })
    }

    /// Links the site to a construction project (its members then receive the site).
    pub fn link_site_project(&self, id: &RecordId, project: &str) -> Result<()> {
        if !crate::sync::protocol::is_valid_id(project) {
            return Err(Error::InvalidArgument(format!(
                "{project:?} is not a project id"
            )));
        }
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now().unix_ms;
        self.site_write(id, "link project", |e, _| {
            if e.get(&format!("/projects/{}", escape(project)))?.is_some() {
                return Ok(());
            }
            Ok(e.insert("/projects", project, &json!({"by": user.id, "at_ms": now}))?)
        })
    }

    /// Unlinks the site from a construction project.
    pub fn unlink_site_project(&self, id: &RecordId, project: &str) -> Result<()> {
        self.site_write(id, "unlink project", |e, _| {
            e.delete(&format!("/projects/{}", escape(project)))
                .or_else(crate::grid::ignore_missing)
        })
    }

    /// Adds a checkpoint at the end of the site's route; returns its id.
    pub fn add_checkpoint(&self, site: &RecordId, new: &NewCheckpoint) -> Result<String> {
        if new.name.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/checkpoints".into(),
                reason: "a checkpoint needs a name".into(),
            });
        }
        if new.methods.is_empty() {
            return Err(Error::InvalidValue {
                path: "/checkpoints".into(),
                reason: "a checkpoint accepts at least one method (nfc, qr, manual_photo)".into(),
            });
        }
        let id = RecordId::new().0;
        self.site_write(site, "add checkpoint", |e, s| {
            // At the end of the route as this device has it.
            let seq = s.checkpoints.iter().map(|c| c.seq).max().unwrap_or(0) + 1;
            let value = json!({
                "name": new.name.trim(),
                "kind": new.kind.as_str(),
                "methods": methods_text(&new.methods),
                "seq": seq,
                "retired": false,
            });
            Ok(e.insert("/checkpoints", &id, &value)?)
        })?;
        Ok(id)
    }

    /// Changes a checkpoint: its name, its check methods, or whether it is retired (`None`:
    /// unchanged).
    pub fn update_checkpoint(
        &self,
        site: &RecordId,
        checkpoint: &str,
        name: Option<&str>,
        methods: Option<&[CheckMethod]>,
        retired: Option<bool>,
    ) -> Result<()> {
        if methods.is_some_and(|m| m.is_empty()) {
            return Err(Error::InvalidValue {
                path: "/checkpoints".into(),
                reason: "a checkpoint accepts at least one method".into(),
            });
        }
        let path = format!("/checkpoints/{}", escape(checkpoint));
        self.site_write(site, "edit checkpoint", |e, _| {
            if e.get(&path)?.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "the site has no checkpoint {checkpoint}"
                )));
            }
            if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
                e.set(&format!("{path}/name"), n.trim())?;
            }
            if let Some(m) = methods {
                e.set(&format!("{path}/methods"), methods_text(m))?;
            }
            if let Some(r) = retired {
                e.set(&format!("{path}/retired"), r)?;
            }
            Ok(())
        })
    }

    /// One write to a site, load → check → write in one transaction: `f` gets the site as it
    /// is in that transaction (to check the write against) and the edit; the gate judges who.
    fn site_write(
        &self,
        id: &RecordId,
        what: &str,
        f: impl FnOnce(&mut crate::doc::edit::Edit<'_>, &Site) -> Result<()>,
    ) -> Result<()> {
        self.write(|w| {
            let site = w.read(id, |doc| {
                let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
                if root["kind"] != RecordKind::Site.as_str() {
                    return Err(Error::InvalidArgument(format!("record {id} is not a site")));
                }
                Ok(site_from_json(id, &root))
            })?;
            w.update(id, what, |e| f(e, &site))
        })
    }
}

fn methods_text(methods: &[CheckMethod]) -> String {
    let mut m: Vec<CheckMethod> = methods.to_vec();
    m.sort();
    m.dedup();
    m.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
}
