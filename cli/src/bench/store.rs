//! `offgrid bench store`: what the record store costs, on disk with real fsyncs.
//!
//! 1. A record of ≈1,300 automerge operations, then 300 one-field commits: commit latency.
//! 2. The same number of single-row inserts of the same size into a bare SQLite file with the
//!    same pragmas, alternated in blocks with (1) so fsync drift hits both: the baseline. The
//!    same commits on an encrypted store (SQLCipher), in the same blocks:
//!    `store.encrypted_commit_ratio` against the same baseline, `store.encrypted_vs_plain`.
//! 3. A record of 250 changes loaded from disk 50 times (cache cleared each time).
//! 4. N records (default 10,000): first page, every row, filter, search (2 and ≥3 characters), memory.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use offgrid_core::{ListQuery, RecordId, RecordKind, Store, User};
use serde_json::{Map, Value as Json, json};

use super::fixtures::{self, FILTER_STATUS, LONG_QUERY, SHORT_QUERY};
use super::raw_sqlite::RawSqlite;
use super::{emit, percentile_ms, proc_status_mb};

/// Operations in the large record of step 1.
const TARGET_OPS: usize = 1_300;
const ANSWER_ITEMS: usize = 100;
/// Timed commits (and baseline inserts), alternated in this many blocks.
const COMMITS: usize = 300;
const BLOCKS: usize = 3;
/// Changes in the record of step 3, and how often it is loaded.
const OPEN_CHANGES: usize = 250;
const OPEN_RUNS: usize = 50;
/// Records created per transaction in step 4, and runs of each list.
const BATCH: usize = 500;
const LIST_RUNS: usize = 20;

const FIELD: &str = "/answers/item-7/value";

pub(crate) fn run(dir: Option<&Path>, records: usize) -> Result<()> {
    let tmp = super::bench_dir(dir)?;
    emit("machine.cores", super::cores(), "cores")?;

    let store = open(&tmp.path().join("store.db"), None)?;
    let id = large_record(&store)?;
    let encrypted = open(
        &tmp.path().join("encrypted.db"),
        Some(offgrid_core::StoreKey::generate()),
    )?;
    let encrypted_id = large_record(&encrypted)?;
    emit("store.record_ops", count_ops(&store, &id)?, "ops")?;
    commits(
        [(&store, &id), (&encrypted, &encrypted_id)],
        &tmp.path().join("raw.db"),
    )?;
    drop(encrypted);
    open_latency(&store)?;
    drop(store);
    lists(&tmp.path().join("records.db"), records)?;
    Ok(())
}

fn open(path: &Path, key: Option<offgrid_core::StoreKey>) -> Result<Store> {
    let options = offgrid_core::StoreOptions {
        key,
        ..Default::default()
    };
    let store = Store::open_with(path, options)
        .with_context(|| format!("cannot open {}", path.display()))?;
    store.set_user(User::new("bench", "Bench").with_role("*", offgrid_core::Role::Admin));
    Ok(store)
}

fn count_ops(store: &Store, id: &RecordId) -> Result<usize> {
    Ok(store.read(id, |d| Ok(d.get_changes(&[]).iter().map(|c| c.len()).sum()))?)
}

/// Step 1: an inspection with 100 answer maps, filled by commits of ten fields each until it
/// holds about [`TARGET_OPS`] operations.
fn large_record(store: &Store) -> Result<RecordId> {
    tracing::info!("building a record of about {TARGET_OPS} operations");
    let answers: Map<String, Json> = (0..ANSWER_ITEMS)
        .map(|i| {
            let item = json!({
                "item": format!("检查项 {i} / check item {i}"),
                "value": null,
                "note": "",
                "required": i % 3 != 0,
            });
            (format!("item-{i}"), item)
        })
        .collect();
    let fields = json!({
        "title": "人防工程竣工验收 / Civil-air-defence completion acceptance",
        "status": "in_progress",
        "answers": answers,
    });
    let id = store.create(RecordKind::Inspection, &fields)?;
    let mut ops = count_ops(store, &id)?;
    let mut round = 0;
    while ops < TARGET_OPS {
        let n = (TARGET_OPS - ops).min(10);
        store.update(&id, "fill", |e| {
            for k in 0..n {
                let item = (round * 10 + k) % ANSWER_ITEMS;
                e.set(
                    &format!("/answers/item-{item}/note"),
                    format!("第{round}轮复查 / review round {round}"),
                )?;
            }
            Ok(())
        })?;
        ops += n;
        round += 1;
    }
    Ok(id)
}

/// Steps 1 and 2: one-field commits to the large record of a plain and of an encrypted store
/// against raw single-row inserts of the same size, alternated in blocks.
fn commits(stores: [(&Store, &RecordId); 2], raw_path: &Path) -> Result<()> {
    tracing::info!("timing {COMMITS} commits (plain and encrypted) and {COMMITS} raw inserts");
    let (store, id) = stores[0];
    let before = store.heads(id)?;
    store.update(id, "bench", |e| Ok(e.set(FIELD, -1)?))?;
    let chunk_len: usize = store.changes_since(id, &before)?.iter().map(Vec::len).sum();
    let payload: Vec<u8> = (0..chunk_len).map(|_| rand::random::<u8>()).collect();
    let mut raw = RawSqlite::open(raw_path)?;

    let per_block = COMMITS / BLOCKS;
    let mut times = [Vec::with_capacity(COMMITS), Vec::with_capacity(COMMITS)];
    let mut raw_times = Vec::with_capacity(COMMITS);
    for block in 0..BLOCKS {
        for (s, (store, id)) in stores.iter().enumerate() {
            for i in 0..per_block {
                let value = (block * per_block + i) as i64;
                let start = Instant::now();
                store.update(id, "bench", |e| Ok(e.set(FIELD, value)?))?;
                times[s].push(start.elapsed());
            }
        }
        for _ in 0..per_block {
            raw_times.push(raw.commit(id.as_str(), &payload)?);
        }
    }
    let [store_times, encrypted_times] = times;
    let encrypted_p50 = percentile_ms(&encrypted_times, 50.0);
    let p50 = percentile_ms(&store_times, 50.0);
    let raw_p50 = percentile_ms(&raw_times, 50.0);
    emit("store.commit_p50_ms", p50, "ms")?;
    emit(
        "store.commit_p99_ms",
        percentile_ms(&store_times, 99.0),
        "ms",
    )?;
    emit("store.raw_commit_p50_ms", raw_p50, "ms")?;
    let ratio = if raw_p50 > 0.0 { p50 / raw_p50 } else { 0.0 };
    emit("store.commit_ratio", ratio, "x")?;
    emit("store.encrypted_commit_p50_ms", encrypted_p50, "ms")?;
    let encrypted_ratio = if raw_p50 > 0.0 {
        encrypted_p50 / raw_p50
    } else {
        0.0
    };
    emit("store.encrypted_commit_ratio", encrypted_ratio, "x")?;
    emit(
        "store.encrypted_vs_plain",
        if p50 > 0.0 { encrypted_p50 / p50 } else { 0.0 },
        "x",
    )?;
    Ok(())
}

/// Step 3: a record of [`OPEN_CHANGES`] commits, loaded from disk (cache cleared) each time.
fn open_latency(store: &Store) -> Result<()> {
    tracing::info!("timing loads of a record with {OPEN_CHANGES} changes");
    let answers: Map<String, Json> = (0..20).map(|i| (format!("item-{i}"), json!({}))).collect();
    let id = store.create(
        RecordKind::Inspection,
        &json!({"title": "开启测试 / load test", "answers": answers}),
    )?;
    for i in 0..OPEN_CHANGES {
        store.update(&id, "bench", |e| {
            Ok(e.set(&format!("/answers/item-{}/value", i % 20), i as i64)?)
        })?;
    }
    let mut times = Vec::with_capacity(OPEN_RUNS);
    for _ in 0..OPEN_RUNS {
        store.clear_cache();
        let start = Instant::now();
        store.heads(&id)?;
        times.push(start.elapsed());
    }
    emit("store.open_ms", percentile_ms(&times, 50.0), "ms")?;
    emit("store.open_p99_ms", percentile_ms(&times, 99.0), "ms")?;
    Ok(())
}

/// Step 4: `records` generated records, then lists, filters and searches over them.
/// Rows in one page of a list screen.
const PAGE: u32 = 100;

fn lists(path: &Path, records: usize) -> Result<()> {
    tracing::info!("creating {records} records");
    let store = open(path, None)?;
    for start in (0..records).step_by(BATCH) {
        store.write(|w| {
            for i in start..(start + BATCH).min(records) {
                let (kind, fields) = fixtures::record(i);
                w.create(kind, &fields)?;
            }
            Ok(())
        })?;
    }
    tracing::info!("timing lists and searches");
    // What a list screen asks for: the first page, most recently updated first.
    let page = time_list(
        &store,
        &ListQuery {
            limit: Some(PAGE),
            ..Default::default()
        },
    )?;
    ensure!(
        page.0 == records.min(PAGE as usize),
        "the first page has {} rows",
        page.0
    );
    // Every row materialised (an export, not a screen).
    let all = time_list(&store, &ListQuery::default())?;
    ensure!(all.0 == records, "listed {} of {records} records", all.0);
    let filter = ListQuery {
        kind: Some(RecordKind::Patrol),
        status: Some(FILTER_STATUS.into()),
        ..Default::default()
    };
    let filtered = time_list(&store, &filter)?;
    let search = |text: &str| ListQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    let short = time_list(&store, &search(SHORT_QUERY))?;
    let long = time_list(&store, &search(LONG_QUERY))?;
    if records >= 100 {
        ensure!(filtered.0 > 0, "the filter matched nothing");
        ensure!(short.0 > 0 && long.0 > 0, "a search matched nothing");
    }
    emit("store.list_10k_ms", page.1, "ms")?;
    emit("store.list_all_10k_ms", all.1, "ms")?;
    emit("store.filter_10k_ms", filtered.1, "ms")?;
    emit("store.search_short_10k_ms", short.1, "ms")?;
    emit("store.search_10k_ms", long.1, "ms")?;
    if let Some(rss) = proc_status_mb("VmRSS") {
        emit("store.rss_10k_mb", rss, "MB")?;
    }
    if let Some(peak) = proc_status_mb("VmHWM") {
        emit("store.peak_rss_mb", peak, "MB")?;
    }
    Ok(())
}

/// Runs `query` [`LIST_RUNS`] times: (rows returned, p50 in ms).
fn time_list(store: &Store, query: &ListQuery) -> Result<(usize, f64)> {
    let mut times: Vec<Duration> = Vec::with_capacity(LIST_RUNS);
    let mut rows = 0;
    for _ in 0..LIST_RUNS {
        let start = Instant::now();
        rows = store.list(query)?.len();
        times.push(start.elapsed());
    }
    Ok((rows, percentile_ms(&times, 50.0)))
}
