//! The write gate on the device: every write, through the domain API or the generic record
//! API, passes its kind's policy, and merged changes do too. One test per rule; each refusal
//! leaves the record exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, Prop, ROOT, ReadDoc};
use common::open_as;
use offgrid_core::doc::ChangeMeta;
use offgrid_core::hazard::{NewHazard, RectificationOrder};
use offgrid_core::inspection::NewInspection;
use offgrid_core::{Error, RecordId, RecordKind, RiskGrade, Role, Store, User};
use serde_json::{Value, json};

fn as_user(store: &Store, id: &str, role: Role) {
    store.set_user(User::new(id, id).with_role("p1", role));
}

fn hazard(store: &Store) -> RecordId {
    as_user(store, "zhang", Role::Inspector);
    store
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "B1".into(),
            location: "东墙".into(),
            title: "渗水".into(),
            description: "施工缝渗水".into(),
            grade: Some(RiskGrade::Yellow),
            ..Default::default()
        })
        .unwrap()
}

fn ordered(store: &Store) -> RecordId {
    let id = hazard(store);
    as_user(store, "wang", Role::Supervisor);
    store
        .order_rectification(
            &id,
            &RectificationOrder {
                unit: "施工单位".into(),
                person: "chen".into(),
                person_name: "陈工".into(),
                deadline_ms: common::T0 + 86_400_000,
                measures: "注浆".into(),
            },
        )
        .unwrap();
    id
}

fn event(kind: Value, by: &str) -> Value {
    let mut e = json!({"by": by, "by_name": by, "at_ms": common::T0 + 1, "offset_minutes": 480});
    for (k, v) in kind.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// Inserts `event` through the generic record API, as the store's user.
fn insert_event(store: &Store, id: &RecordId, event: Value) -> offgrid_core::Result<()> {
    store.update(id, "raw event", |e| {
        Ok(e.insert("/events", &RecordId::new().0, &event)?)
    })
}

fn refused_as(result: offgrid_core::Result<()>, rule: &str) {
    match result {
        Err(Error::RuleViolation(reason)) => assert!(reason.starts_with(rule), "{reason}"),
        // Citing photos that are not attached is reported as a bad argument.
        Err(Error::InvalidArgument(_)) if rule == "rectification_photos" => {}
        Err(Error::Forbidden { permission, .. }) => {
            assert_eq!("permission", rule, "got a missing permission {permission}")
        }
        other => panic!("expected {rule}, got {other:?}"),
    }
}

fn unchanged(store: &Store, id: &RecordId, f: impl FnOnce()) {
    let before = (store.heads(id).unwrap(), store.get(id).unwrap());
    f();
    store.clear_cache();
    assert_eq!((store.heads(id).unwrap(), store.get(id).unwrap()), before);
}

#[test]
fn nothing_is_confirmed_before_the_server_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    assert!(
        store
            .history(&id)
            .unwrap()
            .iter()
            .all(|e| e.verified_by.is_none())
    );
    assert!(
        store
            .hazard(&id)
            .unwrap()
            .events
            .iter()
            .all(|e| e.verified_by.is_none())
    );
}

#[test]
fn a_viewer_cannot_create_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "vera");
    as_user(&store, "vera", Role::Viewer);
    let r = store.create(RecordKind::Hazard, &json!({"project": "p1", "title": "x"}));
    assert!(
        matches!(r, Err(Error::Forbidden { ref permission, .. }) if permission == "raise_hazard"),
        "{r:?}"
    );
    assert!(store.list(&Default::default()).unwrap().is_empty());
}

#[test]
fn a_hazard_cannot_be_born_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let fields = json!({"project": "p1", "title": "x",
        "events": {"e1": event(json!({"type": "closed"}), "zhang")}});
    let r = store.create(RecordKind::Hazard, &fields).map(|_| ());
    refused_as(r, "raised_first");
}

#[test]
fn identity_fields_never_change() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = hazard(&store);
    unchanged(&store, &id, || {
        refused_as(
            store.update(&id, "move", |e| Ok(e.set("/project", "p2")?)),
            "immutable_field",
        );
    });
}

#[test]
fn events_are_never_changed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    let first = store.hazard(&id).unwrap().events[0].id.clone();
    unchanged(&store, &id, || {
        refused_as(
            store.update(&id, "rewrite", |e| {
                Ok(e.set(&format!("/events/{first}/by"), "wang")?)
            }),
            "append_only",
        );
        refused_as(
            store.update(
                &id,
                "remove",
                |e| Ok(e.delete(&format!("/events/{first}"))?),
            ),
            "append_only",
        );
    });
}

#[test]
fn an_event_is_by_its_author() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    as_user(&store, "chen", Role::Rectifier);
    unchanged(&store, &id, || {
        let ev = event(json!({"type": "escalated"}), "wang");
        refused_as(insert_event(&store, &id, ev), "author_mismatch");
    });
}

#[test]
fn a_rectifier_cannot_reinspect_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    as_user(&store, "chen", Role::Rectifier);
    unchanged(&store, &id, || {
        let r = insert_event(
            &store,
            &id,
            event(json!({"type": "reinspected", "passed": true}), "chen"),
        );
        refused_as(r, "permission");
        let r = insert_event(&store, &id, event(json!({"type": "closed"}), "chen"));
        refused_as(r, "permission");
    });
}

#[test]
fn a_rectification_needs_attached_after_photos() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    as_user(&store, "chen", Role::Rectifier);
    unchanged(&store, &id, || {
        let ev = event(
            json!({"type": "rectification_submitted", "photos": []}),
            "chen",
        );
        refused_as(insert_event(&store, &id, ev), "rectification_photos");
        let ev = event(
            json!({"type": "rectification_submitted", "photos": ["ab".repeat(32)]}),
            "chen",
        );
        refused_as(insert_event(&store, &id, ev), "rectification_photos");
    });
}

#[test]
fn the_person_ordered_may_rectify_without_the_rectifier_role() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    // chen is ordered; as an inspector (no rectifier role) the photo and event still pass.
    as_user(&store, "chen", Role::Inspector);
    let bytes = offgrid_testkit::photos::jpeg(&offgrid_testkit::photos::Sample {
        width: 32,
        height: 24,
        ..Default::default()
    });
    let target = offgrid_core::photo::PhotoTarget::Hazard {
        id: id.clone(),
        rectification: true,
    };
    // The person ordered adds the rectification photo without the rectifier role.
    let photo = store
        .add_photo(&target, &bytes, &Default::default())
        .unwrap();
    store
        .submit_rectification(&id, "已注浆", &[photo.sha256])
        .unwrap();
    assert_eq!(
        store.hazard(&id).unwrap().state.rectified_by.as_deref(),
        Some("chen")
    );
}

#[test]
fn the_rectifier_never_reinspects_their_own_work() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    store.set_user(User::new("chen", "陈工").with_role("p1", Role::Admin));
    let bytes = offgrid_testkit::photos::jpeg(&Default::default());
    let target = offgrid_core::photo::PhotoTarget::Hazard {
        id: id.clone(),
        rectification: true,
    };
    let photo = store
        .add_photo(&target, &bytes, &Default::default())
        .unwrap();
    store
        .submit_rectification(&id, "已注浆", &[photo.sha256])
        .unwrap();
    unchanged(&store, &id, || {
        refused_as(store.reinspect(&id, true, None), "reinspector_rectified");
    });
}

#[test]
fn a_major_hazard_is_closed_only_by_a_write_off() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    as_user(&store, "wang", Role::Supervisor);
    store.grade_hazard(&id, RiskGrade::Red, true, None).unwrap();
    unchanged(&store, &id, || {
        // Raw: the domain action would also refuse it as not fitting the state.
        let r = insert_event(&store, &id, event(json!({"type": "closed"}), "wang"));
        refused_as(r, "major_write_off");
    });
}

fn inspection(store: &Store) -> RecordId {
    as_user(store, "zhang", Role::Inspector);
    store
        .create_inspection(&NewInspection {
            template_id: "rf-stage-inspection".into(),
            project: "p1".into(),
            site: "B1".into(),
            ..Default::default()
        })
        .unwrap()
}

/// An item of the inspection's template.
fn first_item(store: &Store, id: &RecordId) -> String {
    let answers = store.inspection(id).unwrap().answers;
    answers.keys().min().unwrap().clone()
}

#[test]
fn only_roles_that_answer_write_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = inspection(&store);
    let item = first_item(&store, &id);
    as_user(&store, "chen", Role::Rectifier);
    unchanged(&store, &id, || {
        let r = store.update(&id, "answer", |e| {
            Ok(e.set(&format!("/answers/{item}/note"), "伪造")?)
        });
        refused_as(r, "permission");
    });
}

#[test]
fn answers_after_submission_are_refused_but_concurrent_ones_are_amendments() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = inspection(&store);
    let item = first_item(&store, &id);
    // An honest offline answer on another device, not yet merged.
    let (other, _) = open_as(&dir.path().join("b.db"), "li");
    other
        .apply_changes(&id, &store.changes_since(&id, &[]).unwrap().concat())
        .unwrap();
    as_user(&other, "li", Role::Inspector);
    other
        .update(&id, "answer", |e| {
            Ok(e.set(&format!("/answers/{item}/note"), "离线")?)
        })
        .unwrap();
    // zhang submits (the built-in template has required items: submit with a raw event).
    as_user(&store, "zhang", Role::Inspector);
    insert_event(&store, &id, event(json!({"type": "submitted"}), "zhang")).unwrap();
    unchanged(&store, &id, || {
        let r = store.update(&id, "late", |e| {
            Ok(e.set(&format!("/answers/{item}/note"), "迟")?)
        });
        refused_as(r, "submitted");
    });
    // The concurrent one merges and is listed as an amendment.
    let before = store.heads(&id).unwrap();
    let li_changes = other.changes_since(&id, &[]).unwrap().concat();
    store.apply_changes(&id, &li_changes).unwrap();
    assert_ne!(store.heads(&id).unwrap(), before, "li's answer merged");
    assert_eq!(store.inspection(&id).unwrap().amendments, vec![item]);
}

#[test]
fn a_signature_names_its_signer() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = inspection(&store);
    unchanged(&store, &id, || {
        let r = store.update(&id, "sign", |e| {
            Ok(e.insert(
                "/signatures",
                "s1",
                &json!({"name": "王监理", "user_id": "wang", "at_ms": 1}),
            )?)
        });
        refused_as(r, "author_mismatch");
    });
}

#[test]
fn only_a_supervisor_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = inspection(&store);
    insert_event(&store, &id, event(json!({"type": "submitted"}), "zhang")).unwrap();
    unchanged(&store, &id, || {
        refused_as(store.review_inspection(&id, true, None), "permission");
    });
    as_user(&store, "wang", Role::Supervisor);
    store.review_inspection(&id, true, None).unwrap();
}

/// A change made outside the store (a foreign client), merged on the device.
fn foreign(
    store: &Store,
    id: &RecordId,
    claim: &str,
    edit: impl FnOnce(&mut AutoCommit),
) -> Vec<u8> {
    let mut doc = AutoCommit::load(&store.changes_since(id, &[]).unwrap().concat()).unwrap();
    let before = doc.get_heads();
    edit(&mut doc);
    let meta = ChangeMeta {
        user_id: Some(claim.into()),
        ..Default::default()
    };
    doc.commit_with(
        CommitOptions::default()
            .with_message(meta.encode())
            .with_time(1),
    );
    doc.get_changes(&before)
        .into_iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect()
}

#[test]
fn a_forged_merge_is_refused_and_nothing_of_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    let bytes = foreign(&store, &id, "chen", |d| {
        let (_, events) = d.get(ROOT, "events").unwrap().unwrap();
        let ev = event(json!({"type": "closed"}), "zhang");
        offgrid_core::doc::json::put_json(d, &events, Prop::Map("forged".into()), &ev).unwrap();
    });
    unchanged(&store, &id, || {
        refused_as(
            store.apply_changes(&id, &bytes).map(|_| ()),
            "author_mismatch",
        );
    });
}

#[test]
fn the_same_first_answer_on_two_devices_merges() {
    // One inspector on two devices: both mark the inspection started under their own id,
    // concurrently. Adding the same key twice is not a change: the merge is accepted.
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = inspection(&a);
    let (b, _) = open_as(&dir.path().join("b.db"), "zhang");
    b.apply_changes(&id, &a.changes_since(&id, &[]).unwrap().concat())
        .unwrap();
    as_user(&b, "zhang", Role::Inspector);
    let item = first_item(&a, &id);
    a.update(&id, "a", |e| {
        e.set(&format!("/answers/{item}/note"), "甲")?;
        Ok(e.insert("/started", "zhang", &json!(1))?)
    })
    .unwrap();
    b.update(&id, "b", |e| {
        e.set(&format!("/answers/{item}/note"), "乙")?;
        Ok(e.insert("/started", "zhang", &json!(2))?)
    })
    .unwrap();
    let from_b = b.changes_since(&id, &[]).unwrap().concat();
    a.apply_changes(&id, &from_b).unwrap();
    let from_a = a.changes_since(&id, &[]).unwrap().concat();
    b.apply_changes(&id, &from_a).unwrap();
    assert_eq!(a.get(&id).unwrap(), b.get(&id).unwrap());
}

#[test]
fn a_concurrent_entry_under_an_existing_key_is_judged_too() {
    // A forger adds a "closed" event under the key of the raised event, concurrently (no
    // dependency on it): it would sit beside the real one as a conflict. It is judged.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "zhang");
    let id = ordered(&store);
    let first = store.hazard(&id).unwrap().events[0].id.clone();
    let genesis = store.changes_since(&id, &[]).unwrap().remove(0);
    let bytes = {
        let mut doc = AutoCommit::load(&genesis).unwrap();
        let before = doc.get_heads();
        let (_, events) = doc.get(ROOT, "events").unwrap().unwrap();
        let ev = event(json!({"type": "closed"}), "zhang");
        offgrid_core::doc::json::put_json(&mut doc, &events, Prop::Map(first.clone()), &ev)
            .unwrap();
        let meta = ChangeMeta {
            user_id: Some("chen".into()),
            ..Default::default()
        };
        doc.commit_with(
            CommitOptions::default()
                .with_message(meta.encode())
                .with_time(1),
        );
        doc.get_changes(&before)
            .into_iter()
            .flat_map(|c| c.raw_bytes().to_vec())
            .collect::<Vec<u8>>()
    };
    unchanged(&store, &id, || {
        let r = store.apply_changes(&id, &bytes).map(|_| ());
        assert!(r.is_err(), "{r:?}");
    });
}
