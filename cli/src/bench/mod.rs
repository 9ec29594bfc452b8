//! `offgrid bench …`: performance measurements printed as JSON lines, one metric per line:
//! `{"name": "store.commit_p50_ms", "value": 2.1, "unit": "ms"}`. Nothing else goes to stdout
//! (progress is logged at info level: `OFFGRID_LOG=info`). Run them from a release build.
//!
//! This module holds what every benchmark shares: emitting metrics, percentiles, and the
//! process's memory use. Each benchmark is a submodule (`store`; later `photo`).

#[cfg(feature = "documents")]
pub(crate) mod documents;
pub(crate) mod domain;
mod fixtures;
pub(crate) mod patrol;
pub(crate) mod photo;
mod raw_sqlite;
pub(crate) mod screens;
pub(crate) mod store;
pub(crate) mod sync;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value as Json;

#[derive(Serialize)]
struct Metric<'a> {
    name: &'a str,
    value: Json,
    unit: &'a str,
}

/// Prints one metric line (floats rounded to three decimals) and flushes it.
pub(crate) fn emit(name: &str, value: impl Into<Json>, unit: &str) -> Result<()> {
    let value = match value.into() {
        Json::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            serde_json::Number::from_f64((f * 1000.0).round() / 1000.0)
                .map_or(Json::Null, Json::Number)
        }
        v => v,
    };
    let line = serde_json::to_string(&Metric { name, value, unit })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// Milliseconds, fractional.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile (`p` in 0..=100) of durations, in milliseconds; 0 when empty.
pub(crate) fn percentile_ms(samples: &[Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    ms(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A `/proc/self/status` memory field (`VmRSS`, `VmHWM`) in MB, if the platform has it.
pub(crate) fn proc_status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A new temporary directory for a benchmark's files, in `dir` (created if missing) or the
/// system's; removed when dropped. Warns when it is in memory (see [`warn_if_tmpfs`]).
pub(crate) fn bench_dir(dir: Option<&Path>) -> Result<tempfile::TempDir> {
    let tmp = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            tempfile::Builder::new()
                .prefix("offgrid-bench-")
                .tempdir_in(d)
        }
        None => tempfile::Builder::new().prefix("offgrid-bench-").tempdir(),
    }
    .context("cannot create the benchmark directory")?;
    warn_if_tmpfs(tmp.path());
    Ok(tmp)
}

/// Warns (stderr) when `dir` is in memory, where fsync costs nothing and commit timings lie.
pub(crate) fn warn_if_tmpfs(dir: &Path) {
    let Ok(dir) = dir.canonicalize() else { return };
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return;
    };
    let fs_type = mounts
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (point, ty) = (parts.nth(1)?, parts.next()?);
            dir.starts_with(point).then_some((point.len(), ty))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, ty)| ty);
    if let Some(ty @ ("tmpfs" | "ramfs")) = fs_type {
        tracing::warn!(
            dir = %dir.display(),
            "the benchmark directory is on {ty}: fsync is free there; pass --dir on a disk"
        );
    }
}

/// The benchmarks' fixed time (2025-11-28, UTC ms), at +08:00.
pub(crate) const T0: i64 = 1_764_300_000_000;

/// A store file `name` in a new benchmark directory ([`bench_dir`]), with a fixed clock at
/// [`T0`] the benchmark moves, and an admin of every project as its user.
pub(crate) fn open_store(
    dir: Option<&Path>,
    name: &str,
) -> Result<(
    tempfile::TempDir,
    std::sync::Arc<offgrid_core::FixedClock>,
    offgrid_core::Store,
)> {
    let tmp = bench_dir(dir)?;
    let clock = std::sync::Arc::new(offgrid_core::FixedClock::new(T0, 480));
    let store = offgrid_core::Store::open_with(
        tmp.path().join(name),
        offgrid_core::StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )?;
    store.set_user(admin());
    Ok((tmp, clock, store))
}

/// An admin of every project.
pub(crate) fn admin() -> offgrid_core::User {
    offgrid_core::User::new("admin", "管理员").with_role("*", offgrid_core::Role::Admin)
}

/// Cores this process may use.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&d, 50.0), 50.0);
        assert_eq!(percentile_ms(&d, 99.0), 99.0);
        assert_eq!(percentile_ms(&d, 100.0), 100.0);
        assert_eq!(percentile_ms(&d[..1], 50.0), 1.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
