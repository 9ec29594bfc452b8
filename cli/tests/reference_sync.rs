//! The organisation's reference data through a real server on loopback (ADR 0007): each
//! account receives the grid cells it belongs to with everything under them, and the sites of
//! its projects; a site moved into a reader's cell arrives whole; a new membership brings the
//! cell's records; supervisors edit their sites' fields and the server keeps who did.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell, ORG};
use offgrid_core::site::{NewSite, SiteEdit, SiteKind};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{ListQuery, RecordId, RecordKind, Role, Store};
use offgrid_server::{App, Config, RunningServer, accounts};

const PW: &str = "correct horse";

fn server(data: &Path) -> RunningServer {
    let app = App::open(Config::new(data)).unwrap();
    let b = app.backend.as_ref();
    for p in ["p1", "p2"] {
        accounts::add_project(b, p, p).unwrap();
    }
    assert!(
        accounts::add_project(b, ORG, "x").is_err(),
        "org is reserved"
    );
    for u in ["admin", "li", "wang", "zhou", "qian"] {
        accounts::add_user(b, u, u, PW).unwrap();
    }
    accounts::set_member(b, ORG, "admin", Some(Role::Admin)).unwrap();
    accounts::set_member(b, "p1", "zhou", Some(Role::Supervisor)).unwrap();
    accounts::set_member(b, "p2", "qian", Some(Role::Inspector)).unwrap();
    RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap()
}

fn device(dir: &Path, user: &str, url: &str) -> Store {
    device_named(dir, user, user, url)
}

fn device_named(dir: &Path, file: &str, user: &str, url: &str) -> Store {
    let s = Store::open(dir.join(format!("{file}.db"))).unwrap();
    sync::login(&s, url, user, PW, file).unwrap();
    s
}

/// One sync, whatever it reports.
fn sync_report(s: &Store) -> sync::SyncReport {
    sync::sync(
        s,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap()
}

/// One sync that the server took whole.
fn sync_now(s: &Store) {
    let report = sync_report(s);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

fn cell(s: &Store, code: &str, level: GridLevel, parent: Option<&RecordId>) -> RecordId {
    s.add_grid_cell(&NewGridCell {
        code: code.into(),
        name: format!("cell {code}"),
        level,
        parent: parent.cloned(),
        boundary: None,
    })
    .unwrap()
}

fn site(s: &Store, name: &str, cell: &RecordId, projects: &[&str]) -> RecordId {
    s.add_site(&NewSite {
        name: name.into(),
        address: "地下一层".into(),
        kind: SiteKind::Attached,
        unit: "物业".into(),
        cell: cell.clone(),
        location: None,
        projects: projects.iter().map(|p| p.to_string()).collect(),
    })
    .unwrap()
}

fn member(s: &Store, cell: &RecordId, user: &str) {
    s.set_grid_member(
        cell,
        &GridMember {
            user: user.into(),
            name: user.into(),
            role: GridRole::Member,
        },
    )
    .unwrap();
}

/// The reference records a device holds, by title.
fn held(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = [RecordKind::GridCell, RecordKind::Site]
        .into_iter()
        .flat_map(|k| {
            s.list(&ListQuery {
                kind: Some(k),
                ..Default::default()
            })
            .unwrap()
        })
        .map(|r| r.title.unwrap_or_default())
        .collect();
    out.sort();
    out
}

#[test]
fn each_account_receives_its_cells_subtrees_and_its_projects_sites() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let admin = device(dir.path(), "admin", &srv.url());
    let city = cell(&admin, "3201", GridLevel::City, None);
    let da = cell(&admin, "320105", GridLevel::District, Some(&city));
    let ca = cell(&admin, "320105001", GridLevel::Community, Some(&da));
    let ga = cell(&admin, "320105001-1", GridLevel::Grid, Some(&ca));
    let db = cell(&admin, "320106", GridLevel::District, Some(&city));
    let s1 = site(&admin, "S1", &ga, &[]);
    let s2 = site(&admin, "S2", &db, &["p1"]);
    let s3 = site(&admin, "S3", &db, &[]);
    member(&admin, &ca, "li");
    member(&admin, &db, "wang");
    sync_now(&admin);

    let li = device(dir.path(), "li", &srv.url());
    let wang = device(dir.path(), "wang", &srv.url());
    let zhou = device(dir.path(), "zhou", &srv.url());
    let qian = device(dir.path(), "qian", &srv.url());
    for d in [&li, &wang, &zhou, &qian] {
        sync_now(d);
    }
    assert_eq!(held(&li), ["S1", "cell 320105001", "cell 320105001-1"]);
    assert_eq!(held(&wang), ["S2", "S3", "cell 320106"]);
    assert_eq!(held(&zhou), ["S2"]);
    assert!(held(&qian).is_empty());
    assert_eq!(held(&admin).len(), 8);

    // A supervisor of p1 edits S2's fields; everyone who reads it gets the edit, verified.
    zhou.update_site(
        &s2,
        &SiteEdit {
            unit: Some("新物业".into()),
            ..Default::default()
        },
    )
    .unwrap();
    sync_now(&zhou);
    sync_now(&wang);
    assert_eq!(wang.site(&s2).unwrap().unit, "新物业");
    let last = wang.history(&s2).unwrap().pop().unwrap();
    assert_eq!(last.verified_by.as_deref(), Some("zhou"));

    // S3 moves into li's grid: li receives it whole, with its history.
    admin
        .update_site(
            &s3,
            &SiteEdit {
                name: Some("S3 moved".into()),
                ..Default::default()
            },
        )
        .unwrap();
    admin
        .update_site(
            &s3,
            &SiteEdit {
                cell: Some(ga.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    sync_now(&admin);
    sync_now(&li);
    assert_eq!(li.site(&s3).unwrap().name, "S3 moved");
    assert_eq!(li.heads(&s3).unwrap(), admin.heads(&s3).unwrap());
    assert!(held(&li).contains(&"S3 moved".to_string()));

    // li becomes a member of district B: the district and what is under it arrive.
    member(&admin, &db, "li");
    sync_now(&admin);
    sync_now(&li);
    assert_eq!(
        held(&li),
        [
            "S1",
            "S2",
            "S3 moved",
            "cell 320105001",
            "cell 320105001-1",
            "cell 320106"
        ]
    );
    assert_eq!(li.heads(&s2).unwrap(), admin.heads(&s2).unwrap());
    // Nothing more for the others; the first sites stay as they were.
    sync_now(&zhou);
    assert_eq!(held(&zhou), ["S2"]);
    assert_eq!(li.site(&s1).unwrap().name, "S1");
}

/// A custom template: the built-in stage inspection under another id and title.
fn custom_template(version: u32, title: &str) -> serde_json::Value {
    let mut t: serde_json::Value =
        serde_json::from_str(include_str!("../../domain/templates/stage-inspection.json")).unwrap();
    t["id"] = "jy-custom-check".into();
    t["version"] = version.into();
    t["title"]["zh-CN"] = title.into();
    t
}

fn inspection_from(s: &Store, template: &str) -> RecordId {
    s.create_inspection(&offgrid_core::inspection::NewInspection {
        template_id: template.into(),
        template_version: None,
        project: "p1".into(),
        site: "B1".into(),
        title: None,
    })
    .unwrap()
}

#[test]
fn templates_travel_with_the_records_made_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let b = srv.app.backend.as_ref();
    accounts::set_member(b, "p1", "li", Some(Role::Inspector)).unwrap();
    accounts::set_member(b, "p1", "wang", Some(Role::Inspector)).unwrap();
    accounts::set_member(b, "p1", "admin", Some(Role::Admin)).unwrap();

    // Published on the server by an admin: the inspector's device receives it and uses it; a
    // device that never had it receives it with the inspection, and shows the inspection.
    let v1 = custom_template(1, "建邺区自定义检查");
    let p = offgrid_server::templates::publish_admin(b, &v1.to_string(), "admin").unwrap();
    assert!(p.new);
    let again = offgrid_server::templates::publish_admin(b, &v1.to_string(), "admin").unwrap();
    assert!(!again.new, "the same content again is a no-op");
    let other = custom_template(1, "另一个内容");
    let err = offgrid_server::templates::publish_admin(b, &other.to_string(), "admin").unwrap_err();
    assert!(err.to_string().contains("other content"), "{err}");

    let li = device(dir.path(), "li", &srv.url());
    sync_now(&li);
    let ins = inspection_from(&li, "jy-custom-check");
    sync_now(&li);
    let wang = device(dir.path(), "wang", &srv.url());
    sync_now(&wang);
    let seen = wang.inspection(&ins).unwrap();
    assert_eq!(seen.title, "建邺区自定义检查");
    assert_eq!(seen.template.hash, p.hash);
    assert!(seen.progress.required > 0);

    // Published on an admin's device offline: pushed with the first inspection made from it.
    let admin = device(dir.path(), "admin", &srv.url());
    let v2: offgrid_core::checklist::Template =
        serde_json::from_value(custom_template(2, "第二版")).unwrap();
    admin.publish_template(&v2).unwrap();
    let ins2 = admin
        .create_inspection(&offgrid_core::inspection::NewInspection {
            template_id: "jy-custom-check".into(),
            template_version: Some(2),
            project: "p1".into(),
            site: "B2".into(),
            title: None,
        })
        .unwrap();
    sync_now(&admin);
    sync_now(&wang);
    assert_eq!(wang.inspection(&ins2).unwrap().title, "第二版");
    assert_eq!(
        wang.template("jy-custom-check", 2).unwrap().title.zh,
        "第二版"
    );

    // An inspector cannot publish (the device refuses it first).
    let v3: offgrid_core::checklist::Template =
        serde_json::from_value(custom_template(3, "越权")).unwrap();
    assert!(li.publish_template(&v3).is_err());

    // A second admin device, offline since before v1 was published, publishes other content
    // as v1: the server refuses that version, says why, and the device keeps its own.
    let tablet = device_named(dir.path(), "tablet", "admin", &srv.url());
    let clash: offgrid_core::checklist::Template =
        serde_json::from_value(custom_template(1, "另一个内容")).unwrap();
    tablet.publish_template(&clash).unwrap();
    let report = sync_report(&tablet);
    let refusal = report
        .rejected
        .iter()
        .find(|r| r.id == "template:jy-custom-check@1")
        .expect("the clash is reported");
    assert_eq!(refusal.code, "template_conflict");
    assert_eq!(
        tablet.template("jy-custom-check", 1).unwrap().title.zh,
        "另一个内容"
    );
    assert_eq!(
        tablet.template("jy-custom-check", 2).unwrap().title.zh,
        "第二版"
    );
    // Not offered again.
    let report = sync_report(&tablet);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let t =
        offgrid_server::backend::transact(b, |tx| tx.template_hash("jy-custom-check", 1)).unwrap();
    assert_eq!(t.as_deref(), Some(p.hash.as_str()));
}

#[test]
fn the_server_refuses_reference_writes_by_anyone_but_their_admins() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let admin = device(dir.path(), "admin", &srv.url());
    let city = cell(&admin, "3201", GridLevel::City, None);
    let s2 = site(&admin, "S2", &city, &["p1"]);
    member(&admin, &city, "li");
    sync_now(&admin);

    // li, a grid member, and zhou, supervisor of p1, claim to be organisation admins on their
    // own devices: the devices let them, the server does not.
    let li = device(dir.path(), "li", &srv.url());
    sync_now(&li);
    li.set_user(offgrid_core::User::new("li", "li").with_role(ORG, Role::Admin));
    li.rename_grid_cell(&city, "改名").unwrap();
    let zhou = device(dir.path(), "zhou", &srv.url());
    sync_now(&zhou);
    zhou.set_user(offgrid_core::User::new("zhou", "zhou").with_role(ORG, Role::Admin));
    zhou.link_site_project(&s2, "p2").unwrap();
    // li writes nowhere, so the server takes nothing of li's; zhou's push meets the gate.
    for (d, id, why) in [
        (&li, &city, "no write access"),
        (&zhou, &s2, "permission: manage_grid"),
    ] {
        let report = sync_report(d);
        let r = report
            .rejected
            .iter()
            .find(|r| r.id == id.as_str())
            .expect("refused");
        assert_eq!(r.code, "forbidden");
        assert!(r.reason.contains(why), "{}", r.reason);
    }
    sync_now(&admin);
    assert_eq!(admin.grid_cell(&city).unwrap().name, "cell 3201");
    assert_eq!(admin.site(&s2).unwrap().projects, ["p1"]);
    // A grid member with no project role pulls what is theirs, and pushes nothing else.
    assert_eq!(held(&li), ["S2", "改名"]);
}
