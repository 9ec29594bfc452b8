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

pub use tags::{TagBinding, TagEvent, TagEventKind, tag_key};

use crate::model::RecordId;

/// What kind of work a site is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 单建: a stand-alone work.
    Standalone,
    /// 结建: built with (under) a building.
    Attached,
    /// 平战结合: used in peacetime (car park, market, cooling shelter).
    DualUse,
    /// Another kind of work (其他).
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
    /// Another kind of checkpoint (其他).
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
pub struct NewSite {
    /// The site's name (not blank).
    pub name: String,
    /// Its address.
    pub address: String,
    /// What kind of work it is.
    pub kind: SiteKind,
    /// 管护单位.
    pub unit: String,
    /// The grid cell it lies in.
    pub cell: RecordId,
    /// The entrance above ground: a GeoJSON Point or "lon,lat".
    pub location: Option<String>,
    /// Construction projects it belongs to.
    pub projects: Vec<String>,
}

/// Changes to a site's own fields (`None`: unchanged).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteEdit {
    /// A new name (not blank).
    pub name: Option<String>,
    /// A new address.
    pub address: Option<String>,
    /// A new kind of work.
    pub kind: Option<SiteKind>,
    /// A new maintaining unit (管护单位).
    pub unit: Option<String>,
    /// A new entrance location: a GeoJSON Point or "lon,lat".
    pub location: Option<String>,
    /// Moves the site to another cell (organisation admins only).
    pub cell: Option<RecordId>,
}

/// A new checkpoint of a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCheckpoint {
    /// The checkpoint's name, as patrollers see it (a plan may cite it by name).
    pub name: String,
    /// What the checkpoint is.
    pub kind: CheckpointKind,
    /// Methods it accepts (at least one).
    pub methods: Vec<CheckMethod>,
}

/// A checkpoint as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Its id, unique within the site: plans, scans and tags cite it.
    pub id: String,
    /// Its name, as patrollers see it.
    pub name: String,
    /// What the checkpoint is.
    pub kind: CheckpointKind,
    /// Methods it accepts.
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
pub struct Site {
    /// The site record's id.
    pub id: RecordId,
    /// The site's name (root `title`).
    pub name: String,
    /// Its address.
    pub address: String,
    /// What kind of work it is (`Other` when the root names none this version knows).
    pub kind: SiteKind,
    /// The maintaining unit (管护单位).
    pub unit: String,
    /// The grid cell it lies in.
    pub cell: RecordId,
    /// GeoJSON Point text.
    pub location: Option<String>,
    /// Ids of the construction projects it belongs to.
    pub projects: Vec<String>,
    /// In route order.
    pub checkpoints: Vec<Checkpoint>,
    /// Every bind and unbind, in fold order.
    pub tag_events: Vec<TagEvent>,
}

/// Which sites to list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteQuery {
    /// Sites in this cell (not its sub-cells).
    pub cell: Option<RecordId>,
    /// Sites of this construction project.
    pub project: Option<String>,
    /// Substring of the name, address or unit.
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

/// The site `id` from its hydrated root: its fields, its checkpoints in route order (with the
/// tags bound to them now) and every tag event.
pub fn site_from_json(id: &RecordId, root: &serde_json::Value) -> Site {
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
