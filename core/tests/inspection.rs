//! Inspections end to end on real store files: creation from a pinned template, answers of every
//! kind, progress and the missing list, signatures, submission, review, roles, bad answers, and
//! two devices working offline on the same inspection.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::open_as;
use offgrid_core::checklist::{Template, parse};
use offgrid_core::inspection::{InspectionStatus, MissingKind, NewInspection};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::{Error, ListQuery, RecordKind, RiskGrade, Role, Store, User};
use offgrid_testkit::photos::{self, Sample};
use serde_json::json;

/// A hash of a photo no device holds.
const NOT_HELD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A photo this device holds (stored through the pipeline, attached to a patrol record of its
/// own), different for each `n`; its SHA-256.
fn held_photo(store: &Store, n: u8) -> String {
    let patrol = store
        .create(RecordKind::Patrol, &json!({"project": "p1"}))
        .unwrap();
    let bytes = photos::jpeg(&Sample {
        width: 64,
        height: 48,
        noise: 8 + n,
        ..Sample::default()
    });
    store
        .add_photo(
            &PhotoTarget::Patrol { id: patrol },
            &bytes,
            &CaptureContext::default(),
        )
        .unwrap()
        .sha256
}

fn t(zh: &str, en: &str) -> serde_json::Value {
    json!({"zh-CN": zh, "en": en})
}

fn template() -> Template {
    parse(
        &json!({
            "id": "slab-rebar", "version": 1, "title": t("底板钢筋验收", "Slab rebar"), "purpose": "stage_inspection",
            "sections": [{"id": "s", "title": t("钢筋", "Rebar"), "items": [
                {"id": "spacing", "type": "pass_fail", "text": t("钢筋间距", "Spacing"), "raises_hazard": "orange",
                 "evidence": {"photo_on_fail": true, "note_on_fail": true},
                 "clause": {"standard": "GB 50134-2004"}},
                {"id": "cover", "type": "number", "unit": "mm", "min": 25, "max": 50, "text": t("保护层", "Cover"), "weight": 2},
                {"id": "sill", "type": "single_choice", "text": t("门槛", "Sill"), "options": [
                    {"id": "fixed", "label": t("固定", "fixed")}, {"id": "removable", "label": t("活门槛", "removable")}]},
                {"id": "sill-stored", "type": "pass_fail", "text": t("活门槛存放", "Sill stored"),
                 "visible_if": {"op": "eq", "item": "sill", "value": "removable"}},
                {"id": "overview", "type": "photo", "min_count": 1, "text": t("全景照片", "Overview photo")},
                {"id": "cp", "type": "checkpoint", "code": "RF-01", "text": t("扫码", "Scan the tag")},
                {"id": "remarks", "type": "text", "required": false, "text": t("备注", "Remarks")},
                {"id": "sign", "type": "signature", "text": t("监理签字", "Supervisor signs"), "weight": 0}
            ]}]
        })
        .to_string(),
    )
    .unwrap()
}

fn new_inspection(store: &Store) -> offgrid_core::RecordId {
    store.publish_template(&template()).unwrap();
    store
        .create_inspection(&NewInspection {
            template_id: "slab-rebar".into(),
            template_version: Some(1),
            project: "p1".into(),
            site: "3号楼 B1".into(),
            title: None,
        })
        .unwrap()
}

#[test]
fn a_whole_inspection_from_template_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("i.db"), "zhang");
    // Photos this device holds, taken before (on records of their own).
    let (sha_a, sha_b) = (held_photo(&store, 1), held_photo(&store, 2));
    let id = new_inspection(&store);
    let ins = store.inspection(&id).unwrap();
    assert_eq!(ins.status, InspectionStatus::Draft);
    assert_eq!(ins.title, "底板钢筋验收");
    assert_eq!(ins.template.hash, template().content_hash());
    assert_eq!(
        (ins.progress.required, ins.progress.answered),
        (6, 0),
        "sill-stored hidden, remarks optional"
    );

    // A failure asks for a hazard and evidence.
    let out = store.answer(&id, "spacing", &json!("fail"), None).unwrap();
    assert!(out.failed);
    assert_eq!(out.raises_hazard, Some(RiskGrade::Orange));
    let out = store.answer(&id, "cover", &json!(20), None).unwrap();
    assert!(
        out.failed && out.raises_hazard.is_none(),
        "out of range fails"
    );
    // A conditional item appears.
    let out = store
        .answer(&id, "sill", &json!("removable"), None)
        .unwrap();
    assert_eq!(out.shown, vec!["sill-stored"]);
    let ins = store.inspection(&id).unwrap();
    assert_eq!(ins.status, InspectionStatus::InProgress);
    assert_eq!(ins.progress.required, 7);
    assert_eq!(
        ins.progress
            .failed
            .iter()
            .map(|f| f.item.as_str())
            .collect::<Vec<_>>(),
        vec!["spacing", "cover"]
    );
    assert_eq!(ins.progress.score_pct, Some(0.0));
    assert_eq!(ins.answers["spacing"].by.as_deref(), Some("zhang"));
    assert_eq!(
        store.list(&ListQuery::default()).unwrap()[0]
            .status
            .as_deref(),
        Some("in_progress")
    );

    // Submitting now lists everything missing.
    let Err(Error::Incomplete { missing }) = store.submit_inspection(&id) else {
        panic!("submitted incomplete")
    };
    let missing: Vec<String> = missing
        .iter()
        .map(|m| format!("{}: {}", m.item, m.what.as_str()))
        .collect();
    assert_eq!(
        missing,
        vec![
            "spacing: photo of the failure",
            "spacing: note on the failure",
            "sill-stored: answer",
            "overview: photos",
            "cp: answer",
            "sign: signature"
        ]
    );
    let kinds: Vec<MissingKind> = store
        .inspection(&id)
        .unwrap()
        .progress
        .missing
        .iter()
        .map(|m| m.what)
        .collect();
    assert_eq!(kinds.len(), 6);

    store
        .answer(
            &id,
            "spacing",
            &json!("fail"),
            Some("东侧间距 200mm，超出设计"),
        )
        .unwrap();
    store.add_answer_photo(&id, "spacing", &sha_a).unwrap();
    store.add_answer_photo(&id, "spacing", &sha_a).unwrap(); // the same photo twice is one
    store.add_answer_photo(&id, "overview", &sha_b).unwrap();
    store.answer(&id, "cover", &json!(30), None).unwrap();
    store
        .answer(&id, "sill-stored", &json!("pass"), None)
        .unwrap();
    store.answer(&id, "cp", &json!("RF-01"), None).unwrap();
    store
        .sign_inspection(
            &id,
            Some("sign"),
            "王监理",
            &[0x89, b'P', b'N', b'G', 1, 2, 3],
        )
        .unwrap();
    let progress = store.submit_inspection(&id).unwrap();
    assert_eq!(progress.completion_pct, 100.0);
    // spacing (w1) failed; cover (w2) and sill-stored (w1) passed; the choice is not scored.
    assert_eq!(progress.score_pct, Some(75.0));
    let ins = store.inspection(&id).unwrap();
    assert_eq!(ins.status, InspectionStatus::Submitted);
    assert_eq!(ins.answers["spacing"].photos.len(), 1);
    assert_eq!(ins.signatures[0].name, "王监理");
    assert_eq!(ins.signatures[0].image_bytes, 7);
    assert!(ins.amendments.is_empty());

    // Submitted: no more local edits.
    let err = store.answer(&id, "remarks", &json!("x"), None).unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err}");
    // Review: returning needs a note; an inspector cannot review.
    store.set_user(User::new("zhang", "张工").with_role("p1", Role::Inspector));
    assert!(matches!(
        store.review_inspection(&id, true, None),
        Err(Error::Forbidden { .. })
    ));
    store.set_user(User::new("wang", "王监理").with_role("p1", Role::Supervisor));
    assert!(matches!(
        store.review_inspection(&id, false, None),
        Err(Error::InvalidArgument(_))
    ));
    store
        .review_inspection(&id, false, Some("保护层复测"))
        .unwrap();
    assert_eq!(
        store.inspection(&id).unwrap().status,
        InspectionStatus::Returned
    );
    store.answer(&id, "cover", &json!(35), None).unwrap();
    store.submit_inspection(&id).unwrap();
    store.review_inspection(&id, true, None).unwrap();
    assert_eq!(
        store.inspection(&id).unwrap().status,
        InspectionStatus::Reviewed
    );
    assert_eq!(
        store.list(&ListQuery::default()).unwrap()[0]
            .status
            .as_deref(),
        Some("reviewed")
    );
}

#[test]
fn bad_answers_and_wrong_roles_are_typed_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("b.db"), "zhang");
    let id = new_inspection(&store);
    let before = store.history(&id).unwrap().len();
    let cases = [
        ("spacing", json!("ok")),
        ("spacing", json!(1)),
        ("cover", json!("thirty")),
        ("sill", json!("wooden")),
        ("overview", json!("x")),
        ("sign", json!("x")),
    ];
    for (item, value) in cases {
        let err = store.answer(&id, item, &value, None).unwrap_err();
        assert!(
            matches!(err, Error::InvalidAnswer { item: ref i, .. } if i == item),
            "{item}: {err}"
        );
    }
    assert!(matches!(
        store.answer(&id, "cp", &json!("RF-02"), None),
        Err(Error::CheckpointMismatch { .. })
    ));
    assert!(matches!(
        store.answer(&id, "nope", &json!("pass"), None),
        Err(Error::UnknownItem { .. })
    ));
    assert!(matches!(
        store.add_answer_photo(&id, "overview", "not-a-hash"),
        Err(Error::InvalidArgument(_))
    ));
    store.set_user(User::new("chen", "陈工").with_role("p1", Role::Rectifier));
    let err = store
        .answer(&id, "spacing", &json!("pass"), None)
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { ref permission, .. } if permission == "answer_inspection"),
        "{err}"
    );
    store.set_user(User::new("zhang", "张工").with_role("p2", Role::Inspector));
    assert!(matches!(
        store.create_inspection(&NewInspection {
            template_id: "slab-rebar".into(),
            project: "p1".into(),
            site: "B1".into(),
            ..Default::default()
        }),
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(
        store.history(&id).unwrap().len(),
        before,
        "nothing was written"
    );
    // A published version is immutable.
    store.set_user(common::user("admin"));
    let mut changed = template();
    changed.title.en = "Changed".into();
    assert!(matches!(
        store.publish_template(&changed),
        Err(Error::Template { .. })
    ));
    changed.version = 2;
    store.publish_template(&changed).unwrap();
    assert_eq!(*store.template("slab-rebar", 1).unwrap(), template());
}

#[test]
fn two_devices_offline_on_one_inspection() {
    let dir = tempfile::tempdir().unwrap();
    let (a, clock_a) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, clock_b) = open_as(&dir.path().join("b.db"), "li");
    let id = new_inspection(&a);
    b.publish_template(&template()).unwrap(); // templates travel separately (sync, later)
    let sync = |from: &Store, to: &Store| {
        let heads = to.heads(&id).unwrap_or_default();
        for c in from.changes_since(&id, &heads).unwrap() {
            to.apply_changes(&id, &c).unwrap();
        }
    };
    sync(&a, &b);
    // Offline: both answer the same item and both attach photos to it.
    clock_a.advance_ms(60_000);
    clock_b.advance_ms(90_000);
    a.answer(&id, "spacing", &json!("pass"), Some("甲：合格"))
        .unwrap();
    let sha_a = held_photo(&a, 1);
    a.add_answer_photo(&id, "spacing", &sha_a).unwrap();
    b.answer(&id, "spacing", &json!("fail"), Some("乙：间距偏大"))
        .unwrap();
    let sha_b = held_photo(&b, 2);
    b.add_answer_photo(&id, "spacing", &sha_b).unwrap();
    sync(&a, &b);
    sync(&b, &a);
    let (ia, ib) = (a.inspection(&id).unwrap(), b.inspection(&id).unwrap());
    assert_eq!(ia.answers, ib.answers);
    let photos: std::collections::BTreeSet<&String> = ia.answers["spacing"].photos.keys().collect();
    assert_eq!(photos, [&sha_a, &sha_b].into(), "both photos survive");
    let conflicts = a.conflicts(&id).unwrap();
    let value = conflicts
        .iter()
        .find(|c| c.path == "/answers/spacing/value")
        .expect("value conflict listed");
    assert_eq!(value.values.len(), 2);
    assert!(conflicts.iter().any(|c| c.path == "/answers/spacing/note"));

    // A submits; B, offline, still changes an answer: kept, and flagged as an amendment.
    for item in ["cover", "sill", "cp"] {
        let v = match item {
            "cover" => json!(30),
            "sill" => json!("fixed"),
            _ => json!("RF-01"),
        };
        a.answer(&id, item, &v, None).unwrap();
    }
    a.answer(&id, "spacing", &json!("pass"), Some("复核合格"))
        .unwrap();
    a.add_answer_photo(&id, "overview", &sha_a).unwrap();
    a.sign_inspection(&id, Some("sign"), "王监理", b"png")
        .unwrap();
    sync(&a, &b);
    b.answer(&id, "cover", &json!(45), Some("乙复测")).unwrap();
    a.submit_inspection(&id).unwrap();
    sync(&a, &b);
    sync(&b, &a);
    for store in [&a, &b] {
        let ins = store.inspection(&id).unwrap();
        assert_eq!(ins.status, InspectionStatus::Submitted);
        assert_eq!(
            ins.answers["cover"].value,
            Some(json!(45)),
            "the late edit is kept"
        );
        assert_eq!(ins.amendments, vec!["cover"]);
        assert_eq!(
            store
                .list(&ListQuery {
                    kind: Some(RecordKind::Inspection),
                    ..Default::default()
                })
                .unwrap()[0]
                .status
                .as_deref(),
            Some("submitted")
        );
    }
}

#[test]
fn answering_after_a_merge_sees_the_merged_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, _) = open_as(&dir.path().join("b.db"), "li");
    let id = new_inspection(&a);
    b.publish_template(&template()).unwrap();
    let sync = |from: &Store, to: &Store| {
        let heads = to.heads(&id).unwrap_or_default();
        for c in from.changes_since(&id, &heads).unwrap() {
            to.apply_changes(&id, &c).unwrap();
        }
    };
    sync(&a, &b);
    // A answers (its answering state is now cached), then B's answer arrives.
    a.answer(&id, "spacing", &json!("pass"), None).unwrap();
    let out = b.answer(&id, "sill", &json!("removable"), None).unwrap();
    assert_eq!(out.shown, vec!["sill-stored"]);
    sync(&b, &a);
    // On A the conditional item is visible now; changing the gate hides it again.
    let out = a.answer(&id, "sill", &json!("fixed"), None).unwrap();
    assert_eq!(out.hidden, vec!["sill-stored"]);
    let out = a.answer(&id, "sill", &json!("removable"), None).unwrap();
    assert_eq!(out.shown, vec!["sill-stored"]);
}

#[test]
fn a_photo_this_device_does_not_hold_is_not_cited() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("i.db"), "zhang");
    let id = new_inspection(&store);
    let before = store.history(&id).unwrap().len();
    let err = store
        .add_answer_photo(&id, "overview", NOT_HELD)
        .unwrap_err();
    assert!(
        matches!(&err, Error::PhotoNotHeld { sha256 } if sha256 == NOT_HELD),
        "{err}"
    );
    assert_eq!(store.history(&id).unwrap().len(), before, "nothing written");
    assert!(
        store.inspection(&id).unwrap().answers["overview"]
            .photos
            .is_empty()
    );
    // Held here, it is cited.
    let held = held_photo(&store, 1);
    store.add_answer_photo(&id, "overview", &held).unwrap();
    assert!(
        store.inspection(&id).unwrap().answers["overview"]
            .photos
            .contains_key(&held)
    );
}

#[test]
fn a_photo_the_inspection_carries_is_cited_without_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, _) = open_as(&dir.path().join("b.db"), "li");
    let id = new_inspection(&a);
    b.publish_template(&template()).unwrap();
    // A attaches a photo to the inspection; B receives the record, not the photo's files.
    let bytes = photos::jpeg(&Sample {
        width: 64,
        height: 48,
        ..Sample::default()
    });
    let target = PhotoTarget::Inspection {
        id: id.clone(),
        item: "spacing".into(),
    };
    let sha = a
        .add_photo(&target, &bytes, &CaptureContext::default())
        .unwrap()
        .sha256;
    for c in a.changes_since(&id, &[]).unwrap() {
        b.apply_changes(&id, &c).unwrap();
    }
    assert!(b.photo_queue(None).unwrap().is_empty(), "B holds no photo");
    // The inspection carries it: B may cite it for another item.
    b.add_answer_photo(&id, "overview", &sha).unwrap();
    assert!(
        b.inspection(&id).unwrap().answers["overview"]
            .photos
            .contains_key(&sha)
    );
    // Another inspection does not carry it.
    let other = b
        .create_inspection(&NewInspection {
            template_id: "slab-rebar".into(),
            template_version: Some(1),
            project: "p1".into(),
            site: "3号楼 B1".into(),
            title: None,
        })
        .unwrap();
    assert!(matches!(
        b.add_answer_photo(&other, "overview", &sha),
        Err(Error::PhotoNotHeld { .. })
    ));
}
