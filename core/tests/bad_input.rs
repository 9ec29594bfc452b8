//! Bad input gets a typed error and never costs stored data: files that are not databases,
//! corrupt files, truncated or garbage document bytes, and hostile change bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use common::{open_as, sha256_file};
use offgrid_core::{Error, ListQuery, RecordId, RecordKind, Store};
use serde_json::json;

#[test]
fn a_file_that_is_not_a_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "notes.txt",
            "巡查记录：B2 层渗水\n".repeat(200).into_bytes(),
        ),
        (
            "random.bin",
            (0..8192u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
        ),
        ("short.db", b"SQLite".to_vec()),
        (
            "photo.jpg",
            [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0u8; 600]].concat(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path)
            .err()
            .unwrap_or_else(|| panic!("{name} opened"));
        if name == "random.bin" {
            // Whole pages of random bytes are what an encrypted store looks like without its
            // key: refused as needing one, and the message says it may not be a database.
            assert!(matches!(err, Error::KeyRequired { .. }), "{name}: {err}");
            assert!(err.to_string().contains("is not a database"), "{err}");
        } else {
            assert!(matches!(err, Error::NotADatabase { .. }), "{name}: {err}");
            assert!(err.to_string().contains("not an Offgrid database"), "{err}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} was modified");
        assert!(!dir.path().join(format!("{name}-wal")).exists());
    }
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
}

#[test]
fn a_database_of_another_app_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES ('x');")
            .unwrap();
    }
    let before = sha256_file(&path);
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert_eq!(sha256_file(&path), before);
}

/// A store with some records, closed, and the path of its file.
#[test]
fn opening_an_existing_store_never_creates_one() {
    let dir = tempfile::tempdir().unwrap();
    let names = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let missing = dir.path().join("missing.db");
    let r = Store::open_existing(&missing, Default::default());
    assert!(
        matches!(&r, Err(Error::StoreNotFound { path }) if *path == missing),
        "{:?}",
        r.err()
    );
    assert!(names().is_empty(), "{:?}", names());

    // An empty file is not a store yet: refused, and still empty.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let r = Store::open_existing(&empty, Default::default());
    assert!(
        matches!(&r, Err(Error::StoreNotFound { .. })),
        "{:?}",
        r.err()
    );
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    assert_eq!(names(), ["empty.db"]);

    // A store opens, with what it holds.
    let path = dir.path().join("a.db");
    let id = open_as(&path, "zhang")
        .0
        .create(RecordKind::Patrol, &json!({"title": "渗水"}))
        .unwrap();
    let store = Store::open_existing(&path, Default::default()).unwrap();
    assert_eq!(store.get(&id).unwrap()["title"], "渗水");
}

fn populated(dir: &std::path::Path) -> (std::path::PathBuf, Vec<RecordId>) {
    let path = dir.join("store.db");
    let (store, _) = open_as(&path, "zhang");
    let mut ids = Vec::new();
    for i in 0..30 {
        let id = store
            .create(
                RecordKind::Hazard,
                &json!({"title": format!("隐患{i}"), "description": "x".repeat(3000)}),
            )
            .unwrap();
        store
            .update(&id, "s", |e| Ok(e.set("/status", "open")?))
            .unwrap();
        ids.push(id);
    }
    drop(store);
    (path, ids)
}

#[test]
fn a_corrupt_header_page_is_a_typed_error_and_the_file_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = populated(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    // Keep the magic string, wreck the rest of page 1 (the schema).
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the corrupt file was modified"
    );
}

#[test]
fn corrupt_data_pages_are_reported_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = populated(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    // Overwrite the middle pages (document blobs and b-tree pages).
    let mid = bytes.len() / page / 2 * page;
    for b in &mut bytes[mid..mid + 3 * page] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).unwrap();
    match Store::open(&path) {
        Err(e) => assert!(matches!(e, Error::Corrupt(_)), "{e}"),
        Ok(store) => {
            let report = store.verify().unwrap();
            assert!(!report.is_ok(), "corruption went unnoticed: {report:?}");
            // Reading may fail, but only with typed errors, never a panic.
            for id in &ids {
                if let Err(e) = store.get(id) {
                    assert!(
                        matches!(e, Error::Corrupt(_) | Error::RecordUnreadable { .. }),
                        "{e}"
                    );
                }
            }
            drop(store);
        }
    }
    // Nothing was deleted: the damaged pages are still there for recovery tools.
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[mid..mid + 3 * page], &bytes[mid..mid + 3 * page]);
}

#[test]
fn a_truncated_chunk_makes_only_that_record_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = populated(dir.path());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let n = conn
            .execute(
                "UPDATE chunks SET data = substr(data, 1, length(data) / 2) WHERE doc_id = ?1",
                [ids[3].as_str()],
            )
            .unwrap();
        assert_eq!(n, 1, "record 3 has one chunk after its update");
        conn.execute(
            "UPDATE docs SET snapshot = x'856f4a83deadbeef' WHERE id = ?1",
            [ids[5].as_str()],
        )
        .unwrap();
    }
    let (store, _) = open_as(&path, "zhang");
    for bad in [&ids[3], &ids[5]] {
        let err = store.get(bad).unwrap_err();
        assert!(
            matches!(err, Error::RecordUnreadable { ref id, .. } if id == bad),
            "{err}"
        );
        let err = store
            .update(bad, "x", |e| Ok(e.set("/status", "closed")?))
            .unwrap_err();
        assert!(matches!(err, Error::RecordUnreadable { .. }), "{err}");
    }
    // Every other record reads and writes; lists still show all of them.
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 5) {
        assert_eq!(store.get(id).unwrap()["title"], format!("隐患{i}"));
        store
            .update(id, "x", |e| Ok(e.set("/status", "closed")?))
            .unwrap();
    }
    assert_eq!(store.list(&ListQuery::default()).unwrap().len(), ids.len());
    let report = store.verify().unwrap();
    assert_eq!(report.integrity, vec!["ok"]);
    let mut bad: Vec<_> = report.unreadable.iter().map(|u| u.id.clone()).collect();
    bad.sort();
    let mut want = vec![ids[3].clone(), ids[5].clone()];
    want.sort();
    assert_eq!(bad, want);
    // The damaged bytes are still stored (evidence for recovery), not deleted or overwritten.
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM chunks WHERE doc_id = ?1",
            [ids[3].as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
}

#[test]
fn garbage_changes_are_rejected_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = open_as(&dir.path().join("a.db"), "zhang");
    let (b, _) = open_as(&dir.path().join("b.db"), "li");
    let id = a
        .create(RecordKind::Hazard, &json!({"title": "t"}))
        .unwrap();
    a.update(&id, "s", |e| Ok(e.set("/status", "open")?))
        .unwrap();
    let good = a.changes_since(&id, &[]).unwrap();
    b.apply_changes(&id, &good[0]).unwrap();
    let before = b.get(&id).unwrap();

    let mut truncated = good[1].clone();
    truncated.truncate(truncated.len() - 5);
    let mut flipped = good[1].clone();
    let n = flipped.len();
    flipped[n - 3] ^= 0xFF;
    let garbage: Vec<u8> = (0..500u32).map(|i| (i * 7919 % 251) as u8).collect();
    for bytes in [truncated, flipped, garbage, vec![0x85, 0x6f, 0x4a, 0x83]] {
        let err = b.apply_changes(&id, &bytes).unwrap_err();
        assert!(matches!(err, Error::BadChanges { .. }), "{err}");
        assert_eq!(b.get(&id).unwrap(), before);
    }
    // Changes of another record are refused too.
    let other = a.create(RecordKind::Hazard, &json!({})).unwrap();
    let foreign = a.changes_since(&other, &[]).unwrap();
    let err = b.apply_changes(&id, &foreign[0]).unwrap_err();
    assert!(matches!(err, Error::BadChanges { .. }), "{err}");
    // A brand-new record with garbage leaves no trace.
    let ghost = RecordId::new();
    assert!(b.apply_changes(&ghost, b"not automerge").is_err());
    assert!(matches!(b.get(&ghost), Err(Error::NotFound(_))));
    // Good changes still apply afterwards.
    b.apply_changes(&id, &good[1]).unwrap();
    assert_eq!(b.get(&id).unwrap(), a.get(&id).unwrap());
    assert!(b.verify().unwrap().is_ok());
}

#[test]
fn bad_arguments_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = open_as(&dir.path().join("x.db"), "zhang");
    assert!(matches!(s.get(&RecordId::new()), Err(Error::NotFound(_))));
    assert!(matches!(
        s.changes_since(&RecordId::new(), &["zz".into()]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.create(RecordKind::Hazard, &json!([1])),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.create(RecordKind::Hazard, &json!({"id": "x"})),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        s.create(RecordKind::Hazard, &json!({"photos": 3})),
        Err(Error::InvalidValue { .. })
    ));
    let id = s.create(RecordKind::Hazard, &json!({})).unwrap();
    assert!(matches!(
        s.update(&id, "x", |e| Ok(e.set("status", 1)?)),
        Err(Error::InvalidArgument(_))
    ));
}
