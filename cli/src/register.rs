//! `offgrid register`: the hazard register (台账), filtered and sorted, with counts by status and
//! by grade and how many are overdue now. Read from the list tables; no document is loaded.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use offgrid_core::hazard::{HazardStatus, Register, RegisterQuery};
use offgrid_core::{ListSort, RiskGrade};

use crate::commands::Ctx;
use crate::{output, time, values};

/// Longest title shown in a register row, in display columns.
const TITLE_WIDTH: usize = 36;

#[derive(Args)]
pub(crate) struct RegisterArgs {
    /// Only hazards on this site.
    #[arg(long)]
    site: Option<String>,
    /// Only hazards in this status: raised, graded, ordered, submitted, returned, verified,
    /// closed or written_off.
    #[arg(long, value_parser = values::parse_status)]
    status: Option<HazardStatus>,
    /// Only hazards of this grade: red, orange, yellow or blue.
    #[arg(long, value_parser = values::parse_grade)]
    grade: Option<RiskGrade>,
    /// Only hazards whose rectification deadline has passed.
    #[arg(long)]
    overdue: bool,
    /// Only hazards assigned to this user id.
    #[arg(long, value_name = "ID")]
    assignee: Option<String>,
    /// Text anywhere in the hazard (one or two Chinese characters work too).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// updated (most recent first), due (earliest deadline first) or grade (most severe first).
    #[arg(long, value_parser = values::parse_sort, default_value = "updated")]
    sort: ListSort,
    /// At most N rows (the counts still cover every match).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

/// Prints the register of `--project` (or every project) as the arguments narrow it.
pub(crate) fn run(ctx: &Ctx, a: RegisterArgs) -> Result<()> {
    let store = ctx.open_existing()?;
    let register = store.register(&RegisterQuery {
        project: ctx.project.clone(),
        site: a.site,
        status: a.status.map(|s| s.as_str().to_owned()),
        grade: a.grade.map(|g| g.as_str().to_owned()),
        overdue: a.overdue,
        assignee: a.assignee,
        text: a.search,
        sort: a.sort,
        limit: a.limit,
        offset: 0,
    })?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &register)
    } else {
        print(&mut out, &register)
    }
}

/// The table (short id, grade, status, site, title, assignee, deadline, OVERDUE), then the
/// counts.
pub(crate) fn print(w: &mut impl Write, r: &Register) -> Result<()> {
    if r.rows.is_empty() {
        writeln!(w, "(no hazards)")?;
    } else {
        let header = [
            "ID",
            "GRADE",
            "STATUS",
            "SITE",
            "TITLE",
            "ASSIGNEE",
            "DEADLINE (UTC)",
            "",
        ]
        .map(String::from);
        let body = r.rows.iter().map(|row| {
            let status = row.status.as_deref().and_then(values::status_named);
            let overdue = status.is_some_and(|s| s.awaiting_rectification())
                && row.due_ms.is_some_and(|d| d < r.now_ms);
            [
                output::short_id(row.id.as_str()).to_owned(),
                row.grade
                    .as_deref()
                    .and_then(|g| values::parse_grade(g).ok())
                    .map_or("-".into(), |g| g.label().0.to_owned()),
                status.map_or_else(
                    || row.status.clone().unwrap_or_else(|| "-".into()),
                    |s| s.label().0.to_owned(),
                ),
                output::truncate(row.site.as_deref().unwrap_or("-"), TITLE_WIDTH / 2),
                output::truncate(row.title.as_deref().unwrap_or("-"), TITLE_WIDTH),
                row.assignee.clone().unwrap_or_else(|| "-".into()),
                row.due_ms.map_or("-".into(), time::utc),
                if overdue { "OVERDUE" } else { "" }.to_owned(),
            ]
        });
        let table: Vec<[String; 8]> = std::iter::once(header).chain(body).collect();
        w.write_all(output::render(&table).as_bytes())?;
    }
    writeln!(w, "{}", counts(r))?;
    Ok(())
}

/// `by status: 待整改 ordered 2, ...; by grade: 较大 orange 1, ...; overdue: 1 (at ...)`.
pub(crate) fn counts(r: &Register) -> String {
    let statuses: Vec<String> = r
        .by_status
        .iter()
        .map(|(s, n)| match values::status_named(s) {
            Some(st) => format!("{} {s} {n}", st.label().0),
            None => format!("{s} {n}"),
        })
        .collect();
    let grades: Vec<String> = r
        .by_grade
        .iter()
        .map(|(g, n)| match values::parse_grade(g) {
            Ok(grade) => format!("{} {g} {n}", grade.label().0),
            Err(_) if g.is_empty() => format!("未分级 ungraded {n}"),
            Err(_) => format!("{g} {n}"),
        })
        .collect();
    let total: u32 = r.by_status.values().sum();
    format!(
        "{total} hazard(s); by status: {}; by grade: {}; overdue: {} (at {})",
        if statuses.is_empty() {
            "-".into()
        } else {
            statuses.join(", ")
        },
        if grades.is_empty() {
            "-".into()
        } else {
            grades.join(", ")
        },
        r.overdue,
        time::utc(r.now_ms)
    )
}
