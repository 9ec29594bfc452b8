//! The organisation's grid (城市网格): cells in a hierarchy city → district → street →
//! community → grid, each with a code (administrative division code + sequence, CJ/T 349
//! style), a name, members with a grid role (网格长 / 网格员) and an optional boundary
//! (a GeoJSON polygon). Cells and sites live in the organisation scope [`ORG`], not in a
//! construction project; who receives which of them is in ADR 0007.
//!
//! Document layout (kind `grid_cell`, project `org`): root `title` (the name), `code`,
//! `level`, `parent` (the parent cell's record id, `""` for a city), `boundary` (GeoJSON
//! text, written whole); genesis map `members` (user id → {role, name}).

pub use offgrid_domain::grid::{ORG, escape, geojson, rules};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// A cell's level in the hierarchy, from the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridLevel {
    /// 市: the top of the hierarchy; the only level with no parent cell.
    City,
    /// 区: a district of a city.
    District,
    /// 街道: a street (sub-district) office's area.
    Street,
    /// 社区: a community.
    Community,
    /// 网格: the smallest cell, patrolled by its members.
    Grid,
}

offgrid_common::named!(pub GridLevel, "grid level" {
    City => "city",
    District => "district",
    Street => "street",
    Community => "community",
    Grid => "grid",
});

impl GridLevel {
    /// The label users read: (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            GridLevel::City => ("市", "city"),
            GridLevel::District => ("区", "district"),
            GridLevel::Street => ("街道", "street"),
            GridLevel::Community => ("社区", "community"),
            GridLevel::Grid => ("网格", "grid"),
        }
    }
}

/// A member's duty in a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridRole {
    /// 网格长: responsible for the cell.
    Leader,
    /// 网格员: patrols it.
    Member,
}

offgrid_common::named!(pub GridRole, "grid role" {
    Leader => "leader",
    Member => "member",
});

impl GridRole {
    /// (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            GridRole::Leader => ("网格长", "grid leader"),
            GridRole::Member => ("网格员", "grid member"),
        }
    }
}

/// A new cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewGridCell {
    /// Administrative division code + sequence (digits and letters), unique in the grid.
    pub code: String,
    /// The cell's name (non-empty).
    pub name: String,
    /// The cell's level: below its parent's.
    pub level: GridLevel,
    /// The parent cell (a level above); `None` only for a city.
    pub parent: Option<RecordId>,
    /// A GeoJSON Polygon or MultiPolygon (geometry, Feature or text of either).
    pub boundary: Option<String>,
}

/// A member of a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridMember {
    /// The member's user id.
    pub user: String,
    /// The member's name as shown (may be empty).
    pub name: String,
    /// The member's duty in the cell.
    pub role: GridRole,
}

/// A cell as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridCell {
    /// The cell's record id.
    pub id: RecordId,
    /// Administrative division code + sequence, unique in the grid.
    pub code: String,
    /// The cell's name.
    pub name: String,
    /// The cell's level in the hierarchy.
    pub level: GridLevel,
    /// The parent cell; `None` for a city.
    pub parent: Option<RecordId>,
    /// GeoJSON geometry text, if drawn.
    pub boundary: Option<String>,
    /// By user id.
    pub members: Vec<GridMember>,
}

#[derive(Deserialize)]
struct MemberEntry {
    role: GridRole,
    #[serde(default)]
    name: String,
}

impl Store {
    /// Adds a cell under `parent` (which must be a cell one or more levels up, held here).
    pub fn add_grid_cell(&self, new: &NewGridCell) -> Result<RecordId> {
        let code = new.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::InvalidValue {
                path: "/code".into(),
                reason: "a cell code is 1-40 letters, digits or '-' (e.g. 320105001002)".into(),
            });
        }
        if new.name.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/name".into(),
                reason: "a cell needs a name".into(),
            });
        }
        let boundary = new.boundary.as_deref().map(geojson::polygon).transpose()?;
        match (&new.parent, new.level) {
            (None, GridLevel::City) => {}
            (None, _) => {
                return Err(Error::InvalidValue {
                    path: "/parent".into(),
                    reason: "only a city has no parent cell".into(),
                });
            }
            (Some(parent), level) => {
                let p = self.grid_cell(parent)?;
                if p.level >= level {
                    return Err(Error::InvalidValue {
                        path: "/level".into(),
                        reason: format!("a {level} cannot be under a {} ({})", p.level, p.name),
                    });
                }
            }
        }
        if self.grid_cell_by_code(code)?.is_some() {
            return Err(Error::InvalidValue {
                path: "/code".into(),
                reason: format!("a cell with code {code} exists already"),
            });
        }
        let fields = json!({
            "project": ORG,
            "title": new.name.trim(),
            "code": code,
            "level": new.level.as_str(),
            "parent": new.parent.as_ref().map(|p| p.0.as_str()).unwrap_or(""),
            "boundary": boundary,
        });
        self.create(RecordKind::GridCell, &fields)
    }

    /// The cell `id`.
    pub fn grid_cell(&self, id: &RecordId) -> Result<GridCell> {
        self.read(id, |doc| {
            let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
            if root["kind"] != RecordKind::GridCell.as_str() {
                return Err(Error::InvalidArgument(format!(
                    "record {id} is not a grid cell"
                )));
            }
            Ok(cell_from_json(id, &root))
        })
    }

    /// The cell with `code`, if held here.
    pub fn grid_cell_by_code(&self, code: &str) -> Result<Option<RecordId>> {
        Ok(self
            .records_with_key(&format!("code:{code}"))?
            .into_iter()
            .next())
    }

    /// The cells directly under `parent` (`None`: the cities), by code.
    pub fn grid_children(&self, parent: Option<&RecordId>) -> Result<Vec<GridCell>> {
        let key = format!("parent:{}", parent.map(|p| p.as_str()).unwrap_or(""));
        let mut out = self
            .records_with_key(&key)?
            .iter()
            .map(|id| self.grid_cell(id))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }

    /// The cell and every cell under it, depth first, by code.
    pub fn grid_subtree(&self, root: &RecordId) -> Result<Vec<GridCell>> {
        let mut out = Vec::new();
        let mut stack = vec![self.grid_cell(root)?];
        while let Some(cell) = stack.pop() {
            let mut children = self.grid_children(Some(&cell.id))?;
            children.reverse();
            out.push(cell);
            stack.extend(children);
        }
        Ok(out)
    }

    /// Adds or changes a member of a cell.
    pub fn set_grid_member(&self, cell: &RecordId, member: &GridMember) -> Result<()> {
        if member.user.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/members".into(),
                reason: "a member needs a user id".into(),
            });
        }
        let value = json!({"role": member.role.as_str(), "name": member.name});
        self.write(|w| {
            w.read(cell, |doc| expect_kind(doc, cell))?;
            w.update(cell, "set grid member", |e| {
                // An existing entry is edited in place: replacing it would hide a concurrent
                // edit of the same member.
                let path = format!("/members/{}", escape(&member.user));
                if e.get(&path)?.is_some() {
                    e.set(&format!("{path}/role"), member.role.as_str())?;
                    e.set(&format!("{path}/name"), member.name.as_str())?;
                } else {
                    e.insert("/members", &member.user, &value)?;
                }
                Ok(())
            })
        })
    }

    /// Removes a member from a cell (no error if not a member).
    pub fn remove_grid_member(&self, cell: &RecordId, user: &str) -> Result<()> {
        self.write(|w| {
            w.read(cell, |doc| expect_kind(doc, cell))?;
            w.update(cell, "remove grid member", |e| {
                e.delete(&format!("/members/{}", escape(user)))
                    .or_else(ignore_missing)
            })
        })
    }

    /// Draws (or, with `None`, erases) the cell's boundary.
    pub fn set_grid_boundary(&self, cell: &RecordId, boundary: Option<&str>) -> Result<()> {
        let boundary = boundary.map(geojson::polygon).transpose()?;
        self.write(|w| {
            w.read(cell, |doc| expect_kind(doc, cell))?;
            w.update(cell, "set grid boundary", |e| {
                Ok(e.set("/boundary", boundary.clone())?)
            })
        })
    }

    /// Renames a cell.
    pub fn rename_grid_cell(&self, cell: &RecordId, name: &str) -> Result<()> {
        if name.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/name".into(),
                reason: "a cell needs a name".into(),
            });
        }
        self.write(|w| {
            w.read(cell, |doc| expect_kind(doc, cell))?;
            w.update(cell, "rename grid cell", |e| {
                Ok(e.set("/title", name.trim())?)
            })
        })
    }

    /// The cells `user` is a member of.
    pub fn grid_cells_of(&self, user: &str) -> Result<Vec<GridCell>> {
        self.records_with_key(&format!("member:{user}"))?
            .iter()
            .map(|id| self.grid_cell(id))
            .collect()
    }
}

fn expect_kind(doc: &automerge::Automerge, id: &RecordId) -> Result<()> {
    if crate::doc::genesis::root_text(doc, "kind").as_deref() != Some("grid_cell") {
        return Err(Error::InvalidArgument(format!(
            "record {id} is not a grid cell"
        )));
    }
    Ok(())
}

/// Deleting what is not there is no error.
pub(crate) fn ignore_missing(e: crate::doc::Error) -> Result<()> {
    match e {
        crate::doc::Error::PathNotFound { .. } => Ok(()),
        e => Err(e.into()),
    }
}

pub(crate) fn cell_from_json(id: &RecordId, root: &serde_json::Value) -> GridCell {
    let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
    let members: BTreeMap<String, MemberEntry> =
        serde_json::from_value(root["members"].clone()).unwrap_or_default();
    let parent = text("parent");
    GridCell {
        id: id.clone(),
        code: text("code"),
        name: text("title"),
        level: text("level").parse().unwrap_or(GridLevel::Grid),
        parent: (!parent.is_empty()).then_some(RecordId(parent)),
        boundary: root["boundary"].as_str().map(str::to_owned),
        members: members
            .into_iter()
            .map(|(user, m)| GridMember {
                user,
                name: m.name,
                role: m.role,
            })
            .collect(),
    }
}
