//! `offgrid bench sync`: sync on loopback against a real server (in this process).
//!
//! - `sync.dirty_100_of_1000_*`: a device holding 1,000 synced records edits 100 of them (one
//!   field each) and syncs: round trips, bytes on the wire (requests and responses, headers
//!   included, counted by a pass-through proxy), wall time.
//! - `sync.bootstrap_10k_ms`: a new device logs in and pulls a project of 10,000 records.
//! - `sync.server_rps_*`, `sync.server_p50_ms_*`, `sync.server_p99_ms_*`: 50 simulated devices
//!   (threads) each push a one-field change to their own hazard and pull the feed, as fast as
//!   they can, for a few seconds: requests per second and latency. On SQLite with the write
//!   gate on and off in the same run (`*_gate_off`, `sync.gate_rps_ratio`), and on PostgreSQL
//!   when `--postgres URL` (or `$OFFGRID_TEST_POSTGRES`) is given.
//! - `sync.push_1300_ops_p50_ms` / `_p99_ms` (and `_gate_off`): server side, one change pushed
//!   to a record of about 1,300 ops, in process (no HTTP): what a push costs the server.
//! - `sync.reference_first_sync_ms`: a new device of an organisation admin pulls the reference
//!   data (ADR 0007): `--sites` sites with four checkpoints and a bound tag each, `--cells` grid
//!   cells and `--templates` published templates; with its bytes and round trips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use automerge::transaction::Transactable;
use offgrid_core::sync::http::Transport;
use offgrid_core::sync::protocol::{Bytes, PushRecord, SyncRequest, SyncResponse};
use offgrid_core::sync::{self, RetryPolicy, SyncOptions};
use offgrid_core::{RecordId, RecordKind, Role, Store};
use offgrid_server::{App, Config, RunningServer, accounts};
use offgrid_testkit::flaky::Proxy;
use serde_json::json;

use super::{emit, ms, percentile_ms};

const PASSWORD: &str = "bench-password";

/// What `offgrid bench sync` measures, and on what.
#[derive(clap::Args)]
pub(crate) struct Options {
    /// Directory for the benchmark's files (a temporary subdirectory, removed after).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Records on the device for the dirty sync.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub records: usize,
    /// Of which edited before the measured sync.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub dirty: usize,
    /// Records a new device bootstraps.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub bootstrap: usize,
    /// Concurrent simulated devices for the throughput figures.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub devices: usize,
    /// Seconds of load per backend.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub seconds: f64,
    /// Sites for the reference-data first sync (four checkpoints and tags each).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub sites: usize,
    /// Grid cells for it.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub cells: usize,
    /// Published templates for it.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub templates: usize,
    /// Measure only this part: `dirty` (the dirty sync and the bootstrap), `reference`,
    /// `throughput` or `push`.
    #[arg(long, value_name = "PART")]
    pub only: Option<String>,
    /// Also measure the server on this PostgreSQL database.
    #[arg(long, value_name = "URL", env = "OFFGRID_TEST_POSTGRES")]
    pub postgres: Option<String>,
}

pub(crate) fn run(o: &Options) -> Result<()> {
    const PARTS: [&str; 4] = ["dirty", "reference", "throughput", "push"];
    if let Some(only) = &o.only {
        ensure!(
            PARTS.contains(&only.as_str()),
            "--only takes one of {}",
            PARTS.join(", ")
        );
    }
    let part = |name: &str| o.only.as_deref().is_none_or(|only| only == name);
    let tmp = match &o.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    if part("dirty") {
        let (server, project) = start(tmp.path(), None)?;
        dirty_and_bootstrap(tmp.path(), &server, &project, o)?;
    }
    if part("reference") {
        reference_first_sync(tmp.path(), o)?;
    }
    if part("throughput") {
        let on = throughput(tmp.path(), None, true, o, "sqlite")?;
        let off = throughput(tmp.path(), None, false, o, "sqlite_gate_off")?;
        emit(
            "sync.gate_rps_ratio",
            on / off.max(f64::MIN_POSITIVE),
            "ratio",
        )?;
        if let Some(url) = &o.postgres {
            throughput(tmp.path(), Some(url.clone()), true, o, "postgres")?;
        } else {
            tracing::warn!("no --postgres URL: skipping the PostgreSQL figures");
        }
    }
    if part("push") {
        push_big_record(tmp.path(), true, "")?;
        push_big_record(tmp.path(), false, "_gate_off")?;
    }
    Ok(())
}

/// A server with a fresh project and user (unique names, so a shared PostgreSQL is fine).
fn start(dir: &Path, postgres: Option<String>) -> Result<(RunningServer, String)> {
    start_with(dir, postgres, true)
}

fn start_with(dir: &Path, postgres: Option<String>, gate: bool) -> Result<(RunningServer, String)> {
    let suffix = format!("{:08x}", rand::random::<u32>());
    let mut config = Config::new(dir.join(format!("server-{suffix}")));
    config.postgres = postgres;
    config.gate = gate;
    let app = App::open(config)?;
    let project = format!("bench-{suffix}");
    let b = app.backend.as_ref();
    accounts::add_project(b, &project, "bench")?;
    accounts::add_user(b, &project, "bench", PASSWORD)?;
    accounts::set_member(b, &project, &project, Some(Role::Inspector))?;
    let server = RunningServer::start(app, "127.0.0.1:0".parse()?, 2)?;
    Ok((server, project))
}

fn device(dir: &Path, name: &str, server_url: &str, project: &str) -> Result<Store> {
    let store = Store::open(dir.join(format!("{name}.db")))?;
    sync::login(&store, server_url, project, PASSWORD, name)?;
    Ok(store)
}

fn create(store: &Store, project: &str, n: usize) -> Result<Vec<RecordId>> {
    store
        .write(|w| {
            (0..n)
                .map(|i| {
                    w.create(
                        RecordKind::Hazard,
                        &json!({"project": project, "title": format!("隐患 {i} / hazard {i}"),
                            "status": "raised", "site": "B1", "location": format!("point {i}")}),
                    )
                })
                .collect()
        })
        .map_err(Into::into)
}

fn quiet_sync(store: &Store) -> Result<sync::SyncReport> {
    let r = sync::sync(
        store,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )?;
    ensure!(r.complete, "sync incomplete: {r:?}");
    Ok(r)
}

fn dirty_and_bootstrap(
    dir: &Path,
    server: &RunningServer,
    project: &str,
    o: &Options,
) -> Result<()> {
    // A pass-through proxy (no faults) counts the bytes on the wire.
    let proxy = Proxy::start(server.addr, 1, 0)?;
    let a = device(dir, "a", &proxy.url(), project)?;
    let ids = create(&a, project, o.records)?;
    quiet_sync(&a)?;
    for id in ids
        .iter()
        .step_by((o.records / o.dirty.max(1)).max(1))
        .take(o.dirty)
    {
        a.update(id, "edit", |e| Ok(e.set("/title", "已整改 / rectified")?))?;
    }
    ensure!(
        a.dirty_count()? as usize == o.dirty.min(o.records),
        "dirty count"
    );
    let (up0, down0) = (
        proxy.counts.bytes_up.load(Ordering::Relaxed),
        proxy.counts.bytes_down.load(Ordering::Relaxed),
    );
    let start = Instant::now();
    let report = quiet_sync(&a)?;
    let elapsed = start.elapsed();
    let up = proxy.counts.bytes_up.load(Ordering::Relaxed) - up0;
    let down = proxy.counts.bytes_down.load(Ordering::Relaxed) - down0;
    let wire = up + down;
    emit("sync.round_trips", report.progress.round_trips, "requests")?;
    emit("sync.dirty_bytes_up", up, "bytes")?;
    emit("sync.dirty_bytes_down", down, "bytes")?;
    emit(
        &format!("sync.dirty_{}_of_{}_bytes", o.dirty, o.records),
        wire,
        "bytes",
    )?;
    emit(
        &format!("sync.dirty_{}_of_{}_ms", o.dirty, o.records),
        ms(elapsed),
        "ms",
    )?;

    // A project of `bootstrap` records, pulled by a new device.
    if o.bootstrap > o.records {
        create(&a, project, o.bootstrap - o.records)?;
        quiet_sync(&a)?;
    }
    let b = Store::open(dir.join("b.db"))?;
    sync::login(&b, &server.url(), project, PASSWORD, "b")?;
    let start = Instant::now();
    let report = quiet_sync(&b)?;
    let elapsed = start.elapsed();
    ensure!(
        b.dirty_count()? == 0 && b.all_record_ids()?.len() >= o.bootstrap,
        "the new device holds {} records",
        b.all_record_ids()?.len()
    );
    emit(
        &format!("sync.bootstrap_{}k_ms", o.bootstrap / 1000),
        ms(elapsed),
        "ms",
    )?;
    emit(
        "sync.bootstrap_round_trips",
        report.progress.round_trips,
        "requests",
    )?;
    emit(
        "sync.bootstrap_bytes_down",
        report.progress.bytes_down,
        "bytes",
    )?;
    Ok(())
}

/// An organisation admin's new device pulls the grid, the sites and the templates.
fn reference_first_sync(dir: &Path, o: &Options) -> Result<()> {
    use offgrid_core::grid::ORG;
    let suffix = format!("{:08x}", rand::random::<u32>());
    let app = App::open(Config::new(dir.join(format!("server-ref-{suffix}"))))?;
    let b = app.backend.as_ref();
    let admin = format!("ref-{suffix}");
    accounts::add_user(b, &admin, "管理员", PASSWORD)?;
    accounts::set_member(b, ORG, &admin, Some(Role::Admin))?;
    let base = offgrid_core::checklist::builtin::get("rf-stage-inspection")?
        .context("the built-in stage inspection")?;
    for i in 0..o.templates {
        let mut t = serde_json::to_value(&base)?;
        t["id"] = format!("bench-template-{i}").into();
        offgrid_server::templates::publish_admin(b, &t.to_string(), &admin)?;
    }
    let server = RunningServer::start(app, "127.0.0.1:0".parse()?, 2)?;
    let a = Store::open(dir.join("ref-a.db"))?;
    sync::login(&a, &server.url(), &admin, PASSWORD, "ref-a")?;
    let cells = reference_cells(&a, o.cells)?;
    reference_sites(&a, &admin, &cells, o.sites)?;
    quiet_sync(&a)?;

    let fresh = Store::open(dir.join("ref-b.db"))?;
    sync::login(&fresh, &server.url(), &admin, PASSWORD, "ref-b")?;
    let start = Instant::now();
    let report = quiet_sync(&fresh)?;
    let elapsed = start.elapsed();
    let held = fresh.all_record_ids()?.len();
    ensure!(
        held == o.cells + o.sites,
        "the new device holds {held} reference records"
    );
    ensure!(
        fresh.templates()?.len() >= o.templates,
        "the new device holds its templates"
    );
    emit("sync.reference_first_sync_ms", ms(elapsed), "ms")?;
    emit(
        "sync.reference_first_sync_round_trips",
        report.progress.round_trips,
        "requests",
    )?;
    emit(
        "sync.reference_first_sync_bytes_down",
        report.progress.bytes_down,
        "bytes",
    )?;
    Ok(())
}

/// `n` cells: a city, ten districts, then streets and communities under them.
fn reference_cells(store: &Store, n: usize) -> Result<Vec<RecordId>> {
    use offgrid_core::grid::ORG;
    let cell = |w: &mut offgrid_core::Writer<'_>, code: String, level: &str, parent: &str| {
        w.create(
            RecordKind::GridCell,
            &json!({"project": ORG, "title": format!("网格 {code}"), "code": code,
                "level": level, "parent": parent}),
        )
    };
    store
        .write(|w| {
            let city = cell(w, "3201".into(), "city", "")?;
            let mut out = vec![city.clone()];
            let districts: Vec<RecordId> = (0..10.min(n.saturating_sub(1)))
                .map(|d| cell(w, format!("3201{d:02}"), "district", city.as_str()))
                .collect::<offgrid_core::Result<_>>()?;
            out.extend(districts.iter().cloned());
            let mut i = 0;
            while out.len() < n {
                let parent = &districts[i % districts.len()];
                out.push(cell(
                    w,
                    format!("3201{:02}{i:04}", i % districts.len()),
                    "community",
                    parent.as_str(),
                )?);
                i += 1;
            }
            Ok(out)
        })
        .map_err(Into::into)
}

/// `n` sites spread over the cells, four checkpoints each with an NFC tag bound.
fn reference_sites(store: &Store, admin: &str, cells: &[RecordId], n: usize) -> Result<()> {
    use offgrid_core::grid::ORG;
    let now = store.now().unix_ms;
    store.write(|w| {
        for i in 0..n {
            let mut checkpoints = serde_json::Map::new();
            let mut tags = serde_json::Map::new();
            for (seq, (name, kind)) in [
                ("主出入口", "entrance"),
                ("1号防护密闭门", "blast_door"),
                ("配电室", "power_room"),
                ("集水井", "sump"),
            ]
            .into_iter()
            .enumerate()
            {
                let cp = RecordId::new().0;
                checkpoints.insert(
                    cp.clone(),
                    json!({"name": name, "kind": kind,
                    "methods": "nfc,qr", "seq": seq + 1, "retired": false}),
                );
                tags.insert(
                    RecordId::new().0,
                    json!({"type": "bind", "checkpoint": cp,
                    "method": "nfc", "tag": format!("uid:04{i:06X}{seq:02X}"), "by": admin,
                    "by_name": "管理员", "at_ms": now}),
                );
            }
            w.create(
                RecordKind::Site,
                &json!({"project": ORG, "title": format!("人防工程 {i}"),
                    "address": format!("江东中路 {i} 号地下"), "site_kind": "attached",
                    "unit": "物业", "cell": cells[i % cells.len()].as_str(),
                    "location": json!({"type": "Point", "coordinates": [118.7, 32.0]}).to_string(),
                    "projects": {}, "checkpoints": checkpoints, "tags": tags}),
            )?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `devices` threads, each pushing one change to its own hazard and pulling, in a loop.
/// Returns the requests per second.
fn throughput(
    dir: &Path,
    postgres: Option<String>,
    gate: bool,
    o: &Options,
    label: &str,
) -> Result<f64> {
    let (server, project) = start_with(dir, postgres, gate)?;
    let token = {
        let s = Store::open(dir.join(format!("token-{label}.db")))?;
        sync::login(&s, &server.url(), &project, PASSWORD, "bench")?;
        s.sync_account()?.context("account")?.token
    };
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let errors = Arc::new(Mutex::new(0u64));
    let url = server.url();
    let mut threads = Vec::new();
    for d in 0..o.devices {
        let (stop, samples, errors) = (stop.clone(), samples.clone(), errors.clone());
        let (url, token, project) = (url.clone(), token.clone(), project.clone());
        threads.push(std::thread::spawn(move || -> Result<()> {
            let mut t = Transport::new(
                &url,
                Some(token),
                RetryPolicy {
                    attempts: 1,
                    ..Default::default()
                },
                Arc::new(AtomicBool::new(false)),
            )?;
            let id = format!("{project}-dev{d}");
            let (mut doc, user) = hazard_doc(&id, &project)?;
            let mut cursors = BTreeMap::new();
            let mut heads = Vec::new();
            let mut local = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                edit_title(&mut doc, &user, i)?;
                i += 1;
                let changes: Vec<Bytes> = changes_since(&mut doc, &heads);
                heads = doc.get_heads();
                let req = SyncRequest {
                    device: format!("bench-{d}"),
                    cursors: cursors.clone(),
                    push: vec![PushRecord {
                        id: id.clone(),
                        project: project.clone(),
                        kind: "hazard".into(),
                        changes,
                        heads: heads.iter().map(|h| h.to_string()).collect(),
                        photos: vec![],
                    }],
                    max_bytes: None,
                    templates: Vec::new(),
                    pushed_all: false,
                    documents: Vec::new(),
                    fetch: Vec::new(),
                };
                let start = Instant::now();
                match t.post_json::<_, SyncResponse>("/v1/sync", &req) {
                    Ok(r) => {
                        local.push(start.elapsed());
                        cursors = r.cursors;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "bench request failed");
                        *errors.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                    }
                }
            }
            samples
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(local);
            Ok(())
        }));
    }
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(o.seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join()
            .map_err(|_| anyhow::anyhow!("a simulated device panicked"))??;
    }
    let elapsed = start.elapsed();
    let samples = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let errors = *errors.lock().unwrap_or_else(|e| e.into_inner());
    let rps = samples.len() as f64 / elapsed.as_secs_f64();
    emit(&format!("sync.server_rps_{label}"), rps, "req/s")?;
    emit(
        &format!("sync.server_p50_ms_{label}"),
        percentile_ms(&samples, 50.0),
        "ms",
    )?;
    emit(
        &format!("sync.server_p99_ms_{label}"),
        percentile_ms(&samples, 99.0),
        "ms",
    )?;
    emit(&format!("sync.server_errors_{label}"), errors, "requests")?;
    emit(
        &format!("sync.server_devices_{label}"),
        o.devices,
        "threads",
    )?;
    Ok(rps)
}

/// A hazard's first change, as the bench account (`project` is also its user id).
fn hazard_doc(id: &str, project: &str) -> Result<(automerge::AutoCommit, offgrid_core::User)> {
    let user = offgrid_core::User::new(project, "bench");
    let now = offgrid_core::Timestamp {
        unix_ms: 1_764_300_000_000,
        offset_minutes: 480,
    };
    let rules = offgrid_core::record::rules(RecordKind::Hazard);
    let doc = offgrid_core::doc::genesis::new_record(
        RecordKind::Hazard,
        rules.genesis_maps(),
        &RecordId::from(id),
        &json!({"project": project, "title": "隐患", "site": "B1"}),
        &user,
        now,
        automerge::ActorId::random(),
    )?;
    Ok((doc, user))
}

/// One attributed change: the hazard's title.
fn edit_title(doc: &mut automerge::AutoCommit, user: &offgrid_core::User, i: u64) -> Result<()> {
    let now = offgrid_core::Timestamp {
        unix_ms: 1_764_300_000_000 + i as i64,
        offset_minutes: 480,
    };
    doc.put(automerge::ROOT, "title", format!("隐患 {i}"))?;
    let meta = offgrid_core::doc::ChangeMeta::new(user, now, "edit");
    doc.commit_with(meta.commit_options(now));
    Ok(())
}

/// Server side, in process: one change pushed to a record of ~1,300 ops, 300 times in a row.
fn push_big_record(dir: &Path, gate: bool, label: &str) -> Result<()> {
    let (server, project) = start_with(dir, None, gate)?;
    let app = server.app.clone();
    let caller = offgrid_server::accounts::Caller {
        user_id: project.clone(),
        token_id: "bench".into(),
        roles: vec![offgrid_core::ProjectRole {
            project: project.clone(),
            role: Role::Inspector,
        }],
    };
    let id = format!("{project}-big");
    let (mut doc, user) = hazard_doc(&id, &project)?;
    // ~1,300 ops: a description typed in as text (one op per character) and 300 title edits.
    let text = "底板施工缝渗水，东侧集水井附近，约两平方米。".repeat(45);
    let typed = doc.put_object(automerge::ROOT, "notes_text", automerge::ObjType::Text)?;
    doc.splice_text(&typed, 0, 0, &text)?;
    for i in 0..300 {
        edit_title(&mut doc, &user, i)?;
    }
    let ops = automerge::ReadDoc::stats(doc.document()).num_ops;
    // The cursors a device keeps: each push pulls only what came after it.
    let cursors = std::cell::RefCell::new(BTreeMap::new());
    let push = |doc: &mut automerge::AutoCommit, heads: &[automerge::ChangeHash]| {
        let req = SyncRequest {
            device: "bench-big".into(),
            cursors: cursors.borrow().clone(),
            push: vec![PushRecord {
                id: id.clone(),
                project: project.clone(),
                kind: "hazard".into(),
                changes: changes_since(doc, heads),
                heads: vec![],
                photos: vec![],
            }],
            max_bytes: None,
            templates: Vec::new(),
            pushed_all: false,
            documents: Vec::new(),
            fetch: Vec::new(),
        };
        let gate = app.config.gate_on().then_some(&app.docs);
        let start = Instant::now();
        let (resp, _) = offgrid_server::sync::sync(app.backend.as_ref(), gate, &caller, req)?;
        let took = start.elapsed();
        ensure!(resp.rejected.is_empty(), "refused: {:?}", resp.rejected);
        *cursors.borrow_mut() = resp.cursors;
        anyhow::Ok(took)
    };
    push(&mut doc, &[])?;
    // Caught up with the feed (a bootstrap of the first push's record is not what is timed).
    for _ in 0..10 {
        if !cursors.borrow().values().any(|c| c.starts_with('b')) {
            break;
        }
        let heads = doc.get_heads();
        push(&mut doc, &heads)?;
    }
    let mut samples = Vec::new();
    for i in 0..300 {
        let heads = doc.get_heads();
        edit_title(&mut doc, &user, 1000 + i)?;
        samples.push(push(&mut doc, &heads)?);
    }
    emit("sync.push_record_ops", ops, "ops")?;
    emit(
        &format!("sync.push_1300_ops_p50_ms{label}"),
        percentile_ms(&samples, 50.0),
        "ms",
    )?;
    emit(
        &format!("sync.push_1300_ops_p99_ms{label}"),
        percentile_ms(&samples, 99.0),
        "ms",
    )?;
    Ok(())
}

/// The changes made since `heads`, each encoded on its own.
fn changes_since(doc: &mut automerge::AutoCommit, heads: &[automerge::ChangeHash]) -> Vec<Bytes> {
    doc.get_changes(heads)
        .into_iter()
        .map(|c| Bytes(c.raw_bytes().to_vec()))
        .collect()
}
