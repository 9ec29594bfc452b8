//! `offgrid report` and `offgrid verify`: the official documents made from the records in
//! `--db` (supervision report, rectification notice, reply form as PDF; the register as XLSX),
//! and whether a document is still valid, superseded by later changes, or unknown.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use offgrid_core::documents::{
    DocumentSettings, DocumentStatus, ReportOptions, Verification, WrittenDocument,
};
use offgrid_core::hazard::{HazardStatus, RegisterQuery};
use offgrid_core::{ListSort, RecordId, RiskGrade};

use crate::commands::Ctx;
use crate::{output, values};

#[derive(Args)]
pub(crate) struct ReportArgs {
    #[command(subcommand)]
    document: ReportCommand,
    /// The organisation's header as JSON: {"agency": "…", "number_pattern": "…{year}…{kind}…
    /// {serial}…", "logo_path": "…", "verify_url": "https://…/v1/verify/"}.
    #[arg(long, value_name = "FILE", global = true)]
    org: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// 人防工程质量监督报告 of an inspection (PDF).
    Supervision {
        /// Inspection id.
        inspection: String,
        /// Only the failed items (不合格项).
        #[arg(long)]
        failed_only: bool,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 整改通知书 for hazards of one project (PDF).
    Notice {
        /// Hazard ids.
        #[arg(required = true)]
        hazards: Vec<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 整改回复单 answering the notice of the same hazards (PDF).
    Reply {
        /// Hazard ids.
        #[arg(required = true)]
        hazards: Vec<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 隐患台账 of --project (or every project) as XLSX.
    Register {
        #[arg(long)]
        site: Option<String>,
        #[arg(long, value_parser = values::parse_status)]
        status: Option<HazardStatus>,
        #[arg(long, value_parser = values::parse_grade)]
        grade: Option<RiskGrade>,
        #[arg(long)]
        overdue: bool,
        /// A thumbnail of each hazard's first photo in the 照片 column.
        #[arg(long)]
        thumbnails: bool,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// A PDF made by `offgrid report` (or by the app).
    #[arg(required_unless_present = "sha256", conflicts_with = "sha256")]
    file: Option<PathBuf>,
    /// The SHA-256 printed on a document instead of the file.
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
}

fn settings(path: Option<&Path>) -> Result<DocumentSettings> {
    let Some(path) = path else {
        return Ok(DocumentSettings::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    // Missing fields take the defaults.
    let defaults = serde_json::to_value(DocumentSettings::default())?;
    if let (Some(v), Some(d)) = (value.as_object_mut(), defaults.as_object()) {
        for (k, dv) in d {
            v.entry(k.clone()).or_insert_with(|| dv.clone());
        }
    }
    serde_json::from_value(value)
        .with_context(|| format!("{}: not a document header", path.display()))
}

pub(crate) fn run(ctx: &Ctx, a: ReportArgs) -> Result<()> {
    let settings = settings(a.org.as_deref())?;
    let store = ctx.open_as_user()?;
    let ids = |v: Vec<String>| v.into_iter().map(RecordId).collect::<Vec<_>>();
    let written = match a.document {
        ReportCommand::Supervision {
            inspection,
            failed_only,
            out,
        } => store.write_supervision_report(
            &RecordId(inspection),
            &ReportOptions { failed_only },
            &settings,
            &out,
        )?,
        ReportCommand::Notice { hazards, out } => {
            store.write_rectification_notice(&ids(hazards), &settings, &out)?
        }
        ReportCommand::Reply { hazards, out } => {
            store.write_reply_form(&ids(hazards), &settings, &out)?
        }
        ReportCommand::Register {
            site,
            status,
            grade,
            overdue,
            thumbnails,
            out,
        } => store.write_register(
            &RegisterQuery {
                project: ctx.project.clone(),
                site,
                status: status.map(|s| s.as_str().to_owned()),
                grade: grade.map(|g| g.as_str().to_owned()),
                overdue,
                sort: ListSort::Updated,
                ..Default::default()
            },
            &settings,
            thumbnails,
            &out,
        )?,
    };
    print_written(ctx, &written)
}

pub(crate) fn print_written(ctx: &Ctx, w: &WrittenDocument) -> Result<()> {
    // Characters no font has were printed as U+FFFD: a warning on stderr, whatever the format
    // (with --json they are also in `replaced_characters`).
    for r in &w.replaced_characters {
        eprintln!(
            "warning: {} ({}) cannot be printed, shown as \u{FFFD} in {}: {}",
            r.character,
            r.code_point,
            w.path,
            r.fields.join(" ")
        );
    }
    let mut out = std::io::stdout().lock();
    if ctx.json {
        return output::json(&mut out, w);
    }
    use std::io::Write;
    writeln!(out, "{}", w.path)?;
    writeln!(out, "  number   {}", w.number)?;
    writeln!(out, "  sha256   {}", w.sha256)?;
    if w.pages > 0 {
        writeln!(out, "  pages    {}", w.pages)?;
    }
    writeln!(out, "  bytes    {}", w.bytes)?;
    if !w.missing_photos.is_empty() {
        writeln!(
            out,
            "  photos not on this device: {}",
            w.missing_photos.join(" ")
        )?;
    }
    Ok(())
}

pub(crate) fn verify(ctx: &Ctx, a: VerifyArgs) -> Result<i32> {
    let store = ctx.open_existing()?;
    let v: Verification = match (a.file, a.sha256) {
        (Some(file), _) => store
            .verify_file(&file)
            .with_context(|| format!("cannot verify {}", file.display()))?,
        (None, Some(sha)) => store.verify_document(&sha)?,
        (None, None) => bail!("give a FILE or --sha256"),
    };
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &v)?;
    } else {
        use std::io::Write;
        let word = match v.status {
            DocumentStatus::Valid => "valid: every record is still in the state shown",
            DocumentStatus::Superseded => "superseded: records changed since it was made",
            DocumentStatus::Unknown => {
                "unknown: not made here, or its records are not on this device"
            }
        };
        writeln!(out, "{} {word}", v.status.as_str())?;
        if let Some(n) = &v.number {
            writeln!(out, "  number   {n}")?;
        }
        writeln!(out, "  sha256   {}", v.sha256)?;
        for id in &v.changed {
            writeln!(out, "  changed  {}", id.0)?;
        }
    }
    Ok(match v.status {
        DocumentStatus::Valid => 0,
        DocumentStatus::Superseded => 2,
        DocumentStatus::Unknown => 3,
    })
}
