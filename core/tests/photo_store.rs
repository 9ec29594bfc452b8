//! Photos attached to records in a real store: files next to the database (original kept
//! byte for byte), the photo queue, metadata in the document (EXIF and the shell's context side
//! by side), hazards as found and rectified, and bad input leaving nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use std::fs;

use common::open_as;
use offgrid_core::hazard::NewHazard;
use offgrid_core::inspection::NewInspection;
use offgrid_core::photo::{CaptureContext, GpsFix, PhotoTarget, sha256_hex};
use offgrid_core::store::{PhotoFile, PhotoState};
use offgrid_core::{Error, RecordKind};
use offgrid_testkit::photos::{self, Sample};

fn photo(orientation: u8) -> Vec<u8> {
    photos::jpeg(&Sample {
        width: 1200,
        height: 900,
        orientation,
        ..Default::default()
    })
}

fn blob_files(db: &std::path::Path) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum()
        })
    }
    count(&db.with_file_name("t.db.blobs"))
}

#[test]
fn a_photo_for_an_inspection_item() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (store, _) = open_as(&db, "zhang");
    let id = store
        .create_inspection(&NewInspection {
            template_id: "rf-stage-inspection".into(),
            project: "p1".into(),
            site: "B2".into(),
            ..Default::default()
        })
        .unwrap();
    let item = store.inspection(&id).unwrap().template;
    let template = store.template(&item.id, item.version).unwrap();
    let item_id = template.items().next().unwrap().1.id.clone();
    let bytes = photo(6);
    let shell_gps = GpsFix {
        lat: 30.2,
        lon: 120.1,
        altitude_m: None,
        accuracy_m: Some(35.0),
    };
    let capture = CaptureContext {
        captured_ms: Some(common::T0 - 5_000),
        offset_minutes: Some(480),
        gps: Some(shell_gps.clone()),
    };
    let target = PhotoTarget::Inspection {
        id: id.clone(),
        item: item_id.clone(),
    };
    let meta = store.add_photo(&target, &bytes, &capture).unwrap();
    assert_eq!(meta.sha256, sha256_hex(&bytes));
    assert_eq!(meta.item.as_deref(), Some(item_id.as_str()));
    assert_eq!(meta.by, "zhang");
    // Both positions are kept: the shell's and the camera's.
    assert_eq!(meta.capture.gps, Some(shell_gps));
    let exif = meta.exif.clone().unwrap();
    assert!((exif.gps.unwrap().lat - 30.25).abs() < 1e-9);
    assert_eq!(exif.orientation, 6);

    // The original is kept byte for byte; the derived files are upright JPEGs.
    let original = store
        .photo_path(&meta.sha256, PhotoFile::Original)
        .unwrap()
        .unwrap();
    assert_eq!(fs::read(&original).unwrap(), bytes);
    for file in [PhotoFile::Upload, PhotoFile::Thumb] {
        let path = store.photo_path(&meta.sha256, file).unwrap().unwrap();
        assert_eq!(&fs::read(path).unwrap()[..2], &[0xFF, 0xD8]);
    }
    assert_eq!(blob_files(&db), 3);

    // The item references it; the record holds its metadata; the queue has it.
    let ins = store.inspection(&id).unwrap();
    assert!(ins.answers[&item_id].photos.contains_key(&meta.sha256));
    assert_eq!(store.photos(&id).unwrap(), vec![meta.clone()]);
    let queue = store.photo_queue(Some(PhotoState::Local)).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].bytes, bytes.len() as u64);

    // The same photo again is the same photo.
    let again = store
        .add_photo(&target, &bytes, &CaptureContext::default())
        .unwrap();
    assert_eq!(again, meta);
    assert_eq!(store.photos(&id).unwrap().len(), 1);
    assert_eq!(store.photo_queue(None).unwrap().len(), 1);
    assert_eq!(blob_files(&db), 3);

    // Only sync moves photo states (tested in the sync tests).

    // Everything survives a reopen.
    drop(store);
    let (store, _) = open_as(&db, "zhang");
    assert_eq!(store.photos(&id).unwrap(), vec![meta]);
    assert_eq!(store.photo_queue(None).unwrap()[0].state, PhotoState::Local);
}

#[test]
fn hazard_photos_as_found_and_rectified() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_as(&dir.path().join("t.db"), "li");
    let id = store
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "B2".into(),
            location: "配电间".into(),
            title: "配电箱进水".into(),
            description: "渗水".into(),
            ..Default::default()
        })
        .unwrap();
    let found = store
        .add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: false,
            },
            &photo(1),
            &CaptureContext::default(),
        )
        .unwrap();
    let fixed = store
        .add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: true,
            },
            &photos::png(400, 300),
            &CaptureContext::default(),
        )
        .unwrap();
    assert_eq!(found.stage.as_deref(), Some("found"));
    assert_eq!(fixed.stage.as_deref(), Some("rectification"));
    assert_eq!(fixed.format, "png");
    let hazard = store.hazard(&id).unwrap();
    assert_eq!(hazard.photos[&found.sha256].stage.as_deref(), Some("found"));
    assert_eq!(
        hazard.photos[&fixed.sha256].stage.as_deref(),
        Some("rectification")
    );

    // A viewer may not add evidence.
    store.set_user(
        offgrid_core::User::new("v", "viewer").with_role("p1", offgrid_core::Role::Viewer),
    );
    assert!(matches!(
        store.add_photo(
            &PhotoTarget::Hazard {
                id,
                rectification: false
            },
            &photo(1),
            &CaptureContext::default()
        ),
        Err(Error::Forbidden { .. })
    ));
}

#[test]
fn bad_photos_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (store, _) = open_as(&db, "zhang");
    let patrol = store
        .create(
            RecordKind::Patrol,
            &serde_json::json!({"title": "巡查", "project": "p1"}),
        )
        .unwrap();
    let heads = store.heads(&patrol).unwrap();
    let target = PhotoTarget::Patrol { id: patrol.clone() };
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let truncated = photo(1)[..400].to_vec();
    for (bytes, what) in [(vec![], "empty"), (heic, "HEIC"), (truncated, "truncated")] {
        let err = store
            .add_photo(&target, &bytes, &CaptureContext::default())
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnsupportedImage { .. } | Error::ImageDecode { .. }
            ),
            "{what}: {err:?}"
        );
    }
    assert_eq!(store.heads(&patrol).unwrap(), heads);
    assert!(store.photo_queue(None).unwrap().is_empty());
    assert_eq!(blob_files(&db), 0);
    // A patrol photo that is fine.
    let ok = store
        .add_photo(&target, &photo(8), &CaptureContext::default())
        .unwrap();
    assert_eq!(store.photos(&patrol).unwrap()[0].sha256, ok.sha256);
    // A leftover temporary file (a write killed midway) is removed at open.
    let tmp = db.with_file_name("t.db.blobs").join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    fs::write(tmp.join("partial"), b"half a photo").unwrap();
    drop(store);
    let _reopened = open_as(&db, "zhang");
    assert!(!tmp.exists());
}

#[test]
fn the_camera_writes_into_the_capture_folder_and_nothing_taken_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (store, _) = open_as(&db, "zhang");
    let id = store
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "B1".into(),
            location: "集水井".into(),
            title: "排水泵故障".into(),
            description: "水位高".into(),
            ..Default::default()
        })
        .unwrap();
    let target = PhotoTarget::Hazard {
        id: id.clone(),
        rectification: false,
    };
    // Paths are handed out inside the store's folder, each new.
    let first = store.capture_path().unwrap();
    let second = store.capture_path().unwrap();
    assert_ne!(first, second);
    assert!(first.starts_with(db.with_file_name("t.db.blobs")));
    // The camera wrote the first; the app was killed before the second was taken and before
    // the first was attached: the first is a leftover, the untaken one is not.
    let bytes = photo(1);
    fs::write(&first, &bytes).unwrap();
    fs::write(&second, b"").unwrap();
    assert_eq!(store.leftover_captures().unwrap(), vec![first.clone()]);
    // Reopened, the leftover is still there (not swept with tmp/).
    drop(store);
    let (store, _) = open_as(&db, "zhang");
    assert_eq!(store.leftover_captures().unwrap(), vec![first.clone()]);
    // A refused attach (a hazard that does not exist) keeps the file.
    let missing = PhotoTarget::Hazard {
        id: offgrid_core::RecordId::new(),
        rectification: false,
    };
    assert!(
        store
            .add_captured(&missing, &first, &CaptureContext::default())
            .is_err()
    );
    assert!(first.exists());
    // Attached: stored under its hash, the camera's copy gone.
    let meta = store
        .add_captured(&target, &first, &CaptureContext::default())
        .unwrap();
    assert_eq!(meta.sha256, sha256_hex(&bytes));
    assert_eq!(
        fs::read(
            store
                .photo_path(&meta.sha256, PhotoFile::Original)
                .unwrap()
                .unwrap()
        )
        .unwrap(),
        bytes
    );
    assert!(!first.exists());
    assert!(store.leftover_captures().unwrap().is_empty());
    // A file elsewhere (a gallery pick) is attached and left where it was.
    let picked = dir.path().join("picked.jpg");
    let other = photo(3);
    fs::write(&picked, &other).unwrap();
    store
        .add_captured(&target, &picked, &CaptureContext::default())
        .unwrap();
    assert!(picked.exists());
    // A leftover the user does not want is discarded; a file elsewhere is never deleted.
    let unwanted = store.capture_path().unwrap();
    fs::write(&unwanted, photo(4)).unwrap();
    assert_eq!(store.leftover_captures().unwrap(), vec![unwanted.clone()]);
    store.discard_capture(&unwanted).unwrap();
    assert!(store.leftover_captures().unwrap().is_empty());
    assert!(matches!(
        store.discard_capture(&picked),
        Err(offgrid_core::Error::InvalidArgument(_))
    ));
    assert!(picked.exists());
    // An unreadable path is an I/O error, not a crash.
    assert!(matches!(
        store.add_captured(
            &target,
            &dir.path().join("nope.jpg"),
            &CaptureContext::default()
        ),
        Err(Error::Io(_))
    ));
}
