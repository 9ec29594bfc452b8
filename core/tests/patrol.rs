//! Grid patrols on real store files (ADR 0008): plans and their versions, tasks derived from
//! the projections, runs with scans that are judged and always kept, skips, observations that
//! become one hazard, voids — and the rules that refuse what a run's or a plan's policy forbids.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::{T0, open_as};
use offgrid_core::grid::{GridLevel, NewGridCell};
use offgrid_core::patrol::plan::PlanVersion;
use offgrid_core::patrol::run::{RunEventKind, RunStatus};
use offgrid_core::patrol::scan::ScanFlag;
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::{Completion, TaskState};
use offgrid_core::patrol::{NewObservation, NewPlan, ScanInput, TaskQuery};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
use offgrid_core::{Error, FixedClock, RecordId, Role, Store, User};
use offgrid_testkit::photos::{self, Sample};
use serde_json::json;

const MIN: i64 = 60_000;
const H: i64 = 60 * MIN;
const DAY: i64 = 24 * H;

/// Local (+08:00) midnight of the day after `T0`, in UTC ms.
fn tomorrow() -> i64 {
    let local = T0 + 8 * H;
    local - local.rem_euclid(DAY) - 8 * H + DAY
}

struct World {
    store: Store,
    clock: std::sync::Arc<FixedClock>,
    site: RecordId,
    /// Checkpoint ids in route order, and their tags' payloads.
    checkpoints: Vec<(String, String)>,
    plan: RecordId,
    _dir: tempfile::TempDir,
}

fn admin() -> User {
    User::new("admin", "管理员").with_role("*", Role::Admin)
}

fn patroller(id: &str) -> User {
    // A grid member: no role on any project.
    User::new(id, id)
}

/// An admin's store with a grid cell, a site with three tagged checkpoints, and a plan patrolled
/// daily 09:00–11:00 (+30 min grace) by `assignees`.
fn world(assignees: &[&str], completion: Completion) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = open_as(&dir.path().join("a.db"), "admin");
    store.set_user(admin());
    let cell = store
        .add_grid_cell(&NewGridCell {
            code: "3201".into(),
            name: "南京市".into(),
            level: GridLevel::City,
            parent: None,
            boundary: None,
        })
        .unwrap();
    let site = store
        .add_site(&NewSite {
            name: "吉庆人防工程".into(),
            address: "江东中路 100 号地下".into(),
            kind: SiteKind::DualUse,
            unit: "吉庆物业".into(),
            cell,
            location: None,
            projects: vec!["p1".into()],
        })
        .unwrap();
    let mut checkpoints = Vec::new();
    for (i, name) in ["出入口", "防护密闭门", "集水井"].iter().enumerate() {
        let id = store
            .add_checkpoint(
                &site,
                &NewCheckpoint {
                    name: (*name).into(),
                    kind: CheckpointKind::Entrance,
                    methods: vec![CheckMethod::Nfc, CheckMethod::ManualPhoto],
                },
            )
            .unwrap();
        let payload = format!("https://tag.example/t?uid=04A1B2C3D4E5F{i}");
        store
            .bind_tag(&site, &id, &payload, CheckMethod::Nfc)
            .unwrap();
        checkpoints.push((id, payload));
    }
    let plan = store
        .add_patrol_plan(&plan_spec(&site, assignees, completion, 540))
        .unwrap();
    World {
        store,
        clock,
        site,
        checkpoints,
        plan,
        _dir: dir,
    }
}

fn plan_spec(site: &RecordId, assignees: &[&str], completion: Completion, start: u16) -> NewPlan {
    let mut schedule = Schedule::daily(start, 120);
    schedule.grace_minutes = 30;
    NewPlan {
        title: "人防工程日常巡查".into(),
        site: site.clone(),
        checkpoints: vec![],
        template: None,
        schedule,
        in_sequence: false,
        assignees: assignees.iter().map(|a| a.to_string()).collect(),
        completion,
        skip_needs_approval: false,
    }
}

fn day_tasks(store: &Store, day: i64) -> Vec<offgrid_core::patrol::TaskView> {
    store
        .patrol_tasks(&TaskQuery {
            from_ms: day,
            to_ms: day + DAY,
            ..Default::default()
        })
        .unwrap()
}

fn nfc(payload: &str) -> ScanInput {
    ScanInput {
        method: Some(CheckMethod::Nfc),
        payload: Some(payload.into()),
        ..Default::default()
    }
}

#[test]
fn a_task_is_due_in_its_window_and_done_when_its_run_covers_every_checkpoint() {
    let w = world(&["li"], Completion::Any);
    let day1 = tomorrow();
    // The plan was made at T0 (11:20 local): today's 09:00 window opened before it existed.
    assert!(day_tasks(&w.store, day1 - DAY).is_empty());
    w.clock.set(day1 + 8 * H);
    let tasks = day_tasks(&w.store, day1);
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].state, TaskState::Upcoming);
    assert_eq!(tasks[0].occurrence.start_ms, day1 + 9 * H);

    w.clock.set(day1 + 9 * H + 10 * MIN);
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::Due);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    assert_eq!(
        w.store.start_patrol(&w.plan, None).unwrap(),
        run,
        "starting again resumes the unfinished run"
    );
    let t = &day_tasks(&w.store, day1)[0];
    assert_eq!(
        (t.state, t.runs.as_slice()),
        (TaskState::InProgress, [run.clone()].as_slice())
    );

    for (i, (cp, payload)) in w.checkpoints.iter().enumerate() {
        w.clock.advance_ms(2 * MIN);
        let out = w.store.scan_checkpoint(&run, &nfc(payload)).unwrap();
        assert!(out.verdict.counts, "scan {i}: {:?}", out.verdict);
        assert_eq!(out.verdict.checkpoint.as_deref(), Some(cp.as_str()));
        assert!(out.verdict.flags.is_empty(), "{:?}", out.verdict.flags);
    }
    let view = w.store.patrol_run(&run).unwrap();
    assert!(view.remaining.is_empty());
    assert_eq!(view.covered.len(), 3);
    w.store.finish_patrol(&run, None).unwrap();
    let view = w.store.patrol_run(&run).unwrap();
    assert_eq!(view.status, RunStatus::Finished);
    assert_eq!(view.task.as_deref(), Some(tasks[0].id.as_str()));
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::Done);
    // The list of runs of the plan comes from the projection.
    assert_eq!(w.store.patrol_runs(&w.plan).unwrap()[0].id, run);
    // A finished run takes no more scans.
    let err = w
        .store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[0].1))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err:?}");
}

#[test]
fn scans_that_do_not_count_are_kept_and_flagged() {
    let w = world(&["li"], Completion::Any);
    let day1 = tomorrow();
    w.clock.set(day1 + 9 * H + 5 * MIN);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    let unknown = w
        .store
        .scan_checkpoint(&run, &nfc("https://tag.example/t?uid=FFFFFFFFFFFFFF"))
        .unwrap();
    assert!(!unknown.verdict.counts);
    assert_eq!(unknown.verdict.flags, [ScanFlag::UnknownTag]);
    // QR is not a method these checkpoints accept.
    let qr = w
        .store
        .scan_checkpoint(
            &run,
            &ScanInput {
                method: Some(CheckMethod::Qr),
                payload: Some(w.checkpoints[0].1.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!qr.verdict.counts);
    assert!(qr.verdict.flags.contains(&ScanFlag::MethodNotAllowed));
    // Two checkpoints 5 s apart: the second counts, and is flagged too fast.
    w.store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[0].1))
        .unwrap();
    w.clock.advance_ms(5_000);
    let fast = w
        .store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[1].1))
        .unwrap();
    assert!(fast.verdict.counts);
    assert!(fast.verdict.flags.contains(&ScanFlag::TooFast));
    // A manual check needs a photo attached to the run.
    let manual = ScanInput {
        method: Some(CheckMethod::ManualPhoto),
        checkpoint: Some(w.checkpoints[2].0.clone()),
        ..Default::default()
    };
    assert!(matches!(
        w.store.scan_checkpoint(&run, &manual).unwrap_err(),
        Error::InvalidValue { .. }
    ));
    let photo = w
        .store
        .add_photo(
            &PhotoTarget::Patrol { id: run.clone() },
            &photos::jpeg(&Sample {
                width: 640,
                height: 480,
                ..Default::default()
            }),
            &CaptureContext::default(),
        )
        .unwrap();
    w.clock.advance_ms(MIN);
    let manual = w
        .store
        .scan_checkpoint(
            &run,
            &ScanInput {
                photos: vec![photo.sha256.clone()],
                ..manual
            },
        )
        .unwrap();
    assert!(manual.verdict.counts, "{:?}", manual.verdict);
    let view = w.store.patrol_run(&run).unwrap();
    assert_eq!(
        view.events
            .iter()
            .filter(|e| e.kind.name() == "scan")
            .count(),
        5,
        "every scan is kept"
    );
    assert_eq!(view.flags.get("unknown_tag"), Some(&1));
    assert_eq!(view.flags.get("too_fast"), Some(&1));
    assert!(view.remaining.is_empty());
}

#[test]
fn a_task_left_incomplete_is_partial_only_once_every_assignee_has_synced() {
    let w = world(&["li", "wang"], Completion::Any);
    let day1 = tomorrow();
    w.clock.set(day1 + 9 * H + 5 * MIN);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    w.store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[0].1))
        .unwrap();
    let skipped = w
        .store
        .skip_checkpoint(&run, &w.checkpoints[1].0, "积水无法进入 / flooded")
        .unwrap();
    let err = w.store.finish_patrol(&run, None).unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err:?}");
    w.store
        .finish_patrol(&run, Some("集水井被封 / sump sealed"))
        .unwrap();
    // After the window and grace: wang's phone has not reported, so not "partial" yet.
    w.clock.set(day1 + 12 * H);
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::AwaitingSync);
    // The server says wang's devices have synced past the grace: now it is partial.
    let conn = rusqlite::Connection::open(w.store.path()).unwrap();
    conn.execute(
        "INSERT INTO sync_watermarks(account, at_ms) VALUES ('wang', ?1)",
        [day1 + 12 * H],
    )
    .unwrap();
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::Partial);
    let view = w.store.patrol_run(&run).unwrap();
    assert_eq!(view.remaining, [w.checkpoints[2].0.clone()]);
    assert!(view.covered.contains(&w.checkpoints[1].0), "{skipped}");
    // A supervisor voids it: the task is back to what no run makes it (on the supervisor's
    // device, once li's devices too are known to have synced).
    w.store.set_user(admin());
    conn.execute(
        "INSERT INTO sync_watermarks(account, at_ms) VALUES ('li', ?1)",
        [day1 + 12 * H],
    )
    .unwrap();
    w.store
        .void_patrol(&run, "代签 / scanned by someone else")
        .unwrap();
    assert_eq!(w.store.patrol_run(&run).unwrap().status, RunStatus::Voided);
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::Missed);
}

#[test]
fn a_revision_applies_after_the_window_open_now() {
    let w = world(&["li"], Completion::Any);
    let day1 = tomorrow();
    w.clock.set(day1 + 9 * H + 30 * MIN);
    let v2 = w
        .store
        .revise_patrol_plan(
            &w.plan,
            &plan_spec(&w.site, &["wang"], Completion::Any, 840),
        )
        .unwrap();
    assert_eq!(v2, 2);
    let plan = w.store.patrol_plan(&w.plan).unwrap();
    assert_eq!(
        plan.versions[1].effective_from_ms,
        day1 + 11 * H + 30 * MIN,
        "in force from the end of the open window's grace"
    );
    let today = day_tasks(&w.store, day1);
    assert_eq!(
        today
            .iter()
            .map(|t| (t.version, t.assignees.clone()))
            .collect::<Vec<_>>(),
        [(1, vec!["li".to_owned()]), (2, vec!["wang".to_owned()])],
        "09:00 keeps version 1; 14:00 is version 2's first"
    );
    // The tasks of wang are found by assignee.
    let wang = w
        .store
        .patrol_tasks(&TaskQuery {
            from_ms: day1,
            to_ms: day1 + 2 * DAY,
            assignee: Some("wang".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(wang.len(), 2);
    assert_eq!(w.store.patrol_plans(None, Some("wang")).unwrap().len(), 1);
    assert!(w.store.patrol_plans(None, Some("zhao")).unwrap().is_empty());
}

#[test]
fn the_plan_gate_refuses_backdated_versions_and_writers_without_the_role() {
    let w = world(&["li"], Completion::Any);
    let plan = w.store.patrol_plan(&w.plan).unwrap();
    let mut v2: PlanVersion = plan.versions[0].clone();
    v2.version = 2;
    v2.effective_from_ms = T0 - DAY;
    let entry = json!({"by": "admin", "at_ms": T0, "spec": serde_json::to_string(&v2).unwrap()});
    let err = w
        .store
        .update(&w.plan, "backdate", |e| {
            Ok(e.insert("/versions", "2", &entry)?)
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("plan_version")),
        "{err:?}"
    );
    // Version 3 without version 2.
    let mut v3 = plan.versions[0].clone();
    v3.version = 3;
    v3.effective_from_ms = T0 + DAY;
    let entry = json!({"by": "admin", "at_ms": T0, "spec": serde_json::to_string(&v3).unwrap()});
    assert!(
        w.store
            .update(&w.plan, "skip", |e| Ok(e.insert(
                "/versions",
                "3",
                &entry
            )?))
            .is_err()
    );
    // An inspector of the organisation does not write plans.
    w.store
        .set_user(User::new("zhao", "赵").with_role("org", Role::Inspector));
    let err = w
        .store
        .add_patrol_plan(&plan_spec(&w.site, &["li"], Completion::Any, 600))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Forbidden { permission, .. } if permission == "manage_patrol"),
        "{err:?}"
    );
    assert_eq!(w.store.patrol_plan(&w.plan).unwrap().versions.len(), 1);
}

#[test]
fn only_the_runner_writes_a_run_and_only_a_supervisor_voids_it() {
    let w = world(&["li"], Completion::Any);
    w.clock.set(tomorrow() + 9 * H + 5 * MIN);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    // Wang, another grid member, writes into li's run directly: the gate refuses it.
    w.store.set_user(patroller("wang"));
    let forged = json!({"type": "scan", "by": "wang", "at_ms": T0, "method": "nfc",
        "verdict": {"checkpoint": w.checkpoints[0].0, "counts": true, "flags": []}});
    let err = w
        .store
        .update(&run, "forge", |e| Ok(e.insert("/events", "x1", &forged)?))
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("one_writer")),
        "{err:?}"
    );
    assert!(matches!(
        w.store.scan_checkpoint(&run, &nfc(&w.checkpoints[0].1)),
        Err(Error::Forbidden { .. })
    ));
    // Nor may a grid member void it.
    let err = w.store.void_patrol(&run, "x").unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    // The runner cannot void their own run either (no role), nor finish with a gap unexplained
    // by writing the event directly.
    w.store.set_user(patroller("li"));
    let finish = json!({"type": "finish", "by": "li", "at_ms": T0 + DAY});
    let err = w
        .store
        .update(&run, "finish", |e| Ok(e.insert("/events", "f1", &finish)?))
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("finish_reason")),
        "{err:?}"
    );
    assert_eq!(w.store.patrol_run(&run).unwrap().events.len(), 1);
}

#[test]
fn an_observation_cites_only_photos_held_here_or_attached_to_the_run() {
    let w = world(&["li"], Completion::Any);
    w.clock.set(tomorrow() + 9 * H + 5 * MIN);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    let observe = |photos: Vec<String>| {
        w.store.observe_on_patrol(
            &run,
            &NewObservation {
                checkpoint: None,
                text: "积水 / standing water".into(),
                grade: None,
                photos,
            },
        )
    };
    let not_held = "ee".repeat(32);
    let err = observe(vec![not_held.clone()]).unwrap_err();
    assert!(
        matches!(&err, Error::PhotoNotHeld { sha256 } if *sha256 == not_held),
        "{err}"
    );
    assert!(
        !w.store
            .patrol_run(&run)
            .unwrap()
            .events
            .iter()
            .any(|e| e.kind.name() == "observe"),
        "nothing recorded"
    );
    let photo = w
        .store
        .add_photo(
            &PhotoTarget::Patrol { id: run.clone() },
            &photos::jpeg(&Sample {
                width: 64,
                height: 48,
                ..Default::default()
            }),
            &CaptureContext::default(),
        )
        .unwrap();
    observe(vec![photo.sha256]).unwrap();
}

#[test]
fn an_observation_raised_twice_is_one_hazard() {
    let w = world(&["li"], Completion::Any);
    w.clock.set(tomorrow() + 9 * H + 5 * MIN);
    // Li holds an inspector role on the site's project here, so he may raise hazards there.
    w.store
        .set_user(User::new("li", "李").with_role("p1", Role::Inspector));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    let obs = w
        .store
        .observe_on_patrol(
            &run,
            &NewObservation {
                checkpoint: Some(w.checkpoints[1].0.clone()),
                text: "防护密闭门密封条老化 / blast door seal worn".into(),
                grade: None,
                photos: vec![],
            },
        )
        .unwrap();
    let a = w
        .store
        .raise_hazard_from_observation(&run, &obs, "p1")
        .unwrap();
    let b = w
        .store
        .raise_hazard_from_observation(&run, &obs, "p1")
        .unwrap();
    assert_eq!(a, b);
    let hazard = w.store.hazard(&a).unwrap();
    assert_eq!(hazard.location, "防护密闭门");
    assert_eq!(hazard.site, w.site.as_str());
    assert_eq!(
        w.store.get_path(&a, "/patrol/observation").unwrap(),
        Some(json!(obs))
    );
    // A scan event is not an observation.
    let scan = w
        .store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[0].1))
        .unwrap();
    assert!(
        w.store
            .raise_hazard_from_observation(&run, &scan.event, "p1")
            .is_err()
    );
}

#[test]
fn an_observation_raised_on_two_phones_offline_is_one_hazard() {
    let w = world(&["li"], Completion::Any);
    let (li, li_clock) = open_as(&w._dir.path().join("li.db"), "li");
    li.set_user(patroller("li").with_role("p1", Role::Inspector));
    for r in w.store.list(&Default::default()).unwrap() {
        send(&w.store, &li, &r.id);
    }
    let day1 = tomorrow();
    li_clock.set(day1 + 9 * H + 5 * MIN);
    let run = li.start_patrol(&w.plan, None).unwrap();
    let obs = li
        .observe_on_patrol(
            &run,
            &NewObservation {
                checkpoint: Some(w.checkpoints[1].0.clone()),
                text: "防护密闭门密封条老化 / blast door seal worn".into(),
                grade: Some(offgrid_core::RiskGrade::Orange),
                photos: vec![],
            },
        )
        .unwrap();
    // The office sees the run (li synced once), then li goes back underground.
    send(&li, &w.store, &run);
    // Both raise it, offline, at different times.
    li_clock.set(day1 + 9 * H + 20 * MIN);
    let from_li = li.raise_hazard_from_observation(&run, &obs, "p1").unwrap();
    w.clock.set(day1 + 10 * H);
    let from_office = w
        .store
        .raise_hazard_from_observation(&run, &obs, "p1")
        .unwrap();
    assert_eq!(from_li, from_office);
    // The two first changes are the same bytes: one record, whoever raised it.
    assert_eq!(
        li.changes_since(&from_li, &[]).unwrap()[0],
        w.store.changes_since(&from_li, &[]).unwrap()[0]
    );
    send(&li, &w.store, &from_li);
    send(&w.store, &li, &from_li);
    assert_eq!(
        li.heads(&from_li).unwrap(),
        w.store.heads(&from_li).unwrap()
    );
    let (a, b) = (
        li.hazard(&from_li).unwrap(),
        w.store.hazard(&from_li).unwrap(),
    );
    assert_eq!(a, b);
    let raisers: Vec<&str> = a
        .events
        .iter()
        .filter(|e| e.kind.name() == "raised")
        .map(|e| e.by.as_str())
        .collect();
    assert_eq!(
        raisers,
        ["li", "admin"],
        "each raiser is named, in time order"
    );
    assert_eq!(
        a.state.not_applied.len(),
        1,
        "the second raise changes nothing"
    );
    assert_eq!(a.state.grade, Some(offgrid_core::RiskGrade::Orange));
    assert_eq!(a.location, "防护密闭门");
    assert_eq!(
        w.store
            .list(&Default::default())
            .unwrap()
            .iter()
            .filter(|r| r.kind == offgrid_core::RecordKind::Hazard)
            .count(),
        1
    );
    // The hazard goes on through the loop.
    w.store
        .order_rectification(
            &from_li,
            &offgrid_core::hazard::RectificationOrder {
                unit: "吉庆物业".into(),
                person: "zhao".into(),
                person_name: "赵".into(),
                deadline_ms: day1 + 7 * DAY,
                measures: "更换密封条 / replace the seal".into(),
            },
        )
        .unwrap();
}

#[test]
fn a_hazard_observed_on_a_patrol_comes_with_a_raise_by_someone_who_may() {
    use offgrid_core::record::{Authority, judge};
    let w = world(&["li"], Completion::Any);
    w.clock.set(tomorrow() + 9 * H + 5 * MIN);
    w.store
        .set_user(patroller("li").with_role("p1", Role::Inspector));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    let obs = w
        .store
        .observe_on_patrol(
            &run,
            &NewObservation {
                text: "照明损坏 / lights broken".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let hazard = w
        .store
        .raise_hazard_from_observation(&run, &obs, "p1")
        .unwrap();
    let changes = w.store.changes_since(&hazard, &[]).unwrap();
    assert_eq!(
        changes.len(),
        2,
        "the observation's first change, then li's raise"
    );
    let load = |n: usize| {
        let mut doc = automerge::Automerge::new();
        doc.apply_changes(
            changes[..n]
                .iter()
                .map(|c| automerge::Change::from_bytes(c.clone()).unwrap()),
        )
        .unwrap();
        doc
    };
    // The server's view: the first change alone is refused (nobody raised it) ...
    let inspector = patroller("li").with_role("p1", Role::Inspector);
    let alone = judge(&load(1), &[], &Authority::server(inspector.clone())).unwrap_err();
    assert_eq!(alone.name(), "raised_first");
    // ... with the raise of someone who may raise hazards it stands ...
    judge(&load(2), &[], &Authority::server(inspector)).unwrap();
    // ... and a grid member without a role on the project may not raise it.
    let refused = judge(&load(2), &[], &Authority::server(patroller("li"))).unwrap_err();
    assert_eq!(refused.name(), "permission", "{refused}");
}

#[test]
fn answers_on_a_patrol_fit_the_plans_template() {
    let w = world(&["li"], Completion::Any);
    let mut spec = plan_spec(&w.site, &["li"], Completion::Any, 540);
    for (bad, what) in [("shelter-safety-patrol", "id@version"), ("no-such@1", "")] {
        spec.template = Some(bad.into());
        let err = w.store.add_patrol_plan(&spec).unwrap_err();
        assert!(err.to_string().contains(what), "{bad}: {err}");
    }
    spec.template = Some("shelter-safety-patrol@1".into());
    let plan = w.store.add_patrol_plan(&spec).unwrap();
    w.clock.set(tomorrow() + 9 * H + 5 * MIN);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&plan, None).unwrap();
    let cp = Some(w.checkpoints[0].0.as_str());
    w.store
        .answer_on_patrol(&run, cp, "exits-clear", json!("pass"), None)
        .unwrap();
    let err = w
        .store
        .answer_on_patrol(&run, cp, "exits-clear", json!(42), None)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidAnswer { .. }), "{err:?}");
    let err = w
        .store
        .answer_on_patrol(&run, cp, "no-such-item", json!("pass"), None)
        .unwrap_err();
    assert!(matches!(err, Error::UnknownItem { .. }), "{err:?}");
    // Only the answer that fits was recorded.
    let answers: Vec<_> = w
        .store
        .patrol_run(&run)
        .unwrap()
        .events
        .into_iter()
        .filter(|e| matches!(e.kind, RunEventKind::Answer { .. }))
        .collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    // A plan without a template takes answers as they come.
    let free = w.store.start_patrol(&w.plan, None).unwrap();
    w.store
        .answer_on_patrol(
            &free,
            None,
            "free-text",
            json!("门口杂物已清 / cleared"),
            None,
        )
        .unwrap();
}

#[test]
fn an_excused_task_is_excused() {
    let w = world(&["li"], Completion::Each);
    let day1 = tomorrow();
    w.clock.set(day1 + 8 * H);
    let task = day_tasks(&w.store, day1)[0].id.clone();
    w.store
        .excuse_patrol_task(&w.plan, &task, "工程封闭维修 / closed for repair")
        .unwrap();
    w.clock.set(day1 + 13 * H);
    assert_eq!(day_tasks(&w.store, day1)[0].state, TaskState::Excused);
    assert!(
        w.store.excuse_patrol_task(&w.plan, &task, " ").is_err(),
        "an excusal needs a reason"
    );
}

#[test]
fn coverage_rolls_tasks_checkpoints_flags_and_hazards_up_the_grid() {
    let w = world(&["li"], Completion::Any);
    let day1 = tomorrow();
    let city = w.store.site(&w.site).unwrap().cell;
    let district = w
        .store
        .add_grid_cell(&NewGridCell {
            code: "320105".into(),
            name: "建邺区".into(),
            level: GridLevel::District,
            parent: Some(city.clone()),
            boundary: None,
        })
        .unwrap();
    w.store
        .update_site(
            &w.site,
            &offgrid_core::site::SiteEdit {
                cell: Some(district.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    // Day 1: li covers one checkpoint of three, with a stray tag on the way, and reports a
    // problem raised as a hazard. Day 2: nobody goes.
    w.clock.set(day1 + 9 * H + 5 * MIN);
    w.store
        .set_user(User::new("li", "李").with_role("p1", Role::Inspector));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    w.store
        .scan_checkpoint(&run, &nfc(&w.checkpoints[0].1))
        .unwrap();
    w.store
        .scan_checkpoint(&run, &nfc("https://tag.example/t?uid=0400000000AAAA"))
        .unwrap();
    let obs = w
        .store
        .observe_on_patrol(
            &run,
            &NewObservation {
                text: "集水井盖板缺失 / sump cover missing".into(),
                ..Default::default()
            },
        )
        .unwrap();
    w.store
        .raise_hazard_from_observation(&run, &obs, "p1")
        .unwrap();
    w.store
        .finish_patrol(&run, Some("时间不够 / out of time"))
        .unwrap();
    w.clock.set(day1 + 2 * DAY + 12 * H);
    w.store.set_user(admin());
    let conn = rusqlite::Connection::open(w.store.path()).unwrap();
    conn.execute(
        "INSERT INTO sync_watermarks(account, at_ms) VALUES ('li', ?1)",
        [day1 + 2 * DAY],
    )
    .unwrap();

    let cov = w
        .store
        .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
            from_ms: day1,
            to_ms: day1 + 2 * DAY,
            cell: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        cov.iter()
            .map(|c| (c.code.as_str(), c.depth, c.sites))
            .collect::<Vec<_>>(),
        [("3201", 0, 1), ("320105", 1, 1)]
    );
    let d = &cov[1].own;
    assert_eq!(
        (d.tasks.partial, d.tasks.missed, d.tasks.total()),
        (1, 1, 2)
    );
    assert_eq!(d.checkpoints_missed, 2 + 3);
    assert_eq!(d.flags, 1);
    assert_eq!(d.open_hazards.get(""), Some(&1));
    assert_eq!(
        cov[0].own.tasks.total(),
        0,
        "the city has no site of its own"
    );
    assert_eq!(cov[0].total, cov[1].own, "rolled up to the city");
    // Only the district's part of the grid.
    let part = w
        .store
        .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
            from_ms: day1,
            to_ms: day1 + DAY,
            cell: Some(district.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(part.len(), 1);
    assert_eq!(part[0].total.tasks.partial, 1);
    assert_eq!(part[0].total.tasks.missed, 0);

    // As a register: a quiet district listed before the busy one, filtered and sorted.
    w.store
        .add_grid_cell(&NewGridCell {
            code: "320104".into(),
            name: "秦淮区".into(),
            level: GridLevel::District,
            parent: Some(city.clone()),
            boundary: None,
        })
        .unwrap();
    let codes = |q: offgrid_core::patrol::CoverageQuery| -> Vec<String> {
        w.store
            .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
                from_ms: day1,
                to_ms: day1 + 2 * DAY,
                ..q
            })
            .unwrap()
            .into_iter()
            .map(|c| c.code)
            .collect()
    };
    use offgrid_core::patrol::{CoverageQuery as Q, CoverageSort};
    assert_eq!(codes(Q::default()), ["3201", "320104", "320105"]);
    let busy_first = codes(Q {
        sort: Some(CoverageSort::Missed),
        ..Default::default()
    });
    assert_eq!(busy_first, ["3201", "320105", "320104"]);
    let attention = codes(Q {
        attention_only: true,
        ..Default::default()
    });
    assert_eq!(attention, ["3201", "320105"]);
    let top = codes(Q {
        max_depth: Some(0),
        ..Default::default()
    });
    assert_eq!(top, ["3201"]);
    assert_eq!(
        "awaiting_sync".parse::<CoverageSort>(),
        Ok(CoverageSort::AwaitingSync)
    );
    assert!("busiest".parse::<CoverageSort>().is_err());
}

#[test]
fn a_track_is_recorded_only_within_an_open_run() {
    use offgrid_core::patrol::TrackPoint;
    let w = world(&["li"], Completion::Any);
    let start = tomorrow() + 9 * H + 5 * MIN;
    w.clock.set(start);
    w.store.set_user(patroller("li"));
    let run = w.store.start_patrol(&w.plan, None).unwrap();
    w.clock.advance_ms(5 * MIN);
    let point = |at_ms: i64, lon: f64| TrackPoint {
        at_ms,
        lon,
        lat: 32.0051,
        accuracy_m: 8.5,
    };
    w.store
        .add_track_points(
            &run,
            &[
                point(start + 2 * MIN, 118.7312),
                point(start + MIN, 118.7313),
            ],
        )
        .unwrap();
    w.store
        .add_track_points(&run, &[point(start + 3 * MIN, 118.7314)])
        .unwrap();
    let track = w.store.patrol_track(&run).unwrap();
    assert_eq!(
        track.iter().map(|p| p.at_ms - start).collect::<Vec<_>>(),
        [MIN, 2 * MIN, 3 * MIN],
        "every chunk, in time order"
    );
    // Before the run started, in the future, off the globe, empty: refused.
    for bad in [
        vec![point(start - MIN, 118.7)],
        vec![point(start + 10 * MIN, 118.7)],
        vec![point(start + MIN, 200.0)],
        vec![],
    ] {
        let err = w.store.add_track_points(&run, &bad).unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{err:?}");
    }
    // Malformed points written directly are refused by the gate.
    let err = w
        .store
        .update(&run, "raw", |e| {
            Ok(e.insert(
                "/track",
                "t1",
                &json!({"by": "li", "at_ms": start, "points": "nonsense"}),
            )?)
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("track")),
        "{err:?}"
    );
    // After the finish: no more track.
    w.store.finish_patrol(&run, Some("测试 / test")).unwrap();
    let err = w
        .store
        .add_track_points(&run, &[point(start + 4 * MIN, 118.7)])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err:?}");
    assert_eq!(w.store.patrol_track(&run).unwrap().len(), 3);
}

/// Sends every change of `id` from one store to another (duplicates are no-ops).
fn send(from: &Store, to: &Store, id: &RecordId) {
    for c in from.changes_since(id, &[]).unwrap() {
        to.apply_changes(id, &c).unwrap();
    }
}

/// A runner's phone and a supervisor's, working on one run offline in any order and syncing
/// at any points, end with the same run and the same task state; every observation raised, on
/// either phone or both, is one hazard, the same on both.
fn converge(ops: &[(u8, usize)]) {
    let w = world(&["li"], Completion::Any);
    let mut spec = plan_spec(&w.site, &["li"], Completion::Any, 540);
    spec.skip_needs_approval = true;
    let plan = w.store.add_patrol_plan(&spec).unwrap();
    let day1 = tomorrow();
    let (li, li_clock) = open_as(&w._dir.path().join("li.db"), "li");
    li.set_user(patroller("li").with_role("p1", Role::Inspector));
    for r in w.store.list(&Default::default()).unwrap() {
        send(&w.store, &li, &r.id);
    }
    li_clock.set(day1 + 9 * H + 5 * MIN);
    w.clock.set(day1 + 9 * H + 5 * MIN);
    let run = li.start_patrol(&plan, None).unwrap();
    send(&li, &w.store, &run);
    let observations = |s: &Store| -> Vec<String> {
        s.patrol_run(&run)
            .unwrap()
            .events
            .into_iter()
            .filter(|e| e.kind.name() == "observe")
            .map(|e| e.id)
            .collect()
    };
    let raise = |s: &Store, arg: usize| {
        let seen = observations(s);
        match seen.get(arg % seen.len().max(1)) {
            Some(obs) => s.raise_hazard_from_observation(&run, obs, "p1").map(|_| ()),
            None => Ok(()),
        }
    };
    let hazards = |s: &Store| -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = s
            .list(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == offgrid_core::RecordKind::Hazard)
            .map(|r| r.id)
            .collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids
    };
    let sync = || {
        send(&li, &w.store, &run);
        send(&w.store, &li, &run);
        for h in hazards(&li) {
            send(&li, &w.store, &h);
        }
        for h in hazards(&w.store) {
            send(&w.store, &li, &h);
        }
    };
    let mut raised = std::collections::BTreeSet::new();
    for (op, arg) in ops {
        li_clock.advance_ms(30_000);
        w.clock.advance_ms(30_000);
        let cp = &w.checkpoints[arg % 3];
        let _ = match op {
            0 => li
                .scan_checkpoint(
                    &run,
                    &nfc(if *arg == 3 {
                        "https://x.example/?uid=04FF"
                    } else {
                        &cp.1
                    }),
                )
                .map(|_| ()),
            1 => li.skip_checkpoint(&run, &cp.0, "锁闭 / locked").map(|_| ()),
            2 => li.pause_patrol(&run).map(|_| ()),
            3 => li.resume_patrol(&run).map(|_| ()),
            4 => li.finish_patrol(&run, Some("结束 / done")).map(|_| ()),
            5 => {
                let skip = w
                    .store
                    .patrol_run(&run)
                    .unwrap()
                    .events
                    .into_iter()
                    .rev()
                    .find(|e| e.kind.name() == "skip");
                match skip {
                    Some(s) => w.store.approve_patrol_skip(&run, &s.id).map(|_| ()),
                    None => Ok(()),
                }
            }
            6 => w
                .store
                .void_patrol(&run, "抽查不符 / spot check failed")
                .map(|_| ()),
            7 => li
                .observe_on_patrol(
                    &run,
                    &NewObservation {
                        checkpoint: Some(cp.0.clone()),
                        text: format!("渗水 {arg} / seepage {arg}"),
                        grade: (*arg % 2 == 0).then_some(offgrid_core::RiskGrade::Yellow),
                        photos: vec![],
                    },
                )
                .map(|_| ()),
            8 => raise(&li, *arg),
            9 => raise(&w.store, *arg),
            _ => {
                sync();
                Ok(())
            }
        };
        raised.extend(hazards(&li));
        raised.extend(hazards(&w.store));
    }
    sync();
    // Every observation raised anywhere is one hazard, the same on both phones.
    assert_eq!(hazards(&li), hazards(&w.store));
    assert_eq!(raised.len(), hazards(&li).len());
    for h in hazards(&li) {
        assert_eq!(li.heads(&h).unwrap(), w.store.heads(&h).unwrap());
        assert_eq!(li.hazard(&h).unwrap(), w.store.hazard(&h).unwrap());
    }
    let (a, b) = (
        w.store.patrol_run(&run).unwrap(),
        li.patrol_run(&run).unwrap(),
    );
    assert_eq!(
        (
            a.status,
            &a.covered,
            &a.remaining,
            &a.not_applied,
            a.events.len()
        ),
        (
            b.status,
            &b.covered,
            &b.remaining,
            &b.not_applied,
            b.events.len()
        )
    );
    assert_eq!(a.events, b.events);
    // The same task state on both, later in the day, both knowing li has synced.
    for s in [&w.store, &li] {
        let conn = rusqlite::Connection::open(s.path()).unwrap();
        conn.execute(
            "INSERT OR REPLACE INTO sync_watermarks(account, at_ms) VALUES ('li', ?1)",
            [day1 + 20 * H],
        )
        .unwrap();
    }
    w.clock.set(day1 + 20 * H);
    li_clock.set(day1 + 20 * H);
    let state = |s: &Store| -> Vec<TaskState> {
        s.patrol_tasks(&TaskQuery {
            from_ms: day1,
            to_ms: day1 + DAY,
            plan: Some(plan.clone()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|t| t.state)
        .collect()
    };
    assert_eq!(state(&w.store), state(&li));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]
    #[test]
    fn a_runner_and_a_supervisor_converge_whatever_the_order(
        ops in proptest::collection::vec((0u8..11, 0usize..4), 1..24)
    ) {
        converge(&ops);
    }
}

#[test]
fn a_plan_names_its_checkpoints_by_id_or_name_and_an_unknown_one_is_refused() {
    let w = world(&["li"], Completion::Any);
    let mut spec = plan_spec(&w.site, &["li"], Completion::Any, 600);
    // By name and by id, in the order given.
    spec.checkpoints = vec!["集水井".into(), w.checkpoints[0].0.clone()];
    let id = w.store.add_patrol_plan(&spec).unwrap();
    let plan = w.store.patrol_plan(&id).unwrap();
    let required: Vec<String> = plan.versions[0]
        .checkpoints
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(
        required,
        [w.checkpoints[2].0.clone(), w.checkpoints[0].0.clone()]
    );
    // A name the site does not have is an error, not a checkpoint that can never be scanned.
    spec.checkpoints = vec!["配电间".into()];
    match w.store.add_patrol_plan(&spec) {
        Err(offgrid_core::Error::InvalidValue { path, reason }) => {
            assert_eq!(path, "/checkpoints");
            assert!(reason.contains("配电间"), "{reason}");
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}
