//! The grid commands: cells of the organisation's grid (city → district → street → community
//! → grid), their members (网格长 / 网格员) and boundaries (GeoJSON in and out). Writing them
//! needs the organisation's admin role (`--role admin --project org`, or a signed-in account
//! that is admin on `org`); the core refuses anyone else.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use offgrid_core::grid::{GridCell, GridLevel, GridMember, GridRole, NewGridCell};
use offgrid_core::{RecordId, RecordKind, Store};

use crate::commands::{Ctx, resolve_id};
use crate::{output, values};

#[derive(Subcommand)]
pub(crate) enum GridCommand {
    /// Add a cell; print its id.
    Add {
        /// Administrative division code + sequence (CJ/T 349 style), e.g. 320105001002.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// city, district, street, community or grid.
        #[arg(long, value_parser = values::parse_core::<GridLevel>)]
        level: GridLevel,
        /// The parent cell, by id or code (none only for a city).
        #[arg(long)]
        parent: Option<String>,
        /// A GeoJSON file (Polygon, MultiPolygon, or a Feature of one) with the boundary.
        #[arg(long, value_name = "FILE")]
        boundary: Option<PathBuf>,
    },
    /// A cell: code, level, parent, members, the cells under it.
    Show {
        /// Cell id or code.
        cell: String,
        /// Print the boundary as a GeoJSON Feature instead.
        #[arg(long)]
        geojson: bool,
    },
    /// The cells held here, as a tree (from --under, else from every city).
    List {
        /// Cell id or code to start from.
        #[arg(long)]
        under: Option<String>,
    },
    /// A cell's members; --add or --remove one first.
    Members {
        /// Cell id or code.
        cell: String,
        /// Add (or change) this user id.
        #[arg(long, value_name = "USER", conflicts_with = "remove")]
        add: Option<String>,
        /// The added member's name as shown.
        #[arg(long, requires = "add")]
        name: Option<String>,
        /// leader (网格长) or member (网格员).
        #[arg(long, value_parser = values::parse_core::<GridRole>, default_value = "member", requires = "add")]
        grid_role: GridRole,
        /// Remove this user id.
        #[arg(long, value_name = "USER")]
        remove: Option<String>,
    },
    /// Draw a cell's boundary from a GeoJSON file (or erase it with --clear).
    Boundary {
        /// Cell id or code.
        cell: String,
        #[arg(required_unless_present = "clear")]
        file: Option<PathBuf>,
        #[arg(long)]
        clear: bool,
    },
}

/// A cell by code, else by id (or the start or end of one).
pub(crate) fn resolve_cell(store: &Store, text: &str) -> Result<RecordId> {
    if let Some(id) = store.grid_cell_by_code(text)? {
        return Ok(id);
    }
    resolve_id(store, RecordKind::GridCell, text)
}

fn read_geojson(path: &PathBuf) -> Result<String> {
    if path.as_os_str() == "-" {
        return Ok(std::io::read_to_string(std::io::stdin())?);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub(crate) fn run(ctx: &Ctx, command: GridCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        GridCommand::Add {
            code,
            name,
            level,
            parent,
            boundary,
        } => {
            let store = ctx.open_or_create()?;
            let parent = parent.map(|p| resolve_cell(&store, &p)).transpose()?;
            let boundary = boundary.as_ref().map(read_geojson).transpose()?;
            let id = store.add_grid_cell(&NewGridCell {
                code,
                name,
                level,
                parent,
                boundary,
            })?;
            if ctx.json {
                output::json(&mut out, &store.grid_cell(&id)?)?;
            } else {
                writeln!(out, "{id}")?;
            }
        }
        GridCommand::Show { cell, geojson } => {
            let store = ctx.open_existing()?;
            let c = store.grid_cell(&resolve_cell(&store, &cell)?)?;
            if geojson {
                let geometry: serde_json::Value = match &c.boundary {
                    Some(b) => serde_json::from_str(b)?,
                    None => serde_json::Value::Null,
                };
                let feature = serde_json::json!({"type": "Feature", "geometry": geometry,
                    "properties": {"id": c.id, "code": c.code, "name": c.name, "level": c.level}});
                output::json(&mut out, &feature)?;
            } else if ctx.json {
                let children = store.grid_children(Some(&c.id))?;
                let mut v = serde_json::to_value(&c)?;
                v["children"] = serde_json::to_value(&children)?;
                output::json(&mut out, &v)?;
            } else {
                show(&mut out, &store, &c)?;
            }
        }
        GridCommand::List { under } => {
            let store = ctx.open_existing()?;
            let roots = match under {
                Some(u) => vec![store.grid_cell(&resolve_cell(&store, &u)?)?],
                None => store.grid_children(None)?,
            };
            let mut cells = Vec::new();
            for r in roots {
                cells.extend(store.grid_subtree(&r.id)?);
            }
            if ctx.json {
                output::json(&mut out, &cells)?;
            } else {
                let depth = |c: &GridCell| {
                    GridLevel::ALL
                        .iter()
                        .position(|l| *l == c.level)
                        .unwrap_or(0)
                };
                for c in &cells {
                    writeln!(
                        out,
                        "{}{}  {}  {} ({})",
                        "  ".repeat(depth(c)),
                        c.code,
                        c.name,
                        c.level.label().0,
                        output::short_id(c.id.as_str())
                    )?;
                }
            }
        }
        GridCommand::Members {
            cell,
            add,
            name,
            grid_role,
            remove,
        } => {
            let store = if add.is_some() || remove.is_some() {
                ctx.open_as_user()?
            } else {
                ctx.open_existing()?
            };
            let id = resolve_cell(&store, &cell)?;
            if let Some(user) = add {
                store.set_grid_member(
                    &id,
                    &GridMember {
                        name: name.unwrap_or_else(|| user.clone()),
                        user,
                        role: grid_role,
                    },
                )?;
            }
            if let Some(user) = remove {
                store.remove_grid_member(&id, &user)?;
            }
            let c = store.grid_cell(&id)?;
            if ctx.json {
                output::json(&mut out, &c.members)?;
            } else {
                for m in &c.members {
                    writeln!(out, "{}  {}  {}", m.user, m.name, m.role.label().0)?;
                }
            }
        }
        GridCommand::Boundary { cell, file, clear } => {
            let store = ctx.open_as_user()?;
            let id = resolve_cell(&store, &cell)?;
            let text = if clear {
                None
            } else {
                file.as_ref().map(read_geojson).transpose()?
            };
            store.set_grid_boundary(&id, text.as_deref())?;
            if ctx.json {
                output::json(&mut out, &store.grid_cell(&id)?)?;
            } else {
                writeln!(
                    out,
                    "{}",
                    if clear {
                        "boundary erased"
                    } else {
                        "boundary drawn"
                    }
                )?;
            }
        }
    }
    Ok(())
}

fn show(out: &mut impl Write, store: &Store, c: &GridCell) -> Result<()> {
    let (zh, en) = c.level.label();
    writeln!(out, "{}  {}", c.code, c.name)?;
    writeln!(out, "  id          {}", c.id)?;
    writeln!(out, "  level 级别   {zh} / {en}")?;
    if let Some(p) = &c.parent {
        let name = store.grid_cell(p).map(|p| format!("{} {}", p.code, p.name));
        writeln!(
            out,
            "  parent 上级  {}",
            name.unwrap_or_else(|_| p.to_string())
        )?;
    }
    writeln!(
        out,
        "  boundary 边界 {}",
        if c.boundary.is_some() {
            "drawn / 已绘制"
        } else {
            "none / 无"
        }
    )?;
    writeln!(out, "  members 成员")?;
    for m in &c.members {
        writeln!(out, "    {}  {}  {}", m.user, m.name, m.role.label().0)?;
    }
    let children = store.grid_children(Some(&c.id))?;
    if !children.is_empty() {
        writeln!(out, "  under 下级")?;
        for ch in children {
            writeln!(out, "    {}  {}", ch.code, ch.name)?;
        }
    }
    Ok(())
}
