//! Property: random sequences of hazard actions by random accounts and roles, half through the
//! device API and half as raw changes from a foreign client (any author claimed, any `by`,
//! pushed with any account's token), against a real server on loopback. No sequence makes any
//! device show an applied event that the policy forbids for its author, every event's author
//! is the account the server verified as its pusher, and the honest devices converge.
//!
//! `OFFGRID_GATE_CASES` sets the number of cases (default 8).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, Prop, ROOT, ReadDoc};
use offgrid_common::access::{Permission, grants};
use offgrid_core::hazard::events::{HazardEventKind, fold};
use offgrid_core::hazard::{NewHazard, RectificationOrder};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{RecordId, RiskGrade, Role, Store};
use offgrid_doc::ChangeMeta;
use offgrid_protocol::{Bytes, PushRecord, SyncRequest, SyncResponse};
use offgrid_server::{App, Config, RunningServer, accounts};
use proptest::prelude::*;
use serde_json::{Value, json};

const PW: &str = "correct horse";
/// The accounts and their roles on p1. The first three have devices.
const USERS: [(&str, Role); 5] = [
    ("zhang", Role::Inspector),
    ("wang", Role::Supervisor),
    ("chen", Role::Rectifier),
    ("li", Role::Inspector),
    ("vera", Role::Viewer),
];

#[derive(Clone, Debug)]
enum Act {
    /// Device `who` (0..3) does action `what` through the domain API, then syncs.
    Api { who: usize, what: u8 },
    /// A foreign client pushes an event of type `what` with `by`, its change claiming
    /// `claim`, with the token of `pusher`.
    Raw {
        pusher: usize,
        claim: usize,
        by: usize,
        what: u8,
    },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        (0..3usize, 0..8u8).prop_map(|(who, what)| Act::Api { who, what }),
        (0..5usize, 0..5usize, 0..5usize, 0..8u8).prop_map(|(pusher, claim, by, what)| {
            Act::Raw {
                pusher,
                claim,
                by,
                what,
            }
        }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    server: RunningServer,
    devices: Vec<Store>,
    tokens: BTreeMap<usize, String>,
    http: reqwest::blocking::Client,
    hazard: RecordId,
    photo: Vec<u8>,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Config::new(dir.path().join("server"))).unwrap();
    let b = app.backend.as_ref();
    accounts::add_project(b, "p1", "p1").unwrap();
    for (u, role) in USERS {
        accounts::add_user(b, u, u, PW).unwrap();
        accounts::set_member(b, "p1", u, Some(role)).unwrap();
    }
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let devices: Vec<Store> = USERS[..3]
        .iter()
        .map(|(u, _)| {
            let s = Store::open(dir.path().join(format!("{u}.db"))).unwrap();
            sync::login(&s, &server.url(), u, PW, u).unwrap();
            s
        })
        .collect();
    let hazard = devices[0]
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
    let photo = offgrid_testkit::photos::jpeg(&offgrid_testkit::photos::Sample {
        width: 32,
        height: 24,
        ..Default::default()
    });
    let w = World {
        _dir: dir,
        server,
        devices,
        tokens: BTreeMap::new(),
        http: reqwest::blocking::Client::new(),
        hazard,
        photo,
    };
    for d in &w.devices {
        w.sync(d);
    }
    w
}

impl World {
    fn sync(&self, store: &Store) -> sync::SyncReport {
        sync::sync(
            store,
            &SyncOptions::default(),
            &mut |_| {},
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap()
    }

    fn token(&mut self, user: usize) -> String {
        if !self.tokens.contains_key(&user) {
            let r = self
                .http
                .post(format!("{}/v1/login", self.server.url()))
                .json(&json!({"user": USERS[user].0, "password": PW, "device": "foreign"}))
                .send()
                .unwrap();
            let token = r.json::<Value>().unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned();
            self.tokens.insert(user, token);
        }
        self.tokens[&user].clone()
    }

    fn api(&self, who: usize, what: u8) {
        let s = &self.devices[who];
        let id = &self.hazard;
        self.sync(s);
        let _ = match what {
            0 => s.grade_hazard(id, RiskGrade::Orange, false, None),
            1 => s.order_rectification(
                id,
                &RectificationOrder {
                    unit: "施工单位".into(),
                    person: "chen".into(),
                    person_name: "陈工".into(),
                    deadline_ms: 1_900_000_000_000,
                    measures: "注浆".into(),
                },
            ),
            2 => {
                let target = PhotoTarget::Hazard {
                    id: id.clone(),
                    rectification: true,
                };
                s.add_photo(&target, &self.photo, &CaptureContext::default())
                    .and_then(|p| s.submit_rectification(id, "已整改", &[p.sha256]))
            }
            3 => s.reinspect(id, true, None),
            4 => s.reinspect(id, false, Some("未整改到位")),
            5 => s.close_hazard(id, None),
            6 => s.write_off_hazard(id, "核销"),
            _ => s.escalate_hazard(id, "督办"),
        };
        let r = self.sync(s);
        assert!(r.rejected.is_empty(), "honest work refused: {r:?}");
    }

    fn raw(&mut self, pusher: usize, claim: usize, by: usize, what: u8) {
        let kind = match what {
            0 => json!({"type": "graded", "grade": "red", "major": true}),
            1 => json!({"type": "rectification_ordered", "unit": "u", "person": USERS[by].0,
                        "deadline_ms": 1, "measures": "m"}),
            2 => json!({"type": "rectification_submitted", "photos": []}),
            3 => json!({"type": "reinspected", "passed": true}),
            4 => json!({"type": "reinspected", "passed": false}),
            5 => json!({"type": "closed"}),
            6 => json!({"type": "written_off"}),
            _ => json!({"type": "escalated"}),
        };
        let mut event = json!({"by": USERS[by].0, "by_name": "x", "at_ms": 1_800_000_000_000i64,
                               "offset_minutes": 480});
        for (k, v) in kind.as_object().unwrap() {
            event[k] = v.clone();
        }
        // The foreign client's copy: what the server sends a device (wang's, synced now).
        let base = &self.devices[1];
        self.sync(base);
        let all = base.changes_since(&self.hazard, &[]).unwrap().concat();
        let mut doc = AutoCommit::load(&all).unwrap();
        let before = doc.get_heads();
        let (_, events) = doc.get(ROOT, "events").unwrap().unwrap();
        offgrid_doc::json::put_json(&mut doc, &events, Prop::Map(RecordId::new().0), &event)
            .unwrap();
        let meta = ChangeMeta {
            user_id: Some(USERS[claim].0.into()),
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
            .map(|c| Bytes(c.raw_bytes().to_vec()))
            .collect();
        let req = SyncRequest {
            device: "foreign".into(),
            push: vec![PushRecord {
                id: self.hazard.to_string(),
                project: "p1".into(),
                kind: "hazard".into(),
                changes,
                heads: vec![],
                photos: vec![],
            }],
            ..Default::default()
        };
        let token = self.token(pusher);
        let r = self
            .http
            .post(format!("{}/v1/sync", self.server.url()))
            .bearer_auth(token)
            .json(&req)
            .send()
            .unwrap();
        let status = r.status();
        if status == 200 {
            let resp: SyncResponse = r.json().unwrap();
            if !resp.rejected.is_empty() {
                assert!(
                    ["forbidden"].contains(&resp.rejected[0].code.as_str()),
                    "{resp:?}"
                );
            }
        }
    }
}

fn role_of(user: &str) -> Role {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, r)| *r)
        .unwrap()
}

fn permission(kind: &HazardEventKind) -> Permission {
    match kind {
        HazardEventKind::Raised { .. } => Permission::RaiseHazard,
        HazardEventKind::Graded { .. } => Permission::GradeHazard,
        HazardEventKind::RectificationOrdered { .. } => Permission::OrderRectification,
        HazardEventKind::RectificationSubmitted { .. } => Permission::SubmitRectification,
        HazardEventKind::Reinspected { .. } => Permission::Reinspect,
        HazardEventKind::Escalated => Permission::Escalate,
        HazardEventKind::Closed => Permission::CloseHazard,
        HazardEventKind::WrittenOff => Permission::WriteOffHazard,
    }
}

fn check(w: &World) {
    for _ in 0..2 {
        for d in &w.devices {
            w.sync(d);
        }
    }
    let shown: Vec<_> = w
        .devices
        .iter()
        .map(|d| d.hazard(&w.hazard).unwrap())
        .collect();
    for h in &shown[1..] {
        assert_eq!(h.events, shown[0].events, "devices converge");
        assert_eq!(h.state, shown[0].state, "devices converge");
    }
    let h = &shown[0];
    let history = w.devices[0].history(&w.hazard).unwrap();
    for (i, e) in h.events.iter().enumerate() {
        // The account the server verified wrote the event.
        let entry = history
            .iter()
            .find(|x| x.paths.iter().any(|p| p == &format!("/events/{}", e.id)))
            .unwrap_or_else(|| panic!("no change wrote event {}", e.id));
        assert_eq!(entry.verified_by.as_deref(), Some(e.by.as_str()), "{e:?}");
        if h.state.not_applied.contains(&e.id) {
            continue;
        }
        let before = fold(&h.events[..i]);
        let role = role_of(&e.by);
        let ordered = before.assignee.as_deref() == Some(e.by.as_str());
        let allowed = match &e.kind {
            HazardEventKind::RectificationSubmitted { .. } => {
                ordered || grants(role, Permission::SubmitRectification)
            }
            HazardEventKind::Reinspected { .. } => {
                grants(role, Permission::Reinspect)
                    && before.rectified_by.as_deref() != Some(e.by.as_str())
            }
            HazardEventKind::Closed => grants(role, Permission::CloseHazard) && !before.major,
            kind => grants(role, permission(kind)),
        };
        assert!(allowed, "{} ({role:?}) applied {:?}", e.by, e.kind);
    }
}

fn cases() -> u32 {
    std::env::var("OFFGRID_GATE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_shows_a_forbidden_transition(acts in proptest::collection::vec(act(), 4..16)) {
        let mut w = world();
        for a in &acts {
            match *a {
                Act::Api { who, what } => w.api(who, what),
                Act::Raw { pusher, claim, by, what } => w.raw(pusher, claim, by, what),
            }
        }
        check(&w);
    }
}
