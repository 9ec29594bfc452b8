//! Sites (人防工程): the civil-defence works the office maintains and patrols, in the
//! organisation scope ([`crate::grid::ORG`]): name, address, kind (单建 / 结建 / 平战结合 …),
//! maintaining unit (管护单位), grid cell, entrance location above ground, the construction
//! projects it belongs to, and its **checkpoints** (出入口, 防护密闭门, 配电室, 集水井 …), each
//! with the methods it accepts and its tags. Tags are bound and unbound by append-only events
//! ([`tags`]): a replaced or stolen tag is history, not an edit.
//!
//! Document layout (kind `site`, project `org`): root `title` (the name), `address`,
//! `site_kind`, `unit`, `cell`, `location` (GeoJSON Point text); genesis maps `projects`
//! (project id → {by, at_ms}), `checkpoints` (id → {name, kind, methods, seq, retired}),
//! `tags` (event id → bind/unbind event).

pub mod rules;
pub mod tags;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use tags::{TagBinding, TagEvent, TagEventKind, tag_key};

use crate::error::{Error, Result};
use crate::grid::{ORG, escape, geojson};
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// What kind of work a site is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 单建: a stand-alone work.
    Standalone,
    /// 结建: built with (under) a building.
    Attached,
    /// 平战结合: used in peacetime (car park, market, cooling shelter).
    DualUse,
    Other,
}

offgrid_common::named!(pub SiteKind, "site kind" {
    Standalone => "standalone",
    Attached => "attached",
    DualUse => "dual_use",
    Other => "other",
});

impl SiteKind {
    /// (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            SiteKind::Standalone => ("单建", "stand-alone"),
            SiteKind::Attached => ("结建", "attached"),
            SiteKind::DualUse => ("平战结合", "dual use"),
            SiteKind::Other => ("其他", "other"),
        }
    }
}

/// What a checkpoint is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CheckpointKind {
    /// 出入口.
    Entrance,
    /// 防护密闭门.
    BlastDoor,
    /// 配电室.
    PowerRoom,
    /// 集水井.
    Sump,
    /// 通风口 / 滤毒室.
    Ventilation,
    Other,
}

offgrid_common::named!(pub CheckpointKind, "checkpoint kind" {
    Entrance => "entrance",
    BlastDoor => "blast_door",
    PowerRoom => "power_room",
    Sump => "sump",
    Ventilation => "ventilation",
    Other => "other",
});

impl CheckpointKind {
    /// (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            CheckpointKind::Entrance => ("出入口", "entrance"),
            CheckpointKind::BlastDoor => ("防护密闭门", "blast door"),
            CheckpointKind::PowerRoom => ("配电室", "power room"),
            CheckpointKind::Sump => ("集水井", "sump"),
            CheckpointKind::Ventilation => ("通风口", "ventilation"),
            CheckpointKind::Other => ("其他", "other"),
        }
    }
}

/// How a patroller proves they were at a checkpoint (打卡方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CheckMethod {
    /// An NFC tag read by the phone.
    Nfc,
    /// A QR code label scanned with the camera.
    Qr,
    /// No tag: a photo taken on the spot.
    ManualPhoto,
}

offgrid_common::named!(pub CheckMethod, "check method" {
    Nfc => "nfc",
    Qr => "qr",
    ManualPhoto => "manual_photo",
});

impl CheckMethod {
    /// (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            CheckMethod::Nfc => ("NFC 标签", "NFC tag"),
            CheckMethod::Qr => ("二维码", "QR code"),
            CheckMethod::ManualPhoto => ("拍照", "photo"),
        }
    }
}

/// A new site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewSite {
    pub name: String,
    pub address: String,
    pub kind: SiteKind,
    /// 管护单位.
    pub unit: String,
    /// The grid cell it lies in.
    pub cell: RecordId,
    /// The entrance above ground: a GeoJSON Point or "lon,lat".
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<String>,
    /// Construction projects it belongs to.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub projects: Vec<String>,
}

/// Changes to a site's own fields (`None`: unchanged).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SiteEdit {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub address: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub kind: Option<SiteKind>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub unit: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<String>,
    /// Moves the site to another cell (organisation admins only).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cell: Option<RecordId>,
}

/// A new checkpoint of a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewCheckpoint {
    pub name: String,
    pub kind: CheckpointKind,
    /// Methods it accepts (at least one).
    pub methods: Vec<CheckMethod>,
}

/// A checkpoint as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Checkpoint {
    pub id: String,
    pub name: String,
    pub kind: CheckpointKind,
    pub methods: Vec<CheckMethod>,
    /// Position in the site's route (the order checkpoints were added, unless moved).
    pub seq: i64,
    /// No longer patrolled (kept: past scans cite it).
    pub retired: bool,
    /// Tags bound to it now (their keys, see [`tag_key`]).
    pub tags: Vec<String>,
}

/// A site as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Site {
    pub id: RecordId,
    pub name: String,
    pub address: String,
    pub kind: SiteKind,
    pub unit: String,
    pub cell: RecordId,
    /// GeoJSON Point text.
    pub location: Option<String>,
    pub projects: Vec<String>,
    /// In route order.
    pub checkpoints: Vec<Checkpoint>,
    /// Every bind and unbind, in fold order.
    pub tag_events: Vec<TagEvent>,
}

/// Which sites to list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SiteQuery {
    /// Sites in this cell (not its sub-cells).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cell: Option<RecordId>,
    /// Sites of this construction project.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub project: Option<String>,
    /// Substring of the name, address or unit.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub text: Option<String>,
}

#[derive(Deserialize)]
struct CheckpointEntry {
    name: String,
    kind: CheckpointKind,
    #[serde(default)]
    methods: String,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    retired: bool,
}

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

    /// Changes a checkpoint: its name, methods, route position, or retires it.
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

pub(crate) fn site_from_json(id: &RecordId, root: &serde_json::Value) -> Site {
    let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
    let entries: BTreeMap<String, CheckpointEntry> =
        serde_json::from_value(root["checkpoints"].clone()).unwrap_or_default();
    let tag_events = tags::events_of(&root["tags"]);
    let bound = tags::bound_now(&tag_events);
    let mut checkpoints: Vec<Checkpoint> = entries
        .into_iter()
        .map(|(cid, c)| Checkpoint {
            tags: bound
                .iter()
                .filter(|(_, (_, cp))| *cp == cid)
                .map(|(k, _)| k.clone())
                .collect(),
            id: cid,
            name: c.name,
            kind: c.kind,
            methods: c
                .methods
                .split(',')
                .filter_map(|m| m.parse().ok())
                .collect(),
            seq: c.seq,
            retired: c.retired,
        })
        .collect();
    checkpoints.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.id.cmp(&b.id)));
    let projects = root["projects"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    Site {
        id: id.clone(),
        name: text("title"),
        address: text("address"),
        kind: text("site_kind").parse().unwrap_or(SiteKind::Other),
        unit: text("unit"),
        cell: RecordId(text("cell")),
        location: root["location"].as_str().map(str::to_owned),
        projects,
        checkpoints,
        tag_events,
    }
}
