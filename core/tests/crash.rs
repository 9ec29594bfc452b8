//! Crash safety, for real: a child process writes in a loop and reports each write after the
//! call returned; the parent kills it with SIGKILL at a random moment, reopens the store, and
//! checks that every reported write is there, that every record loads, that the projection
//! agrees with the documents, and that `PRAGMA integrity_check` is ok. Some writes attach photos:
//! every reported photo must be recorded, and every recorded photo must have its three files
//! whole (the original's hash checked).
//!
//! 50 kills by default, and 25 more on an encrypted store (SQLCipher, sealed photos); set
//! `OFFGRID_CRASH_ITERATIONS` for more (e.g. 1000 in a soak run).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use offgrid_core::{ListQuery, RecordId, RecordKind, Store, StoreKey, StoreOptions, SystemClock};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::json;

const CHILD_DB: &str = "OFFGRID_CRASH_DB";
const CHILD_SEED: &str = "OFFGRID_CRASH_SEED";
/// The store key (hex) when the child writes to an encrypted store.
const CHILD_KEY: &str = "OFFGRID_CRASH_KEY";

/// The writer half. It does nothing unless started by `writes_survive_sigkill` (env var set).
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let seed: u64 = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let key = std::env::var(CHILD_KEY)
        .ok()
        .map(|hex| StoreKey::from_hex(&hex).unwrap());
    let store = Store::open_with(
        &path,
        StoreOptions {
            clock: std::sync::Arc::new(SystemClock::default()),
            cache_capacity: 8,
            key,
        },
    )
    .unwrap();
    store.set_user(common::user("crash"));
    let mut ids: Vec<RecordId> = store
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let photo = offgrid_testkit::photos::jpeg(&offgrid_testkit::photos::Sample {
        width: 320,
        height: 240,
        orientation: 6,
        ..Default::default()
    });
    let mut n: u64 = seed * 1_000_000;
    loop {
        n += 1;
        match rng.random_range(0..10) {
            0 | 1 => {
                let id = store
                    .create(
                        RecordKind::Patrol,
                        &json!({"title": format!("隐患 {n}"), "status": format!("{n}")}),
                    )
                    .unwrap();
                println!("W C {id} {n}");
                ids.push(id);
            }
            2 => {
                let created = store
                    .write(|w| {
                        (0..3)
                            .map(|_| {
                                w.create(RecordKind::Patrol, &json!({"status": format!("{n}")}))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .unwrap();
                for id in created {
                    println!("W C {id} {n}");
                    ids.push(id);
                }
            }
            3 | 4 if !ids.is_empty() => {
                let id = ids[rng.random_range(0..ids.len())].clone();
                let key = format!("note-{n}");
                store
                    .update(&id, "note", |e| {
                        Ok(e.insert("/notes", &key, &json!({"text": "渗水".repeat(20)}))?)
                    })
                    .unwrap();
                println!("W N {id} {key}");
            }
            9 if !ids.is_empty() => {
                // A photo: bytes after the end-of-image marker make each one unique.
                let id = ids[rng.random_range(0..ids.len())].clone();
                let mut bytes = photo.clone();
                bytes.extend(n.to_be_bytes());
                let target = offgrid_core::photo::PhotoTarget::Patrol { id: id.clone() };
                let meta = store
                    .add_photo(&target, &bytes, &Default::default())
                    .unwrap();
                println!("W P {id} {}", meta.sha256);
            }
            _ if !ids.is_empty() => {
                // Mostly the same few records, so compaction happens under the kill too.
                let pick = rng.random_range(0..ids.len().min(4));
                let id = ids[pick].clone();
                store
                    .update(&id, "status", |e| Ok(e.set("/status", format!("{n}"))?))
                    .unwrap();
                println!("W U {id} {n}");
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct Expected {
    /// Lowest status counter each record must show (the last reported write).
    status: HashMap<RecordId, u64>,
    notes: HashMap<RecordId, BTreeSet<String>>,
    photos: HashMap<RecordId, BTreeSet<String>>,
}

impl Expected {
    fn record(&mut self, line: &str) {
        let parts: Vec<&str> = line.split(' ').collect();
        let [_, op, id, value] = parts[..] else {
            panic!("bad report {line:?}")
        };
        let id = RecordId::from(id);
        match op {
            "C" | "U" => {
                let n: u64 = value.parse().unwrap();
                let e = self.status.entry(id).or_insert(n);
                *e = (*e).max(n);
            }
            "N" => {
                self.notes.entry(id).or_default().insert(value.to_owned());
            }
            "P" => {
                self.photos.entry(id).or_default().insert(value.to_owned());
            }
            _ => panic!("bad op {line:?}"),
        }
    }
}

fn iterations(default: usize) -> usize {
    std::env::var("OFFGRID_CRASH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn writes_survive_sigkill() {
    kill_and_check(iterations(50), None);
}

#[test]
fn writes_survive_sigkill_on_an_encrypted_store() {
    let hex: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    kill_and_check(iterations(25), Some(hex));
}

/// `key`: the hex of the store key, for an encrypted store.
fn kill_and_check(iterations: usize, key: Option<String>) {
    let key = key.map(|hex| (StoreKey::from_hex(&hex).unwrap(), hex));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().unwrap();
    let mut rng = StdRng::seed_from_u64(0x0ff_9e1d);
    let mut expected = Expected::default();
    let mut total_reports = 0usize;
    let started = Instant::now();

    for round in 0..iterations {
        let mut command = Command::new(&exe);
        command
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &path)
            .env(CHILD_SEED, (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some((_, hex)) = &key {
            command.env(CHILD_KEY, hex);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            // Only complete lines are reports: a write is reported after its call returned.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("W ") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first report, then kill at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child never reported a write");
        expected.record(&first);
        total_reports += 1;
        std::thread::sleep(Duration::from_micros(rng.random_range(0..60_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            expected.record(&line);
            total_reports += 1;
        }

        let (store, _) = common::open_keyed(&path, "checker", key.as_ref().map(|(k, _)| k));
        assert_eq!(store.is_encrypted(), key.is_some());
        let report = store.verify().unwrap();
        assert_eq!(report.integrity, vec!["ok"], "round {round}");
        assert!(
            report.unreadable.is_empty(),
            "round {round}: {:?}",
            report.unreadable
        );
        let rows: HashMap<RecordId, Option<String>> = store
            .list(&ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.status))
            .collect();
        assert_eq!(
            rows.len() as u64,
            report.records,
            "round {round}: every record is listed"
        );
        for (id, &n) in &expected.status {
            let status = store
                .get_path(id, "/status")
                .unwrap()
                .unwrap_or_else(|| panic!("{id} lost"));
            let got: u64 = status.as_str().unwrap().parse().unwrap();
            assert!(
                got >= n,
                "round {round}: {id} has status {got}, reported {n}"
            );
            // The projection committed with the chunk: it says the same as the document.
            assert_eq!(
                rows[id].as_deref(),
                status.as_str(),
                "round {round}: projection of {id}"
            );
        }
        // Every reported photo is recorded; every photo recorded has its three files, whole.
        for (id, shas) in &expected.photos {
            let recorded: BTreeSet<String> = store
                .photos(id)
                .unwrap()
                .into_iter()
                .map(|p| p.sha256)
                .collect();
            assert!(
                shas.is_subset(&recorded),
                "round {round}: photos of {id} lost"
            );
        }
        for queued in store.photo_queue(None).unwrap() {
            use offgrid_core::store::PhotoFile;
            let file = |f| store.photo_bytes(&queued.sha256, f).unwrap();
            let original = file(PhotoFile::Original).expect("original");
            assert_eq!(
                offgrid_core::photo::sha256_hex(&original),
                queued.sha256,
                "round {round}"
            );
            for f in [PhotoFile::Upload, PhotoFile::Thumb] {
                let bytes = file(f).expect("derived file");
                assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]));
            }
        }
        assert!(!path.with_file_name("crash.db.blobs").join("tmp").exists());
        for (id, keys) in &expected.notes {
            let notes = store.get_path(id, "/notes").unwrap().unwrap();
            for key in keys {
                assert!(
                    notes.get(key).is_some(),
                    "round {round}: note {key} of {id} lost"
                );
            }
        }
    }
    eprintln!(
        "crash test (encrypted: {}): {iterations} kills, {total_reports} reported writes verified, {} records, {} photos, {:?}",
        key.is_some(),
        expected.status.len(),
        expected.photos.values().map(BTreeSet::len).sum::<usize>(),
        started.elapsed()
    );
    assert!(
        total_reports > iterations,
        "the child made progress between kills"
    );
}
