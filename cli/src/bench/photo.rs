//! `offgrid bench photo [INPUT]`: the photo pipeline on a 12-megapixel JPEG (4000×3000, EXIF
//! orientation 6; generated when no INPUT is given), per step and whole, against
//! `vipsthumbnail` (Debian `libvips-tools`) making both sizes from the same file.
//!
//! The measurement runs in a child process so that `photo.peak_rss_mb` (the process's high-water
//! mark) covers reading the file and the pipeline only, not making the sample.
//!
//! Then a hostile input (issue 28): a progressive JPEG of a few hundred bytes claiming
//! 14,000×14,000 pixels, which once made the decoders allocate 1.2 GB. The process's high-water
//! mark is reset first (`/proc/self/clear_refs`), so `photo.hostile_progressive_14000.peak_rss_mb`
//! is this case's own (the refusal comes from the headers: the peak stays at the RSS it started
//! from, `….rss_before_mb`).
//!
//! Then the whole of attaching the photo to a record (`add_photo`: pipeline, three files written
//! and synced, the record change) and reading its upload copy back, on a plain store and on an
//! encrypted one (SQLCipher, sealed files), alternated run by run: `photo.store.encrypted_ratio`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use offgrid_core::photo::{PhotoLimits, process_observed};
use offgrid_testkit::photos::{self, Sample};

use super::{emit, ms, proc_status_mb};

pub(crate) fn run(input: Option<&Path>, runs: usize, measure: bool) -> Result<()> {
    if measure {
        let input = input.context("--measure needs INPUT")?;
        return measure_in_this_process(input, runs.max(1));
    }
    let dir = tempfile::tempdir()?;
    let input = match input {
        Some(p) => p.to_owned(),
        None => {
            let path = dir.path().join("sample-12mp-orientation6.jpg");
            let bytes = photos::jpeg(&Sample {
                width: 4000,
                height: 3000,
                orientation: 6,
                noise: 10,
                quality: 92,
                ..Default::default()
            });
            std::fs::write(&path, bytes)?;
            path
        }
    };
    let status = Command::new(std::env::current_exe()?)
        .args(["bench", "photo", "--measure", "--runs", &runs.to_string()])
        .arg(&input)
        .status()
        .context("cannot start the measuring process")?;
    if !status.success() {
        bail!("the measuring process failed ({status})");
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn measure_in_this_process(input: &Path, runs: usize) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let limits = PhotoLimits::default();
    let mut steps: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut totals = Vec::new();
    let mut info = None;
    // One warm-up run, then `runs` measured ones.
    for i in 0..=runs {
        let start = Instant::now();
        let mut these = Vec::new();
        let processed = process_observed(&bytes, &limits, &mut |name, d| these.push((name, d)))?;
        let total = start.elapsed();
        if i > 0 {
            totals.push(total);
            for (name, d) in these {
                steps.entry(name).or_default().push(d);
            }
        }
        info = Some(processed.info);
    }
    let info = info.context("no run")?;
    emit("photo.input_bytes", bytes.len() as u64, "bytes")?;
    emit(
        "photo.input_megapixels",
        f64::from(info.width) * f64::from(info.height) / 1e6,
        "MP",
    )?;
    for (name, samples) in steps {
        emit(&format!("photo.step.{name}_ms"), ms(median(samples)), "ms")?;
    }
    let pipeline = ms(median(totals));
    emit("photo.pipeline_ms", pipeline, "ms")?;
    if let Some(peak) = proc_status_mb("VmHWM") {
        emit("photo.peak_rss_mb", peak, "MB")?;
    }
    hostile(&limits)?;
    match vips(input, runs)? {
        Some(vips_ms) => {
            emit("photo.vips_ms", vips_ms, "ms")?;
            emit("photo.ratio", pipeline / vips_ms, "x")?;
        }
        None => tracing::warn!(
            "vipsthumbnail not found (Debian: apt-get install libvips-tools); no comparison"
        ),
    }
    in_stores(&bytes, runs)
}

/// The 14,000×14,000 progressive JPEG of issue 28: refused (1) or not (0), how long that took,
/// and the peak RSS while it was handled.
fn hostile(limits: &PhotoLimits) -> Result<()> {
    let bytes = photos::claiming_jpeg(14_000, 14_000, true, &[(1, 1); 3], 16);
    // 5: reset the peak RSS to the current RSS (Linux 4.0 and later).
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        tracing::warn!(
            "cannot reset the peak RSS (/proc/self/clear_refs): no hostile-input figure"
        );
        return Ok(());
    }
    let before = proc_status_mb("VmRSS");
    let start = Instant::now();
    let result = process_observed(&bytes, limits, &mut |_, _| {});
    let took = start.elapsed();
    let peak = proc_status_mb("VmHWM");
    let refused = matches!(
        result,
        Err(offgrid_core::photo::PhotoError::ImageTooLarge { .. })
    );
    emit(
        "photo.hostile_progressive_14000.input_bytes",
        bytes.len() as u64,
        "bytes",
    )?;
    emit(
        "photo.hostile_progressive_14000.refused",
        u64::from(refused),
        "bool",
    )?;
    emit("photo.hostile_progressive_14000.ms", ms(took), "ms")?;
    if let (Some(before), Some(peak)) = (before, peak) {
        emit(
            "photo.hostile_progressive_14000.rss_before_mb",
            before,
            "MB",
        )?;
        emit("photo.hostile_progressive_14000.peak_rss_mb", peak, "MB")?;
    }
    Ok(())
}

/// Attaching the photo (and reading its upload copy) in a plain and an encrypted store.
fn in_stores(bytes: &[u8], runs: usize) -> Result<()> {
    use offgrid_core::photo::PhotoTarget;
    use offgrid_core::store::PhotoFile;
    let dir = tempfile::tempdir()?;
    let open = |name: &str, key: Option<offgrid_core::StoreKey>| -> Result<_> {
        let store = offgrid_core::Store::open_with(
            dir.path().join(name),
            offgrid_core::StoreOptions {
                key,
                ..Default::default()
            },
        )?;
        store.set_user(super::admin());
        let id = store.create(
            offgrid_core::RecordKind::Patrol,
            &serde_json::json!({"title": "bench"}),
        )?;
        Ok((store, PhotoTarget::Patrol { id }))
    };
    let stores = [
        open("plain.db", None)?,
        open("encrypted.db", Some(offgrid_core::StoreKey::generate()))?,
    ];
    let mut add = [Vec::new(), Vec::new()];
    let mut read = [Vec::new(), Vec::new()];
    for i in 0..=runs {
        for (s, (store, target)) in stores.iter().enumerate() {
            // A different photo each time (bytes after the end of the image), as on site.
            let mut unique = bytes.to_vec();
            unique.extend((i as u64).to_be_bytes());
            let start = Instant::now();
            let meta = store.add_photo(target, &unique, &Default::default())?;
            let added = start.elapsed();
            let start = Instant::now();
            let upload = store.photo_bytes(&meta.sha256, PhotoFile::Upload)?;
            let read_back = start.elapsed();
            anyhow::ensure!(upload.is_some(), "the upload copy was not stored");
            if i > 0 {
                add[s].push(added);
                read[s].push(read_back);
            }
        }
    }
    let [add_plain, add_encrypted] = add.map(|v| ms(median(v)));
    let [read_plain, read_encrypted] = read.map(|v| ms(median(v)));
    emit("photo.store.add_plain_ms", add_plain, "ms")?;
    emit("photo.store.add_encrypted_ms", add_encrypted, "ms")?;
    emit("photo.store.read_upload_plain_ms", read_plain, "ms")?;
    emit("photo.store.read_upload_encrypted_ms", read_encrypted, "ms")?;
    emit(
        "photo.store.encrypted_ratio",
        add_encrypted / add_plain.max(f64::EPSILON),
        "x",
    )?;
    Ok(())
}

/// Median time for `vipsthumbnail` to make both sizes (two runs of the tool, as a shell would).
fn vips(input: &Path, runs: usize) -> Result<Option<f64>> {
    let out = tempfile::tempdir()?;
    let make = |size: u32, name: &str| -> Result<bool> {
        let target: PathBuf = out.path().join(name);
        let status = Command::new("vipsthumbnail")
            .arg(input)
            .args(["--size", &format!("{size}x{size}")])
            .arg("-o")
            .arg(format!("{}[Q=80]", target.display()))
            .status();
        Ok(matches!(status, Ok(s) if s.success()))
    };
    if !make(2048, "warm.jpg")? {
        return Ok(None);
    }
    let mut totals = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        if !(make(2048, "upload.jpg")? && make(256, "thumb.jpg")?) {
            bail!("vipsthumbnail failed on {}", input.display());
        }
        totals.push(start.elapsed());
    }
    Ok(Some(ms(median(totals))))
}
