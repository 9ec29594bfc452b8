//! The demo's patrol day (ADR 0008), on a grid member's phone (`patrol.db`, its own clock): the
//! office (孙主任, admin of the organisation) sets up the grid, a shelter with three tagged
//! checkpoints and a daily plan; 赵网格员 patrols it the next morning underground: the entrance's
//! tag, a stray tag (kept, flagged unknown), the blast door, the sump skipped (flooded) with an
//! observation raised as a hazard (raising it again gives the same hazard), then finishes; the
//! office reads the day's tasks (done) and the coverage of the grid, rolled up.

use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell};
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::{Completion, TaskState};
use offgrid_core::patrol::{
    CellCoverage, CoverageQuery, NewObservation, NewPlan, PatrolRunView, ScanInput, TaskQuery,
    TaskView,
};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
use offgrid_core::{FixedClock, RecordId, Role, Store, StoreOptions, User};
use serde::Serialize;

use super::{OFFSET_MINUTES, local_on};

/// What the patrol day produced (the `patrol` object of `demo --json`).
#[derive(Serialize)]
pub(crate) struct PatrolDay {
    pub db: std::path::PathBuf,
    pub plan: RecordId,
    pub run: PatrolRunView,
    pub hazard: RecordId,
    /// The day's tasks as the office sees them at noon.
    pub tasks: Vec<TaskView>,
    /// Coverage of the day, per cell, rolled up.
    pub coverage: Vec<CellCoverage>,
}

pub(super) fn play(dir: &std::path::Path) -> Result<PatrolDay> {
    let path = dir.join("patrol.db");
    let clock = Arc::new(FixedClock::new(local_on(0, 16, 0), OFFSET_MINUTES));
    let store = Store::open_with(
        &path,
        StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .with_context(|| format!("cannot open {}", path.display()))?;
    let office = User::new("sun", "孙主任").with_role("org", Role::Admin);
    // 赵 is a grid member who may also raise hazards on the shelter's project.
    let zhao = User::new("zhao", "赵网格员").with_role("p-shelter", Role::Inspector);
    store.set_user(office.clone());

    let cell = |code: &str, name: &str, level, parent: Option<&RecordId>| {
        store.add_grid_cell(&NewGridCell {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.cloned(),
            boundary: None,
        })
    };
    let city = cell("3301", "杭州市", GridLevel::City, None)?;
    let district = cell("330106", "西湖区", GridLevel::District, Some(&city))?;
    let grid = cell(
        "330106-01",
        "文新第一网格",
        GridLevel::Grid,
        Some(&district),
    )?;
    store.set_grid_member(
        &grid,
        &GridMember {
            user: zhao.id.clone(),
            name: zhao.name.clone(),
            role: GridRole::Member,
        },
    )?;
    let site = store.add_site(&NewSite {
        name: "文新人防工程 / Wenxin shelter".into(),
        address: "文一西路 88 号地下一层".into(),
        kind: SiteKind::DualUse,
        unit: "文新物业 / Wenxin property management".into(),
        cell: grid,
        location: Some("120.1136,30.2841".into()),
        projects: vec!["p-shelter".into()],
    })?;
    let mut tags = Vec::new();
    for (i, (name, kind)) in [
        ("1号出入口 / entrance 1", CheckpointKind::Entrance),
        ("防护密闭门 / blast door", CheckpointKind::BlastDoor),
        ("集水井 / sump", CheckpointKind::Sump),
    ]
    .into_iter()
    .enumerate()
    {
        let cp = store.add_checkpoint(
            &site,
            &NewCheckpoint {
                name: name.into(),
                kind,
                methods: vec![CheckMethod::Nfc, CheckMethod::ManualPhoto],
            },
        )?;
        let payload = format!("https://tag.example/s?uid=04A1B2C3D4E5{i:02X}&ctr=000001");
        store.bind_tag(&site, &cp, &payload, CheckMethod::Nfc)?;
        tags.push((cp, payload));
    }
    let mut schedule = Schedule::daily(9 * 60, 120);
    schedule.grace_minutes = 30;
    let plan = store.add_patrol_plan(&NewPlan {
        title: "文新人防工程日常巡查 / Wenxin daily patrol".into(),
        site: site.clone(),
        checkpoints: vec![],
        template: None,
        schedule,
        in_sequence: true,
        assignees: vec![zhao.id.clone()],
        completion: Completion::Any,
        skip_needs_approval: false,
    })?;

    // The next morning, underground.
    store.set_user(zhao.clone());
    clock.set(local_on(1, 9, 12));
    let run = store.start_patrol(&plan, None)?;
    let scan = |payload: &str| {
        store.scan_checkpoint(
            &run,
            &ScanInput {
                method: Some(CheckMethod::Nfc),
                payload: Some(payload.into()),
                ..Default::default()
            },
        )
    };
    clock.set(local_on(1, 9, 15));
    ensure!(
        scan(&tags[0].1)?.verdict.counts,
        "the entrance did not count"
    );
    clock.advance_ms(60_000);
    let stray = scan("https://tag.example/s?uid=04FFEEDDCCBBAA&ctr=000042")?;
    ensure!(!stray.verdict.counts, "a stray tag counted");
    clock.advance_ms(8_000);
    ensure!(
        scan(&tags[1].1)?.verdict.counts,
        "the blast door did not count"
    );
    clock.set(local_on(1, 9, 31));
    store.skip_checkpoint(
        &run,
        &tags[2].0,
        "集水井积水，无法靠近 / sump flooded, no access",
    )?;
    let obs = store.observe_on_patrol(
        &run,
        &NewObservation {
            checkpoint: Some(tags[2].0.clone()),
            text:
                "集水井水位超过警戒线，排水泵未启动 / sump above the alarm line, pump not running"
                    .into(),
            grade: Some(offgrid_core::RiskGrade::Orange),
            photos: vec![],
        },
    )?;
    let hazard = store.raise_hazard_from_observation(&run, &obs, "p-shelter")?;
    ensure!(
        store.raise_hazard_from_observation(&run, &obs, "p-shelter")? == hazard,
        "raising the observation again made a second hazard"
    );
    clock.set(local_on(1, 9, 40));
    // The skip counts (this plan needs no approval for skips): every checkpoint is covered.
    store.finish_patrol(&run, None)?;

    // The office at noon.
    store.set_user(office);
    clock.set(local_on(1, 12, 0));
    let day = local_on(1, 0, 0);
    let tasks = store.patrol_tasks(&TaskQuery {
        from_ms: day,
        to_ms: day + 86_400_000,
        ..Default::default()
    })?;
    ensure!(
        tasks.iter().any(|t| t.state == TaskState::Done),
        "the morning's task is not done"
    );
    let coverage = store.patrol_coverage(&CoverageQuery {
        from_ms: day,
        to_ms: day + 86_400_000,
        cell: None,
        ..Default::default()
    })?;
    Ok(PatrolDay {
        db: path,
        plan,
        run: store.patrol_run(&run)?,
        hazard,
        tasks,
        coverage,
    })
}
