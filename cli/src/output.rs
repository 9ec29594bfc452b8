//! Printing: `--json` output (pretty JSON, one value per command) and the human forms of record
//! lists, histories and conflicts, and the labels of grades, statuses and clauses. Human tables
//! are aligned by display width, so Chinese text (two columns a character) lines up with Latin.

use std::io::Write;

use anyhow::Result;
use offgrid_core::checklist::Clause;
use offgrid_core::doc::{Conflict, HistoryEntry};
use offgrid_core::hazard::HazardStatus;
use offgrid_core::{RecordSummary, RiskGrade};
use serde::Serialize;

use crate::time;

/// Longest title shown in a list row, in display columns.
const TITLE_WIDTH: usize = 48;
/// Paths shown per history line before "+N more".
const HISTORY_PATHS: usize = 4;

/// Writes `value` as pretty JSON followed by a newline (in one write).
pub(crate) fn json(w: &mut impl Write, value: &impl Serialize) -> Result<()> {
    let mut buf = serde_json::to_vec_pretty(value)?;
    buf.push(b'\n');
    w.write_all(&buf)?;
    Ok(())
}

/// An aligned table of records: id, kind, title, status, last update (UTC), conflicts.
pub(crate) fn records(w: &mut impl Write, rows: &[RecordSummary]) -> Result<()> {
    if rows.is_empty() {
        writeln!(w, "(no records)")?;
        return Ok(());
    }
    let header = [
        "ID",
        "KIND",
        "TITLE",
        "STATUS",
        "UPDATED (UTC)",
        "CONFLICTS",
    ];
    let body: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.kind.to_string(),
                truncate(r.title.as_deref().unwrap_or("-"), TITLE_WIDTH),
                r.status.clone().unwrap_or_else(|| "-".into()),
                time::utc(r.updated_ms),
                r.conflict_count.to_string(),
            ]
        })
        .collect();
    table(w, &header.map(String::from), &body)
}

/// One line per change: when (UTC and the device's offset), who, what, which fields.
pub(crate) fn history(w: &mut impl Write, entries: &[HistoryEntry]) -> Result<()> {
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            [
                time::utc_with_offset(e.time_ms, e.offset_minutes),
                who(e.user_name.as_deref(), e.user_id.as_deref()),
                // The account the server verified as the pusher, or not yet confirmed.
                match (&e.verified_by, e.clock_ahead) {
                    (_, true) => "设备时间超前 / clock ahead".into(),
                    (Some(by), _) if Some(by) == e.user_id.as_ref() => "✓".into(),
                    (Some(by), _) => format!("pushed by {by}"),
                    (None, _) => "未确认 / unconfirmed".into(),
                },
                if e.message.is_empty() {
                    "-".into()
                } else {
                    e.message.clone()
                },
                paths(&e.paths),
            ]
        })
        .collect();
    let header = [
        "TIME (UTC, DEVICE OFFSET)",
        "USER",
        "SERVER",
        "MESSAGE",
        "FIELDS",
    ];
    table(w, &header.map(String::from), &rows)
}

/// Each field with concurrent values; `*` marks the value every device shows.
pub(crate) fn conflicts(w: &mut impl Write, conflicts: &[Conflict]) -> Result<()> {
    if conflicts.is_empty() {
        writeln!(w, "(no conflicts)")?;
        return Ok(());
    }
    for c in conflicts {
        writeln!(w, "{}", c.path)?;
        let rows: Vec<[String; 4]> = c
            .values
            .iter()
            .map(|v| {
                [
                    if v.winner { "*" } else { " " }.to_owned(),
                    v.value.to_string(),
                    who(v.user_name.as_deref(), v.user_id.as_deref()),
                    time::utc_with_offset(v.time_ms, v.offset_minutes),
                ]
            })
            .collect();
        for line in render(&rows).lines() {
            writeln!(w, "  {line}")?;
        }
    }
    writeln!(
        w,
        "(* = the value shown on every device; the others are kept)"
    )?;
    Ok(())
}

/// `张工 (zhang)`, or whichever part is known.
pub(crate) fn who(name: Option<&str>, id: Option<&str>) -> String {
    match (name, id) {
        (Some(n), Some(i)) if n != i => format!("{n} ({i})"),
        (Some(n), _) => n.to_owned(),
        (None, Some(i)) => i.to_owned(),
        (None, None) => "unknown".to_owned(),
    }
}

/// `orange 较大 / significant`.
pub(crate) fn grade(g: RiskGrade) -> String {
    let (zh, en) = g.label();
    format!("{} {zh} / {en}", g.as_str())
}

/// `ordered 待整改 / to rectify`.
pub(crate) fn status(s: HazardStatus) -> String {
    let (zh, en) = s.label();
    format!("{} {zh} / {en}", s.as_str())
}

/// `GB 50038-2005 第3.1.6条（条号待核）` (`checklist::display::clause_text`).
pub(crate) fn clause(c: &Clause) -> String {
    offgrid_core::checklist::display::clause_text(c).zh
}

/// Writes `text` with every line indented by two spaces.
pub(crate) fn indented(w: &mut impl Write, text: &str) -> Result<()> {
    for line in text.lines() {
        writeln!(w, "  {line}")?;
    }
    Ok(())
}

/// The last 8 characters of an id (the random part of a UUIDv7), which the record commands
/// accept in place of the full id.
pub(crate) fn short_id(id: &str) -> &str {
    id.char_indices().rev().nth(7).map_or(id, |(i, _)| &id[i..])
}

/// The outermost paths (a new map's own fields are implied by the map), a few of them.
fn paths(paths: &[String]) -> String {
    let mut sorted: Vec<&str> = paths.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut outer: Vec<&str> = Vec::new();
    for p in sorted {
        let inside = |q: &&str| p.strip_prefix(*q).is_some_and(|rest| rest.starts_with('/'));
        if !outer.iter().any(inside) {
            outer.push(p);
        }
    }
    let mut out = outer[..outer.len().min(HISTORY_PATHS)].join(", ");
    if outer.len() > HISTORY_PATHS {
        out.push_str(&format!(" (+{} more)", outer.len() - HISTORY_PATHS));
    }
    out
}

/// Writes a header row and the body, columns padded to the widest cell (in one write).
fn table<const N: usize>(
    w: &mut impl Write,
    header: &[String; N],
    body: &[[String; N]],
) -> Result<()> {
    let all: Vec<[String; N]> = std::iter::once(header.clone())
        .chain(body.iter().cloned())
        .collect();
    w.write_all(render(&all).as_bytes())?;
    Ok(())
}

/// One line per record: its short id and title.
pub(crate) fn id_titles(w: &mut impl Write, rows: &[RecordSummary]) -> Result<()> {
    for r in rows {
        writeln!(
            w,
            "{}  {}",
            short_id(r.id.as_str()),
            r.title.as_deref().unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Rows as lines, each column padded to its widest cell plus two spaces.
pub(crate) fn render<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < N {
                let pad = widths[i] - display_width(cell) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Terminal columns of `s`: East Asian wide characters take two (a close approximation of
/// Unicode's East Asian Width that covers CJK, Hangul and full-width forms).
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// `s` cut to at most `max` display columns, with `…` when cut; newlines become spaces.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if display_width(&s) <= max {
        return s;
    }
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if width + cw + 1 > max {
            break;
        }
        out.push(c);
        width += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_chinese_as_two_columns() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("渗水 ok"), 7);
        assert_eq!(truncate("人防地下室底板", 7), "人防地…");
        assert_eq!(display_width(&truncate("人防地下室底板", 7)), 7);
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn table_aligns_mixed_scripts() {
        let mut out = Vec::new();
        let header = ["A".to_string(), "B".to_string()];
        let body = [
            ["渗水".to_string(), "x".to_string()],
            ["ab".to_string(), "y".to_string()],
        ];
        table(&mut out, &header, &body).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "A     B\n渗水  x\nab    y\n");
    }

    #[test]
    fn history_paths_keep_the_outermost() {
        let p = |v: &[&str]| paths(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            p(&["/notes/x/by", "/notes/x", "/notes/x-y"]),
            "/notes/x, /notes/x-y"
        );
        assert_eq!(
            p(&["/a", "/a/b", "/b", "/c", "/d", "/e"]),
            "/a, /b, /c, /d (+1 more)"
        );
        assert_eq!(p(&[]), "");
    }

    #[test]
    fn labels_and_short_ids() {
        assert_eq!(grade(RiskGrade::Red), "red 重大 / major");
        assert_eq!(
            status(HazardStatus::Returned),
            "returned 退回整改 / sent back"
        );
        let c = Clause {
            standard: "GB 50038-2005".into(),
            clause: Some("3.1.6".into()),
            unconfirmed: true,
        };
        assert_eq!(clause(&c), "GB 50038-2005 第3.1.6条（条号待核）");
        assert_eq!(short_id("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), "2e3f4a5b");
        assert_eq!(short_id("abc"), "abc");
    }
}
