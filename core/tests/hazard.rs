//! The hazard closed loop on real store files: raised from a failed item, graded, ordered,
//! rectified, re-inspected by someone else, returned, verified, closed or written off; overdue
//! from the deadline and the clock; two devices recording different outcomes; the register.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::open_as;
use offgrid_core::hazard::events::{HazardEvent, HazardEventKind, fold, sort};
use offgrid_core::hazard::{HazardStatus, NewHazard, RectificationOrder, RegisterQuery};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::{Error, ListSort, RecordId, RiskGrade, Role, Store, User};
use offgrid_testkit::photos::{self, Sample};
use proptest::prelude::*;

/// A hash of a photo no device holds.
const NOT_HELD: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const DAY: i64 = 86_400_000;

fn as_user(store: &Store, id: &str, role: Role) {
    store.set_user(User::new(id, &format!("{id} name")).with_role("p1", role));
}

fn new(grade: Option<RiskGrade>, site: &str, description: &str) -> NewHazard {
    NewHazard {
        project: "p1".into(),
        site: site.into(),
        location: "B1 东侧集水井".into(),
        title: "集水井积水".into(),
        description: description.into(),
        grade,
        major: false,
        photos: Vec::new(),
    }
}

/// A photo of the hazard as found, attached to it (as its raiser); its SHA-256.
fn found_photo(store: &Store, id: &RecordId) -> String {
    let bytes = photos::jpeg(&Sample {
        width: 64,
        height: 48,
        noise: 20,
        ..Sample::default()
    });
    let target = PhotoTarget::Hazard {
        id: id.clone(),
        rectification: false,
    };
    store
        .add_photo(&target, &bytes, &CaptureContext::default())
        .unwrap()
        .sha256
}

/// Attaches an "after" photo to the hazard (as the rectifier) and submits the rectification
/// citing it.
fn rectify(store: &Store, id: &RecordId, note: &str) -> offgrid_core::Result<()> {
    let bytes = photos::jpeg(&Sample {
        width: 64,
        height: 48,
        ..Sample::default()
    });
    let target = PhotoTarget::Hazard {
        id: id.clone(),
        rectification: true,
    };
    let meta = store.add_photo(&target, &bytes, &CaptureContext::default())?;
    store.submit_rectification(id, note, &[meta.sha256])
}

fn order(deadline_ms: i64) -> RectificationOrder {
    RectificationOrder {
        unit: "某建设公司".into(),
        person: "chen".into(),
        person_name: "陈工".into(),
        deadline_ms,
        measures: "清淤，检修排水泵".into(),
    }
}

#[test]
fn the_closed_loop_with_a_return() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = open_as(&dir.path().join("h.db"), "zhang");
    as_user(&store, "zhang", Role::Inspector);
    let id = store
        .raise_hazard(&new(None, "3号楼", "底板局部渗水"))
        .unwrap();
    let found = found_photo(&store, &id);
    assert_eq!(
        store.hazard(&id).unwrap().state.status,
        HazardStatus::Raised
    );
    // Ordering needs a grade first, and a supervisor.
    as_user(&store, "wang", Role::Supervisor);
    let err = store
        .order_rectification(&id, &order(common::T0 + 3 * DAY))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err}");
    store
        .grade_hazard(&id, RiskGrade::Yellow, false, None)
        .unwrap();
    store
        .order_rectification(&id, &order(common::T0 + 3 * DAY))
        .unwrap();
    let h = store.hazard(&id).unwrap();
    assert_eq!(
        (h.state.status, h.state.assignee.as_deref()),
        (HazardStatus::Ordered, Some("chen"))
    );
    assert!(!h.overdue);
    // Re-inspecting before rectification is out of order.
    as_user(&store, "zhang", Role::Inspector);
    assert!(matches!(
        store.reinspect(&id, true, None),
        Err(Error::InvalidState { .. })
    ));
    // Only the rectifier role submits, with photos.
    assert!(matches!(
        store.submit_rectification(&id, "done", std::slice::from_ref(&found)),
        Err(Error::Forbidden { .. })
    ));
    as_user(&store, "chen", Role::Rectifier);
    assert!(matches!(
        store.submit_rectification(&id, "done", &[]),
        Err(Error::InvalidArgument(_))
    ));
    // The evidence must exist: a hash with no photo attached is refused, and so is a photo of
    // the hazard as found (it shows the problem, not the fix). Nothing is recorded.
    for cited in [NOT_HELD.to_owned(), found] {
        let err = store
            .submit_rectification(&id, "done", &[cited])
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("not attached")),
            "{err}"
        );
    }
    assert_eq!(
        store.hazard(&id).unwrap().state.status,
        HazardStatus::Ordered
    );
    clock.advance_ms(DAY);
    rectify(&store, &id, "已清淤，水泵修复").unwrap();
    assert_eq!(
        store.hazard(&id).unwrap().state.status,
        HazardStatus::Submitted
    );
    // The re-inspector is not the rectifier (even with the role).
    store.set_user(
        User::new("chen", "陈工")
            .with_role("p1", Role::Rectifier)
            .with_role("p1", Role::Inspector),
    );
    let err = store.reinspect(&id, true, None).unwrap_err();
    assert!(matches!(err, Error::RuleViolation(_)), "{err}");
    as_user(&store, "zhang", Role::Inspector);
    assert!(
        matches!(
            store.reinspect(&id, false, None),
            Err(Error::InvalidArgument(_))
        ),
        "returning needs a note"
    );
    store.reinspect(&id, false, Some("仍有渗水")).unwrap();
    assert_eq!(
        store.hazard(&id).unwrap().state.status,
        HazardStatus::Returned
    );
    as_user(&store, "chen", Role::Rectifier);
    rectify(&store, &id, "补做防水").unwrap();
    as_user(&store, "zhang", Role::Inspector);
    store.reinspect(&id, true, None).unwrap();
    store.close_hazard(&id, Some("销号")).unwrap();
    let h = store.hazard(&id).unwrap();
    assert_eq!(h.state.status, HazardStatus::Closed);
    let kinds: Vec<&str> = h.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        vec![
            "raised",
            "graded",
            "rectification_ordered",
            "rectification_submitted",
            "reinspected",
            "rectification_submitted",
            "reinspected",
            "closed"
        ]
    );
    assert!(h.state.not_applied.is_empty());
    assert!(
        h.events.iter().all(|e| e.offset_minutes == 480),
        "device offset kept"
    );
    // Nothing more after closing.
    assert!(matches!(
        store.escalate_hazard(&id, "x"),
        Err(Error::InvalidState { .. })
    ));
}

#[test]
fn a_hazard_is_raised_only_with_photos_held_here() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("h.db"), "zhang");
    let with_photo = |sha: &str| NewHazard {
        photos: vec![sha.to_owned()],
        ..new(None, "3号楼", "渗水")
    };
    let err = store.raise_hazard(&with_photo(NOT_HELD)).unwrap_err();
    assert!(
        matches!(&err, Error::PhotoNotHeld { sha256 } if sha256 == NOT_HELD),
        "{err}"
    );
    // In bulk, one such photo refuses the whole batch.
    let first = store.raise_hazard(&new(None, "3号楼", "积水")).unwrap();
    let held = found_photo(&store, &first);
    let err = store
        .raise_hazards(&[with_photo(&held), with_photo(NOT_HELD)])
        .unwrap_err();
    assert!(matches!(err, Error::PhotoNotHeld { .. }), "{err}");
    assert_eq!(
        store
            .list(&offgrid_core::ListQuery::default())
            .unwrap()
            .len(),
        1,
        "nothing raised"
    );
    // A photo held here is cited.
    let id = store.raise_hazard(&with_photo(&held)).unwrap();
    assert!(store.hazard(&id).unwrap().photos.contains_key(&held));
    let ids = store.raise_hazards(&[with_photo(&held)]).unwrap();
    assert!(store.hazard(&ids[0]).unwrap().photos.contains_key(&held));
}

#[test]
fn a_hazard_raised_from_an_item_cites_the_photos_the_inspection_carries() {
    use offgrid_core::inspection::NewInspection;
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, _) = open_as(&dir.path().join("b.db"), "wang");
    let template = offgrid_core::checklist::parse(
        &serde_json::json!({"id": "t", "version": 1, "title": {"zh-CN": "巡查", "en": "Patrol"}, "purpose": "patrol",
          "sections": [{"id": "s", "title": {"zh-CN": "消防", "en": "Fire"}, "items": [
            {"id": "exits", "type": "pass_fail", "text": {"zh-CN": "疏散通道畅通", "en": "Exits clear"},
             "raises_hazard": "orange"}]}]})
        .to_string(),
    )
    .unwrap();
    a.publish_template(&template).unwrap();
    b.publish_template(&template).unwrap();
    let ins = a
        .create_inspection(&NewInspection {
            template_id: "t".into(),
            project: "p1".into(),
            site: "人防工程 A".into(),
            ..Default::default()
        })
        .unwrap();
    a.answer(&ins, "exits", &serde_json::json!("fail"), None)
        .unwrap();
    let target = PhotoTarget::Inspection {
        id: ins.clone(),
        item: "exits".into(),
    };
    let bytes = photos::jpeg(&Sample {
        width: 64,
        height: 48,
        ..Sample::default()
    });
    let sha = a
        .add_photo(&target, &bytes, &CaptureContext::default())
        .unwrap()
        .sha256;
    // B holds the inspection (synced), not the photo's files.
    for c in a.changes_since(&ins, &[]).unwrap() {
        b.apply_changes(&ins, &c).unwrap();
    }
    assert!(b.photo_queue(None).unwrap().is_empty());
    let id = b
        .raise_hazard_from_item(&ins, "exits", "出口 2", "堆放杂物")
        .unwrap();
    assert!(b.hazard(&id).unwrap().photos.contains_key(&sha));
    // On its own, the hazard could not cite it.
    let err = b
        .raise_hazard(&NewHazard {
            photos: vec![sha],
            ..new(None, "人防工程 A", "堆放杂物")
        })
        .unwrap_err();
    assert!(matches!(err, Error::PhotoNotHeld { .. }), "{err}");
}

#[test]
fn a_major_hazard_is_closed_only_by_a_supervisor_write_off() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("m.db"), "zhang");
    as_user(&store, "zhang", Role::Inspector);
    let id = store
        .raise_hazard(&new(Some(RiskGrade::Red), "3号楼", "防护密闭门门框变形"))
        .unwrap();
    let h = store.hazard(&id).unwrap();
    assert!(h.state.major && h.state.status == HazardStatus::Graded);
    as_user(&store, "wang", Role::Supervisor);
    store
        .order_rectification(&id, &order(common::T0 + DAY))
        .unwrap();
    as_user(&store, "chen", Role::Rectifier);
    rectify(&store, &id, "更换门框").unwrap();
    as_user(&store, "zhang", Role::Inspector);
    store.reinspect(&id, true, None).unwrap();
    let err = store.close_hazard(&id, None).unwrap_err();
    assert!(matches!(err, Error::RuleViolation(_)), "{err}");
    let err = store.write_off_hazard(&id, "核销").unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { ref permission, .. } if permission == "write_off_hazard"),
        "{err}"
    );
    as_user(&store, "wang", Role::Supervisor);
    store.write_off_hazard(&id, "现场验收合格，核销").unwrap();
    assert_eq!(
        store.hazard(&id).unwrap().state.status,
        HazardStatus::WrittenOff
    );
}

#[test]
fn hazards_raised_from_failed_items_link_their_source() {
    use offgrid_core::inspection::NewInspection;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("s.db"), "zhang");
    let template = offgrid_core::checklist::parse(
        &serde_json::json!({"id": "t", "version": 1, "title": {"zh-CN": "巡查", "en": "Patrol"}, "purpose": "patrol",
          "sections": [{"id": "s", "title": {"zh-CN": "消防", "en": "Fire"}, "items": [
            {"id": "exits", "type": "pass_fail", "text": {"zh-CN": "疏散通道畅通", "en": "Exits clear"},
             "raises_hazard": "orange", "clause": {"standard": "GB 50098-2009"}}]}]})
        .to_string(),
    )
    .unwrap();
    store.publish_template(&template).unwrap();
    let ins = store
        .create_inspection(&NewInspection {
            template_id: "t".into(),
            project: "p1".into(),
            site: "人防工程 A".into(),
            ..Default::default()
        })
        .unwrap();
    let err = store
        .raise_hazard_from_item(&ins, "exits", "出口 2", "堆放杂物")
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidState { .. }),
        "not failed yet: {err}"
    );
    store
        .answer(&ins, "exits", &serde_json::json!("fail"), None)
        .unwrap();
    let id = store
        .raise_hazard_from_item(&ins, "exits", "出口 2", "堆放杂物")
        .unwrap();
    let h = store.hazard(&id).unwrap();
    let source = h.source.unwrap();
    assert_eq!((source.inspection, source.item.as_str()), (ins, "exits"));
    assert_eq!(source.clause.unwrap().standard, "GB 50098-2009");
    assert_eq!(
        (h.state.grade, h.title.as_str(), h.site.as_str()),
        (Some(RiskGrade::Orange), "疏散通道畅通", "人防工程 A")
    );
}

#[test]
fn two_devices_one_passes_one_returns() {
    let dir = tempfile::tempdir().unwrap();
    let (a, clock_a) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, clock_b) = open_as(&dir.path().join("b.db"), "li");
    as_user(&a, "wang", Role::Supervisor);
    let id = a
        .raise_hazard(&new(Some(RiskGrade::Yellow), "3号楼", "渗水"))
        .unwrap();
    a.order_rectification(&id, &order(common::T0 + DAY))
        .unwrap();
    as_user(&a, "chen", Role::Rectifier);
    rectify(&a, &id, "done").unwrap();
    let sync = |from: &Store, to: &Store| {
        let heads = to.heads(&id).unwrap_or_default();
        for c in from.changes_since(&id, &heads).unwrap() {
            to.apply_changes(&id, &c).unwrap();
        }
    };
    sync(&a, &b);
    // Offline, two inspectors re-inspect: one passes, one returns.
    as_user(&a, "zhang", Role::Inspector);
    as_user(&b, "li", Role::Inspector);
    clock_a.advance_ms(60_000);
    clock_b.advance_ms(120_000);
    a.reinspect(&id, true, None).unwrap();
    b.reinspect(&id, false, Some("排水泵未修复")).unwrap();
    sync(&a, &b);
    sync(&b, &a);
    let (ha, hb) = (a.hazard(&id).unwrap(), b.hazard(&id).unwrap());
    assert_eq!(ha.state, hb.state);
    assert_eq!(ha.events, hb.events);
    assert_eq!(
        ha.events
            .iter()
            .filter(|e| e.kind.name() == "reinspected")
            .count(),
        2,
        "both kept"
    );
    // Earlier (device time) pass verifies; the later return no longer applies and is flagged.
    assert_eq!(ha.state.status, HazardStatus::Verified);
    assert_eq!(ha.state.not_applied.len(), 1);
    let register = b.register(&RegisterQuery::default()).unwrap();
    assert_eq!(register.by_status.get("verified"), Some(&1));
}

#[test]
fn overdue_and_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = open_as(&dir.path().join("r.db"), "wang");
    as_user(&store, "wang", Role::Supervisor);
    let mk = |grade, site: &str, desc: &str, deadline: Option<i64>| -> RecordId {
        let id = store.raise_hazard(&new(Some(grade), site, desc)).unwrap();
        if let Some(d) = deadline {
            store.order_rectification(&id, &order(d)).unwrap();
        }
        id
    };
    let blue = mk(RiskGrade::Blue, "A", "标识缺失", Some(common::T0 + 5 * DAY));
    let red = mk(
        RiskGrade::Red,
        "A",
        "燃气管道进入人防工程",
        Some(common::T0 + DAY),
    );
    let yellow = mk(
        RiskGrade::Yellow,
        "B",
        "排水沟堵塞",
        Some(common::T0 + 2 * DAY),
    );
    let orange = mk(RiskGrade::Orange, "B", "电动车充电", None);
    clock.set(common::T0 + 3 * DAY);
    assert!(store.hazard(&red).unwrap().overdue);
    assert!(!store.hazard(&blue).unwrap().overdue);
    assert!(!store.hazard(&orange).unwrap().overdue, "no deadline yet");
    let reg = store
        .register(&RegisterQuery {
            overdue: true,
            sort: ListSort::Grade,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        reg.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![red.clone(), yellow.clone()]
    );
    assert_eq!(reg.overdue, 2);
    // A submitted rectification is no longer overdue.
    as_user(&store, "chen", Role::Rectifier);
    rectify(&store, &yellow, "疏通").unwrap();
    let reg = store.register(&RegisterQuery::default()).unwrap();
    assert_eq!(reg.overdue, 1);
    assert_eq!(reg.rows.len(), 4);
    assert_eq!(
        reg.by_grade,
        [("blue", 1), ("orange", 1), ("red", 1), ("yellow", 1)]
            .map(|(k, v)| (k.to_string(), v))
            .into()
    );
    assert_eq!(
        reg.by_status,
        [("graded", 1), ("ordered", 2), ("submitted", 1)]
            .map(|(k, v)| (k.to_string(), v))
            .into()
    );
    let by = |q: RegisterQuery| {
        store
            .register(&q)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by(RegisterQuery {
            sort: ListSort::Due,
            ..Default::default()
        }),
        vec![red.clone(), yellow.clone(), blue.clone(), orange.clone()]
    );
    assert_eq!(
        by(RegisterQuery {
            site: Some("B".into()),
            status: Some("graded".into()),
            ..Default::default()
        }),
        vec![orange.clone()]
    );
    assert_eq!(
        by(RegisterQuery {
            text: Some("燃气".into()),
            ..Default::default()
        }),
        vec![red.clone()]
    );
    assert_eq!(
        by(RegisterQuery {
            assignee: Some("chen".into()),
            grade: Some("blue".into()),
            ..Default::default()
        }),
        vec![blue]
    );
    let page = store
        .register(&RegisterQuery {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (page.rows.len(), page.by_status.values().sum::<u32>()),
        (1, 4),
        "counts cover every match"
    );
}

fn event(i: usize, kind: HazardEventKind, at: i64) -> HazardEvent {
    HazardEvent {
        id: format!("e{i:02}"),
        kind,
        by: format!("u{}", i % 3),
        by_name: String::new(),
        at_ms: at,
        offset_minutes: 0,
        note: None,
        verified_by: None,
        clock_ahead: false,
    }
}

fn kind_strategy() -> impl Strategy<Value = HazardEventKind> {
    prop_oneof![
        Just(HazardEventKind::Raised {
            grade: None,
            major: false
        }),
        prop_oneof![Just(RiskGrade::Red), Just(RiskGrade::Yellow)].prop_map(|g| {
            HazardEventKind::Graded {
                grade: g,
                major: false,
            }
        }),
        (0i64..10).prop_map(|d| HazardEventKind::RectificationOrdered {
            unit: "u".into(),
            person: "p".into(),
            person_name: String::new(),
            deadline_ms: d,
            measures: "m".into()
        }),
        Just(HazardEventKind::RectificationSubmitted { photos: vec![] }),
        any::<bool>().prop_map(|passed| HazardEventKind::Reinspected { passed }),
        Just(HazardEventKind::Escalated),
        Just(HazardEventKind::Closed),
        Just(HazardEventKind::WrittenOff),
    ]
}

proptest! {
    /// Devices receive events in any order: the folded state depends only on the set of events.
    #[test]
    fn the_fold_depends_only_on_the_set_of_events(
        kinds in prop::collection::vec((kind_strategy(), 0i64..20), 1..25),
        shuffle in prop::collection::vec(any::<usize>(), 25),
    ) {
        let events: Vec<HazardEvent> = kinds.into_iter().enumerate().map(|(i, (k, at))| event(i, k, at)).collect();
        let mut a = events.clone();
        sort(&mut a);
        let mut b = events.clone();
        for (i, s) in shuffle.iter().enumerate().take(b.len()) {
            let j = s % b.len();
            b.swap(i, j);
        }
        sort(&mut b);
        let (sa, sb) = (fold(&a), fold(&b));
        prop_assert_eq!(&sa, &sb);
        // Closed only when not major; every event is either applied or listed as not applied.
        if sa.status == HazardStatus::Closed { prop_assert!(!sa.major); }
        prop_assert!(sa.not_applied.len() <= events.len());
    }
}
