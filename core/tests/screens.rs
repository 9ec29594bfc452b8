//! Screen models on real store files (issue 14): a whole hazard loop driven only through the
//! hazard screen and its commands, each user offered exactly the steps they may take; the
//! patrol run screen for the runner and for a supervisor; the home screen of a grid member and
//! of the person a rectification is ordered to.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::{T0, open_as};
use offgrid_core::hazard::{HazardAction, HazardStatus, NewHazard, RectificationOrder};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::screens::{HazardCommand, PatrolAction};
use offgrid_core::{Error, RiskGrade, Role, Store, User};
use offgrid_testkit::photos::{self, Sample};

const DAY: i64 = 86_400_000;

fn as_user(s: &Store, id: &str, role: Role) {
    s.set_user(User::new(id, id).with_role("p1", role));
}

fn jpeg(width: u32) -> Vec<u8> {
    photos::jpeg(&Sample {
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
        ordered(&s, id, person, T0 + days * DAY);
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
    assert_eq!(
        exits.value_text.as_ref().map(|t| t.zh.as_str()),
        Some("不合格")
    );
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

fn ordered(s: &Store, id: &offgrid_core::RecordId, person: &str, deadline_ms: i64) {
    s.order_rectification(
        id,
        &RectificationOrder {
            unit: "物业".into(),
            person: person.into(),
            person_name: person.into(),
            deadline_ms,
            measures: "整改".into(),
        },
    )
    .unwrap();
}

#[test]
fn the_hazard_list_pages_filters_and_counts_each_status() {
    use offgrid_core::screens::{ListFilter, ListScreenKind::Hazards};
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
    let ids: Vec<_> = ["渗水", "照明", "通风", "密闭门", "标识"]
        .iter()
        .map(|t| raise(t))
        .collect();
    ordered(&s, &ids[0], "chen", T0 + DAY);
    ordered(&s, &ids[1], "zhao", T0 + 5 * DAY);
    clock.set(T0 + 3 * DAY + 3_600_000);

    let all = s.list_screen(Hazards, ListFilter::default()).unwrap();
    assert_eq!((all.total, all.rows.len(), all.has_more), (5, 5, false));
    assert!(all.can_create);
    let count = |screen: &offgrid_core::screens::ListScreen, status: HazardStatus| {
        screen
            .statuses
            .iter()
            .find(|c| c.status == status.as_str())
            .map(|c| c.count)
    };
    assert_eq!(count(&all, HazardStatus::Ordered), Some(2));
    assert_eq!(
        count(&all, HazardStatus::Closed),
        Some(0),
        "zeros are listed"
    );
    // Earliest deadline first; the overdue one says by how many whole days.
    assert_eq!(all.rows[0].record.id, ids[0]);
    assert_eq!(all.rows[0].overdue_days, Some(2));
    assert_eq!(all.rows[1].overdue_days, None);

    let page = |n| {
        s.list_screen(
            Hazards,
            ListFilter {
                page: n,
                page_size: Some(2),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (p0, p2) = (page(0), page(2));
    assert_eq!((p0.rows.len(), p0.total, p0.has_more), (2, 5, true));
    assert_eq!((p2.rows.len(), p2.has_more), (1, false));

    let awaiting = s
        .list_screen(
            Hazards,
            ListFilter {
                status: Some("ordered".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(awaiting.total, 2);
    assert_eq!(
        count(&awaiting, HazardStatus::Ordered),
        Some(2),
        "the chips count without the status filter"
    );
    assert_eq!(awaiting.statuses, all.statuses);
    let overdue = s
        .list_screen(
            Hazards,
            ListFilter {
                overdue: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(overdue.rows.len(), 1);
    let words = s
        .list_screen(
            Hazards,
            ListFilter {
                text: Some("密闭".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(words.rows.len(), 1);
    assert_eq!(words.rows[0].record.id, ids[3]);

    as_user(&s, "zhao", Role::Rectifier);
    let mine = s
        .list_screen(
            Hazards,
            ListFilter {
                mine: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(mine.rows.len(), 1);
    assert_eq!(mine.rows[0].record.id, ids[1]);
    assert!(!mine.can_create, "a rectifier raises no hazards");

    let bad = s.list_screen(
        Hazards,
        ListFilter {
            status: Some("reviewed".into()),
            ..Default::default()
        },
    );
    assert!(matches!(bad, Err(Error::InvalidArgument(_))), "{bad:?}");
}

fn door_template(s: &Store) {
    use offgrid_core::checklist::parse;
    use serde_json::json;
    let t = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
    let template = parse(
        &json!({
            "id": "door-check", "version": 1, "title": t("防护门检查", "Door check"),
            "purpose": "stage_inspection",
            "sections": [{"id": "s", "title": t("门", "Door"), "items": [
                {"id": "seal", "type": "pass_fail", "text": t("密封条", "Seal"),
                 "clause": {"standard": "GB 50134-2004", "clause": "4.2.1"}},
                {"id": "hinge", "type": "pass_fail", "text": t("铰页", "Hinge")},
                {"id": "sign", "type": "signature", "text": t("监理签字", "Supervisor signs"),
                 "weight": 0}
            ]}]
        })
        .to_string(),
    )
    .unwrap();
    s.publish_template(&template).unwrap();
}

fn new_door_inspection(s: &Store) -> offgrid_core::RecordId {
    s.create_inspection(&offgrid_core::inspection::NewInspection {
        template_id: "door-check".into(),
        template_version: Some(1),
        project: "p1".into(),
        site: "B1".into(),
        title: None,
    })
    .unwrap()
}

#[test]
fn the_inspection_list_shows_mine_and_offers_create_to_inspectors() {
    use offgrid_core::screens::{ListFilter, ListScreenKind::Inspections};
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "admin");
    door_template(&s);
    as_user(&s, "zhang", Role::Inspector);
    let mine = new_door_inspection(&s);
    as_user(&s, "liu", Role::Inspector);
    new_door_inspection(&s);
    as_user(&s, "zhang", Role::Inspector);
    let all = s.list_screen(Inspections, ListFilter::default()).unwrap();
    assert_eq!(all.total, 2);
    assert!(all.can_create);
    let filter = ListFilter {
        mine: true,
        ..Default::default()
    };
    let screen = s.list_screen(Inspections, filter).unwrap();
    assert_eq!(screen.rows.len(), 1);
    assert_eq!(screen.rows[0].record.id, mine);
    let draft = screen
        .statuses
        .iter()
        .find(|c| c.status == "draft")
        .unwrap();
    assert_eq!(draft.count, 1);
    let other_project = ListFilter {
        project: Some("p9".into()),
        ..Default::default()
    };
    assert!(
        !s.list_screen(Inspections, other_project)
            .unwrap()
            .can_create
    );
}

#[test]
fn review_and_sign_off_shows_findings_and_signatures_and_offers_each_user_their_step() {
    use offgrid_core::inspection::MissingKind;
    use offgrid_core::inspection::lifecycle::{InspectionEventKind, InspectionStatus};
    use offgrid_core::screens::{ReviewAction::*, ReviewCommand};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "admin");
    door_template(&s);
    as_user(&s, "zhang", Role::Inspector);
    let id = new_door_inspection(&s);
    s.answer(&id, "seal", &json!("fail"), Some("密封条老化"))
        .unwrap();
    s.answer(&id, "hinge", &json!("pass"), None).unwrap();

    let screen = s.review_screen(&id).unwrap();
    assert_eq!(screen.allowed_actions, [Sign]);
    assert_eq!(screen.findings.len(), 1);
    let finding = &screen.findings[0];
    assert_eq!(finding.item, "seal");
    assert_eq!(
        finding.clause.as_ref().unwrap().clause.as_deref(),
        Some("4.2.1")
    );
    assert_eq!(finding.note.as_deref(), Some("密封条老化"));
    // What the reviewer reads: the answer and the clause as text, not JSON.
    let value = finding.value_text.as_ref().expect("the answer as text");
    assert_eq!((value.zh.as_str(), value.en.as_str()), ("不合格", "Fail"));
    let clause = finding.clause_text.as_ref().expect("the clause as text");
    assert!(clause.zh.ends_with("第4.2.1条"), "{}", clause.zh);
    assert!(clause.en.ends_with(", clause 4.2.1"), "{}", clause.en);
    assert_eq!(finding.by.as_deref(), Some("zhang"));
    assert_eq!(screen.signatures.len(), 1);
    assert_eq!(screen.signatures[0].item.as_deref(), Some("sign"));
    assert!(screen.signatures[0].signatures.is_empty());
    assert!(
        screen
            .missing
            .iter()
            .any(|m| m.item == "sign" && m.what == MissingKind::Signature)
    );

    // Signing from the pad's image in the capture folder: stored, and the file removed.
    let pad = s.capture_path().unwrap();
    std::fs::write(&pad, b"\x89PNG signature strokes").unwrap();
    let sign = ReviewCommand::Sign {
        item: Some("sign".into()),
        name: "张工".into(),
        image_path: pad.to_string_lossy().into_owned(),
    };
    let screen = s.review_command(&id, sign).unwrap();
    assert!(!pad.exists(), "the pad's copy is removed once stored");
    let signed = &screen.signatures[0].signatures;
    assert_eq!(signed.len(), 1);
    assert_eq!(
        (signed[0].name.as_str(), signed[0].user_id.as_str()),
        ("张工", "zhang")
    );
    assert!(screen.missing.is_empty());
    assert_eq!(screen.allowed_actions, [Sign, Submit]);

    // A signature image that is not there: a typed error, nothing signed.
    let gone = ReviewCommand::Sign {
        item: Some("sign".into()),
        name: "张工".into(),
        image_path: pad.to_string_lossy().into_owned(),
    };
    assert!(matches!(s.review_command(&id, gone), Err(Error::Io(_))));
    assert_eq!(
        s.review_screen(&id).unwrap().signatures[0].signatures.len(),
        1
    );

    let screen = s.review_command(&id, ReviewCommand::Submit).unwrap();
    assert_eq!(screen.status, InspectionStatus::Submitted);
    assert!(screen.allowed_actions.is_empty(), "the inspector waits");

    as_user(&s, "wang", Role::Supervisor);
    assert_eq!(
        s.review_screen(&id).unwrap().allowed_actions,
        [Accept, Return]
    );
    let blank = ReviewCommand::Return { note: " ".into() };
    assert!(matches!(
        s.review_command(&id, blank),
        Err(Error::InvalidArgument(_))
    ));
    let back = ReviewCommand::Return {
        note: "补拍密封条照片".into(),
    };
    let screen = s.review_command(&id, back).unwrap();
    assert_eq!(screen.status, InspectionStatus::Returned);
    let last = screen.events.last().unwrap();
    assert_eq!(last.kind, InspectionEventKind::Returned);
    assert_eq!(last.note.as_deref(), Some("补拍密封条照片"));

    as_user(&s, "zhang", Role::Inspector);
    s.review_command(&id, ReviewCommand::Submit).unwrap();
    as_user(&s, "wang", Role::Supervisor);
    let screen = s
        .review_command(&id, ReviewCommand::Accept { note: None })
        .unwrap();
    assert_eq!(screen.status, InspectionStatus::Reviewed);
    assert!(screen.allowed_actions.is_empty());
}

#[test]
fn a_patrol_run_driven_only_through_commands_reports_each_scan() {
    use PatrolAction::*;
    use offgrid_core::patrol::{NewObservation, ScanInput};
    use offgrid_core::screens::PatrolCommand;
    use offgrid_core::site::CheckMethod;
    let dir = tempfile::tempdir().unwrap();
    let (s, clock) = open_as(&dir.path().join("a.db"), "admin");
    let plan = patrol_world(&s, &clock);
    s.set_user(User::new("li", "李"));
    let run = s.start_patrol(&plan, None).unwrap();
    let tag = |uid: &str| PatrolCommand::Scan {
        scan: ScanInput {
            method: Some(CheckMethod::Nfc),
            payload: Some(format!("https://tag.example/t?uid={uid}")),
            ..Default::default()
        },
    };
    assert!(s.patrol_run_screen(&run).unwrap().last_scan.is_none());
    let screen = s.patrol_command(&run, tag("04FFFFFFFFFFFF")).unwrap();
    let last = screen.last_scan.as_ref().unwrap();
    assert!(!last.verdict.counts, "an unknown tag covers nothing");
    assert!(last.verdict.checkpoint.is_none());
    assert_eq!(screen.next_checkpoint.as_ref().unwrap().name, "出入口");
    let screen = s.patrol_command(&run, tag("04A1B2C3D4E5F0")).unwrap();
    let last = screen.last_scan.as_ref().unwrap();
    assert!(last.verdict.counts);
    assert_eq!(screen.scanned, [last.verdict.checkpoint.clone().unwrap()]);
    let door = screen.next_checkpoint.unwrap().id;
    let observe = PatrolCommand::Observe {
        observation: NewObservation {
            checkpoint: Some(door.clone()),
            text: "门前堆放杂物".into(),
            ..Default::default()
        },
    };
    s.patrol_command(&run, observe).unwrap();
    let skip = PatrolCommand::Skip {
        checkpoint: door,
        reason: "门被堵".into(),
    };
    s.patrol_command(&run, skip).unwrap();
    let screen = s.patrol_command(&run, PatrolCommand::Pause).unwrap();
    assert_eq!(screen.allowed_actions, [Resume, Finish]);
    let screen = s.patrol_command(&run, PatrolCommand::Resume).unwrap();
    assert!(screen.allowed_actions.contains(&Scan));
    // The runner cannot approve their own skip.
    let own = PatrolCommand::ApproveSkip {
        skip: screen.skipped[0].skip.clone(),
    };
    assert!(s.patrol_command(&run, own).is_err());
    let early = PatrolCommand::Finish { reason: None };
    assert!(
        s.patrol_command(&run, early).is_err(),
        "an uncovered checkpoint needs a reason to finish"
    );
    let finish = PatrolCommand::Finish {
        reason: Some("等待审批 / awaiting approval".into()),
    };
    let screen = s.patrol_command(&run, finish).unwrap();
    assert!(screen.allowed_actions.is_empty());
    s.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    let approve = PatrolCommand::ApproveSkip {
        skip: screen.skipped[0].skip.clone(),
    };
    let screen = s.patrol_command(&run, approve).unwrap();
    assert!(screen.skipped[0].counts);
    let void = PatrolCommand::Void {
        reason: "重复巡查".into(),
    };
    let screen = s.patrol_command(&run, void).unwrap();
    assert!(screen.allowed_actions.is_empty());
}

#[test]
fn drafts_get_field_errors_and_a_save_that_slips_past_gets_the_same() {
    use offgrid_core::fields::{FieldError, FieldProblem};
    use offgrid_core::inspection::NewInspection;
    use offgrid_core::screens::Draft;
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("a.db"), "admin");
    door_template(&s);
    as_user(&s, "zhang", Role::Inspector);
    let err = |field: &str, problem| FieldError {
        field: field.into(),
        problem,
    };
    let fields = |d: Draft| s.validate_draft(&d).unwrap();

    let hazard = NewHazard {
        project: "p1".into(),
        location: "B1 层".repeat(120),
        ..Default::default()
    };
    assert_eq!(
        fields(Draft::Hazard {
            draft: hazard.clone()
        }),
        [
            err("title", FieldProblem::Required),
            err("location", FieldProblem::TooLong { max: 200 })
        ]
    );
    let before = s.list(&Default::default()).unwrap().len();
    match s.raise_hazard(&hazard) {
        Err(Error::InvalidFields { fields: f }) => assert_eq!(f.len(), 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.list(&Default::default()).unwrap().len(),
        before,
        "nothing written"
    );
    let elsewhere = NewHazard {
        project: "p9".into(),
        title: "渗水".into(),
        ..Default::default()
    };
    assert_eq!(
        fields(Draft::Hazard { draft: elsewhere }),
        [err("project", FieldProblem::NotAllowed)]
    );
    let fine = NewHazard {
        project: "p1".into(),
        title: "渗水".into(),
        ..Default::default()
    };
    assert!(fields(Draft::Hazard { draft: fine }).is_empty());

    let inspection = NewInspection {
        template_id: "no-such".into(),
        project: "p1".into(),
        ..Default::default()
    };
    assert_eq!(
        fields(Draft::Inspection {
            draft: inspection.clone()
        }),
        [
            err("template_id", FieldProblem::Unknown),
            err("site", FieldProblem::Required)
        ]
    );
    assert!(matches!(
        s.create_inspection(&inspection),
        Err(Error::InvalidFields { .. })
    ));

    let order = RectificationOrder {
        unit: "物业".into(),
        person: " ".into(),
        person_name: String::new(),
        deadline_ms: T0 - DAY,
        measures: "更换密封条".into(),
    };
    assert_eq!(
        fields(Draft::RectificationOrder { order }),
        [
            err("person", FieldProblem::Required),
            err("deadline_ms", FieldProblem::InPast)
        ]
    );
    let observation = offgrid_core::patrol::NewObservation {
        text: "  ".into(),
        ..Default::default()
    };
    assert_eq!(
        fields(Draft::Observation { observation }),
        [err("text", FieldProblem::Required)]
    );
}
