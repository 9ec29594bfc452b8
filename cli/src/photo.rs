//! The photo commands: run the pipeline on one file (`derive`), attach a photo to an inspection
//! item, a hazard or a patrol (`add`), list a record's photos and the upload queue.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use offgrid_core::photo::{CaptureContext, GpsFix, PhotoLimits, PhotoTarget, process};
use offgrid_core::store::PhotoState;
use offgrid_core::{RecordId, RecordKind, Store};
use offgrid_testkit::photos::{self, Sample};

use crate::commands::{Ctx, resolve_id};
use crate::output;

#[derive(Subcommand)]
pub(crate) enum PhotoCommand {
    /// Process one image: write DIR/<sha256>.jpg (upload copy, long edge 2048) and
    /// DIR/<sha256>.thumb.jpg (long edge 256), both upright; print the metadata as JSON.
    Derive {
        /// A JPEG or PNG file.
        input: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Attach a photo file to an inspection item, a hazard (as found, or --rectification) or a
    /// patrol; the original is kept in <db>.blobs/ with its upload copy and thumbnail.
    Add {
        /// A JPEG or PNG file.
        file: PathBuf,
        /// Inspection id (with --item).
        #[arg(long, value_name = "ID", requires = "item", conflicts_with_all = ["hazard", "patrol"])]
        inspection: Option<String>,
        /// The inspection item the photo answers.
        #[arg(long, value_name = "ITEM")]
        item: Option<String>,
        /// Hazard id.
        #[arg(long, value_name = "ID", conflicts_with = "patrol")]
        hazard: Option<String>,
        /// The photo shows the rectification (with --hazard).
        #[arg(long, requires = "hazard")]
        rectification: bool,
        /// Patrol id.
        #[arg(long, value_name = "ID")]
        patrol: Option<String>,
        /// Where the phone said it was (decimal degrees), kept beside the photo's EXIF.
        #[arg(long, requires = "lon", allow_negative_numbers = true)]
        lat: Option<f64>,
        #[arg(long, requires = "lat", allow_negative_numbers = true)]
        lon: Option<f64>,
    },
    /// The photos recorded in a record: who, when, size, EXIF time and position.
    List {
        /// Record id.
        id: String,
    },
    /// Write a synthetic test photo (no third-party images needed): a four-colour pattern that
    /// is upright once the EXIF orientation is applied, with EXIF time, GPS, make and model.
    Sample {
        /// Output file (.jpg, or .png for a PNG).
        out: PathBuf,
        /// Width and height as displayed.
        #[arg(long, default_value_t = 4000)]
        width: u32,
        #[arg(long, default_value_t = 3000)]
        height: u32,
        /// EXIF orientation, 1–8.
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(1..=8))]
        orientation: u8,
    },
    /// The photo upload queue: local, uploading, uploaded, verified.
    Queue {
        /// Only this state.
        #[arg(long, value_parser = ["local", "uploading", "uploaded", "verified"])]
        state: Option<String>,
    },
}

pub(crate) fn run(ctx: &Ctx, command: PhotoCommand) -> Result<()> {
    match command {
        PhotoCommand::Derive { input, out } => derive(&input, &out),
        PhotoCommand::Sample {
            out,
            width,
            height,
            orientation,
        } => {
            let bytes = if out.extension().is_some_and(|e| e == "png") {
                photos::png(width, height)
            } else {
                photos::jpeg(&Sample {
                    width,
                    height,
                    orientation,
                    noise: 10,
                    quality: 92,
                    ..Default::default()
                })
            };
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
        PhotoCommand::Add {
            file,
            inspection,
            item,
            hazard,
            rectification,
            patrol,
            lat,
            lon,
        } => {
            let store = ctx.open_as_user()?;
            let target = match (inspection, item, hazard, patrol) {
                (Some(id), Some(item), None, None) => PhotoTarget::Inspection {
                    id: resolve_id(&store, RecordKind::Inspection, &id)?,
                    item,
                },
                (None, _, Some(id), None) => PhotoTarget::Hazard {
                    id: resolve_id(&store, RecordKind::Hazard, &id)?,
                    rectification,
                },
                (None, _, None, Some(id)) => PhotoTarget::Patrol {
                    id: resolve_id(&store, RecordKind::Patrol, &id)?,
                },
                _ => bail!(
                    "say what the photo is of: --inspection ID --item ITEM, --hazard ID or --patrol ID"
                ),
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let now = store.now();
            let capture = CaptureContext {
                captured_ms: Some(now.unix_ms),
                offset_minutes: Some(now.offset_minutes),
                gps: lat.zip(lon).map(|(lat, lon)| GpsFix {
                    lat,
                    lon,
                    altitude_m: None,
                    accuracy_m: None,
                }),
            };
            let meta = store.add_photo(&target, &bytes, &capture)?;
            let mut out = std::io::stdout().lock();
            if ctx.json {
                output::json(&mut out, &meta)?;
            } else {
                writeln!(
                    out,
                    "{}  {}×{} {} bytes",
                    meta.sha256, meta.width, meta.height, meta.bytes
                )?;
            }
            Ok(())
        }
        PhotoCommand::List { id } => {
            let store = ctx.open_existing()?;
            let id = any_kind(&store, &id)?;
            let photos = store.photos(&id)?;
            let mut out = std::io::stdout().lock();
            if ctx.json {
                return output::json(&mut out, &photos);
            }
            let mut rows = vec![[
                "sha256".to_owned(),
                "of".to_owned(),
                "by".to_owned(),
                "size".to_owned(),
                "taken (EXIF)".to_owned(),
            ]];
            for p in &photos {
                rows.push([
                    p.sha256[..16].to_owned(),
                    p.item.clone().or(p.stage.clone()).unwrap_or_default(),
                    output::who(Some(&p.by_name), Some(&p.by)),
                    format!("{}×{}", p.width, p.height),
                    p.exif
                        .as_ref()
                        .and_then(|e| e.taken_local.clone())
                        .unwrap_or_default(),
                ]);
            }
            write!(out, "{}", output::render(&rows))?;
            Ok(())
        }
        PhotoCommand::Queue { state } => {
            let store = ctx.open_existing()?;
            let state = state.map(|s| match s.as_str() {
                "uploading" => PhotoState::Uploading,
                "uploaded" => PhotoState::Uploaded,
                "verified" => PhotoState::Verified,
                _ => PhotoState::Local,
            });
            let queue = store.photo_queue(state)?;
            let mut out = std::io::stdout().lock();
            if ctx.json {
                return output::json(&mut out, &queue);
            }
            for q in &queue {
                writeln!(
                    out,
                    "{}  {:<9} {} bytes",
                    q.sha256,
                    q.state.as_str(),
                    q.bytes
                )?;
            }
            writeln!(out, "{} photo(s)", queue.len())?;
            Ok(())
        }
    }
}

fn derive(input: &std::path::Path, out: &std::path::Path) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let processed = process(&bytes, &PhotoLimits::default())?;
    std::fs::create_dir_all(out)?;
    let sha = &processed.info.sha256;
    std::fs::write(out.join(format!("{sha}.jpg")), &processed.upload)?;
    std::fs::write(out.join(format!("{sha}.thumb.jpg")), &processed.thumb)?;
    output::json(&mut std::io::stdout().lock(), &processed.info)
}

/// A record id of any kind that can hold photos (full, or the start or end of one).
fn any_kind(store: &Store, text: &str) -> Result<RecordId> {
    for kind in [
        RecordKind::Inspection,
        RecordKind::Hazard,
        RecordKind::Patrol,
    ] {
        let id = resolve_id(store, kind, text)?;
        if store.heads(&id).is_ok() {
            return Ok(id);
        }
    }
    Ok(RecordId::from(text))
}
