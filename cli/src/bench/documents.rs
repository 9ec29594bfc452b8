//! `offgrid bench documents`: what making a document costs (issue 15's targets).
//!
//! Fixture (in the parent process): the built-in stage inspection (31 items) answered with
//! failures, 20 photos (3000×2000 JPEGs, distinct) on its items, signed; 10 hazards of one
//! project with a photo each, ordered; N hazards (default 10,000) in four other projects.
//! Each document is then measured in its own child process, so that its peak memory
//! (`VmHWM`) is its own:
//!
//! - `documents.report_cold_ms` (the first, with typst's library and the font loaded),
//!   `documents.report_warm_ms` (median of 5 after it), `documents.report_bytes`,
//!   `documents.report_pages`, `documents.report_peak_mb` (the photos are scaled by the cold
//!   run and reused by the warm ones) — target ≤ 1 s warm, ≤ 3 s cold,
//!   ≤ 3 MB, ≤ 150 MB;
//! - `documents.notice_10_ms` (median of 5 after one), `documents.notice_peak_mb` — ≤ 300 ms;
//!   `documents.notice_first_ms`: the first in the process (typst's library and the font
//!   loaded, the photos scaled; later ones reuse the scaled copies kept beside the photos);
//! - `documents.register_ms` (N + 10 hazards to XLSX, median of 3), `documents.register_bytes`,
//!   `documents.register_peak_mb` — ≤ 2 s for 10,000.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use offgrid_core::documents::{DocumentSettings, ReportOptions};
use offgrid_core::hazard::{NewHazard, RectificationOrder, RegisterQuery};
use offgrid_core::inspection::{MissingKind, NewInspection};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::{RecordId, RiskGrade, Store};
use offgrid_testkit::photos::{self, Sample};
use serde_json::json;

use super::{T0, emit, ms, proc_status_mb};

const PHOTOS: usize = 20;

pub(crate) fn run(dir: Option<&Path>, hazards: usize, measure: Option<&str>) -> Result<()> {
    if let Some(what) = measure {
        let dir = dir.context("--measure needs --dir")?;
        return measure_in_this_process(dir, what);
    }
    let tmp = super::bench_dir(dir)?;
    let (inspection, notice) = {
        let (_, store) = open(tmp.path())?;
        let setup = Instant::now();
        let inspection = inspection(&store)?;
        let notice = notice_hazards(&store)?;
        super::fixtures::hazards(&store, hazards, |i| {
            (i % 3 == 0).then_some(T0 + (i as i64 % 20 - 10) * 86_400_000)
        })?;
        tracing::info!(
            ms = setup.elapsed().as_millis() as u64,
            "documents fixture ready"
        );
        (inspection, notice)
    };
    std::fs::write(
        tmp.path().join("ids.json"),
        serde_json::to_vec(&json!({
            "inspection": inspection, "notice": notice,
        }))?,
    )?;
    for what in ["report", "notice", "register"] {
        let status = Command::new(std::env::current_exe()?)
            .args(["bench", "documents", "--measure", what, "--dir"])
            .arg(tmp.path())
            .status()
            .context("cannot start the measuring process")?;
        if !status.success() {
            bail!("measuring {what} failed ({status})");
        }
    }
    Ok(())
}

fn open(dir: &Path) -> Result<(std::sync::Arc<offgrid_core::FixedClock>, Store)> {
    let clock = std::sync::Arc::new(offgrid_core::FixedClock::new(T0, 480));
    let store = Store::open_with(
        dir.join("documents.db"),
        offgrid_core::StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )?;
    store.set_user(super::admin());
    Ok((clock, store))
}

fn jpeg(n: usize) -> Vec<u8> {
    photos::jpeg(&Sample {
        width: 3000,
        height: 2000,
        noise: (n % 50) as u8 + 5,
        quality: 90,
        ..Default::default()
    })
}

/// The stage inspection, every required item answered (one in three pass/fail items failed,
/// with a note), 20 photos on its items, signed.
fn inspection(store: &Store) -> Result<RecordId> {
    let id = store.create_inspection(&NewInspection {
        template_id: "rf-stage-inspection".into(),
        template_version: None,
        project: "bench".into(),
        site: "3号楼地下一层".into(),
        title: None,
    })?;
    let ins = store.inspection(&id)?;
    let template = store.template(&ins.template.id, ins.template.version)?;
    let mut photos = 0;
    for _ in 0..4 {
        let missing = store.inspection(&id)?.progress.missing;
        if missing.is_empty() {
            break;
        }
        for m in missing {
            let item = template.item(&m.item).context("item")?.clone();
            match m.what {
                MissingKind::Signature => {
                    store.sign_inspection(&id, Some(&item.id), "张喆", &photos::png(240, 80))?;
                }
                MissingKind::Photos => {}
                MissingKind::Answer => {
                    let (value, note) = crate::demo::data::scripted(&item);
                    store.answer(&id, &item.id, &value, note)?;
                }
                other => bail!("no scripted answer for {}: {}", m.item, other.as_str()),
            }
            if photos < PHOTOS && matches!(m.what, MissingKind::Answer | MissingKind::Photos) {
                for _ in 0..if matches!(m.what, MissingKind::Photos) {
                    2
                } else {
                    1
                } {
                    if photos < PHOTOS {
                        store.add_photo(
                            &PhotoTarget::Inspection {
                                id: id.clone(),
                                item: item.id.clone(),
                            },
                            &jpeg(photos),
                            &CaptureContext {
                                captured_ms: Some(T0),
                                offset_minutes: Some(480),
                                gps: None,
                            },
                        )?;
                        photos += 1;
                    }
                }
            }
        }
    }
    ensure!(photos == PHOTOS, "attached {photos} photos, not {PHOTOS}");
    Ok(id)
}

/// Ten hazards of one project, a photo each, ordered.
fn notice_hazards(store: &Store) -> Result<Vec<RecordId>> {
    let mut ids = Vec::new();
    for i in 0..10 {
        let id = store.raise_hazard(&NewHazard {
            project: "notice".into(),
            site: "3号楼地下一层".into(),
            location: format!("{}号防护单元 出入口", i + 1),
            title: format!("防护密闭门门框墙问题 {}", i + 1),
            description: "门框墙钢筋间距偏大，超出允许偏差，不符合设计要求。".into(),
            grade: Some([RiskGrade::Orange, RiskGrade::Yellow][i % 2]),
            major: false,
            photos: Vec::new(),
        })?;
        store.add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: false,
            },
            &jpeg(100 + i),
            &CaptureContext::default(),
        )?;
        store.order_rectification(
            &id,
            &RectificationOrder {
                unit: "某建设集团有限公司".into(),
                person: "chen".into(),
                person_name: "陈工".into(),
                deadline_ms: T0 + 7 * 86_400_000,
                measures: "按设计要求返工，整改后报监理复查。".into(),
            },
        )?;
        ids.push(id);
    }
    Ok(ids)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn measure_in_this_process(dir: &Path, what: &str) -> Result<()> {
    let (_clock, store) = open(dir)?;
    let ids: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("ids.json"))?)?;
    let settings = DocumentSettings::default();
    let out = dir.join(format!("{what}.out"));
    match what {
        "report" => {
            let id: RecordId = serde_json::from_value(ids["inspection"].clone())?;
            let make =
                || store.write_supervision_report(&id, &ReportOptions::default(), &settings, &out);
            let t = Instant::now();
            let first = make()?;
            emit("documents.report_cold_ms", ms(t.elapsed()), "ms")?;
            let mut runs = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let again = make()?;
                runs.push(t.elapsed());
                ensure!(
                    again.sha256 == first.sha256,
                    "the report changed between runs"
                );
            }
            emit("documents.report_warm_ms", ms(median(runs)), "ms")?;
            emit("documents.report_bytes", first.bytes, "bytes")?;
            emit("documents.report_pages", first.pages, "pages")?;
            ensure!(
                first.missing_photos.is_empty(),
                "photos missing from the report"
            );
        }
        "notice" => {
            let hazards: Vec<RecordId> = serde_json::from_value(ids["notice"].clone())?;
            let t = Instant::now();
            store.write_rectification_notice(&hazards, &settings, &out)?;
            emit("documents.notice_first_ms", ms(t.elapsed()), "ms")?;
            let mut runs = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                store.write_rectification_notice(&hazards, &settings, &out)?;
                runs.push(t.elapsed());
            }
            emit("documents.notice_10_ms", ms(median(runs)), "ms")?;
        }
        "register" => {
            let mut runs = Vec::new();
            let mut written = None;
            for _ in 0..3 {
                let t = Instant::now();
                written = Some(store.write_register(
                    &RegisterQuery::default(),
                    &settings,
                    false,
                    &out,
                )?);
                runs.push(t.elapsed());
            }
            emit("documents.register_ms", ms(median(runs)), "ms")?;
            emit(
                "documents.register_rows",
                written.as_ref().map_or(0, |w| w.records.len()),
                "rows",
            )?;
            emit(
                "documents.register_bytes",
                written.map_or(0, |w| w.bytes),
                "bytes",
            )?;
        }
        other => bail!("unknown document {other:?}"),
    }
    if let Some(peak) = proc_status_mb("VmHWM") {
        emit(&format!("documents.{what}_peak_mb"), peak, "MB")?;
    }
    Ok(())
}
