//! The demo's report for people: the devices, the syncs, the merged inspection, the conflict,
//! the history and the search; then the day on site (what each person did, the inspection, the
//! register and every hazard's timeline), and commands to explore the databases further.

use std::io::Write;

use anyhow::Result;

use offgrid_core::patrol::run::RunEventKind;

use super::Report;
use super::day::Day;
use super::patrol::PatrolDay;
use crate::output::{self, indented};
use crate::{hazard, register, time};

pub(super) fn report(w: &mut impl Write, r: &Report) -> Result<()> {
    writeln!(
        w,
        "Offgrid demo: two inspectors edit one inspection offline, then sync through a server\n"
    )?;
    let devices: Vec<[String; 3]> = r
        .devices
        .iter()
        .map(|d| {
            [
                format!("device {}", d.label),
                output::who(Some(&d.user.name), Some(&d.user.id)),
                d.db.display().to_string(),
            ]
        })
        .collect();
    indented(w, &output::render(&devices))?;

    writeln!(w, "\nRecords (created on device A)")?;
    let records = [
        ["project".into(), r.records.project.to_string()],
        ["inspection".into(), r.records.inspection.to_string()],
        ["hazard".into(), r.records.hazard.to_string()],
    ];
    indented(w, &output::render(&records))?;

    writeln!(
        w,
        "\nSync through {} over a flaky link ({}% of requests damaged: {} faults injected, all retried)",
        r.link.server, r.link.fault_percent, r.link.faults_injected
    )?;
    let sync: Vec<[String; 3]> = r
        .sync
        .iter()
        .map(|t| {
            [
                format!("device {}", t.device),
                format!("{}:", t.when),
                format!(
                    "{} round trip(s), {} record(s) up, {} down, {} B up, {} B down",
                    t.round_trips, t.records_up, t.records_down, t.bytes_up, t.bytes_down
                ),
            ]
        })
        .collect();
    indented(w, &output::render(&sync))?;

    writeln!(
        w,
        "\nMerged inspection: identical on both devices ({} records compared: same heads, same JSON)",
        r.merged.records_compared
    )?;
    output::json(w, &r.merged.inspection)?;

    writeln!(
        w,
        "\nConflicts: both answered rebar-spacing offline; neither value is lost"
    )?;
    output::conflicts(w, &r.conflicts)?;

    writeln!(w, "\nHistory of the inspection (merged on device A)")?;
    output::history(w, &r.history)?;

    writeln!(
        w,
        "\nSearch {:?} (two Chinese characters) on device {}: {} record(s)",
        r.search.query,
        r.search.device,
        r.search.results.len()
    )?;
    output::records(w, &r.search.results)?;

    day(w, &r.day)?;
    patrol(w, &r.patrol)?;
    writeln!(
        w,
        "\nEnd of the day: after the last syncs all {} devices are identical ({} records compared: same heads, same JSON)",
        r.end.devices, r.end.records_compared
    )?;

    #[cfg(feature = "documents")]
    {
        writeln!(
            w,
            "\nDocuments, made offline on device C from the synced records:"
        )?;
        for doc in &r.documents {
            writeln!(
                w,
                "  {}  {}  sha256 {}",
                doc.path,
                doc.number,
                &doc.sha256[..16]
            )?;
        }
    }

    let (a, b) = (&r.devices[0].db, &r.devices[1].db);
    let id = &r.records.inspection;
    writeln!(w, "\nExplore:")?;
    writeln!(w, "  offgrid --db {} list", a.display())?;
    writeln!(w, "  offgrid --db {} conflicts {id}", b.display())?;
    writeln!(w, "  offgrid --db {} history {id}", a.display())?;
    writeln!(
        w,
        "  offgrid --db {} inspection show {}",
        a.display(),
        r.day.inspection
    )?;
    writeln!(
        w,
        "  offgrid --db {} register --project {} --sort grade",
        a.display(),
        r.records.project
    )?;
    if let Some(h) = r.day.hazards.get(3) {
        writeln!(w, "  offgrid --db {} hazard show {h}", a.display())?;
    }
    let p = r.patrol.db.display();
    writeln!(w, "  offgrid --db {p} patrol show {}", r.patrol.run.id)?;
    writeln!(w, "  offgrid --db {p} patrol coverage --date 2025-03-19")?;
    Ok(())
}

/// The next morning's patrol: each event of the run, the tasks, the coverage of the grid.
fn patrol(w: &mut impl Write, p: &PatrolDay) -> Result<()> {
    let (zh, en) = p.run.status.label();
    writeln!(
        w,
        "\nPatrol, the next morning underground ({}): {zh} / {en}, {} of {} checkpoints covered",
        p.run.title,
        p.run.covered.len(),
        p.run.checkpoints.len()
    )?;
    let name = |id: &str| {
        p.run
            .checkpoints
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| "-".to_owned(), |c| c.name.clone())
    };
    let mut rows = Vec::new();
    for e in &p.run.events {
        let detail = match &e.kind {
            RunEventKind::Scan { verdict, .. } => format!(
                "{}  {}{}",
                verdict.checkpoint.as_deref().map_or("-".into(), name),
                if verdict.counts {
                    "counts"
                } else {
                    "does not count"
                },
                verdict
                    .flags
                    .iter()
                    .map(|f| format!("  [{}]", f.as_str()))
                    .collect::<String>()
            ),
            RunEventKind::Skip { checkpoint, reason } => format!("{}  {reason}", name(checkpoint)),
            RunEventKind::Observe { text, .. } => format!("{text}  → hazard {}", p.hazard),
            _ => String::new(),
        };
        rows.push([
            time::utc_with_offset(e.at_ms, super::OFFSET_MINUTES),
            e.kind.name().to_owned(),
            detail,
        ]);
    }
    indented(w, &output::render(&rows))?;
    for t in &p.tasks {
        writeln!(w, "  task {} {}: {}", t.id, t.plan_title, t.state.as_str())?;
    }
    writeln!(
        w,
        "\nCoverage of the day (sites, tasks done / all, checkpoints missed, flags, open hazards)"
    )?;
    let rows: Vec<[String; 6]> = p
        .coverage
        .iter()
        .map(|c| {
            let t = &c.total;
            [
                format!("{}{} {}", "  ".repeat(c.depth as usize), c.code, c.name),
                c.sites.to_string(),
                format!("{}/{}", t.tasks.done + t.tasks.late, t.tasks.total()),
                t.checkpoints_missed.to_string(),
                t.flags.to_string(),
                t.open_hazards.values().sum::<u32>().to_string(),
            ]
        })
        .collect();
    indented(w, &output::render(&rows))?;
    Ok(())
}

/// The day on site: the log, the inspection's outcome, the register, the timelines.
fn day(w: &mut impl Write, d: &Day) -> Result<()> {
    writeln!(
        w,
        "\nThe rest of the day on device A (Beijing time): one tablet, three people"
    )?;
    let people: Vec<[String; 2]> = d
        .people
        .iter()
        .map(|u| {
            let role = u.roles.first().map_or("-", |r| r.role.as_str());
            [output::who(Some(&u.name), Some(&u.id)), role.to_owned()]
        })
        .collect();
    indented(w, &output::render(&people))?;
    writeln!(w)?;
    let log: Vec<[String; 3]> = d
        .log
        .iter()
        .map(|s| [s.time.clone(), s.who.clone(), s.what.clone()])
        .collect();
    indented(w, &output::render(&log))?;

    let p = &d.progress;
    writeln!(
        w,
        "\nInspection {} ({}): {}, {}/{} required done, score {}, {} failed",
        d.inspection,
        d.template,
        d.status.as_str(),
        p.answered,
        p.required,
        p.score_pct.map_or("-".into(), |s| format!("{s:.1}%")),
        p.failed.len()
    )?;

    writeln!(w, "\nHazard register at 17:30, most severe first")?;
    let mut table = Vec::new();
    register::print(&mut table, &d.register)?;
    indented(w, &String::from_utf8_lossy(&table))?;

    for h in &d.timelines {
        writeln!(
            w,
            "\nTimeline of {} {}: {}{}",
            output::short_id(h.id.as_str()),
            h.title,
            output::status(h.state.status),
            if h.overdue { "  OVERDUE" } else { "" }
        )?;
        hazard::timeline(w, h)?;
    }
    Ok(())
}
