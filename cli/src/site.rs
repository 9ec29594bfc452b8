//! The site commands: civil-defence works (人防工程) with their checkpoints and the tags bound
//! to them. Sites are written by the organisation's admins; supervisors of a project a site
//! belongs to may edit its fields, checkpoints and tags (the core checks it). Tags are bound
//! and unbound by events: `site tag` says what a tag stood for at a moment, from that history.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use offgrid_core::site::{
    CheckMethod, CheckpointKind, NewCheckpoint, NewSite, Site, SiteEdit, SiteKind, SiteQuery,
    TagEventKind,
};
use offgrid_core::{RecordId, RecordKind, Store};

use crate::commands::{Ctx, resolve_id};
use crate::grid::resolve_cell;
use crate::{output, time, values};

#[derive(Subcommand)]
pub(crate) enum SiteCommand {
    /// Add a site in a grid cell; print its id.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        address: String,
        /// standalone (单建), attached (结建), dual_use (平战结合) or other.
        #[arg(long, value_parser = values::parse_core::<SiteKind>)]
        kind: SiteKind,
        /// 管护单位: the maintaining unit.
        #[arg(long)]
        unit: String,
        /// The grid cell, by id or code.
        #[arg(long)]
        cell: String,
        /// The entrance above ground: "lon,lat" or a GeoJSON Point.
        #[arg(long)]
        location: Option<String>,
        /// A construction project it belongs to. Repeatable.
        #[arg(long = "link-project", value_name = "PROJECT")]
        projects: Vec<String>,
    },
    /// Change a site's fields; move it to another cell; link or unlink projects.
    Edit {
        site: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long, value_parser = values::parse_core::<SiteKind>)]
        kind: Option<SiteKind>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        location: Option<String>,
        /// Move it to this cell (id or code).
        #[arg(long)]
        cell: Option<String>,
        #[arg(long = "link-project", value_name = "PROJECT")]
        link: Vec<String>,
        #[arg(long = "unlink-project", value_name = "PROJECT")]
        unlink: Vec<String>,
    },
    /// A site: its fields, checkpoints with their tags, and every bind and unbind.
    Show {
        site: String,
        /// Print its location as a GeoJSON Feature instead.
        #[arg(long)]
        geojson: bool,
    },
    /// Sites held here, by name.
    List {
        /// In this cell (id or code).
        #[arg(long)]
        cell: Option<String>,
        /// Of this construction project.
        #[arg(long = "of-project", value_name = "PROJECT")]
        of_project: Option<String>,
        /// Text in the name, address or unit.
        #[arg(long)]
        search: Option<String>,
    },
    /// Add a checkpoint at the end of the site's route; print its id.
    Checkpoint {
        site: String,
        #[arg(long)]
        name: String,
        /// entrance, blast_door, power_room, sump, ventilation or other.
        #[arg(long, value_parser = values::parse_core::<CheckpointKind>)]
        kind: CheckpointKind,
        /// nfc, qr or manual_photo. Repeatable; at least one.
        #[arg(long = "method", value_parser = values::parse_core::<CheckMethod>, required = true)]
        methods: Vec<CheckMethod>,
    },
    /// Bind a tag (its raw NDEF URI or QR text) to a checkpoint.
    Bind {
        site: String,
        checkpoint: String,
        payload: String,
        /// nfc or qr.
        #[arg(long, value_parser = values::parse_core::<CheckMethod>)]
        method: CheckMethod,
    },
    /// Unbind a tag from the site (replaced, lost, stolen).
    Unbind {
        site: String,
        payload: String,
        #[arg(long)]
        reason: String,
    },
    /// What a tag stood for (now, or --at a moment), and its history.
    Tag {
        payload: String,
        /// UTC ms [default: now].
        #[arg(long, value_name = "UNIX_MS")]
        at: Option<i64>,
    },
}

/// A checkpoint of `site` by id, or by its name.
fn resolve_checkpoint(s: &Site, text: &str) -> String {
    s.checkpoints
        .iter()
        .find(|c| c.id == text || c.name == text || c.id.ends_with(text))
        .map(|c| c.id.clone())
        .unwrap_or_else(|| text.to_owned())
}

pub(crate) fn run(ctx: &Ctx, command: SiteCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        SiteCommand::Add {
            name,
            address,
            kind,
            unit,
            cell,
            location,
            projects,
        } => {
            let store = ctx.open_or_create()?;
            let cell = resolve_cell(&store, &cell)?;
            let id = store.add_site(&NewSite {
                name,
                address,
                kind,
                unit,
                cell,
                location,
                projects,
            })?;
            print_id_or_site(&mut out, ctx, &store, &id)?;
        }
        SiteCommand::Edit {
            site,
            name,
            address,
            kind,
            unit,
            location,
            cell,
            link,
            unlink,
        } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::Site, &site)?;
            let cell = cell.map(|c| resolve_cell(&store, &c)).transpose()?;
            let edit = SiteEdit {
                name,
                address,
                kind,
                unit,
                location,
                cell,
            };
            if edit != SiteEdit::default() {
                store.update_site(&id, &edit)?;
            }
            for p in &link {
                store.link_site_project(&id, p)?;
            }
            for p in &unlink {
                store.unlink_site_project(&id, p)?;
            }
            print_id_or_site(&mut out, ctx, &store, &id)?;
        }
        SiteCommand::Show { site, geojson } => {
            let store = ctx.open_existing()?;
            let s = store.site(&resolve_id(&store, RecordKind::Site, &site)?)?;
            if geojson {
                let geometry: serde_json::Value = match &s.location {
                    Some(l) => serde_json::from_str(l)?,
                    None => serde_json::Value::Null,
                };
                let feature = serde_json::json!({"type": "Feature", "geometry": geometry,
                    "properties": {"id": s.id, "name": s.name, "address": s.address,
                        "kind": s.kind, "unit": s.unit, "cell": s.cell}});
                output::json(&mut out, &feature)?;
            } else if ctx.json {
                output::json(&mut out, &s)?;
            } else {
                show(&mut out, &store, &s)?;
            }
        }
        SiteCommand::List {
            cell,
            of_project,
            search,
        } => {
            let store = ctx.open_existing()?;
            let cell = cell.map(|c| resolve_cell(&store, &c)).transpose()?;
            let rows = store.sites(&SiteQuery {
                cell,
                project: of_project,
                text: search,
            })?;
            if ctx.json {
                output::json(&mut out, &rows)?;
            } else {
                output::id_titles(&mut out, &rows)?;
            }
        }
        SiteCommand::Checkpoint {
            site,
            name,
            kind,
            methods,
        } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::Site, &site)?;
            let cp = store.add_checkpoint(
                &id,
                &NewCheckpoint {
                    name,
                    kind,
                    methods,
                },
            )?;
            if ctx.json {
                output::json(&mut out, &serde_json::json!({"site": id, "checkpoint": cp}))?;
            } else {
                writeln!(out, "{cp}")?;
            }
        }
        SiteCommand::Bind {
            site,
            checkpoint,
            payload,
            method,
        } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::Site, &site)?;
            let cp = resolve_checkpoint(&store.site(&id)?, &checkpoint);
            let e = store.bind_tag(&id, &cp, &payload, method)?;
            if ctx.json {
                output::json(&mut out, &e)?;
            } else {
                writeln!(out, "tag {} bound / 已绑定", e.tag)?;
            }
        }
        SiteCommand::Unbind {
            site,
            payload,
            reason,
        } => {
            let store = ctx.open_as_user()?;
            let id = resolve_id(&store, RecordKind::Site, &site)?;
            let e = store.unbind_tag(&id, &payload, &reason)?;
            if ctx.json {
                output::json(&mut out, &e)?;
            } else {
                writeln!(out, "tag {} unbound / 已解绑", e.tag)?;
            }
        }
        SiteCommand::Tag { payload, at } => {
            let store = ctx.open_existing()?;
            let at = at.unwrap_or_else(|| store.now().unix_ms);
            let binding = store.tag_binding(&payload, at)?;
            let history = store.tag_history(&payload)?;
            if ctx.json {
                let history: Vec<_> = history
                    .iter()
                    .map(|(site, e)| serde_json::json!({"site": site, "event": e}))
                    .collect();
                output::json(
                    &mut out,
                    &serde_json::json!({"at_ms": at, "binding": binding, "history": history}),
                )?;
            } else {
                match &binding {
                    Some(b) => writeln!(
                        out,
                        "{}: {} / {} (bound {} by {})",
                        b.tag,
                        b.site_name,
                        b.checkpoint_name,
                        time::utc(b.bound_at_ms),
                        b.bound_by
                    )?,
                    None => writeln!(out, "not bound at that time / 该时刻未绑定")?,
                }
                for (site, e) in history {
                    writeln!(
                        out,
                        "  {}  {}  {}",
                        time::utc(e.at_ms),
                        event_text(&e.kind),
                        output::short_id(site.as_str())
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn print_id_or_site(out: &mut impl Write, ctx: &Ctx, store: &Store, id: &RecordId) -> Result<()> {
    if ctx.json {
        output::json(out, &store.site(id)?)
    } else {
        writeln!(out, "{id}")?;
        Ok(())
    }
}

fn event_text(kind: &TagEventKind) -> String {
    match kind {
        TagEventKind::Bind { checkpoint, method } => {
            format!(
                "bind 绑定 → {} ({})",
                output::short_id(checkpoint),
                method.as_str()
            )
        }
        TagEventKind::Unbind { reason } => format!("unbind 解绑: {reason}"),
    }
}

fn show(out: &mut impl Write, store: &Store, s: &Site) -> Result<()> {
    writeln!(out, "{}", s.name)?;
    writeln!(out, "  id            {}", s.id)?;
    writeln!(out, "  address 地址  {}", s.address)?;
    let (zh, en) = s.kind.label();
    writeln!(out, "  kind 类型     {zh} / {en}")?;
    writeln!(out, "  unit 管护单位 {}", s.unit)?;
    let cell = store
        .grid_cell(&s.cell)
        .map(|c| format!("{} {}", c.code, c.name))
        .unwrap_or_else(|_| s.cell.to_string());
    writeln!(out, "  cell 网格     {cell}")?;
    if let Some((lon, lat)) = s
        .location
        .as_deref()
        .and_then(offgrid_core::grid::geojson::point_lon_lat)
    {
        writeln!(out, "  location 位置 {lon:.6}, {lat:.6}")?;
    }
    writeln!(out, "  projects 项目 {}", s.projects.join(", "))?;
    writeln!(out, "  checkpoints 巡查点")?;
    for c in &s.checkpoints {
        let methods: Vec<&str> = c.methods.iter().map(|m| m.label().0).collect();
        writeln!(
            out,
            "    {}. {} ({})  {}  [{}]{}  {}",
            c.seq,
            c.name,
            c.kind.label().0,
            methods.join("/"),
            c.tags.join(", "),
            if c.retired { "  retired 已停用" } else { "" },
            output::short_id(&c.id)
        )?;
    }
    if !s.tag_events.is_empty() {
        writeln!(out, "  tag history 标签记录")?;
        for e in &s.tag_events {
            writeln!(
                out,
                "    {}  {}  {}  {}",
                time::utc(e.at_ms),
                e.tag,
                event_text(&e.kind),
                e.by
            )?;
        }
    }
    Ok(())
}
