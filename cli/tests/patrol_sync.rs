//! Patrols through a real server on loopback (ADR 0008): the assignees of a plan receive it
//! with their cell's site; a run made offline reaches the office and turns its task done; a
//! task nobody patrolled shows "awaiting sync" until every assignee's phone has synced past its
//! window, and "missed" after — from the sync watermarks the server keeps per device.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell, ORG};
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::{Completion, TaskState};
use offgrid_core::patrol::{NewPlan, ScanInput, TaskQuery};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{FixedClock, Role, Store, StoreOptions};
use offgrid_server::{App, Config, RunningServer, accounts};

const PW: &str = "correct horse";
const H: i64 = 3_600_000;
const DAY: i64 = 24 * H;

fn server(data: &Path) -> RunningServer {
    let app = App::open(Config::new(data)).unwrap();
    let b = app.backend.as_ref();
    for u in ["admin", "li", "wang"] {
        accounts::add_user(b, u, u, PW).unwrap();
    }
    accounts::set_member(b, ORG, "admin", Some(Role::Admin)).unwrap();
    RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap()
}

/// A device whose clock the test sets.
fn device(dir: &Path, user: &str, url: &str, at_ms: i64) -> (Store, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(at_ms, 480));
    let s = Store::open_with(
        dir.join(format!("{user}.db")),
        StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    sync::login(&s, url, user, PW, user).unwrap();
    (s, clock)
}

fn sync_now(s: &Store) {
    let report = sync::sync(
        s,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(report.complete, "{report:?}");
}

fn state_on(s: &Store, day: i64) -> TaskState {
    let tasks = s
        .patrol_tasks(&TaskQuery {
            from_ms: day,
            to_ms: day + DAY,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    tasks[0].state
}

#[test]
fn a_run_made_offline_turns_its_task_done_and_missed_waits_for_every_assignee() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    // The devices live three days ago (the server's watermarks are its real clock).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let local = now - 3 * DAY + 8 * H;
    let day0 = local - local.rem_euclid(DAY) - 8 * H;
    let (day1, day2) = (day0 + DAY, day0 + 2 * DAY);

    let (admin, admin_clock) = device(dir.path(), "admin", &srv.url(), day0 + 12 * H);
    let cell = admin
        .add_grid_cell(&NewGridCell {
            code: "3201".into(),
            name: "南京市".into(),
            level: GridLevel::City,
            parent: None,
            boundary: None,
        })
        .unwrap();
    for user in ["li", "wang"] {
        admin
            .set_grid_member(
                &cell,
                &GridMember {
                    user: user.into(),
                    name: user.into(),
                    role: GridRole::Member,
                },
            )
            .unwrap();
    }
    let site = admin
        .add_site(&NewSite {
            name: "吉庆人防工程".into(),
            address: "江东中路 100 号地下".into(),
            kind: SiteKind::DualUse,
            unit: "物业".into(),
            cell,
            location: None,
            projects: vec![],
        })
        .unwrap();
    let mut tags = Vec::new();
    for (i, name) in ["出入口", "防护密闭门"].iter().enumerate() {
        let cp = admin
            .add_checkpoint(
                &site,
                &NewCheckpoint {
                    name: (*name).into(),
                    kind: CheckpointKind::Entrance,
                    methods: vec![CheckMethod::Nfc],
                },
            )
            .unwrap();
        let payload = format!("https://tag.example/t?uid=04AABBCCDDEE0{i}");
        admin
            .bind_tag(&site, &cp, &payload, CheckMethod::Nfc)
            .unwrap();
        tags.push(payload);
    }
    let mut schedule = Schedule::daily(9 * 60, 120);
    schedule.grace_minutes = 30;
    let plan = admin
        .add_patrol_plan(&NewPlan {
            title: "日常巡查".into(),
            site: site.clone(),
            checkpoints: vec![],
            template: None,
            schedule,
            in_sequence: false,
            assignees: vec!["li".into(), "wang".into()],
            completion: Completion::Any,
            skip_needs_approval: false,
        })
        .unwrap();
    sync_now(&admin);

    // Li patrols day 1 underground, then syncs; wang has not synced at all.
    let (li, li_clock) = device(dir.path(), "li", &srv.url(), day1 + 9 * H);
    sync_now(&li);
    assert_eq!(li.patrol_plan(&plan).unwrap().versions.len(), 1);
    li_clock.set(day1 + 9 * H + 10 * 60_000);
    let run = li.start_patrol(&plan, None).unwrap();
    for t in &tags {
        li_clock.advance_ms(3 * 60_000);
        let out = li
            .scan_checkpoint(
                &run,
                &ScanInput {
                    method: Some(CheckMethod::Nfc),
                    payload: Some(t.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(out.verdict.counts, "{out:?}");
    }
    li.finish_patrol(&run, None).unwrap();
    sync_now(&li);

    // The office, on day 3: day 1 done (li's run arrived); day 2 nobody patrolled, but wang's
    // phone has never reported, so it may hold a run: awaiting sync, not missed.
    admin_clock.set(day2 + DAY + 12 * H);
    sync_now(&admin);
    assert_eq!(state_on(&admin, day1), TaskState::Done);
    assert_eq!(state_on(&admin, day2), TaskState::AwaitingSync);
    assert!(admin.patrol_watermarks().unwrap().contains_key("li"));

    // Wang's phone syncs (nothing to push): now day 2 is missed, on every device.
    let (wang, _) = device(dir.path(), "wang", &srv.url(), day2 + DAY + 12 * H);
    sync_now(&wang);
    sync_now(&admin);
    assert_eq!(state_on(&admin, day2), TaskState::Missed);
    assert_eq!(state_on(&wang, day2), TaskState::Missed);
    assert_eq!(state_on(&wang, day1), TaskState::Done);
    // The run as the office received it: li's, every event confirmed by the server as pushed
    // by li; li's clock was behind the server's (offline days), so nothing is flagged.
    let view = admin.patrol_run(&run).unwrap();
    assert_eq!((view.runner.as_str(), view.covered.len()), ("li", 2));
    assert_eq!(view.receipts.len(), view.events.len());
    assert!(
        view.receipts
            .iter()
            .all(|r| r.received_by.as_deref() == Some("li"))
    );
    assert!(!view.flags.contains_key("clock_ahead"), "{:?}", view.flags);

    // A phone whose clock runs a day ahead records a patrol "tomorrow": the server received it
    // before the time it claims, and the office sees the flag.
    li_clock.set(now + DAY);
    let ahead = li.start_patrol(&plan, None).unwrap();
    li.scan_checkpoint(
        &ahead,
        &ScanInput {
            method: Some(CheckMethod::Nfc),
            payload: Some(tags[0].clone()),
            ..Default::default()
        },
    )
    .unwrap();
    sync_now(&li);
    sync_now(&admin);
    let view = admin.patrol_run(&ahead).unwrap();
    assert_eq!(view.flags.get("clock_ahead"), Some(&2), "{:?}", view.flags);
}
