//! `offgrid bench screens`: what a screen costs to compute (issue 14's target: ≤ 16 ms p99,
//! one frame).
//!
//! Fixture: N hazards (default 10,000) in four projects, 200 of them ordered to one rectifier
//! (half overdue); a patrol run of 200 events on a site of five checkpoints.
//!
//! 1. The rectifier's home screen: today's tasks, hazards ordered to them, the overdue, open
//!    inspections, sync state (`screens.home_first_ms` on a cold cache, then
//!    `screens.home_p50_ms`, `screens.home_p99_ms` over 50 queries).
//! 2. A hazard's detail screen with its allowed actions (`screens.hazard_p99_ms`; 50 hazards).
//! 3. The patrol run screen of the 200-event run (`screens.patrol_run_p99_ms`; 50 queries).
//! 4. The checklist runner of a 500-item inspection with 200 visibility conditions, 100 items
//!    answered (`screens.checklist_500_p99_ms`; 50 queries), and its review and sign-off
//!    screen (`screens.review_500_p99_ms`: 34 findings with clauses, signatures, actions).
//! 6. Coverage of my cells for a month, as the grid member who ran the patrol
//!    (`screens.my_coverage_p99_ms`), and the sync status screen with 10,000 records pending
//!    (`screens.sync_p99_ms`: the service state and the store's sync status, signed out); 50
//!    queries each.
//! 5. The hazard list as a supervisor: a page of 50 rows with the status chips' counts over
//!    all hazards (`screens.hazard_list_p99_ms`), filtered by status
//!    (`screens.hazard_list_ordered_p99_ms`) and by a two-character word
//!    (`screens.hazard_list_search_p99_ms`); pages 0–3, 50 queries each.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, ensure};
use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell};
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::Completion;
use offgrid_core::patrol::{NewPlan, ScanInput};
use offgrid_core::screens::{ListFilter, ListScreenKind};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
use offgrid_core::sync::SyncOptions;
use offgrid_core::sync::service::SyncService;
use offgrid_core::{Role, Store, User};

use super::{emit, percentile_ms};

use super::T0;
const DAY: i64 = 86_400_000;
const RUNS: usize = 50;
const ORDERED: usize = 200;
const RUN_EVENTS: usize = 200;

pub(crate) fn run(dir: Option<&Path>, hazards: usize) -> Result<()> {
    let (_tmp, _clock, store) = super::open_store(dir, "screens.db")?;
    let admin = super::admin();

    let setup = Instant::now();
    // The first 200 ordered to the rectifier, half of them past their deadline.
    let ordered = ORDERED.min(hazards);
    let ids = super::fixtures::hazards(&store, hazards, |i| {
        (i < ordered).then_some(if i % 2 == 0 { T0 - DAY } else { T0 + 7 * DAY })
    })?;
    let run = patrol_run(&store)?;
    tracing::info!(
        ms = setup.elapsed().as_millis() as u64,
        hazards,
        "screens fixture ready"
    );

    // 1. Home, as the rectifier.
    store.set_user(User::new("chen", "陈工").with_role("p0", Role::Rectifier));
    // The first query, reported apart: it warms SQLite's page cache, as opening the app does.
    let first = Instant::now();
    store.home_screen()?;
    emit("screens.home_first_ms", super::ms(first.elapsed()), "ms")?;
    let mut mine = 0;
    measure("home", |_| {
        mine = store.home_screen()?.my_hazards.len();
        Ok(())
    })?;
    ensure!(mine == ordered, "home listed {mine} hazards, not {ordered}");

    // 2. Hazard detail screens.
    measure("hazard", |i| {
        let screen = store.hazard_screen(&ids[(i * 197) % ids.len()])?;
        ensure!(!screen.hazard.events.is_empty());
        Ok(())
    })?;

    // 5. The hazard list, as a supervisor of every project.
    store.set_user(User::new("wang", "王总监").with_role("*", Role::Supervisor));
    let filters = [
        ("hazard_list", ListFilter::default()),
        (
            "hazard_list_ordered",
            ListFilter {
                status: Some("ordered".into()),
                ..Default::default()
            },
        ),
        (
            "hazard_list_search",
            ListFilter {
                text: Some("渗水".into()),
                ..Default::default()
            },
        ),
    ];
    for (name, filter) in filters {
        // Pages 0–3, or as many as the filter fills.
        let total = store
            .list_screen(ListScreenKind::Hazards, filter.clone())?
            .total;
        let pages = total.div_ceil(50).clamp(1, 4);
        measure(name, |i| {
            let page = ListFilter {
                page: i as u32 % pages,
                ..filter.clone()
            };
            let screen = store.list_screen(ListScreenKind::Hazards, page)?;
            ensure!(!screen.rows.is_empty(), "{name}: an empty page");
            Ok(())
        })?;
    }

    // 3. The patrol run screen of a 200-event run, as its runner.
    store.set_user(User::new("gm1", "网格员"));
    measure("patrol_run", |_| {
        ensure!(store.patrol_run_screen(&run)?.run.events.len() > RUN_EVENTS);
        Ok(())
    })?;

    // 6. Coverage of my cells for a month (the run's grid member), and the sync screen.
    measure("my_coverage", |_| {
        let cells = store.my_coverage_screen(T0 - 30 * DAY, T0 + DAY)?;
        ensure!(!cells.is_empty(), "gm1 is a member of the city cell");
        Ok(())
    })?;
    let service = SyncService::new(SyncOptions::default());
    measure("sync", |_| {
        let screen = store.sync_screen(&service)?;
        ensure!(!screen.can_sync_now, "signed out: no sync offered");
        Ok(())
    })?;

    // 4. The checklist runner of a 500-item inspection, as its inspector.
    store.set_user(admin);
    let t500 = super::domain::template("bench-500", 500, 200)?;
    store.publish_template(&t500)?;
    store.set_user(User::new("zhang", "张工").with_role("p1", Role::Inspector));
    let ins = store.create_inspection(&offgrid_core::inspection::NewInspection {
        template_id: "bench-500".into(),
        template_version: Some(1),
        project: "p1".into(),
        site: "B1".into(),
        title: None,
    })?;
    for i in 0..100 {
        let value = if i % 3 == 0 { "fail" } else { "pass" };
        let item = format!("i{}", (i * 7) % 300);
        store.answer(&ins, &item, &serde_json::json!(value), None)?;
    }
    store.checklist_screen(&ins)?;
    measure("checklist_500", |_| {
        ensure!(!store.checklist_screen(&ins)?.sections.is_empty());
        Ok(())
    })?;
    measure("review_500", |_| {
        ensure!(!store.review_screen(&ins)?.findings.is_empty());
        Ok(())
    })?;
    Ok(())
}

/// Runs `query` `RUNS` times (with the run's index) and emits `screens.<name>_p50_ms` and
/// `screens.<name>_p99_ms`.
fn measure(name: &str, mut query: impl FnMut(usize) -> Result<()>) -> Result<()> {
    let mut times = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let start = Instant::now();
        query(i)?;
        times.push(start.elapsed());
    }
    emit(
        &format!("screens.{name}_p50_ms"),
        percentile_ms(&times, 50.0),
        "ms",
    )?;
    emit(
        &format!("screens.{name}_p99_ms"),
        percentile_ms(&times, 99.0),
        "ms",
    )
}

/// A run of `RUN_EVENTS` scans on a site of five checkpoints, by grid member `gm1`.
fn patrol_run(store: &Store) -> Result<offgrid_core::RecordId> {
    let cell = store.add_grid_cell(&NewGridCell {
        code: "3201".into(),
        name: "南京市".into(),
        level: GridLevel::City,
        parent: None,
        boundary: None,
    })?;
    store.set_grid_member(
        &cell,
        &GridMember {
            user: "gm1".into(),
            name: "网格员".into(),
            role: GridRole::Member,
        },
    )?;
    let site = store.add_site(&NewSite {
        name: "人防工程".into(),
        address: "江东中路 1 号地下".into(),
        kind: SiteKind::DualUse,
        unit: "物业".into(),
        cell,
        location: None,
        projects: vec![],
    })?;
    let mut tags = Vec::new();
    for c in 0..5 {
        let cp = store.add_checkpoint(
            &site,
            &NewCheckpoint {
                name: format!("检查点 {c}"),
                kind: CheckpointKind::Entrance,
                methods: vec![CheckMethod::Nfc],
            },
        )?;
        let payload = format!("https://tag.example/t?uid=04AABBCCDD{c:04X}");
        store.bind_tag(&site, &cp, &payload, CheckMethod::Nfc)?;
        tags.push(payload);
    }
    let plan = store.add_patrol_plan(&NewPlan {
        title: "日常巡查".into(),
        site,
        checkpoints: vec![],
        template: None,
        schedule: Schedule::daily(0, 24 * 60),
        in_sequence: false,
        assignees: vec!["gm1".into()],
        completion: Completion::Any,
        skip_needs_approval: false,
    })?;
    store.set_user(User::new("gm1", "网格员"));
    let run = store.start_patrol(&plan, None)?;
    for i in 0..RUN_EVENTS {
        store.scan_checkpoint(
            &run,
            &ScanInput {
                method: Some(CheckMethod::Nfc),
                payload: Some(tags[i % tags.len()].clone()),
                ..Default::default()
            },
        )?;
    }
    Ok(run)
}
