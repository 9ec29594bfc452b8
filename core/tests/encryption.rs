//! Encryption at rest on real files (ADR 0012): an encrypted store leaves nothing readable on
//! disk, refuses missing, wrong, truncated and tampered input with typed errors and leaves the
//! files as they were, encrypts a plain store in place with its photos, changes its key in
//! place, and survives SIGKILL in the middle of both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::open_keyed;
use offgrid_core::photo::{PhotoTarget, sha256_hex};
use offgrid_core::store::PhotoFile;
use offgrid_core::{Error, ListQuery, RecordId, RecordKind, Store, StoreKey};
use offgrid_testkit::photos::{self, Sample};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::json;

/// Text that must never appear in the encrypted files.
const MARKER: &str = "渗水隐患-MARKER-7f3a";

fn photo(n: u64) -> Vec<u8> {
    let mut bytes = photos::jpeg(&Sample {
        width: 640,
        height: 480,
        orientation: 1,
        ..Default::default()
    });
    bytes.extend(n.to_be_bytes()); // unique after the end-of-image marker
    bytes
}

/// Fills a store with `records` patrols (each with the marker) and `photos` photos.
fn fill(store: &Store, records: usize, photos: u64) -> (Vec<RecordId>, Vec<Vec<u8>>) {
    let ids: Vec<RecordId> = store
        .write(|w| {
            (0..records)
                .map(|i| {
                    w.create(
                        RecordKind::Patrol,
                        &json!({"title": format!("{MARKER} {i}"), "status": "open"}),
                    )
                })
                .collect()
        })
        .unwrap();
    let bytes: Vec<Vec<u8>> = (0..photos).map(photo).collect();
    for (i, b) in bytes.iter().enumerate() {
        let target = PhotoTarget::Patrol {
            id: ids[i % ids.len()].clone(),
        };
        store.add_photo(&target, b, &Default::default()).unwrap();
    }
    (ids, bytes)
}

/// Checks that every record and photo is there and whole.
fn check(store: &Store, ids: &[RecordId], photos: &[Vec<u8>]) {
    assert_eq!(store.verify().unwrap().integrity, vec!["ok"]);
    let listed = store.list(&ListQuery::default()).unwrap();
    assert_eq!(listed.len(), ids.len());
    for id in ids {
        let title = store.get_path(id, "/title").unwrap().unwrap();
        assert!(title.as_str().unwrap().starts_with(MARKER));
    }
    for bytes in photos {
        let sha = sha256_hex(bytes);
        assert_eq!(
            store
                .photo_bytes(&sha, PhotoFile::Original)
                .unwrap()
                .as_ref(),
            Some(bytes)
        );
        let thumb = store.photo_bytes(&sha, PhotoFile::Thumb).unwrap().unwrap();
        assert!(thumb.starts_with(&[0xFF, 0xD8]));
    }
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Opens `db` with `key` (and no user).
fn open(db: &Path, key: Option<&StoreKey>) -> offgrid_core::Result<Store> {
    let options = offgrid_core::StoreOptions {
        key: key.cloned(),
        ..Default::default()
    };
    Store::open_with(db, options)
}

fn open_err(db: &Path, key: Option<&StoreKey>) -> Error {
    match open(db, key) {
        Ok(_) => panic!("opened"),
        Err(e) => e,
    }
}

#[test]
fn an_encrypted_store_leaves_nothing_readable_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let key = StoreKey::generate();
    let (ids, photos) = {
        let (store, _) = open_keyed(&db, "zhang", Some(&key));
        assert!(store.is_encrypted());
        fill(&store, 40, 3)
    };
    for (path, bytes) in snapshot(dir.path()) {
        assert!(!contains(&bytes, MARKER.as_bytes()), "{path:?}");
        assert!(!contains(&bytes, b"SQLite format 3"), "{path:?}");
        for p in &photos {
            assert!(!contains(&bytes, &p[..64]), "{path:?} holds a plain photo");
        }
        if path.starts_with(db.with_file_name("t.db.blobs")) {
            assert!(bytes.starts_with(b"OGSEAL01"), "{path:?} is sealed");
        }
    }
    let (store, _) = open_keyed(&db, "zhang", Some(&key));
    check(&store, &ids, &photos);
    // Streamed, and as a plain copy that goes away when dropped.
    let sha = sha256_hex(&photos[0]);
    let mut streamed = Vec::new();
    store
        .photo_reader(&sha, PhotoFile::Original)
        .unwrap()
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap();
    assert_eq!(streamed, photos[0]);
    let copy = store
        .photo_plain_copy(&sha, PhotoFile::Upload)
        .unwrap()
        .unwrap();
    let path = copy.path().to_owned();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        store.photo_bytes(&sha, PhotoFile::Upload).unwrap().unwrap()
    );
    drop(copy);
    assert!(!path.exists());
}

#[test]
fn no_key_or_a_wrong_key_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let key = StoreKey::generate();
    drop(
        open_keyed(&db, "zhang", Some(&key))
            .0
            .write(|w| w.create(RecordKind::Patrol, &json!({"title": "x"}))),
    );
    let before = snapshot(dir.path());
    assert!(matches!(open_err(&db, None), Error::KeyRequired { .. }));
    assert!(matches!(
        open_err(&db, Some(&StoreKey::generate())),
        Error::WrongKey { .. }
    ));
    assert_eq!(snapshot(dir.path()), before);
    // A plain store's photos and records are no secret to a wrong key, but a file that is not a
    // store is still refused, with or without one, untouched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    assert!(matches!(open_err(&junk, None), Error::NotADatabase { .. }));
    assert!(matches!(
        open_err(&junk, Some(&key)),
        Error::WrongKey { .. } | Error::NotADatabase { .. }
    ));
    assert_eq!(std::fs::read(&junk).unwrap(), b"not a database at all");
}

#[test]
fn a_truncated_or_tampered_database_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let key = StoreKey::generate();
    {
        let (store, _) = open_keyed(&db, "zhang", Some(&key));
        fill(&store, 600, 0);
    }
    let whole = std::fs::read(&db).unwrap();
    assert!(whole.len() > 64 * 1024, "{} bytes", whole.len());

    // Cut in half.
    let cut = dir.path().join("cut.db");
    std::fs::write(&cut, &whole[..whole.len() / 2 + 100]).unwrap();
    let before = std::fs::read(&cut).unwrap();
    noticed(&cut, &key);
    assert_eq!(std::fs::read(&cut).unwrap(), before);

    // One byte changed in a page in the middle: that page fails its HMAC.
    let bad = dir.path().join("bad.db");
    let mut bytes = whole.clone();
    let at = bytes.len() / 2 + 300;
    bytes[at] ^= 0x01;
    std::fs::write(&bad, &bytes).unwrap();
    noticed(&bad, &key);
    assert_eq!(std::fs::read(&bad).unwrap(), bytes);

    // Page 1 changed: indistinguishable from a wrong key, and said so.
    let first = dir.path().join("first.db");
    let mut bytes = whole.clone();
    bytes[100] ^= 0x01;
    std::fs::write(&first, &bytes).unwrap();
    assert!(matches!(
        open_err(&first, Some(&key)),
        Error::WrongKey { .. }
    ));
    assert_eq!(std::fs::read(&first).unwrap(), bytes);
}

/// The damage to `db` is refused at open (typed) or reported by `verify` (typed error or
/// integrity problems), never passed over.
fn noticed(db: &Path, key: &StoreKey) {
    match open(db, Some(key)) {
        Err(e) => assert!(
            matches!(e, Error::Corrupt(_) | Error::WrongKey { .. }),
            "{e:?}"
        ),
        Ok(store) => match store.verify() {
            Err(e) => assert!(matches!(e, Error::Corrupt(_)), "{e:?}"),
            Ok(report) => assert_ne!(report.integrity, vec!["ok"], "damage not noticed"),
        },
    }
}

#[test]
fn a_photo_file_changed_on_disk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let key = StoreKey::generate();
    let (store, _) = open_keyed(&db, "zhang", Some(&key));
    let (_, photos) = fill(&store, 1, 2);
    let sha = sha256_hex(&photos[0]);
    for file in [PhotoFile::Original, PhotoFile::Upload, PhotoFile::Thumb] {
        let path = store.photo_path(&sha, file).unwrap().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() - 20;
        bytes[at] ^= 0x04; // one bit
        std::fs::write(&path, &bytes).unwrap();
        let err = store.photo_bytes(&sha, file).unwrap_err();
        assert!(matches!(err, Error::Corrupt(_)), "{file:?}: {err:?}");
        let mut out = Vec::new();
        let read = store
            .photo_reader(&sha, file)
            .unwrap()
            .unwrap()
            .read_to_end(&mut out);
        assert_eq!(
            read.unwrap_err().kind(),
            std::io::ErrorKind::InvalidData,
            "{file:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "left as it is");
    }
    // Another photo's sealed file put in its place is refused too (bound to its name).
    let other = sha256_hex(&photos[1]);
    let path = store.photo_path(&sha, PhotoFile::Thumb).unwrap().unwrap();
    std::fs::copy(
        store.photo_path(&other, PhotoFile::Thumb).unwrap().unwrap(),
        &path,
    )
    .unwrap();
    assert!(matches!(
        store.photo_bytes(&sha, PhotoFile::Thumb),
        Err(Error::Corrupt(_))
    ));
    // A plain file in an encrypted store is refused.
    std::fs::write(&path, b"\xFF\xD8plain").unwrap();
    assert!(matches!(
        store.photo_bytes(&sha, PhotoFile::Thumb),
        Err(Error::Corrupt(_))
    ));
    assert_eq!(
        store
            .photo_bytes(&other, PhotoFile::Original)
            .unwrap()
            .unwrap(),
        photos[1]
    );
}

#[test]
fn a_plain_store_is_encrypted_in_place_with_its_photos() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (ids, photos) = {
        let (store, _) = open_keyed(&db, "zhang", None);
        assert!(!store.is_encrypted());
        fill(&store, 50, 3)
    };
    assert!(
        std::fs::read(&db)
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    let key = StoreKey::generate();
    let (store, _) = open_keyed(&db, "zhang", Some(&key));
    assert!(store.is_encrypted());
    check(&store, &ids, &photos);
    drop(store);
    for (path, bytes) in snapshot(dir.path()) {
        assert!(!contains(&bytes, MARKER.as_bytes()), "{path:?}");
        if path.starts_with(db.with_file_name("t.db.blobs")) {
            assert!(bytes.starts_with(b"OGSEAL01"), "{path:?} is sealed");
        }
    }
    assert!(!db.with_file_name("t.db.rekey").exists());
    assert!(matches!(open_err(&db, None), Error::KeyRequired { .. }));
}

#[test]
fn a_foreign_sqlite_file_is_not_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(conn);
    let before = snapshot(dir.path());
    assert!(matches!(
        open_err(&db, Some(&StoreKey::generate())),
        Error::NotADatabase { .. }
    ));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn rekey_changes_the_key_in_place_and_can_be_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (a, b) = (StoreKey::generate(), StoreKey::generate());
    let (ids, photos) = {
        let (store, _) = open_keyed(&db, "zhang", Some(&a));
        fill(&store, 30, 2)
    };
    offgrid_core::store::rekey(&db, &a, &b).unwrap();
    assert!(matches!(open_err(&db, Some(&a)), Error::WrongKey { .. }));
    check(&open_keyed(&db, "zhang", Some(&b)).0, &ids, &photos);
    let before = snapshot(dir.path());
    // Asked again (as after a crash): it sees the change was made.
    offgrid_core::store::rekey(&db, &a, &b).unwrap();
    assert_eq!(snapshot(dir.path()), before);
    // Keys that open nothing; a plain store; no store.
    let c = StoreKey::generate();
    assert!(matches!(
        offgrid_core::store::rekey(&db, &c, &a),
        Err(Error::WrongKey { .. })
    ));
    assert_eq!(snapshot(dir.path()), before);
    let plain = dir.path().join("plain.db");
    drop(open_keyed(&plain, "zhang", None));
    assert!(matches!(
        offgrid_core::store::rekey(&plain, &a, &b),
        Err(Error::InvalidArgument(_))
    ));
    assert!(offgrid_core::store::rekey(&dir.path().join("none.db"), &a, &b).is_err());

    // While the store is open, its key is not changed (the open store would go on writing to
    // the old file): refused, and the open store works on.
    let (store, _) = open_keyed(&db, "zhang", Some(&b));
    let err = offgrid_core::store::rekey(&db, &b, &c).unwrap_err();
    assert!(err.to_string().contains("open elsewhere"), "{err}");
    assert!(!db.with_file_name("t.db.rekey").exists());
    store
        .write(|w| w.create(RecordKind::Patrol, &json!({"title": MARKER})))
        .unwrap();
    drop(store);
    assert_eq!(
        open_keyed(&db, "zhang", Some(&b))
            .0
            .list(&ListQuery::default())
            .unwrap()
            .len(),
        ids.len() + 1
    );
}

// --- SIGKILL during encryption in place and during key changes ---------------------------------

const CHILD_DB: &str = "OFFGRID_ENC_CRASH_DB";
const CHILD_OP: &str = "OFFGRID_ENC_CRASH_OP";

fn test_key(n: u8) -> StoreKey {
    StoreKey::from_bytes(&[n; 32]).unwrap()
}

/// The child half: encrypts the store (`encrypt`) or changes its key back and forth between
/// keys 1 and 2 (`rekey`), reporting after each step returned. Does nothing unless started by
/// the tests below.
#[test]
fn encryption_crash_child() {
    let (Ok(db), Ok(op)) = (std::env::var(CHILD_DB), std::env::var(CHILD_OP)) else {
        return;
    };
    let db = PathBuf::from(db);
    // On a line of its own: libtest has printed the test's name without a newline.
    println!("\nSTARTED");
    match op.as_str() {
        "encrypt" => {
            drop(open_keyed(&db, "child", Some(&test_key(1))));
            println!("D");
        }
        _ => loop {
            offgrid_core::store::rekey(&db, &test_key(1), &test_key(2)).unwrap();
            println!("D 2");
            offgrid_core::store::rekey(&db, &test_key(2), &test_key(1)).unwrap();
            println!("D 1");
        },
    }
}

/// Starts the child and waits for it to start; then kills it after `kill_after`, or with
/// `None` lets it finish. Returns its reports and how long it ran after starting.
fn run_child(db: &Path, op: &str, kill_after: Option<Duration>) -> (Vec<String>, Duration) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "encryption_crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, db)
        .env(CHILD_OP, op)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.ends_with("STARTED") => break,
            Some(_) => {}
            None => panic!("the child never started"),
        }
    }
    let started = Instant::now();
    if let Some(delay) = kill_after {
        std::thread::sleep(delay);
        child.kill().unwrap();
    }
    let reports = lines
        .map_while(|l| l.ok())
        .filter(|l| l.starts_with('D'))
        .collect();
    let status = child.wait().unwrap();
    assert!(kill_after.is_some() || status.success(), "the child failed");
    (reports, started.elapsed())
}

/// A random moment within `0..max`.
fn moment(rng: &mut StdRng, max: Duration) -> Duration {
    Duration::from_micros(rng.random_range(0..max.as_micros().max(1) as u64))
}

#[test]
fn sigkill_while_encrypting_in_place_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    let (ids, photos) = {
        let (store, _) = open_keyed(&template, "zhang", None);
        fill(&store, 400, 12)
    };
    let case = |name: &str| {
        let case = dir.path().join(name);
        std::fs::create_dir(&case).unwrap();
        let db = case.join("template.db");
        std::fs::copy(&template, &db).unwrap();
        copy_dir(
            &template.with_file_name("template.db.blobs"),
            &case.join("template.db.blobs"),
        );
        (case, db)
    };
    // How long the whole job takes on this machine now: kills are spread over a little more
    // than that, so some land after the swap however loaded the machine is.
    let (_, db) = case("timing");
    let (_, took) = run_child(&db, "encrypt", None);
    let mut rng = StdRng::seed_from_u64(0xe4c);
    let rounds = 12;
    let mut finished = 0;
    let mut plain_at_kill = 0;
    for round in 0..rounds {
        let (case, db) = case(&format!("r{round}"));
        let (reports, _) = run_child(&db, "encrypt", Some(moment(&mut rng, took * 5 / 4)));
        finished += usize::from(!reports.is_empty());
        // Whatever the moment: the file is whole, plain or encrypted, and opening it with the key
        // finishes the job with every record and photo there.
        let plain = std::fs::read(&db)
            .unwrap()
            .starts_with(b"SQLite format 3\0");
        assert!(
            !plain || reports.is_empty(),
            "round {round}: done, yet plain"
        );
        plain_at_kill += usize::from(plain);
        let (store, _) = open_keyed(&db, "zhang", Some(&test_key(1)));
        check(&store, &ids, &photos);
        drop(store);
        for (path, bytes) in snapshot(&case) {
            assert!(
                !contains(&bytes, MARKER.as_bytes()),
                "round {round}: {path:?}"
            );
        }
    }
    eprintln!(
        "encrypt crash: the job takes {took:?}; {rounds} kills, {plain_at_kill} before the swap, \
         {finished} after the end"
    );
    assert!(
        plain_at_kill < rounds,
        "some kills land after the database was swapped"
    );
}

#[test]
fn sigkill_while_changing_the_key_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (ids, photos) = {
        let (store, _) = open_keyed(&db, "zhang", Some(&test_key(1)));
        fill(&store, 400, 4)
    };
    let mut rng = StdRng::seed_from_u64(0x4e7);
    let mut changes = 0;
    for round in 0..15 {
        let (reports, _) = run_child(
            &db,
            "rekey",
            Some(moment(&mut rng, Duration::from_millis(150))),
        );
        changes += reports.len();
        // Exactly one of the two keys opens it: the one of the last change reported, or the
        // change after it if that one finished unreported.
        let opens = |k| open(&db, Some(&test_key(k)));
        let store = match (opens(1), opens(2)) {
            (Ok(s), Err(Error::WrongKey { .. })) | (Err(Error::WrongKey { .. }), Ok(s)) => s,
            (a, b) => panic!("round {round}: key 1 {:?}, key 2 {:?}", a.err(), b.err()),
        };
        store.set_user(common::user("zhang"));
        check(&store, &ids, &photos);
        drop(store);
        // Bring it back to key 1 for the next round (the child starts from key 1).
        offgrid_core::store::rekey(&db, &test_key(1), &test_key(1)).unwrap_or_else(|_| {
            offgrid_core::store::rekey(&db, &test_key(2), &test_key(1)).unwrap()
        });
        assert!(!db.with_file_name("t.db.rekey").exists());
    }
    eprintln!("rekey crash: 15 kills, {changes} key changes reported");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&p, to.join(entry.file_name())).unwrap();
        }
    }
}
