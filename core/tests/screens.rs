//! Screen models on real store files (issue 14): a whole hazard loop driven only through the
//! hazard screen and its commands, each user offered exactly the steps they may take; the
//! patrol run screen for the runner and for a supervisor; the home screen of a grid member and
//! of the person a rectification is ordered to.

mod common;

use common::{T0, open_as};
use offgrid_core::hazard::{HazardAction, HazardStatus, NewHazard, RectificationOrder};
use offgrid_core::photo::sample::{self, Sample};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::screens::{HazardCommand, PatrolAction};
use offgrid_core::{Error, RiskGrade, Role, Store, User};

const DAY: i64 = 86_400_000;

fn as_user(s: &Store, id: &str, role: Role) {
    s.set_user(User::new(id, id).with_role("p1", role));
}

fn jpeg(width: u32) -> Vec<u8> {
    sample::jpeg(&Sample {
        width,
        height: 48,
        ..Sample::default()
    })
}

#[test]
fn a_hazard_loop_through_the_hazard_screen_offers_each_user_their_steps() {
    use HazardAction::*;
    let dir = tempfile::tempdir().unwrap();
    let (s, clock) = open_as(&dir.path().join("a.db"), "zhang");
    as_user(&s, "zhang", Role::Inspector);
    let id = s
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "B1".into(),
            location: "集水井".into(),
            title: "排水泵故障".into(),
            description: "集水井水位高，排水泵不启动".into(),
            ..Default::default()
        })
        .unwrap();
    s.add_photo(
        &PhotoTarget::Hazard {
            id: id.clone(),
            rectification: false,
        },
        &jpeg(64),
        &CaptureContext::default(),
    )
    .unwrap();
    let screen = s.hazard_screen(&id).unwrap();
    assert_eq!(screen.hazard.state.status, HazardStatus::Raised);
    assert_eq!(screen.allowed_actions, [Grade, Escalate]);
    assert_eq!(screen.before_photos.len(), 1);
    assert!(screen.after_photos.is_empty());

    // The supervisor grades and orders; each command returns the screen again.
    as_user(&s, "wang", Role::Supervisor);
    let screen = s
        .hazard_command(
            &id,
            HazardCommand::Grade {
                grade: RiskGrade::Orange,
                major: false,
                note: None,
            },
        )
        .unwrap();
    assert_eq!(
        screen.allowed_actions,
        [Grade, OrderRectification, Escalate]
    );
    let screen = s
        .hazard_command(
            &id,
            HazardCommand::OrderRectification {
                order: RectificationOrder {
                    unit: "物业".into(),
                    person: "chen".into(),
                    person_name: "陈工".into(),
                    deadline_ms: T0 + 7 * DAY,
                    measures: "检修排水泵".into(),
                },
            },
        )
        .unwrap();
    assert_eq!(screen.hazard.state.status, HazardStatus::Ordered);
    assert!(!screen.allowed_actions.contains(&SubmitRectification));

    // The person ordered (an inspector elsewhere, with a role here) sees the submit step.
    as_user(&s, "chen", Role::Inspector);
    let screen = s.hazard_screen(&id).unwrap();
    assert!(screen.allowed_actions.contains(&SubmitRectification));
    let after = s
        .add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: true,
            },
            &jpeg(80),
            &CaptureContext::default(),
        )
        .unwrap();
    clock.advance_ms(DAY);
    let screen = s
        .hazard_command(
            &id,
            HazardCommand::SubmitRectification {
                note: "已更换水泵".into(),
                photos: vec![after.sha256.clone()],
            },
        )
        .unwrap();
    assert_eq!(screen.after_photos.len(), 1);
    assert_eq!(screen.after_photos[0].sha256, after.sha256);
    assert!(
        !screen.allowed_actions.contains(&Reinspect),
        "whoever rectified does not re-inspect"
    );
    // A step not offered is refused by the write too.
    let err = s
        .hazard_command(
            &id,
            HazardCommand::Reinspect {
                passed: true,
                note: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::RuleViolation(_)), "{err:?}");

    as_user(&s, "zhang", Role::Inspector);
    let screen = s.hazard_screen(&id).unwrap();
    assert!(screen.allowed_actions.contains(&Reinspect));
    let screen = s
        .hazard_command(
            &id,
            HazardCommand::Reinspect {
                passed: true,
                note: None,
            },
        )
        .unwrap();
    assert_eq!(screen.hazard.state.status, HazardStatus::Verified);
    assert_eq!(screen.allowed_actions, [Escalate, Close]);
    let screen = s
        .hazard_command(&id, HazardCommand::Close { note: None })
        .unwrap();
    assert_eq!(screen.hazard.state.status, HazardStatus::Closed);
    assert!(screen.allowed_actions.is_empty());
    // The timeline: who did each step, in order.
    let by: Vec<&str> = screen.hazard.events.iter().map(|e| e.by.as_str()).collect();
    assert_eq!(by, ["zhang", "wang", "wang", "chen", "zhang", "zhang"]);
}

#[test]
fn a_viewer_is_offered_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "zhang");
    as_user(&s, "zhang", Role::Inspector);
    let id = s
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            title: "渗水".into(),
            ..Default::default()
        })
        .unwrap();
    as_user(&s, "vera", Role::Viewer);
    assert!(s.hazard_screen(&id).unwrap().allowed_actions.is_empty());
}

/// A site with two tagged checkpoints and a daily 09:00–11:00 plan for li whose skips need a
/// supervisor's approval; the clock at 09:05 on the plan's first day.
fn patrol_world(s: &Store, clock: &offgrid_core::FixedClock) -> offgrid_core::RecordId {
    use offgrid_core::grid::{GridLevel, NewGridCell};
    use offgrid_core::patrol::NewPlan;
    use offgrid_core::patrol::schedule::Schedule;
    use offgrid_core::patrol::task::Completion;
    use offgrid_core::site::{CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteKind};
    s.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    let cell = s
        .add_grid_cell(&NewGridCell {
            code: "3201".into(),
            name: "南京市".into(),
            level: GridLevel::City,
            parent: None,
            boundary: None,
        })
        .unwrap();
    let site = s
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
    for (i, name) in ["出入口", "防护密闭门"].iter().enumerate() {
        let cp = s
            .add_checkpoint(
                &site,
                &NewCheckpoint {
                    name: (*name).into(),
                    kind: CheckpointKind::Entrance,
                    methods: vec![CheckMethod::Nfc],
                },
            )
            .unwrap();
        s.bind_tag(
            &site,
            &cp,
            &format!("https://tag.example/t?uid=04A1B2C3D4E5F{i}"),
            CheckMethod::Nfc,
        )
        .unwrap();
    }
    let local_midnight = {
        let local = T0 + 8 * 3_600_000;
        local - local.rem_euclid(DAY) - 8 * 3_600_000 + DAY
    };
    let plan = s
        .add_patrol_plan(&NewPlan {
            title: "日常巡查".into(),
            site,
            checkpoints: vec![],
            template: None,
            schedule: Schedule::daily(9 * 60, 120),
            in_sequence: false,
            assignees: vec!["li".into()],
            completion: Completion::Any,
            skip_needs_approval: true,
        })
        .unwrap();
    clock.set(local_midnight + 9 * 3_600_000 + 5 * 60_000);
    plan
}

#[test]
fn the_patrol_run_screen_leads_the_runner_and_offers_the_supervisor_theirs() {
    use PatrolAction::*;
    use offgrid_core::patrol::ScanInput;
    use offgrid_core::site::CheckMethod;
    let dir = tempfile::tempdir().unwrap();
    let (s, clock) = open_as(&dir.path().join("a.db"), "admin");
    let plan = patrol_world(&s, &clock);
    s.set_user(User::new("li", "李"));
    // Home: li's task of the day.
    let home = s.home_screen().unwrap();
    assert_eq!(home.tasks.len(), 1, "{:?}", home.tasks);
    let run = s.start_patrol(&plan, None).unwrap();
    let screen = s.patrol_run_screen(&run).unwrap();
    assert_eq!(
        screen.allowed_actions,
        [Scan, Skip, Observe, Answer, Pause, Finish]
    );
    assert_eq!(screen.next_checkpoint.as_ref().unwrap().name, "出入口");
    s.scan_checkpoint(
        &run,
        &ScanInput {
            method: Some(CheckMethod::Nfc),
            payload: Some("https://tag.example/t?uid=04A1B2C3D4E5F0".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let screen = s.patrol_run_screen(&run).unwrap();
    assert_eq!(screen.next_checkpoint.as_ref().unwrap().name, "防护密闭门");
    assert_eq!(screen.scanned.len(), 1);
    let door = screen.next_checkpoint.unwrap().id;
    s.skip_checkpoint(&run, &door, "门被堵 / blocked").unwrap();
    s.pause_patrol(&run).unwrap();
    let screen = s.patrol_run_screen(&run).unwrap();
    assert_eq!(screen.allowed_actions, [Resume, Finish]);
    assert_eq!(screen.skipped.len(), 1);
    assert!(!screen.skipped[0].counts, "the skip awaits approval");
    assert_eq!(
        screen.next_checkpoint.as_ref().map(|c| c.id.as_str()),
        Some(door.as_str())
    );
    // The supervisor: void, and approve the skip; then it counts and nothing is left.
    s.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    let screen = s.patrol_run_screen(&run).unwrap();
    assert_eq!(screen.allowed_actions, [Void, ApproveSkip]);
    s.approve_patrol_skip(&run, &screen.skipped[0].skip)
        .unwrap();
    let screen = s.patrol_run_screen(&run).unwrap();
    assert!(screen.skipped[0].counts);
    assert_eq!(screen.allowed_actions, [Void]);
    assert!(screen.next_checkpoint.is_none());
    // Anyone else: nothing.
    s.set_user(User::new("wang", "王"));
    assert!(
        s.patrol_run_screen(&run)
            .unwrap()
            .allowed_actions
            .is_empty()
    );
}

#[test]
fn home_lists_the_hazards_ordered_to_the_user_and_the_overdue() {
    let dir = tempfile::tempdir().unwrap();
    let (s, clock) = open_as(&dir.path().join("a.db"), "wang");
    as_user(&s, "wang", Role::Supervisor);
    let raise = |title: &str| {
        s.raise_hazard(&NewHazard {
            project: "p1".into(),
            title: title.into(),
            grade: Some(RiskGrade::Yellow),
            ..Default::default()
        })
        .unwrap()
    };
    let (mine, other) = (raise("渗水"), raise("照明"));
    for (id, person, days) in [(&mine, "chen", 3), (&other, "zhao", 1)] {
        s.order_rectification(
            id,
            &RectificationOrder {
                unit: "物业".into(),
                person: person.into(),
                person_name: person.into(),
                deadline_ms: T0 + days * DAY,
                measures: "整改".into(),
            },
        )
        .unwrap();
    }
    clock.set(T0 + 2 * DAY);
    as_user(&s, "chen", Role::Rectifier);
    let home = s.home_screen().unwrap();
    assert_eq!(home.user.id, "chen");
    let ids = |v: &[offgrid_core::RecordSummary]| -> Vec<offgrid_core::RecordId> {
        v.iter().map(|r| r.id.clone()).collect()
    };
    assert_eq!(ids(&home.my_hazards), [mine]);
    assert_eq!(ids(&home.overdue_hazards), [other]);
    assert!(home.tasks.is_empty());
}

#[test]
fn the_checklist_runner_shows_visible_items_with_what_is_missing_and_who_may_submit() {
    use offgrid_core::inspection::{MissingKind, NewInspection};
    use offgrid_core::screens::InspectionAction;
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "zhang");
    as_user(&s, "zhang", Role::Inspector);
    let id = s
        .create_inspection(&NewInspection {
            template_id: "shelter-safety-patrol".into(),
            template_version: Some(1),
            project: "p1".into(),
            site: "B1".into(),
            title: None,
        })
        .unwrap();
    let item = |screen: &offgrid_core::screens::ChecklistScreen, id: &str| {
        screen
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .find(|i| i.id == id)
            .cloned()
    };
    let screen = s.checklist_screen(&id).unwrap();
    assert_eq!(screen.allowed_actions, [InspectionAction::Answer]);
    assert!(
        item(&screen, "cooling-conduct").is_none(),
        "hidden until it applies"
    );
    let screen = s
        .checklist_answer(&id, "cooling-shelter", &json!("yes"), None)
        .unwrap();
    assert!(
        item(&screen, "cooling-conduct").is_some(),
        "shown once it applies"
    );
    let screen = s
        .checklist_answer(&id, "exits-clear", &json!("fail"), Some("杂物堵塞"))
        .unwrap();
    let exits = item(&screen, "exits-clear").unwrap();
    assert!(exits.failed);
    assert_eq!(exits.value, Some(json!("fail")));
    assert_eq!(exits.missing, Some(MissingKind::FailurePhoto));
    assert!(!screen.allowed_actions.contains(&InspectionAction::Submit));
    // A viewer reads the same screen and may do nothing.
    as_user(&s, "vera", Role::Viewer);
    let viewed = s.checklist_screen(&id).unwrap();
    assert!(viewed.allowed_actions.is_empty());
    assert_eq!(viewed.progress, screen.progress);
}

#[test]
fn submit_is_offered_once_nothing_is_missing_and_review_to_a_supervisor() {
    use offgrid_core::checklist::parse;
    use offgrid_core::inspection::NewInspection;
    use offgrid_core::inspection::lifecycle::InspectionStatus;
    use offgrid_core::screens::{ChecklistCommand, InspectionAction};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "admin");
    let t = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
    let template = parse(
        &json!({
            "id": "door-check", "version": 1, "title": t("防护门检查", "Door check"),
            "purpose": "stage_inspection",
            "sections": [{"id": "s", "title": t("门", "Door"), "items": [
                {"id": "seal", "type": "pass_fail", "text": t("密封条", "Seal")}
            ]}]
        })
        .to_string(),
    )
    .unwrap();
    s.publish_template(&template).unwrap();
    as_user(&s, "zhang", Role::Inspector);
    let id = s
        .create_inspection(&NewInspection {
            template_id: "door-check".into(),
            template_version: Some(1),
            project: "p1".into(),
            site: "B1".into(),
            title: None,
        })
        .unwrap();
    let screen = s
        .checklist_answer(&id, "seal", &json!("pass"), None)
        .unwrap();
    assert_eq!(
        screen.allowed_actions,
        [InspectionAction::Answer, InspectionAction::Submit]
    );
    let screen = s.checklist_command(&id, ChecklistCommand::Submit).unwrap();
    assert_eq!(screen.status, InspectionStatus::Submitted);
    assert!(screen.allowed_actions.is_empty());
    as_user(&s, "wang", Role::Supervisor);
    assert_eq!(
        s.checklist_screen(&id).unwrap().allowed_actions,
        [InspectionAction::Review]
    );
    // Returning needs a note; the screen is unchanged by the refusal.
    let refused = ChecklistCommand::Review {
        accept: false,
        note: Some("  ".into()),
    };
    assert!(matches!(
        s.checklist_command(&id, refused),
        Err(offgrid_core::Error::InvalidArgument(_))
    ));
    let accept = ChecklistCommand::Review {
        accept: true,
        note: None,
    };
    let screen = s.checklist_command(&id, accept).unwrap();
    assert_eq!(screen.status, InspectionStatus::Reviewed);
    assert!(screen.allowed_actions.is_empty());
}

#[test]
fn coverage_of_my_cells_shows_the_cells_i_belong_to_and_what_is_under_them() {
    use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell};
    let dir = tempfile::tempdir().unwrap();
    let (s, clock) = open_as(&dir.path().join("a.db"), "admin");
    patrol_world(&s, &clock);
    s.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    let city = s.grid_cells_of("nobody").unwrap();
    assert!(city.is_empty());
    let cells = s.list(&Default::default()).unwrap();
    let city = cells
        .iter()
        .find(|r| r.kind == offgrid_core::RecordKind::GridCell)
        .unwrap()
        .id
        .clone();
    let district = s
        .add_grid_cell(&NewGridCell {
            code: "320105".into(),
            name: "建邺区".into(),
            level: GridLevel::District,
            parent: Some(city.clone()),
            boundary: None,
        })
        .unwrap();
    let member = |user: &str| GridMember {
        user: user.into(),
        name: user.into(),
        role: GridRole::Member,
    };
    s.set_grid_member(&district, &member("li")).unwrap();
    let day = s.now().unix_ms;
    s.set_user(User::new("li", "李"));
    let codes = |s: &Store| -> Vec<String> {
        s.my_coverage_screen(day, day + DAY)
            .unwrap()
            .into_iter()
            .map(|c| c.code)
            .collect()
    };
    assert_eq!(codes(&s), ["320105"]);
    // A member of the city too: the city with its subtree, the district once.
    s.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    s.set_grid_member(&city, &member("li")).unwrap();
    s.set_user(User::new("li", "李"));
    let mut got = codes(&s);
    got.sort();
    assert_eq!(got, ["3201", "320105"]);
}
