//! Writes the records the fuzzed server starts with (`fuzz-targets/base/`) and the seed inputs
//! of every fuzz target (`fuzz/corpus/<target>/seed-*`), made the way devices and admins make
//! them: records by the core's own store, sync requests as the sync client sends them, photos
//! by `offgrid-testkit`'s synthetic photos. Run it again only on purpose: the pushed-change seeds and
//! whatever the fuzzer derived from them build on the base records' changes.
//!
//! `cargo run -p offgrid-fuzz-targets --example seeds`

// A seed generator run by hand: a failure stops it, on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use offgrid_core::doc::ChangeMeta;
use offgrid_core::documents::ShownRecord;
use offgrid_core::grid::{GridLevel, NewGridCell};
use offgrid_core::hazard::{NewHazard, RectificationOrder};
use offgrid_core::inspection::NewInspection;
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::site::{NewSite, SiteKind};
use offgrid_core::sync::protocol::{Bytes, IssuedDocument, LoginRequest, PushRecord, SyncRequest};
use offgrid_core::{ProjectRole, RiskGrade, Role, Store, Timestamp, User};
use offgrid_fuzz_targets::{PROJECT, USERS};
use offgrid_testkit::photos::{self, Sample};
use serde_json::json;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../fuzz/corpus");
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("device.db"))?;
    let small = |width, height| Sample {
        width,
        height,
        noise: 2,
        quality: 60,
        ..Default::default()
    };

    // The base records: a hazard raised by zhang, ordered to chen by wang, with chen's photo
    // of the result; an inspection started by zhang.
    as_user(&store, "zhang");
    let hazard = store.raise_hazard(&NewHazard {
        project: PROJECT.into(),
        site: "B1".into(),
        location: "东墙".into(),
        title: "渗水".into(),
        description: "施工缝渗水".into(),
        grade: Some(RiskGrade::Yellow),
        ..Default::default()
    })?;
    let inspection = store.create_inspection(&NewInspection {
        template_id: "rf-stage-inspection".into(),
        template_version: None,
        project: PROJECT.into(),
        site: "B1".into(),
        title: None,
    })?;
    as_user(&store, "wang");
    store.order_rectification(
        &hazard,
        &RectificationOrder {
            unit: "施工单位".into(),
            person: "chen".into(),
            person_name: "陈".into(),
            deadline_ms: 1_893_456_000_000,
            measures: "注浆堵漏".into(),
        },
    )?;
    // chen's photo of the result, which the rectification cites.
    as_user(&store, "chen");
    let target = PhotoTarget::Hazard {
        id: hazard.clone(),
        rectification: true,
    };
    let photo = store.add_photo(
        &target,
        &photos::jpeg(&small(64, 48)),
        &CaptureContext::default(),
    )?;
    let base_hazard = store.heads(&hazard)?;
    let base_inspection = store.heads(&inspection)?;
    let base_hazard_bytes = store.changes_since(&hazard, &[])?.concat();
    write(&root.join("base/hazard.automerge"), &base_hazard_bytes)?;
    write(
        &root.join("base/inspection.automerge"),
        &store.changes_since(&inspection, &[])?.concat(),
    )?;

    // Pushed changes: one change each, as devices push them.
    let mut changes: Vec<(&str, Vec<u8>)> = Vec::new();
    as_user(&store, "chen");
    store.submit_rectification(&hazard, "已注浆堵漏", &[photo.sha256])?;
    changes.push((
        "hazard-submit",
        one(store.changes_since(&hazard, &base_hazard)?),
    ));
    let submitted = store.heads(&hazard)?;
    as_user(&store, "wang");
    store.reinspect(&hazard, true, Some("复查合格"))?;
    changes.push((
        "hazard-reinspect-waits",
        one(store.changes_since(&hazard, &submitted)?),
    ));
    as_user(&store, "zhang");
    store.answer(
        &inspection,
        "slab-rebar-spacing",
        &json!("fail"),
        Some("间距过大"),
    )?;
    changes.push((
        "inspection-answer",
        one(store.changes_since(&inspection, &base_inspection)?),
    ));
    let second = store.raise_hazard(&NewHazard {
        project: PROJECT.into(),
        site: "B2".into(),
        location: "出入口".into(),
        title: "防护门锈蚀".into(),
        description: "门框锈蚀".into(),
        grade: Some(RiskGrade::Orange),
        ..Default::default()
    })?;
    changes.push(("hazard-new", one(store.changes_since(&second, &[])?)));
    let other = store.create_inspection(&NewInspection {
        template_id: "rf-stage-inspection".into(),
        template_version: None,
        project: PROJECT.into(),
        site: "B2".into(),
        title: None,
    })?;
    let genesis = one(store.changes_since(&other, &[])?);
    let mut change = automerge::Change::from_bytes(genesis)?;
    let compressed = change.bytes().into_owned();
    changes.push(("inspection-new-compressed", compressed));
    as_user(&store, "admin");
    let cell = store.add_grid_cell(&NewGridCell {
        code: "3301".into(),
        name: "杭州市".into(),
        level: GridLevel::City,
        parent: None,
        boundary: Some(POLYGON.into()),
    })?;
    changes.push(("cell-new", one(store.changes_since(&cell, &[])?)));
    let site = store.add_site(&NewSite {
        name: "西湖人防工程".into(),
        address: "文三路 1 号".into(),
        kind: SiteKind::DualUse,
        unit: "人防办".into(),
        cell: cell.clone(),
        location: Some("120.15,30.25".into()),
        projects: vec![PROJECT.into()],
    })?;
    changes.push(("site-new", one(store.changes_since(&site, &[])?)));
    // Forgeries on the base hazard, by raw automerge: the rectifier closing it and rewriting
    // what was found, an author who is not the pusher, objects nested past the limit.
    changes.push((
        "hazard-forged-close",
        raw_edit(&base_hazard_bytes, "chen", |d| {
            let Some((_, events)) = d.get(ROOT, "events")? else {
                return Err(automerge::AutomergeError::InvalidOp(ObjType::Map));
            };
            let event = d.put_object(&events, "forged-close", ObjType::Map)?;
            d.put(&event, "id", "forged-close")?;
            d.put(&event, "type", "closed")?;
            d.put(&event, "by", "chen")?;
            d.put(&event, "at_ms", 1_764_300_000_000_i64)?;
            Ok(())
        })?,
    ));
    changes.push((
        "hazard-forged-title",
        raw_edit(&base_hazard_bytes, "chen", |d| {
            d.put(ROOT, "title", "无隐患")?;
            Ok(())
        })?,
    ));
    changes.push((
        "hazard-impostor",
        raw_edit(&base_hazard_bytes, "mallory", |d| {
            d.put(ROOT, "title", "改")?;
            Ok(())
        })?,
    ));
    changes.push((
        "hazard-deep",
        raw_edit(&base_hazard_bytes, "zhang", |d| {
            let mut obj = ROOT;
            for i in 0..40 {
                obj = d.put_object(&obj, format!("k{i}"), ObjType::Map)?;
            }
            Ok(())
        })?,
    ));
    for (name, bytes) in &changes {
        seed(&corpus, "pushed_change", name, bytes)?;
    }

    // Sync request bodies as the client sends them.
    let actor = store.actor_id();
    let pull = SyncRequest {
        device: actor.clone(),
        cursors: BTreeMap::from([
            (PROJECT.to_owned(), "12".to_owned()),
            ("org".to_owned(), "b0:".to_owned()),
            ("#templates".to_owned(), "0".repeat(64)),
            ("#watermarks".to_owned(), "1764300000000".to_owned()),
        ]),
        max_bytes: Some(1 << 20),
        ..Default::default()
    };
    seed(&corpus, "sync_body", "pull", &serde_json::to_vec(&pull)?)?;
    let push = SyncRequest {
        device: actor.clone(),
        push: vec![
            PushRecord {
                id: hazard.to_string(),
                project: PROJECT.into(),
                kind: "hazard".into(),
                changes: store
                    .changes_since(&hazard, &[])?
                    .into_iter()
                    .map(Bytes)
                    .collect(),
                heads: vec![],
                photos: vec!["ab".repeat(32)],
            },
            PushRecord {
                id: inspection.to_string(),
                project: PROJECT.into(),
                kind: "inspection".into(),
                changes: vec![Bytes(changes[2].1.clone())],
                heads: vec![],
                photos: vec![],
            },
        ],
        pushed_all: true,
        documents: vec![IssuedDocument {
            sha256: "cd".repeat(32),
            kind: "rectification_notice".into(),
            number: "整改-2026-001".into(),
            issued_ms: 1_764_300_000_000,
            records: vec![ShownRecord {
                id: hazard.clone(),
                heads: store.heads(&hazard)?,
            }],
        }],
        fetch: vec![second.to_string()],
        ..Default::default()
    };
    seed(&corpus, "sync_body", "push", &serde_json::to_vec(&push)?)?;
    let publish = SyncRequest {
        device: actor,
        templates: vec![serde_json::from_str(include_str!(
            "../../domain/templates/siren-maintenance.json"
        ))?],
        ..Default::default()
    };
    seed(
        &corpus,
        "sync_body",
        "template",
        &serde_json::to_vec(&publish)?,
    )?;

    // Login bodies.
    let login = LoginRequest {
        user: "zhang".into(),
        password: "correct horse battery".into(),
        device: "Pixel 8 of 张伟".into(),
    };
    seed(&corpus, "login_body", "login", &serde_json::to_vec(&login)?)?;

    // Templates: the built-in ones.
    for (name, text) in [
        (
            "maintenance",
            include_str!("../../domain/templates/maintenance.json"),
        ),
        (
            "shelter-patrol",
            include_str!("../../domain/templates/shelter-patrol.json"),
        ),
        (
            "siren-maintenance",
            include_str!("../../domain/templates/siren-maintenance.json"),
        ),
        (
            "stage-inspection",
            include_str!("../../domain/templates/stage-inspection.json"),
        ),
    ] {
        seed(&corpus, "template_json", name, text.as_bytes())?;
    }

    // Boundaries and locations.
    for (name, text) in [
        ("polygon", POLYGON),
        (
            "multipolygon",
            r#"{"type":"MultiPolygon","coordinates":[[[[120.1,30.2],[120.2,30.2],[120.2,30.3],[120.1,30.2]]],[[[121,31],[121.5,31],[121.5,31.5],[121,31]],[[121.1,31.1],[121.2,31.1],[121.2,31.2],[121.1,31.1]]]]}"#,
        ),
        (
            "feature",
            r#"{"type":"Feature","properties":{"name":"西湖区"},"geometry":{"type":"Polygon","coordinates":[[[120.0,30.1],[120.3,30.1],[120.3,30.4],[120.0,30.1]]]}}"#,
        ),
        (
            "point",
            r#"{"type":"Point","coordinates":[120.15,30.25,12.5]}"#,
        ),
        (
            "point-feature",
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[-0.5,51.5]},"properties":null}"#,
        ),
        ("lon-lat", "120.15, 30.25"),
    ] {
        seed(&corpus, "geojson", name, text.as_bytes())?;
    }

    // Photos: small JPEGs (baseline with EXIF, progressive, CMYK) and PNGs (with an eXIf
    // chunk, and without).
    let photos = [
        (
            "jpeg-exif",
            photos::jpeg(&Sample {
                orientation: 6,
                ..small(48, 32)
            }),
        ),
        (
            "jpeg-progressive",
            photos::jpeg(&Sample {
                progressive: true,
                exif: false,
                ..small(32, 32)
            }),
        ),
        (
            "jpeg-cmyk",
            photos::jpeg(&Sample {
                cmyk: true,
                exif: false,
                ..small(16, 16)
            }),
        ),
        ("png", photos::png(24, 16)),
        (
            "png-exif",
            png_with_exif(&photos::png(16, 16), &exif_of(&small(16, 16))),
        ),
    ];
    for (name, bytes) in &photos {
        seed(&corpus, "photo_headers", name, bytes)?;
    }
    println!("base records and seeds written");
    Ok(())
}

const POLYGON: &str = r#"{"type":"Polygon","coordinates":[[[120.0,30.1],[120.3,30.1],[120.3,30.4],[120.0,30.4],[120.0,30.1]]]}"#;

fn as_user(store: &Store, id: &str) {
    let role = USERS
        .iter()
        .find(|(u, _)| *u == id)
        .map_or(Role::Inspector, |(_, r)| *r);
    let mut user = User::new(id, id);
    user.roles.push(ProjectRole {
        project: PROJECT.into(),
        role,
    });
    if role == Role::Admin {
        user.roles.push(ProjectRole {
            project: "org".into(),
            role,
        });
    }
    store.set_user(user);
}

fn one(mut changes: Vec<Vec<u8>>) -> Vec<u8> {
    assert_eq!(changes.len(), 1, "one change expected");
    changes.pop().unwrap_or_default()
}

/// One change to `record` (its changes) made with automerge directly (no rule of the core checks it),
/// attributed to `user`.
fn raw_edit(
    record: &[u8],
    user: &str,
    edit: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
) -> Res<Vec<u8>> {
    let mut doc = AutoCommit::load(record)?;
    doc.set_actor(automerge::ActorId::random());
    edit(&mut doc)?;
    let now = Timestamp {
        unix_ms: 1_764_300_000_000,
        offset_minutes: 480,
    };
    let meta = ChangeMeta::new(&User::new(user, user), now, "edit");
    doc.commit_with(meta.commit_options(now));
    let change = doc.get_last_local_change().ok_or("no change")?;
    Ok(change.raw_bytes().to_vec())
}

/// The EXIF of a sample JPEG (its APP1 segment without the "Exif\0\0" header).
fn exif_of(spec: &Sample) -> Vec<u8> {
    let jpeg = photos::jpeg(&Sample {
        exif: true,
        ..spec.clone()
    });
    let at = jpeg
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("the sample has EXIF");
    let len = usize::from(u16::from_be_bytes([jpeg[at - 2], jpeg[at - 1]]));
    jpeg[at + 6..at - 2 + len].to_vec()
}

/// `png` with an eXIf chunk after its header chunk.
fn png_with_exif(png: &[u8], exif: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut chunk = (exif.len() as u32).to_be_bytes().to_vec();
    let mut body = b"eXIf".to_vec();
    body.extend(exif);
    chunk.extend(&body);
    chunk.extend(crc32(&body).to_be_bytes());
    let mut out = png[..ihdr_end].to_vec();
    out.extend(chunk);
    out.extend(&png[ihdr_end..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn write(path: &Path, bytes: &[u8]) -> Res<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)?;
    Ok(())
}

fn seed(corpus: &Path, target: &str, name: &str, bytes: &[u8]) -> Res<()> {
    let path: PathBuf = corpus.join(target).join(format!("seed-{name}"));
    write(&path, bytes)
}
