//! Verifying a document received from elsewhere: its file is read back for the hash and the
//! records it claims, and checked against the records on this device (no layout engine, no
//! network, no register entry needed).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use offgrid_core::Error;
use offgrid_core::documents::DocumentStatus;
use offgrid_core::hazard::NewHazard;

fn hazard() -> NewHazard {
    NewHazard {
        project: "p1".into(),
        site: "B2".into(),
        location: "配电间".into(),
        title: "配电箱进水".into(),
        description: "渗水".into(),
        grade: None,
        major: false,
        photos: Vec::new(),
    }
}

/// A file as a document made on another device carries its claims in its metadata.
fn received(
    dir: &std::path::Path,
    sha: &str,
    claims: &[(String, Vec<String>)],
) -> std::path::PathBuf {
    let mut meta = format!("%PDF-1.7\n<x:xmpmeta>offgrid-sha256:{sha}");
    for (id, heads) in claims {
        meta.push_str(&format!(" offgrid-record:{id}@{}", heads.join("+")));
    }
    meta.push_str("</x:xmpmeta>\n%%EOF\n");
    let path = dir.join(format!("{}.pdf", &sha[..8]));
    std::fs::write(&path, meta).unwrap();
    path
}

#[test]
fn a_received_document_is_valid_while_its_records_stand_and_superseded_after() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::open_as(&dir.path().join("a.db"), "u-wang");
    let id = store.raise_hazard(&hazard()).unwrap();
    let heads = store.heads(&id).unwrap();
    let file = received(dir.path(), &"cd".repeat(32), &[(id.0.clone(), heads)]);

    let v = store.verify_file(&file).unwrap();
    assert_eq!(v.status, DocumentStatus::Valid);
    assert_eq!(v.sha256, "cd".repeat(32));

    store.escalate_hazard(&id, "超期督办").unwrap();
    let v = store.verify_file(&file).unwrap();
    assert_eq!(v.status, DocumentStatus::Superseded);
    assert_eq!(v.changed, vec![id]);
}

#[test]
fn a_document_naming_records_this_device_lacks_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::open_as(&dir.path().join("a.db"), "u-wang");
    let file = received(
        dir.path(),
        &"ef".repeat(32),
        &[(
            "0192f1c2-aaaa-7bbb-8ccc-123456789abc".into(),
            vec!["ab".repeat(32)],
        )],
    );
    assert_eq!(
        store.verify_file(&file).unwrap().status,
        DocumentStatus::Unknown
    );
}

#[test]
fn a_file_offgrid_did_not_make_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::open_as(&dir.path().join("a.db"), "u-wang");
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, b"%PDF-1.7 an invoice").unwrap();
    let err = store.verify_file(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Document { reason } if reason.contains("not a document made by Offgrid")),
        "{err}"
    );
    assert!(matches!(
        store.verify_file(&dir.path().join("missing.pdf")),
        Err(Error::Io(_))
    ));
}
