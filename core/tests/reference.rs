//! Reference data: grid cells, sites, checkpoints and tags (ADR 0007), on real store files.
//! Who may write them (the gate), offline edits that merge, and tag history that resolves a
//! scan the same way on every device.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::{T0, open_as};
use offgrid_core::grid::{GridLevel, GridMember, GridRole, NewGridCell, ORG};
use offgrid_core::site::{
    CheckMethod, CheckpointKind, NewCheckpoint, NewSite, SiteEdit, SiteKind, SiteQuery,
};
use offgrid_core::{Error, RecordId, Role, Store, User};
use serde_json::json;

fn cell(
    store: &Store,
    code: &str,
    name: &str,
    level: GridLevel,
    parent: Option<&RecordId>,
) -> RecordId {
    store
        .add_grid_cell(&NewGridCell {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.cloned(),
            boundary: None,
        })
        .unwrap()
}

/// A city → district → street → community → grid chain; returns the ids top down.
fn chain(store: &Store) -> Vec<RecordId> {
    let city = cell(store, "3201", "南京市", GridLevel::City, None);
    let district = cell(store, "320105", "建邺区", GridLevel::District, Some(&city));
    let street = cell(
        store,
        "320105001",
        "南苑街道",
        GridLevel::Street,
        Some(&district),
    );
    let community = cell(
        store,
        "320105001002",
        "吉庆社区",
        GridLevel::Community,
        Some(&street),
    );
    let grid = cell(
        store,
        "320105001002-01",
        "吉庆第一网格",
        GridLevel::Grid,
        Some(&community),
    );
    vec![city, district, street, community, grid]
}

fn site(store: &Store, cell: &RecordId, projects: &[&str]) -> RecordId {
    store
        .add_site(&NewSite {
            name: "吉庆人防工程".into(),
            address: "江东中路 100 号地下".into(),
            kind: SiteKind::DualUse,
            unit: "吉庆物业".into(),
            cell: cell.clone(),
            location: Some("118.7312,32.0051".into()),
            projects: projects.iter().map(|p| p.to_string()).collect(),
        })
        .unwrap()
}

fn checkpoint(store: &Store, site: &RecordId, name: &str) -> String {
    store
        .add_checkpoint(
            site,
            &NewCheckpoint {
                name: name.into(),
                kind: CheckpointKind::BlastDoor,
                methods: vec![CheckMethod::Nfc, CheckMethod::Qr],
            },
        )
        .unwrap()
}

/// Sends every change of `id` from `from` to `to`.
fn send(from: &Store, to: &Store, id: &RecordId) {
    for c in from.changes_since(id, &[]).unwrap() {
        to.apply_changes(id, &c).unwrap();
    }
}

fn as_role(store: &Store, id: &str, project: &str, role: Role) {
    store.set_user(User::new(id, id).with_role(project, role));
}

#[test]
fn cells_form_a_hierarchy_by_level() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "admin");
    let ids = chain(&store);
    let subtree = store.grid_subtree(&ids[1]).unwrap();
    let codes: Vec<&str> = subtree.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        ["320105", "320105001", "320105001002", "320105001002-01"]
    );
    assert_eq!(store.grid_children(None).unwrap()[0].id, ids[0]);
    assert_eq!(
        store.grid_cell(&ids[4]).unwrap().parent.as_ref(),
        Some(&ids[3])
    );
    assert_eq!(
        store.grid_cell_by_code("320105001").unwrap(),
        Some(ids[2].clone())
    );

    // A district under a grid, a second city-less district, a code taken twice: refused.
    for (code, level, parent) in [
        ("x1", GridLevel::District, Some(&ids[4])),
        ("x2", GridLevel::District, None),
        ("320105", GridLevel::Grid, Some(&ids[3])),
        ("bad code!", GridLevel::Grid, Some(&ids[3])),
    ] {
        let err = store
            .add_grid_cell(&NewGridCell {
                code: code.into(),
                name: "x".into(),
                level,
                parent: parent.cloned(),
                boundary: None,
            })
            .unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{code}: {err:?}");
    }
    // Code, level and parent are written once.
    let err = store
        .update(&ids[2], "recode", |e| Ok(e.set("/code", "999")?))
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("immutable_field")),
        "{err:?}"
    );
    assert_eq!(store.grid_cell(&ids[2]).unwrap().code, "320105001");
}

#[test]
fn cell_members_and_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "admin");
    let ids = chain(&store);
    let grid = &ids[4];
    for (user, role) in [("li", GridRole::Leader), ("wang", GridRole::Member)] {
        store
            .set_grid_member(
                grid,
                &GridMember {
                    user: user.into(),
                    name: format!("{user} 同志"),
                    role,
                },
            )
            .unwrap();
    }
    store
        .set_grid_member(
            grid,
            &GridMember {
                user: "wang".into(),
                name: "王芳".into(),
                role: GridRole::Leader,
            },
        )
        .unwrap();
    let c = store.grid_cell(grid).unwrap();
    assert_eq!(c.members.len(), 2);
    assert_eq!(
        c.members[1],
        GridMember {
            user: "wang".into(),
            name: "王芳".into(),
            role: GridRole::Leader
        }
    );
    assert_eq!(store.grid_cells_of("wang").unwrap()[0].id, *grid);
    store.remove_grid_member(grid, "li").unwrap();
    assert!(store.grid_cells_of("li").unwrap().is_empty());

    let polygon = json!({"type": "Feature", "properties": {"name": "x"}, "geometry": {
        "type": "Polygon",
        "coordinates": [[[118.73, 32.00], [118.74, 32.00], [118.74, 32.01], [118.73, 32.00]]]}});
    store
        .set_grid_boundary(grid, Some(&polygon.to_string()))
        .unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&store.grid_cell(grid).unwrap().boundary.unwrap()).unwrap();
    assert_eq!(b["type"], "Polygon");
    assert_eq!(b["coordinates"], polygon["geometry"]["coordinates"]);
    let err = store.set_grid_boundary(grid, Some(r#"{"type":"Polygon","coordinates":[[[1,2]]]}"#));
    assert!(matches!(err, Err(Error::InvalidValue { .. })));
    assert!(store.grid_cell(grid).unwrap().boundary.is_some());
}

#[test]
fn sites_with_checkpoints_are_listed_by_cell_and_project() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "admin");
    let ids = chain(&store);
    let s = site(&store, &ids[4], &["p1"]);
    let other = site(&store, &ids[3], &[]);
    let door = checkpoint(&store, &s, "1号防护密闭门");
    let sump = checkpoint(&store, &s, "集水井");
    let got = store.site(&s).unwrap();
    assert_eq!(got.kind, SiteKind::DualUse);
    assert_eq!(got.cell, ids[4]);
    assert_eq!(got.projects, ["p1"]);
    assert_eq!(
        got.checkpoints
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        [door.as_str(), sump.as_str()]
    );
    assert_eq!(
        offgrid_core::grid::geojson::point_lon_lat(got.location.as_deref().unwrap()),
        Some((118.7312, 32.0051))
    );
    let ids_of = |q: SiteQuery| -> Vec<RecordId> {
        store.sites(&q).unwrap().into_iter().map(|r| r.id).collect()
    };
    assert_eq!(
        ids_of(SiteQuery {
            cell: Some(ids[4].clone()),
            ..Default::default()
        }),
        vec![s.clone()]
    );
    assert_eq!(
        ids_of(SiteQuery {
            project: Some("p1".into()),
            ..Default::default()
        }),
        vec![s.clone()]
    );
    assert_eq!(ids_of(SiteQuery::default()).len(), 2);
    store.link_site_project(&other, "p1").unwrap();
    assert_eq!(
        ids_of(SiteQuery {
            project: Some("p1".into()),
            ..Default::default()
        })
        .len(),
        2
    );
    store.unlink_site_project(&other, "p1").unwrap();
    assert_eq!(
        ids_of(SiteQuery {
            project: Some("p1".into()),
            ..Default::default()
        }),
        vec![s.clone()]
    );
    assert_eq!(
        ids_of(SiteQuery {
            text: Some("江东".into()),
            ..Default::default()
        })
        .len(),
        2
    );

    // Retired checkpoints stay (scans cite them); a bad location is refused, nothing changes.
    store
        .update_checkpoint(&s, &sump, None, None, Some(true))
        .unwrap();
    assert!(store.site(&s).unwrap().checkpoints[1].retired);
    let err = store.update_site(
        &s,
        &SiteEdit {
            location: Some("500,1".into()),
            ..Default::default()
        },
    );
    assert!(matches!(err, Err(Error::InvalidValue { .. })));
}

#[test]
fn only_admins_write_cells_and_supervisors_only_their_sites_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "admin");
    store.set_user(User::new("admin", "管理员").with_role(ORG, Role::Admin));
    let ids = chain(&store);
    let s = site(&store, &ids[4], &["p1"]);

    // A supervisor of p1: the site's fields, checkpoints and tags, but not its cell or projects,
    // and no cells.
    as_role(&store, "zhou", "p1", Role::Supervisor);
    store
        .update_site(
            &s,
            &SiteEdit {
                unit: Some("新物业".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let cp = checkpoint(&store, &s, "配电室");
    store
        .bind_tag(&s, &cp, "OFFGRID:CP:1", CheckMethod::Qr)
        .unwrap();
    let before = store.heads(&s).unwrap();
    for r in [
        store.update_site(
            &s,
            &SiteEdit {
                cell: Some(ids[3].clone()),
                ..Default::default()
            },
        ),
        store.link_site_project(&s, "p9"),
        store.set_grid_member(
            &ids[4],
            &GridMember {
                user: "zhou".into(),
                name: "周".into(),
                role: GridRole::Leader,
            },
        ),
    ] {
        assert!(
            matches!(&r, Err(Error::Forbidden { permission, .. }) if permission == "manage_grid"),
            "{r:?}"
        );
    }
    assert_eq!(store.heads(&s).unwrap(), before);
    let err = store
        .add_grid_cell(&NewGridCell {
            code: "9".into(),
            name: "x".into(),
            level: GridLevel::Grid,
            parent: Some(ids[3].clone()),
            boundary: None,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");

    // A supervisor of another project, and an inspector of p1: nothing.
    as_role(&store, "sun", "p2", Role::Supervisor);
    assert!(matches!(
        store.update_site(
            &s,
            &SiteEdit {
                unit: Some("x".into()),
                ..Default::default()
            }
        ),
        Err(Error::Forbidden { .. })
    ));
    as_role(&store, "qian", "p1", Role::Inspector);
    assert!(matches!(
        store.add_checkpoint(
            &s,
            &NewCheckpoint {
                name: "x".into(),
                kind: CheckpointKind::Other,
                methods: vec![CheckMethod::Qr]
            }
        ),
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(store.site(&s).unwrap().unit, "新物业");

    // A site filed outside the organisation scope is refused.
    store.set_user(User::new("admin", "管理员").with_role("*", Role::Admin));
    let err = store
        .create(
            offgrid_core::RecordKind::Site,
            &json!({"project": "p1", "title": "x", "cell": ids[4].as_str()}),
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("org_scope")),
        "{err:?}"
    );
    // Tag events are history: never rewritten.
    let tag_event = store.site(&s).unwrap().tag_events[0].id.clone();
    let err = store
        .update(&s, "rewrite", |e| {
            Ok(e.set(&format!("/tags/{tag_event}/checkpoint"), "other")?)
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::RuleViolation(r) if r.starts_with("append_only")),
        "{err:?}"
    );
}

#[test]
fn two_admins_editing_a_site_offline_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "admin1");
    let (b, _) = open_as(&dir.path().join("b.db"), "admin2");
    let ids = chain(&a);
    for id in &ids {
        send(&a, &b, id);
    }
    let s = site(&a, &ids[4], &["p1"]);
    send(&a, &b, &s);

    // Offline: a renames it and adds a checkpoint; b changes the address, adds another
    // checkpoint and binds a tag to it.
    a.update_site(
        &s,
        &SiteEdit {
            name: Some("吉庆地下停车场人防工程".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let cp_a = checkpoint(&a, &s, "主出入口");
    b.update_site(
        &s,
        &SiteEdit {
            address: Some("江东中路 102 号".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let cp_b = checkpoint(&b, &s, "集水井");
    b.bind_tag(
        &s,
        &cp_b,
        "https://t.example/s?uid=04AABBCCDDEEFF&ctr=01&cmac=00",
        CheckMethod::Nfc,
    )
    .unwrap();

    send(&a, &b, &s);
    send(&b, &a, &s);
    let (sa, sb) = (a.site(&s).unwrap(), b.site(&s).unwrap());
    assert_eq!(sa, sb);
    assert_eq!(sa.name, "吉庆地下停车场人防工程");
    assert_eq!(sa.address, "江东中路 102 号");
    let cps: Vec<&str> = sa.checkpoints.iter().map(|c| c.id.as_str()).collect();
    assert!(cps.contains(&cp_a.as_str()) && cps.contains(&cp_b.as_str()));
    assert_eq!(
        sa.checkpoints.iter().find(|c| c.id == cp_b).unwrap().tags,
        ["uid:04AABBCCDDEEFF"]
    );
    // The lookup index followed the merge on both devices.
    for store in [&a, &b] {
        let found = store
            .tag_binding(
                "https://t.example/s?uid=04aabbccddeeff&ctr=02&cmac=11",
                T0 + 10_000,
            )
            .unwrap();
        assert_eq!(found.map(|f| f.checkpoint), Some(cp_b.clone()));
    }
    assert!(a.conflicts(&s).unwrap().is_empty());
}

#[test]
fn a_tag_unbound_on_one_device_and_scanned_on_another_resolves_by_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, admin_clock) = open_as(&dir.path().join("admin.db"), "admin");
    let (patrol, patrol_clock) = open_as(&dir.path().join("patrol.db"), "li");
    let ids = chain(&admin);
    let s = site(&admin, &ids[4], &[]);
    let door = checkpoint(&admin, &s, "1号防护密闭门");
    let tag = "OFFGRID:CP:0042";
    admin.bind_tag(&s, &door, tag, CheckMethod::Qr).unwrap(); // at T0
    for id in ids.iter().chain([&s]) {
        send(&admin, &patrol, id);
    }

    // The label is stolen: the admin unbinds it at T0 + 1 h, offline.
    admin_clock.set(T0 + 3_600_000);
    admin.unbind_tag(&s, tag, "标签被盗").unwrap();
    // Underground, the patroller scans it at T0 + 2 h: this device still says it is bound.
    patrol_clock.set(T0 + 7_200_000);
    let scan_at = T0 + 7_200_000;
    assert_eq!(
        patrol
            .tag_binding(tag, scan_at)
            .unwrap()
            .map(|b| b.checkpoint),
        Some(door.clone())
    );

    // After they sync, both say the same: at the scan the tag stood for nothing; before the
    // theft it stood for the door. Whichever order the changes arrive in.
    send(&admin, &patrol, &s);
    send(&patrol, &admin, &s);
    for store in [&admin, &patrol] {
        assert_eq!(store.tag_binding(tag, scan_at).unwrap(), None);
        let before = store.tag_binding(tag, T0 + 60_000).unwrap().unwrap();
        assert_eq!(
            (before.checkpoint.as_str(), before.site_name.as_str()),
            (door.as_str(), "吉庆人防工程")
        );
        let history = store.tag_history(tag).unwrap();
        assert_eq!(history.len(), 2);
    }
    // A new label bound later resolves from then on; the old one stays unbound.
    admin_clock.set(T0 + 10_800_000);
    admin
        .bind_tag(&s, &door, "OFFGRID:CP:0043", CheckMethod::Qr)
        .unwrap();
    assert_eq!(
        admin
            .tag_binding("OFFGRID:CP:0043", T0 + 10_800_001)
            .unwrap()
            .unwrap()
            .checkpoint,
        door
    );
    assert_eq!(admin.tag_binding("OFFGRID:CP:0043", scan_at).unwrap(), None);
}

#[test]
fn binding_checks_the_checkpoint_the_method_and_other_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("a.db"), "admin");
    let ids = chain(&store);
    let s = site(&store, &ids[4], &[]);
    let door = checkpoint(&store, &s, "门");
    let manual = store
        .add_checkpoint(
            &s,
            &NewCheckpoint {
                name: "通道".into(),
                kind: CheckpointKind::Other,
                methods: vec![CheckMethod::ManualPhoto],
            },
        )
        .unwrap();
    store.bind_tag(&s, &door, "T1", CheckMethod::Nfc).unwrap();
    let heads = store.heads(&s).unwrap();
    assert!(matches!(
        store.bind_tag(&s, &door, "T1", CheckMethod::Nfc),
        Err(Error::InvalidState { .. })
    ));
    assert!(matches!(
        store.bind_tag(&s, &manual, "T2", CheckMethod::Qr),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        store.bind_tag(&s, "nope", "T2", CheckMethod::Qr),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        store.bind_tag(&s, &door, "T2", CheckMethod::ManualPhoto),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        store.unbind_tag(&s, "T9", "x"),
        Err(Error::InvalidState { .. })
    ));
    assert!(matches!(
        store.add_checkpoint(
            &s,
            &NewCheckpoint {
                name: "x".into(),
                kind: CheckpointKind::Sump,
                methods: vec![]
            }
        ),
        Err(Error::InvalidValue { .. })
    ));
    assert_eq!(store.heads(&s).unwrap(), heads);
    // Not a site / not a cell.
    assert!(matches!(
        store.site(&ids[0]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        store.grid_cell(&s),
        Err(Error::InvalidArgument(_))
    ));
}
