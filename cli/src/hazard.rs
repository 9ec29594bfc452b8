//! The hazard commands: raise one (on its own, or from a failed inspection item), show it with
//! its timeline, and take it through the closed loop (隐患闭环): grade, order rectification,
//! rectify, re-inspect, escalate, close or write off. Each acts as the CLI's user with its role;
//! what the role or the hazard's state does not allow is refused by the core with its reason.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use offgrid_core::hazard::{Hazard, HazardEvent, HazardEventKind, NewHazard, RectificationOrder};
use offgrid_core::{RecordId, RecordKind, RiskGrade, Store};

use crate::commands::{Ctx, resolve_id};
use crate::{output, time, values};

#[derive(Subcommand)]
pub(crate) enum HazardCommand {
    /// Raise a hazard on its own (e.g. on a patrol) for --project; print its id.
    Raise {
        /// The site (工地).
        #[arg(long)]
        site: String,
        /// 部位: where exactly.
        #[arg(long)]
        location: String,
        /// What it is, in a line.
        #[arg(long)]
        title: String,
        /// What was found.
        #[arg(long)]
        description: String,
        /// red, orange, yellow or blue [default: graded later].
        #[arg(long, value_parser = values::parse_grade)]
        grade: Option<RiskGrade>,
        /// A major hazard (重大隐患): closed only by a supervisor's write-off.
        #[arg(long)]
        major: bool,
        /// A photo of it as found, by SHA-256, held here (`photo add`). Repeatable.
        #[arg(long = "photo", value_name = "SHA256", value_parser = values::parse_sha256)]
        photos: Vec<String>,
    },
    /// Raise a hazard from a failed item of an inspection (title, grade, clause and photos come
    /// from the item); print its id.
    FromItem {
        /// Inspection id.
        inspection: String,
        /// The failed item's id.
        item: String,
        /// 部位: where exactly.
        #[arg(long)]
        location: String,
        /// What was found.
        #[arg(long)]
        description: String,
    },
    /// Status, grade, order, overdue, and every event of the hazard.
    Show {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
    },
    /// Grade (or re-grade) the hazard.
    Grade {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// red, orange, yellow or blue.
        #[arg(value_parser = values::parse_grade)]
        grade: RiskGrade,
        /// A major hazard (重大隐患): closed only by a supervisor's write-off.
        #[arg(long)]
        major: bool,
        /// Why, or what was found.
        #[arg(long)]
        note: Option<String>,
    },
    /// Order rectification (下达整改): who, by when, what to do.
    Order {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// 责任单位: the responsible unit.
        #[arg(long)]
        unit: String,
        /// 责任人: the responsible person's user id.
        #[arg(long, value_name = "ID")]
        person: String,
        /// The responsible person's name.
        #[arg(long, value_name = "NAME")]
        person_name: String,
        /// YYYY-MM-DD or YYYY-MM-DDTHH:MM in the organisation's time zone (Asia/Shanghai unless
        /// its server says otherwise); a date alone means by the end of that day there.
        #[arg(long, value_name = "WHEN")]
        deadline: String,
        /// 措施: what is to be done.
        #[arg(long)]
        measures: String,
    },
    /// Report the rectification done (整改), with photos of the result.
    Rectify {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// Why, or what was done.
        #[arg(long)]
        note: String,
        /// A photo of the result, by SHA-256, attached first with `photo add FILE --hazard ID
        /// --rectification`. Repeatable; at least one.
        #[arg(long = "photo", value_name = "SHA256", value_parser = values::parse_sha256)]
        photos: Vec<String>,
    },
    /// Re-inspect the rectification (复查): pass it, or return it (退回, with a note). Not by
    /// whoever rectified it.
    #[command(group = clap::ArgGroup::new("verdict").required(true).args(["pass", "return_"]))]
    Reinspect {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// The rectification is good (status `verified`).
        #[arg(long)]
        pass: bool,
        /// Send it back (status `returned`; needs --note).
        #[arg(long = "return")]
        return_: bool,
        /// Why, or what was found.
        #[arg(long)]
        note: Option<String>,
    },
    /// Escalate (挂牌督办), e.g. when overdue.
    Escalate {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// Why, or what was done.
        #[arg(long)]
        note: String,
    },
    /// Close a verified hazard (销号). A major hazard is closed by a write-off instead.
    Close {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// Why, or what was found.
        #[arg(long)]
        note: Option<String>,
    },
    /// Write off a verified hazard (核销; supervisors).
    WriteOff {
        /// Hazard id (or the start or end of one, as the register shows it).
        id: String,
        /// Why, or what was done.
        #[arg(long)]
        note: String,
    },
}

pub(crate) fn run(ctx: &Ctx, command: HazardCommand) -> Result<()> {
    use HazardCommand as C;
    match command {
        C::Raise {
            site,
            location,
            title,
            description,
            grade,
            major,
            photos,
        } => {
            let project = ctx.require_project("hazard raise")?;
            let store = ctx.open_or_create()?;
            let id = store.raise_hazard(&NewHazard {
                project,
                site,
                location,
                title,
                description,
                grade,
                major,
                photos,
            })?;
            created(ctx, &store, &id)
        }
        C::FromItem {
            inspection,
            item,
            location,
            description,
        } => {
            let store = ctx.open_as_user()?;
            let inspection = resolve_id(&store, RecordKind::Inspection, &inspection)?;
            let id = store.raise_hazard_from_item(&inspection, &item, &location, &description)?;
            created(ctx, &store, &id)
        }
        C::Show { id } => {
            let store = ctx.open_existing()?;
            let id = resolve_id(&store, RecordKind::Hazard, &id)?;
            let hazard = store.hazard(&id)?;
            let mut out = std::io::stdout().lock();
            if ctx.json {
                output::json(&mut out, &hazard)
            } else {
                print(&mut out, &hazard)
            }
        }
        C::Grade {
            id,
            grade,
            major,
            note,
        } => act(ctx, &id, |s, id| {
            s.grade_hazard(id, grade, major, note.as_deref())
        }),
        C::Order {
            id,
            unit,
            person,
            person_name,
            deadline,
            measures,
        } => act(ctx, &id, |s, id| {
            let order = RectificationOrder {
                unit,
                person,
                person_name,
                deadline_ms: s.zone().deadline(&deadline)?,
                measures,
            };
            s.order_rectification(id, &order)
        }),
        C::Rectify { id, note, photos } => {
            act(ctx, &id, |s, id| s.submit_rectification(id, &note, &photos))
        }
        C::Reinspect { id, pass, note, .. } => {
            act(ctx, &id, |s, id| s.reinspect(id, pass, note.as_deref()))
        }
        C::Escalate { id, note } => act(ctx, &id, |s, id| s.escalate_hazard(id, &note)),
        C::Close { id, note } => act(ctx, &id, |s, id| s.close_hazard(id, note.as_deref())),
        C::WriteOff { id, note } => act(ctx, &id, |s, id| s.write_off_hazard(id, &note)),
    }
}

/// Prints a new hazard's id (`--json`: {"id": ..}).
fn created(ctx: &Ctx, store: &Store, id: &RecordId) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let hazard = store.hazard(id)?;
        output::json(
            &mut out,
            &serde_json::json!({ "id": id, "state": hazard.state }),
        )
    } else {
        writeln!(out, "{id}")?;
        Ok(())
    }
}

/// Runs one step of the loop on the hazard `id` names, then prints where it stands
/// (`--json`: the hazard).
fn act(
    ctx: &Ctx,
    id: &str,
    step: impl FnOnce(&Store, &RecordId) -> offgrid_core::Result<()>,
) -> Result<()> {
    let store = ctx.open_as_user()?;
    let id = resolve_id(&store, RecordKind::Hazard, id)?;
    step(&store, &id)?;
    let hazard = store.hazard(&id)?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        return output::json(&mut out, &hazard);
    }
    writeln!(
        out,
        "hazard {}: {}{}",
        output::short_id(id.as_str()),
        output::status(hazard.state.status),
        if hazard.overdue { "  OVERDUE" } else { "" }
    )?;
    Ok(())
}

/// The human form of a hazard: what, where, status, grade, order, then the timeline.
pub(crate) fn print(w: &mut impl Write, h: &Hazard) -> Result<()> {
    let st = &h.state;
    writeln!(w, "{}", h.title)?;
    let mut rows: Vec<[String; 2]> = vec![
        ["id".into(), h.id.to_string()],
        [
            "status".into(),
            format!(
                "{}{}",
                output::status(st.status),
                if h.overdue { "  OVERDUE" } else { "" }
            ),
        ],
        [
            "grade".into(),
            match st.grade {
                Some(g) => format!(
                    "{}{}",
                    output::grade(g),
                    if st.major {
                        "  (major 重大隐患)"
                    } else {
                        ""
                    }
                ),
                None => "not graded yet".into(),
            },
        ],
        ["project".into(), h.project.clone()],
        ["site".into(), h.site.clone()],
        ["location".into(), h.location.clone()],
        ["description".into(), h.description.clone()],
    ];
    if let Some(src) = &h.source {
        let clause = src
            .clause
            .as_ref()
            .map_or(String::new(), |c| format!(", {}", output::clause(c)));
        rows.push([
            "source".into(),
            format!("inspection {} item {}{clause}", src.inspection, src.item),
        ]);
    }
    if let (Some(unit), Some(deadline)) = (&st.unit, st.deadline_ms) {
        rows.push([
            "order".into(),
            format!(
                "{unit}, {}, by {}",
                output::who(st.assignee_name.as_deref(), st.assignee.as_deref()),
                time::utc(deadline)
            ),
        ]);
        if let Some(m) = &st.measures {
            rows.push(["measures".into(), m.clone()]);
        }
    }
    if st.escalations > 0 {
        rows.push(["escalations".into(), st.escalations.to_string()]);
    }
    rows.push(["photos".into(), h.photos.len().to_string()]);
    output::indented(w, &output::render(&rows))?;
    writeln!(w, "Timeline")?;
    timeline(w, h)
}

/// Every event in fold order: time (UTC and the device's offset), who, what, note; events kept
/// but not applied (they did not fit the state after a merge) are marked.
pub(crate) fn timeline(w: &mut impl Write, h: &Hazard) -> Result<()> {
    let header = ["TIME (UTC, DEVICE OFFSET)", "WHO", "EVENT", "NOTE"].map(String::from);
    let rows: Vec<[String; 4]> = std::iter::once(header)
        .chain(h.events.iter().map(|e| {
            let mut what = event_text(e);
            if h.state.not_applied.contains(&e.id) {
                what.push_str(" (not applied)");
            }
            [
                time::utc_with_offset(e.at_ms, e.offset_minutes),
                output::who(Some(&e.by_name), Some(&e.by)),
                what,
                e.note.clone().unwrap_or_default(),
            ]
        }))
        .collect();
    output::indented(w, &output::render(&rows))
}

/// The event's type with what it carries: `graded red`, `reinspected: returned`.
fn event_text(e: &HazardEvent) -> String {
    use HazardEventKind as E;
    let name = e.kind.name();
    match &e.kind {
        E::Raised { grade: Some(g), .. } | E::Graded { grade: g, .. } => {
            format!("{name} {}", g.as_str())
        }
        E::RectificationOrdered {
            person,
            person_name,
            deadline_ms,
            ..
        } => format!(
            "{name} → {} by {}",
            output::who(Some(person_name), Some(person)),
            time::utc(*deadline_ms)
        ),
        E::RectificationSubmitted { photos } => format!("{name} ({} photo(s))", photos.len()),
        E::Reinspected { passed: true } => format!("{name}: passed"),
        E::Reinspected { passed: false } => format!("{name}: returned"),
        _ => name.to_owned(),
    }
}
