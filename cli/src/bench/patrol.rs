//! `offgrid bench patrol`: what a patroller and the office feel.
//!
//! Fixture: N plans (default 3,000) over N/10 sites of five tagged checkpoints each, daily
//! windows spread over the day, runs started for a sixth of today's tasks.
//!
//! 1. Today's tasks of every plan, with their states, from the projections
//!    (`patrol.today_ms`, p50 and p99 over 20 queries), and one assignee's (`patrol.today_mine_ms`).
//! 3. Coverage of the day per grid cell (a city, ten districts, thirty grids), rolled up
//!    (`patrol.coverage_ms`, p50 over 20).
//! 2. One checkpoint scan: resolve the tag, judge it against the plan version and the run's
//!    earlier scans, and commit the event (`patrol.scan_p50_ms`, p99; 40 runs of five scans).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use offgrid_core::User;
use offgrid_core::grid::{GridLevel, NewGridCell};
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::Completion;
use offgrid_core::patrol::{CoverageQuery, NewPlan, ScanInput, TaskQuery};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};

use super::{emit, percentile_ms};

use super::T0;
const H: i64 = 3_600_000;
const DAY: i64 = 24 * H;
const CHECKPOINTS: usize = 5;
const PLANS_PER_SITE: usize = 10;

pub(crate) fn run(dir: Option<&Path>, plans: usize) -> Result<()> {
    let (_tmp, clock, store) = super::open_store(dir, "patrol.db")?;
    let admin = super::admin();

    let setup = Instant::now();
    let cell = store.add_grid_cell(&NewGridCell {
        code: "3201".into(),
        name: "南京市".into(),
        level: GridLevel::City,
        parent: None,
        boundary: None,
    })?;
    // Ten districts under the city, thirty grids under them: sites spread over the grids.
    let mut grids = Vec::new();
    for d in 0..10 {
        let district = store.add_grid_cell(&NewGridCell {
            code: format!("3201{d:02}"),
            name: format!("区 {d}"),
            level: GridLevel::District,
            parent: Some(cell.clone()),
            boundary: None,
        })?;
        for g in 0..3 {
            grids.push(store.add_grid_cell(&NewGridCell {
                code: format!("3201{d:02}-{g}"),
                name: format!("网格 {d}-{g}"),
                level: GridLevel::Grid,
                parent: Some(district.clone()),
                boundary: None,
            })?);
        }
    }
    let sites = plans.div_ceil(PLANS_PER_SITE).max(1);
    let mut tags: Vec<Vec<String>> = Vec::with_capacity(sites);
    let mut plan_ids = Vec::with_capacity(plans);
    for s in 0..sites {
        let site = store.add_site(&NewSite {
            name: format!("人防工程 {s}"),
            address: format!("江东中路 {s} 号地下"),
            kind: SiteKind::DualUse,
            unit: "物业".into(),
            cell: grids[s % grids.len()].clone(),
            location: None,
            projects: vec![],
        })?;
        let mut site_tags = Vec::with_capacity(CHECKPOINTS);
        for c in 0..CHECKPOINTS {
            let cp = store.add_checkpoint(
                &site,
                &NewCheckpoint {
                    name: format!("检查点 {c}"),
                    kind: CheckpointKind::Entrance,
                    methods: vec![CheckMethod::Nfc],
                },
            )?;
            let payload = format!("https://tag.example/t?uid=04{s:08X}{c:04X}");
            store.bind_tag(&site, &cp, &payload, CheckMethod::Nfc)?;
            site_tags.push(payload);
        }
        tags.push(site_tags);
        for p in 0..PLANS_PER_SITE.min(plans - plan_ids.len()) {
            let mut schedule = Schedule::daily(((p * 130) % (22 * 60)) as u16, 60);
            schedule.grace_minutes = 10;
            plan_ids.push((
                s,
                store.add_patrol_plan(&NewPlan {
                    title: format!("巡查 {s}-{p}"),
                    site: site.clone(),
                    checkpoints: vec![],
                    template: None,
                    schedule,
                    in_sequence: false,
                    assignees: vec![format!("gm{}", (s * PLANS_PER_SITE + p) % 200)],
                    completion: Completion::Any,
                    skip_needs_approval: false,
                })?,
            ));
        }
    }
    tracing::info!(
        plans = plan_ids.len(),
        sites,
        secs = setup.elapsed().as_secs_f64(),
        "fixture written"
    );

    // Tomorrow (local), runs for a sixth of the tasks whose windows are open at 10:40.
    let local = T0 + 8 * H;
    let day = local - local.rem_euclid(DAY) - 8 * H + DAY;
    clock.set(day + 10 * H + 40 * 60_000);
    let mut started = 0;
    for (i, (_, plan)) in plan_ids.iter().enumerate() {
        if i % 6 != 0 {
            continue;
        }
        store.set_user(User::new(&format!("gm{}", i % 200), "网格员"));
        let run = store.start_patrol(plan, None)?;
        started += 1;
        let _ = run;
    }
    store.set_user(admin.clone());
    let query = TaskQuery {
        from_ms: day,
        to_ms: day + DAY,
        ..Default::default()
    };
    let tasks = store.patrol_tasks(&query)?;
    ensure!(
        tasks.len() >= plan_ids.len(),
        "expected a task per plan, got {}",
        tasks.len()
    );
    let mut times = Vec::with_capacity(20);
    for _ in 0..20 {
        let start = Instant::now();
        let n = store.patrol_tasks(&query)?.len();
        times.push(start.elapsed());
        ensure!(n == tasks.len());
    }
    emit("patrol.plans", plan_ids.len() as u64, "count")?;
    emit("patrol.today_tasks", tasks.len() as u64, "count")?;
    emit("patrol.runs_started", started as u64, "count")?;
    emit("patrol.today_ms", percentile_ms(&times, 50.0), "ms")?;
    emit("patrol.today_p99_ms", percentile_ms(&times, 99.0), "ms")?;
    let mine = TaskQuery {
        assignee: Some("gm7".into()),
        ..query.clone()
    };
    let mut times = Vec::with_capacity(20);
    for _ in 0..20 {
        let start = Instant::now();
        store.patrol_tasks(&mine)?;
        times.push(start.elapsed());
    }
    emit("patrol.today_mine_ms", percentile_ms(&times, 50.0), "ms")?;

    // 3 (measured before the scans add runs). Coverage of the day over the whole grid.
    let cq = CoverageQuery {
        from_ms: day,
        to_ms: day + DAY,
        cell: None,
        ..Default::default()
    };
    let cells = store.patrol_coverage(&cq)?;
    ensure!(
        cells.first().map(|c| c.total.tasks.total() as usize) == Some(tasks.len()),
        "coverage counts every task"
    );
    let mut times = Vec::with_capacity(20);
    for _ in 0..20 {
        let start = Instant::now();
        store.patrol_coverage(&cq)?;
        times.push(start.elapsed());
    }
    emit("patrol.coverage_cells", cells.len() as u64, "count")?;
    emit("patrol.coverage_ms", percentile_ms(&times, 50.0), "ms")?;

    // 2. Scans: 40 runs of five checkpoints each (runs not for a task: the windows are
    // spread over the day).
    let mut times = Vec::with_capacity(200);
    let mut run = None;
    for i in 0..200 {
        let (site, plan) = &plan_ids[(i / CHECKPOINTS) * 7 % plan_ids.len()];
        if i % CHECKPOINTS == 0 {
            store.set_user(User::new(&format!("gm{i}"), "网格员"));
            run = Some(store.start_patrol(plan, None)?);
        }
        let run = run.as_ref().context("a run")?;
        clock.advance_ms(30_000);
        let input = ScanInput {
            method: Some(CheckMethod::Nfc),
            payload: Some(tags[*site][i % CHECKPOINTS].clone()),
            monotonic_ms: Some(i as i64 * 30_000),
            ..Default::default()
        };
        let start = Instant::now();
        let out = store.scan_checkpoint(run, &input)?;
        times.push(start.elapsed());
        ensure!(
            out.verdict.checkpoint.is_some(),
            "scan {i} found no checkpoint"
        );
    }
    emit("patrol.scan_p50_ms", percentile_ms(&times, 50.0), "ms")?;
    emit("patrol.scan_p99_ms", percentile_ms(&times, 99.0), "ms")?;
    Ok(())
}
