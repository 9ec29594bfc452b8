//! The demo's report for people: the devices, the syncs, the merged inspection, the conflict,
//! the history and the search, then commands to explore the two databases further.

use std::io::Write;

use anyhow::Result;

use super::Report;
use crate::output;

pub fn report(w: &mut impl Write, r: &Report) -> Result<()> {
    writeln!(
        w,
        "Offgrid demo: two inspectors edit one inspection offline, then sync\n"
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

    writeln!(w, "\nSync")?;
    let sync: Vec<[String; 3]> = r
        .sync
        .iter()
        .map(|t| {
            [
                format!("{} → {}", t.from, t.to),
                format!("{}:", t.when),
                format!(
                    "{} record(s), {} change(s), {} bytes",
                    t.records, t.changes, t.bytes
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

    let (a, b) = (&r.devices[0].db, &r.devices[1].db);
    let id = &r.records.inspection;
    writeln!(w, "\nExplore:")?;
    writeln!(w, "  offgrid --db {} list", a.display())?;
    writeln!(w, "  offgrid --db {} conflicts {id}", b.display())?;
    writeln!(w, "  offgrid --db {} history {id}", a.display())?;
    Ok(())
}

fn indented(w: &mut impl Write, text: &str) -> Result<()> {
    for line in text.lines() {
        writeln!(w, "  {line}")?;
    }
    Ok(())
}
