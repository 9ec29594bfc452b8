//! The write gate on the server, against a real server on loopback: honest devices (the core's
//! own store and sync client) build a hazard; a self-written client then pushes forged raw
//! automerge changes with a real token. Each forgery is refused with `forbidden` and a reason
//! naming the rule; the server's heads and feed are unchanged afterwards, and honest work
//! still goes through.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, Prop, ROOT, ReadDoc};
use offgrid_core::hazard::{NewHazard, RectificationOrder};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{RecordId, RiskGrade, Role, Store};
use offgrid_doc::ChangeMeta;
use offgrid_protocol::{Bytes, PushRecord, SyncRequest, SyncResponse};
use offgrid_server::{App, Config, RunningServer, accounts};
use serde_json::{Value, json};

const PW: &str = "correct horse";

struct World {
    dir: tempfile::TempDir,
    server: RunningServer,
    http: reqwest::blocking::Client,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Config::new(dir.path().join("server"))).unwrap();
    let b = app.backend.as_ref();
    accounts::add_project(b, "p1", "滨江花园").unwrap();
    for (u, role) in [
        ("zhang", Role::Inspector),
        ("wang", Role::Supervisor),
        ("chen", Role::Rectifier),
        ("vera", Role::Viewer),
    ] {
        accounts::add_user(b, u, u, PW).unwrap();
        accounts::set_member(b, "p1", u, Some(role)).unwrap();
    }
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    World {
        dir,
        server,
        http: reqwest::blocking::Client::new(),
    }
}

impl World {
    fn device(&self, user: &str) -> Store {
        let store = Store::open(self.dir.path().join(format!("{user}.db"))).unwrap();
        sync::login(&store, &self.server.url(), user, PW, user).unwrap();
        store
    }

    fn sync(&self, store: &Store) -> sync::SyncReport {
        sync::sync(
            store,
            &SyncOptions::default(),
            &mut |_| {},
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap()
    }

    fn token(&self, user: &str) -> String {
        let r = self
            .http
            .post(format!("{}/v1/login", self.server.url()))
            .json(&json!({"user": user, "password": PW, "device": "forger"}))
            .send()
            .unwrap();
        r.json::<Value>().unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Pushes raw changes as `user` (a self-written client) and returns the response.
    fn push_raw(&self, user: &str, id: &RecordId, changes: Vec<Vec<u8>>) -> SyncResponse {
        let req = SyncRequest {
            device: "forger".into(),
            push: vec![PushRecord {
                id: id.to_string(),
                project: "p1".into(),
                kind: "hazard".into(),
                changes: changes.into_iter().map(Bytes).collect(),
                heads: vec![],
                photos: vec![],
            }],
            ..Default::default()
        };
        let r = self
            .http
            .post(format!("{}/v1/sync", self.server.url()))
            .bearer_auth(self.token(user))
            .json(&req)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().unwrap()
    }

    /// The record's heads and the project's feed length on the server.
    fn stored(&self, id: &RecordId) -> (Vec<String>, i64) {
        offgrid_server::backend::transact(self.server.app.backend.as_ref(), |tx| {
            let heads = tx
                .lock_record(id.as_str())?
                .map(|r| r.heads)
                .unwrap_or_default();
            Ok((heads, tx.feed_head("p1")?))
        })
        .unwrap()
    }
}

/// A hazard raised by zhang and ordered to chen by wang, on the server.
fn ordered_hazard(w: &World) -> (RecordId, Store) {
    let zhang = w.device("zhang");
    let id = zhang
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "B1".into(),
            location: "东墙".into(),
            title: "渗水".into(),
            description: "施工缝渗水".into(),
            grade: Some(RiskGrade::Yellow),
            ..Default::default()
        })
        .unwrap();
    assert!(w.sync(&zhang).complete);
    let wang = w.device("wang");
    w.sync(&wang);
    wang.order_rectification(
        &id,
        &RectificationOrder {
            unit: "施工单位".into(),
            person: "chen".into(),
            person_name: "陈工".into(),
            deadline_ms: 1_900_000_000_000,
            measures: "注浆".into(),
        },
    )
    .unwrap();
    assert!(w.sync(&wang).complete);
    (id, wang)
}

/// Forges one change on top of what `store` holds of the record: `edit` writes into the raw
/// document, the change's message claims `claim` as its author.
fn forge(
    store: &Store,
    id: &RecordId,
    claim: Option<&str>,
    edit: impl FnOnce(&mut AutoCommit),
) -> Vec<Vec<u8>> {
    let all: Vec<u8> = store.changes_since(id, &[]).unwrap().concat();
    let mut doc = AutoCommit::load(&all).unwrap();
    let before = doc.get_heads();
    edit(&mut doc);
    let meta = ChangeMeta {
        user_id: claim.map(str::to_owned),
        user_name: claim.map(str::to_owned),
        offset_minutes: 480,
        message: "forged".into(),
    };
    doc.commit_with(
        CommitOptions::default()
            .with_message(meta.encode())
            .with_time(1_800_000_000_000),
    );
    doc.get_changes(&before)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// Adds an event to the raw document's events map.
fn add_event(doc: &mut AutoCommit, event: Value) {
    let (_, events) = doc.get(ROOT, "events").unwrap().unwrap();
    let key = RecordId::new().0;
    offgrid_doc::json::put_json(doc, &events, Prop::Map(key), &event).unwrap();
}

fn event(kind: Value, by: &str) -> Value {
    let mut e =
        json!({"by": by, "by_name": by, "at_ms": 1_800_000_000_000i64, "offset_minutes": 480});
    for (k, v) in kind.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// Pushes a forgery as `user` and checks it is refused with `rule`, nothing stored.
fn refused(w: &World, user: &str, id: &RecordId, changes: Vec<Vec<u8>>, rule: &str) {
    let before = w.stored(id);
    let resp = w.push_raw(user, id, changes);
    assert!(resp.acked.is_empty(), "{resp:?}");
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert_eq!(resp.rejected[0].code, "forbidden");
    assert!(
        resp.rejected[0].reason.starts_with(rule),
        "expected {rule}, got {}",
        resp.rejected[0].reason
    );
    assert_eq!(w.stored(id), before, "stored data and feed unchanged");
}

#[test]
fn an_order_by_someone_else_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let forged = forge(&wang, &id, Some("chen"), |d| {
        add_event(
            d,
            event(
                json!({"type": "rectification_ordered", "unit": "u", "person": "chen",
            "deadline_ms": 1, "measures": "m"}),
                "wang",
            ),
        )
    });
    refused(&w, "chen", &id, forged, "author_mismatch");
}

#[test]
fn a_change_claiming_another_author_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let forged = forge(&wang, &id, Some("wang"), |d| {
        add_event(d, event(json!({"type": "escalated"}), "wang"))
    });
    refused(&w, "chen", &id, forged, "author_mismatch");
}

#[test]
fn a_change_naming_nobody_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let forged = forge(&wang, &id, None, |d| {
        d.put(ROOT, "title", "无名").unwrap();
    });
    refused(&w, "zhang", &id, forged, "author_mismatch");
}

#[test]
fn a_rectification_without_photos_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let forged = forge(&wang, &id, Some("chen"), |d| {
        add_event(
            d,
            event(
                json!({"type": "rectification_submitted", "photos": []}),
                "chen",
            ),
        )
    });
    refused(&w, "chen", &id, forged, "rectification_photos");
}

#[test]
fn a_rectification_citing_an_unattached_photo_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let sha = "ab".repeat(32);
    let forged = forge(&wang, &id, Some("chen"), |d| {
        add_event(
            d,
            event(
                json!({"type": "rectification_submitted", "photos": [sha]}),
                "chen",
            ),
        )
    });
    refused(&w, "chen", &id, forged, "rectification_photos");
}

#[test]
fn a_rectifier_cannot_reinspect_or_close() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let forged = forge(&wang, &id, Some("chen"), |d| {
        add_event(
            d,
            event(json!({"type": "reinspected", "passed": true}), "chen"),
        )
    });
    refused(&w, "chen", &id, forged, "permission");
    let forged = forge(&wang, &id, Some("chen"), |d| {
        add_event(d, event(json!({"type": "closed"}), "chen"))
    });
    refused(&w, "chen", &id, forged, "permission");
}

#[test]
fn the_rectifier_never_reinspects_their_own_work() {
    let w = world();
    let (id, _) = ordered_hazard(&w);
    // chen rectifies honestly, with an after-photo.
    let chen = w.device("chen");
    w.sync(&chen);
    let jpeg = offgrid_testkit::photos::jpeg(&offgrid_testkit::photos::Sample {
        width: 64,
        height: 48,
        ..Default::default()
    });
    let photo = chen
        .add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: true,
            },
            &jpeg,
            &CaptureContext::default(),
        )
        .unwrap();
    chen.submit_rectification(&id, "已注浆", &[photo.sha256])
        .unwrap();
    let report = w.sync(&chen);
    assert!(report.rejected.is_empty(), "{report:?}");
    // wang (a supervisor may re-inspect) forges a re-inspection "by chen".
    let forged = forge(&chen, &id, Some("wang"), |d| {
        add_event(
            d,
            event(json!({"type": "reinspected", "passed": true}), "chen"),
        )
    });
    refused(&w, "wang", &id, forged, "author_mismatch");
    // An admin who rectified may not re-inspect: pushed as themselves.
    let b = w.server.app.backend.as_ref();
    accounts::set_member(b, "p1", "chen", Some(Role::Admin)).unwrap();
    let forged = forge(&chen, &id, Some("chen"), |d| {
        add_event(
            d,
            event(json!({"type": "reinspected", "passed": true}), "chen"),
        )
    });
    refused(&w, "chen", &id, forged, "reinspector_rectified");
}

#[test]
fn identity_fields_and_events_never_change() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    for field in ["project", "created_by", "kind", "created_ms", "id"] {
        let forged = forge(&wang, &id, Some("wang"), |d| {
            d.put(ROOT, field, "other").unwrap();
        });
        refused(&w, "wang", &id, forged, "immutable_field");
    }
    let forged = forge(&wang, &id, Some("wang"), |d| {
        let (_, events) = d.get(ROOT, "events").unwrap().unwrap();
        let first = d.keys(&events).next().unwrap();
        let (_, ev) = d.get(&events, &first).unwrap().unwrap();
        d.put(&ev, "by", "wang").unwrap();
    });
    refused(&w, "wang", &id, forged, "append_only");
    let forged = forge(&wang, &id, Some("wang"), |d| {
        let (_, events) = d.get(ROOT, "events").unwrap().unwrap();
        let first = d.keys(&events).next().unwrap();
        d.delete(&events, &first).unwrap();
    });
    refused(&w, "wang", &id, forged, "append_only");
}

#[test]
fn a_hazard_born_closed_is_refused() {
    let w = world();
    let zhang = w.device("zhang");
    let id = RecordId::new();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "id", id.as_str()).unwrap();
    doc.put(ROOT, "kind", "hazard").unwrap();
    doc.put(ROOT, "project", "p1").unwrap();
    doc.put(ROOT, "created_by", "zhang").unwrap();
    doc.put(ROOT, "created_ms", 1i64).unwrap();
    doc.put_object(ROOT, "photos", ObjType::Map).unwrap();
    doc.put_object(ROOT, "notes", ObjType::Map).unwrap();
    doc.put_object(ROOT, "events", ObjType::Map).unwrap();
    add_event(&mut doc, event(json!({"type": "closed"}), "zhang"));
    let meta = ChangeMeta {
        user_id: Some("zhang".into()),
        ..Default::default()
    };
    doc.commit_with(
        CommitOptions::default()
            .with_message(meta.encode())
            .with_time(1),
    );
    let changes = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    refused(&w, "zhang", &id, changes, "raised_first");
    assert_eq!(
        w.stored(&id).0,
        Vec::<String>::new(),
        "the record does not exist"
    );
    drop(zhang);
}

#[test]
fn honest_offline_work_still_converges() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    let zhang = w.device("zhang");
    w.sync(&zhang);
    // Both escalate while offline: both events are accepted and both devices agree.
    wang.escalate_hazard(&id, "超期").unwrap();
    zhang.escalate_hazard(&id, "督办").unwrap();
    for s in [&wang, &zhang, &wang] {
        let r = w.sync(s);
        assert!(r.rejected.is_empty(), "{r:?}");
    }
    assert_eq!(wang.hazard(&id).unwrap().state.escalations, 2);
    assert_eq!(zhang.hazard(&id).unwrap(), wang.hazard(&id).unwrap());
    // Every change is confirmed by the server, with the verified pusher: in the history and
    // on the hazard's timeline.
    for e in zhang.history(&id).unwrap() {
        assert_eq!(e.verified_by, e.user_id, "{e:?}");
    }
    for e in zhang.hazard(&id).unwrap().events {
        assert_eq!(e.verified_by.as_deref(), Some(e.by.as_str()), "{e:?}");
    }
}

#[test]
fn a_refused_record_stays_on_the_device_and_is_not_resent() {
    let w = world();
    let (id, _) = ordered_hazard(&w);
    // A device whose CLI user differs from its account writes as "li": refused on push.
    let zhang = w.device("zhang");
    w.sync(&zhang);
    zhang.set_user(offgrid_core::User::new("li", "李工").with_role("p1", Role::Inspector));
    zhang.escalate_hazard(&id, "督办").unwrap();
    let r = w.sync(&zhang);
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert!(r.rejected[0].reason.starts_with("author_mismatch"), "{r:?}");
    assert!(!r.complete);
    let status = zhang.sync_status().unwrap();
    assert_eq!(status.refused.len(), 1);
    assert_eq!(zhang.sync_refusal(&id).unwrap().unwrap().code, "forbidden");
    assert_eq!(zhang.hazard(&id).unwrap().state.escalations, 1, "data kept");
    let before = w.stored(&id);
    let again = w.sync(&zhang);
    assert_eq!(again.progress.records_up, 0, "not sent again");
    assert_eq!(again.rejected.len(), 1, "still reported");
    assert_eq!(w.stored(&id), before);
}

#[test]
fn offline_work_is_judged_by_the_roles_held_when_it_arrives() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    // wang escalates offline; meanwhile the office takes away his supervisor role.
    wang.escalate_hazard(&id, "超期").unwrap();
    let b = w.server.app.backend.as_ref();
    accounts::set_member(b, "p1", "wang", Some(Role::Rectifier)).unwrap();
    let before = w.stored(&id);
    let r = w.sync(&wang);
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert!(r.rejected[0].reason.starts_with("permission"), "{r:?}");
    assert_eq!(w.stored(&id), before);
    assert_eq!(
        wang.hazard(&id).unwrap().state.escalations,
        1,
        "kept on the device"
    );
    // The role restored, the same work goes in once the record changes again.
    accounts::set_member(b, "p1", "wang", Some(Role::Supervisor)).unwrap();
    wang.escalate_hazard(&id, "再次督办").unwrap();
    let r = w.sync(&wang);
    assert!(r.rejected.is_empty() && r.complete, "{r:?}");
}

/// A forged event under the key of an existing one, concurrent with it (made on the record's
/// first change only): it sits beside the real event as a conflict, winning or losing by its
/// actor id. Either way it is judged, and refused.
#[test]
fn a_concurrent_event_under_an_existing_key_is_judged_winning_or_losing() {
    for actor in [[0u8; 16], [0xffu8; 16]] {
        let w = world();
        let (id, wang) = ordered_hazard(&w);
        let order = wang
            .hazard(&id)
            .unwrap()
            .events
            .into_iter()
            .find(|e| e.kind.name() == "rectification_ordered")
            .unwrap();
        let genesis = wang.changes_since(&id, &[]).unwrap().remove(0);
        let mut doc = AutoCommit::load(&genesis).unwrap();
        doc.set_actor(automerge::ActorId::from(actor));
        let before = doc.get_heads();
        let (_, events) = doc.get(ROOT, "events").unwrap().unwrap();
        let forged = event(json!({"type": "closed"}), "chen");
        offgrid_doc::json::put_json(&mut doc, &events, Prop::Map(order.id.clone()), &forged)
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
        let changes = doc
            .get_changes(&before)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        refused(&w, "chen", &id, changes, "permission");
    }
}

#[test]
fn a_document_filed_under_another_id_or_project_is_refused() {
    let w = world();
    let (id, wang) = ordered_hazard(&w);
    // zhang's first change of the hazard pushed again as another record: devices would
    // refuse to merge it, so the server never files it.
    let genesis = wang.changes_since(&id, &[]).unwrap().remove(0);
    let other = RecordId::new();
    refused(&w, "zhang", &other, vec![genesis], "identity");
    assert_eq!(w.stored(&other).0, Vec::<String>::new(), "nothing filed");
}
