//! A patrol world for the tests that run through a real server on loopback: the server with
//! its accounts, devices whose clocks the tests set, a grid cell with a site, tagged
//! checkpoints and a daily plan.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell, ORG};
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::{Completion, TaskState};
use offgrid_core::patrol::{NewPlan, ScanInput, ScanOutcome, TaskQuery};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{FixedClock, RecordId, Role, Store, StoreOptions};
use offgrid_server::{App, Config, RunningServer, accounts};

pub(crate) const PW: &str = "correct horse";
pub(crate) const H: i64 = 3_600_000;
pub(crate) const DAY: i64 = 24 * H;

pub(crate) fn server(data: &Path) -> RunningServer {
    let app = App::open(Config::new(data)).unwrap();
    let b = app.backend.as_ref();
    for u in ["admin", "li", "wang"] {
        accounts::add_user(b, u, u, PW).unwrap();
    }
    accounts::set_member(b, ORG, "admin", Some(Role::Admin)).unwrap();
    RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap()
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Midnight (+08:00) of the day `days` before today, UTC ms.
pub(crate) fn midnight_days_ago(days: i64) -> i64 {
    let local = now_ms() - days * DAY + 8 * H;
    local - local.rem_euclid(DAY) - 8 * H
}

/// A device whose clock the test sets.
pub(crate) fn device(dir: &Path, user: &str, url: &str, at_ms: i64) -> (Store, Arc<FixedClock>) {
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

pub(crate) fn sync_now(s: &Store) {
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

/// A city cell with these grid members, and one site in it.
pub(crate) fn cell_with_site(admin: &Store, members: &[&str]) -> RecordId {
    let cell = admin
        .add_grid_cell(&NewGridCell {
            code: "3201".into(),
            name: "南京市".into(),
            level: GridLevel::City,
            parent: None,
            boundary: None,
        })
        .unwrap();
    for user in members {
        let member = GridMember {
            user: (*user).into(),
            name: (*user).into(),
            role: GridRole::Member,
        };
        admin.set_grid_member(&cell, &member).unwrap();
    }
    admin
        .add_site(&NewSite {
            name: "吉庆人防工程".into(),
            address: "江东中路 100 号地下".into(),
            kind: SiteKind::DualUse,
            unit: "物业".into(),
            cell,
            location: None,
            projects: vec![],
        })
        .unwrap()
}

/// A checkpoint of `site` with the NFC tag that read `payload` bound to it.
pub(crate) fn nfc_checkpoint(admin: &Store, site: &RecordId, name: &str, payload: &str) {
    let cp = admin
        .add_checkpoint(
            site,
            &NewCheckpoint {
                name: name.into(),
                kind: CheckpointKind::Entrance,
                methods: vec![CheckMethod::Nfc],
            },
        )
        .unwrap();
    admin
        .bind_tag(site, &cp, payload, CheckMethod::Nfc)
        .unwrap();
}

/// A plan of every checkpoint of `site` on `schedule`, any one of `assignees` completing it.
pub(crate) fn daily_plan(
    admin: &Store,
    site: &RecordId,
    assignees: &[&str],
    schedule: Schedule,
) -> RecordId {
    admin
        .add_patrol_plan(&NewPlan {
            title: "日常巡查".into(),
            site: site.clone(),
            checkpoints: vec![],
            template: None,
            schedule,
            in_sequence: false,
            assignees: assignees.iter().map(|a| (*a).into()).collect(),
            completion: Completion::Any,
            skip_needs_approval: false,
        })
        .unwrap()
}

/// Scans the NFC tag that read `payload` into `run`.
pub(crate) fn nfc_scan(s: &Store, run: &RecordId, payload: &str) -> ScanOutcome {
    s.scan_checkpoint(
        run,
        &ScanInput {
            method: Some(CheckMethod::Nfc),
            payload: Some(payload.to_owned()),
            ..Default::default()
        },
    )
    .unwrap()
}

pub(crate) fn state_on(s: &Store, day: i64) -> TaskState {
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
