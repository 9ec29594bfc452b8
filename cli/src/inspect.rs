//! The inspection commands: create one from a checklist template, show it with its progress,
//! answer items, attach photos, sign, submit (listing everything still missing) and review. Each
//! acts as the CLI's user with its role; the core refuses what the role does not grant, and its
//! message is the error printed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use offgrid_core::checklist::{Item, ItemKind, Template, display};
use offgrid_core::inspection::{Inspection, NewInspection};
use offgrid_core::{Error as CoreError, RecordId, RecordKind, Store};
use serde_json::{Value as Json, json};

use crate::commands::{Ctx, resolve_id};
use crate::{output, time, values};

/// Longest item text shown in a table, in display columns.
const TEXT_WIDTH: usize = 34;
/// Longest note shown in a table, in display columns.
const NOTE_WIDTH: usize = 30;

#[derive(Subcommand)]
pub(crate) enum InspectionCommand {
    /// Create an inspection from a template for --project and a site; print its id.
    Create {
        /// Template id (see `offgrid template list`).
        #[arg(long, value_name = "ID")]
        template: String,
        /// Template version [default: the newest].
        #[arg(long, value_name = "N")]
        version: Option<u32>,
        /// The site (工地) inspected.
        #[arg(long)]
        site: String,
        /// Title [default: the template's Chinese title].
        #[arg(long)]
        title: Option<String>,
    },
    /// Status, progress (completion, score, failed items, what is missing), answers, signatures.
    Show {
        /// Inspection id (or the start or end of one).
        id: String,
    },
    /// Answer an item; prints whether it failed and which items it showed or hid.
    Answer {
        /// Inspection id.
        id: String,
        /// Item id (see `offgrid template show ID`).
        item: String,
        /// pass, fail, na, an option id, a number, text, YYYY-MM-DD, or JSON (a multiple-choice
        /// answer is a JSON array: '["a","b"]'). Text and date items take the text as typed.
        #[arg(allow_negative_numbers = true)]
        value: String,
        /// A note on the answer (templates demand one on some failures).
        #[arg(long)]
        note: Option<String>,
    },
    /// Cite a photo, by its SHA-256, as evidence of an item's answer: one held here (`photo
    /// add`) or one the inspection already carries.
    Photo {
        /// Inspection id.
        id: String,
        /// Item id.
        item: String,
        /// The photo's SHA-256 (64 hex digits).
        #[arg(value_parser = values::parse_sha256)]
        sha256: String,
    },
    /// Sign the inspection (optionally answering a signature item).
    Sign {
        /// Inspection id.
        id: String,
        /// The signer's name as written.
        #[arg(long)]
        name: String,
        /// The signature image file.
        #[arg(long, value_name = "PATH")]
        image: PathBuf,
        /// The signature item this answers.
        #[arg(long)]
        item: Option<String>,
    },
    /// Submit for review; refused (exit code 1) with every missing answer, photo or signature.
    Submit {
        /// Inspection id.
        id: String,
    },
    /// Accept a submitted inspection, or return it to the inspector (with a note saying why).
    #[command(group = clap::ArgGroup::new("verdict").required(true).args(["accept", "return_"]))]
    Review {
        /// Inspection id.
        id: String,
        /// Accept it (status `reviewed`).
        #[arg(long)]
        accept: bool,
        /// Return it to the inspector (status `returned`; needs --note).
        #[arg(long = "return")]
        return_: bool,
        /// The reviewer's note (why, when returning it).
        #[arg(long)]
        note: Option<String>,
    },
}

pub(crate) fn run(ctx: &Ctx, command: InspectionCommand) -> Result<ExitCode> {
    match command {
        InspectionCommand::Create {
            template,
            version,
            site,
            title,
        } => create(ctx, template, version, site, title)?,
        InspectionCommand::Show { id } => {
            let store = ctx.open_existing()?;
            let id = resolve_id(&store, RecordKind::Inspection, &id)?;
            show(ctx, &store, &id)?
        }
        InspectionCommand::Answer {
            id,
            item,
            value,
            note,
        } => answer(ctx, &id, &item, &value, note.as_deref())?,
        InspectionCommand::Photo { id, item, sha256 } => {
            let (store, id) = open(ctx, &id)?;
            store.add_answer_photo(&id, &item, &sha256)?;
            let photos = store
                .inspection(&id)?
                .answers
                .get(&item)
                .map_or(0, |a| a.photos.len());
            done(ctx, &store, &id, &format!("{item}: {photos} photo(s)"))?
        }
        InspectionCommand::Sign {
            id,
            name,
            image,
            item,
        } => {
            let bytes = std::fs::read(&image)
                .with_context(|| format!("cannot read {}", image.display()))?;
            let (store, id) = open(ctx, &id)?;
            store.sign_inspection(&id, item.as_deref(), &name, &bytes)?;
            done(ctx, &store, &id, &format!("signed by {name}"))?
        }
        InspectionCommand::Submit { id } => return submit(ctx, &id),
        InspectionCommand::Review {
            id,
            accept,
            return_: _,
            note,
        } => {
            let (store, id) = open(ctx, &id)?;
            store.review_inspection(&id, accept, note.as_deref())?;
            let what = if accept {
                "accepted"
            } else {
                "returned to the inspector"
            };
            done(ctx, &store, &id, what)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The existing store, as the CLI's user, and the inspection `id` names.
fn open(ctx: &Ctx, id: &str) -> Result<(Store, RecordId)> {
    let store = ctx.open_as_user()?;
    let id = resolve_id(&store, RecordKind::Inspection, id)?;
    Ok((store, id))
}

fn create(
    ctx: &Ctx,
    template: String,
    version: Option<u32>,
    site: String,
    title: Option<String>,
) -> Result<()> {
    let project = ctx.require_project("inspection create")?;
    let store = ctx.open_or_create()?;
    let id = store.create_inspection(&NewInspection {
        template_id: template,
        template_version: version,
        project,
        site,
        title,
    })?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        output::json(&mut out, &json!({ "id": id }))
    } else {
        writeln!(out, "{id}")?;
        Ok(())
    }
}

/// Prints the inspection: `--json` the core's struct, else the human form.
pub(crate) fn show(ctx: &Ctx, store: &Store, id: &RecordId) -> Result<()> {
    let ins = store.inspection(id)?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        return output::json(&mut out, &ins);
    }
    let template = store.template(&ins.template.id, ins.template.version)?;
    print(&mut out, &ins, &template)
}

fn answer(ctx: &Ctx, id: &str, item_id: &str, text: &str, note: Option<&str>) -> Result<()> {
    let (store, id) = open(ctx, id)?;
    let mut value = values::parse_value(text);
    if !value.is_string() {
        // "25" is a number, but for a text or date item it is what was typed.
        let ins = store.inspection(&id)?;
        let template = store.template(&ins.template.id, ins.template.version)?;
        if let Some(item) = template.item(item_id)
            && matches!(
                item.kind,
                ItemKind::Text { .. } | ItemKind::Date | ItemKind::Checkpoint { .. }
            )
        {
            value = Json::String(text.to_owned());
        }
    }
    let outcome = store.answer(&id, item_id, &value, note)?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        return output::json(&mut out, &outcome);
    }
    match (outcome.failed, outcome.raises_hazard) {
        (false, _) => writeln!(out, "{item_id}: answered")?,
        (true, None) => writeln!(out, "{item_id}: FAILED")?,
        (true, Some(g)) => writeln!(
            out,
            "{item_id}: FAILED, raises a hazard graded {} (offgrid hazard from-item {id} {item_id} ...)",
            output::grade(g)
        )?,
    }
    if !outcome.shown.is_empty() {
        writeln!(out, "now shown:  {}", outcome.shown.join(", "))?;
    }
    if !outcome.hidden.is_empty() {
        writeln!(out, "now hidden: {}", outcome.hidden.join(", "))?;
    }
    Ok(())
}

/// Submits, or prints every missing entry (with the item's text) and fails.
fn submit(ctx: &Ctx, id: &str) -> Result<ExitCode> {
    let (store, id) = open(ctx, id)?;
    match store.submit_inspection(&id) {
        Ok(_) => {
            done(ctx, &store, &id, "submitted")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(CoreError::Incomplete { missing }) => {
            let ins = store.inspection(&id)?;
            let template = store.template(&ins.template.id, ins.template.version)?;
            if ctx.json {
                let report = json!({ "id": id, "submitted": false, "missing": missing });
                output::json(&mut std::io::stdout().lock(), &report)?;
            }
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "error: cannot submit: {} thing(s) missing:",
                missing.len()
            )?;
            for m in &missing {
                let entry = format!("{}: {}", m.item, m.what.as_str());
                match template.item(&m.item) {
                    Some(i) => writeln!(err, "  {entry}  ({})", i.text.zh)?,
                    None => writeln!(err, "  {entry}")?,
                }
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// After an action: `--json` {id, status, progress}, else one line.
fn done(ctx: &Ctx, store: &Store, id: &RecordId, what: &str) -> Result<()> {
    let ins = store.inspection(id)?;
    let mut out = std::io::stdout().lock();
    if ctx.json {
        let report = json!({ "id": id, "status": ins.status, "progress": ins.progress });
        return output::json(&mut out, &report);
    }
    writeln!(
        out,
        "{what}; inspection {} is {} ({:.0}% done)",
        output::short_id(id.as_str()),
        ins.status.as_str(),
        ins.progress.completion_pct
    )?;
    Ok(())
}

/// The human form of an inspection.
pub(crate) fn print(w: &mut impl Write, ins: &Inspection, template: &Template) -> Result<()> {
    let p = &ins.progress;
    writeln!(w, "{}", ins.title)?;
    let head = [
        ["id".to_owned(), ins.id.to_string()],
        ["status".into(), ins.status.as_str().into()],
        [
            "template".into(),
            format!(
                "{} v{} ({})",
                ins.template.id, ins.template.version, template.title.zh
            ),
        ],
        ["project".into(), ins.project.clone()],
        ["site".into(), ins.site.clone()],
    ];
    output::indented(w, &output::render(&head))?;
    let score = p.score_pct.map_or("-".to_owned(), |s| format!("{s:.1}%"));
    writeln!(
        w,
        "\nProgress: {}/{} required done ({:.1}%), score {score}",
        p.answered, p.required, p.completion_pct
    )?;
    if !p.failed.is_empty() {
        writeln!(w, "\nFailed ({})", p.failed.len())?;
        let rows: Vec<[String; 4]> = p
            .failed
            .iter()
            .map(|f| {
                [
                    f.item.clone(),
                    item_text(template, &f.item),
                    f.clause.as_ref().map_or("-".into(), output::clause),
                    f.raises_hazard
                        .map_or("-".into(), |g| format!("hazard: {}", output::grade(g))),
                ]
            })
            .collect();
        output::indented(w, &output::render(&rows))?;
    }
    if !p.missing.is_empty() {
        writeln!(w, "\nMissing before submission ({})", p.missing.len())?;
        let rows: Vec<[String; 3]> = p
            .missing
            .iter()
            .map(|m| {
                [
                    m.item.clone(),
                    m.what.as_str().to_owned(),
                    item_text(template, &m.item),
                ]
            })
            .collect();
        output::indented(w, &output::render(&rows))?;
    }
    answers(w, ins, template)?;
    if !ins.signatures.is_empty() {
        writeln!(w, "\nSignatures")?;
        let rows: Vec<[String; 3]> = ins
            .signatures
            .iter()
            .map(|s| {
                [
                    output::who(Some(&s.name), Some(&s.user_id)),
                    s.item.clone().unwrap_or_else(|| "-".into()),
                    time::utc_with_offset(s.at_ms, s.offset_minutes),
                ]
            })
            .collect();
        output::indented(w, &output::render(&rows))?;
    }
    if !ins.events.is_empty() {
        writeln!(w, "\nEvents")?;
        let rows: Vec<[String; 4]> = ins
            .events
            .iter()
            .map(|e| {
                [
                    time::utc_with_offset(e.at_ms, e.offset_minutes),
                    output::who(Some(&e.by_name), Some(&e.by)),
                    format!("{:?}", e.kind).to_lowercase(),
                    e.note.clone().unwrap_or_default(),
                ]
            })
            .collect();
        output::indented(w, &output::render(&rows))?;
    }
    if ins.amendments.is_empty() {
        writeln!(w, "\nAmendments after submission: none")?;
    } else {
        writeln!(
            w,
            "\nAmendments after submission (changed on another device; kept for the reviewer): {}",
            ins.amendments.join(", ")
        )?;
    }
    Ok(())
}

/// Answered items in template order: item, text, value, note, photos, who.
fn answers(w: &mut impl Write, ins: &Inspection, template: &Template) -> Result<()> {
    let rows: Vec<[String; 6]> = template
        .items()
        .filter_map(|(_, item)| {
            let a = ins.answers.get(&item.id)?;
            let value = a.value.as_ref().filter(|v| !v.is_null());
            if value.is_none() && a.photos.is_empty() && a.note.is_none() {
                return None;
            }
            Some([
                item.id.clone(),
                output::truncate(&item.text.zh, TEXT_WIDTH),
                value.map_or("-".into(), |v| value_text(item, v)),
                output::truncate(a.note.as_deref().unwrap_or("-"), NOTE_WIDTH),
                a.photos.len().to_string(),
                a.by.clone()
                    .or_else(|| a.photos.values().next().map(|p| p.by.clone()))
                    .unwrap_or_else(|| "-".into()),
            ])
        })
        .collect();
    writeln!(w, "\nAnswers ({})", rows.len())?;
    if rows.is_empty() {
        return Ok(());
    }
    let header = ["ITEM", "TEXT", "VALUE", "NOTE", "PHOTOS", "BY"].map(String::from);
    let all: Vec<[String; 6]> = std::iter::once(header).chain(rows).collect();
    output::indented(w, &output::render(&all))
}

/// The item's Chinese text, or "?" for an item the template does not have.
fn item_text(template: &Template, id: &str) -> String {
    template
        .item(id)
        .map_or("?".into(), |i| output::truncate(&i.text.zh, TEXT_WIDTH))
}

/// An answer as people read it (`checklist::display::answer_text`), shortened for a table.
fn value_text(item: &Item, value: &Json) -> String {
    let text = display::answer_text(item, value).map_or_else(|| value.to_string(), |t| t.zh);
    output::truncate(&text, NOTE_WIDTH)
}
