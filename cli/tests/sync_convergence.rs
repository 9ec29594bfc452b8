//! Convergence under a hostile network, against a real server on loopback (`offgrid serve` in a
//! child process) through the fault-injecting proxy: several devices make random offline edits
//! (answers, photos, hazard events, new hazards), sync in random order while requests and
//! responses are dropped, duplicated, delayed, truncated or answered 503, and the server is
//! SIGKILLed and restarted mid-sync. Then the link heals, everyone syncs, and every device and
//! the server must hold identical state, with no acknowledged write missing and every photo on
//! the server and on every device. Record sizes are drawn from tiny to several times the pull
//! budget (long notes: a signature's worth of text), and the budget from small to large; a new
//! device joining at the end must hold every record the server holds (issue 28).
//!
//! `OFFGRID_SYNC_CASES` sets the number of cases (default 6).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use automerge::ReadDoc;
use offgrid_core::hazard::NewHazard;
use offgrid_core::photo::CaptureContext;
use offgrid_core::photo::PhotoTarget;
use offgrid_core::sync::{self, RetryPolicy, SyncOptions};
use offgrid_core::{RecordId, RecordKind, Store};
use offgrid_testkit::flaky::Proxy;
use offgrid_testkit::photos::{self, Sample};
use proptest::prelude::*;
use serde_json::json;
use support::ServerProcess;

const DEVICES: usize = 3;
const ITEMS: u8 = 4;

#[derive(Clone, Debug)]
enum Op {
    Answer {
        dev: usize,
        item: u8,
        value: u16,
    },
    Photo {
        dev: usize,
        size: u8,
    },
    Escalate {
        dev: usize,
    },
    Raise {
        dev: usize,
    },
    Sync {
        dev: usize,
    },
    /// A note of `kb` KiB of text that does not compress on an answer.
    BigNote {
        dev: usize,
        item: u8,
        kb: u16,
    },
    /// SIGKILL the server `delay_ms` into a sync of `dev`, and start it again.
    KillDuringSync {
        dev: usize,
        delay_ms: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let dev = 0..DEVICES;
    prop_oneof![
        4 => (dev.clone(), 0..ITEMS, any::<u16>()).prop_map(|(dev, item, value)| Op::Answer { dev, item, value }),
        1 => (dev.clone(), any::<u8>()).prop_map(|(dev, size)| Op::Photo { dev, size }),
        1 => dev.clone().prop_map(|dev| Op::Escalate { dev }),
        1 => dev.clone().prop_map(|dev| Op::Raise { dev }),
        2 => (dev.clone(), 0..ITEMS, prop_oneof![1u16..4, 16u16..64, 200u16..600]).prop_map(|(dev, item, kb)| Op::BigNote { dev, item, kb }),
        4 => dev.clone().prop_map(|dev| Op::Sync { dev }),
        1 => (dev, any::<u8>()).prop_map(|(dev, delay_ms)| Op::KillDuringSync { dev, delay_ms }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    server: ServerProcess,
    proxy: Proxy,
    devices: Vec<Store>,
    inspection: RecordId,
    hazard: RecordId,
    /// Per device, change hashes the server acknowledged (must survive everything).
    acked: Vec<BTreeMap<RecordId, BTreeSet<String>>>,
    photos: BTreeSet<String>,
    /// The pull budget of this case.
    budget: u64,
}

fn options(budget: u64) -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            attempts: 8,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(10),
        },
        max_pull_bytes: budget,
        ..SyncOptions::default()
    }
}

fn setup(seed: u64, budget: u64) -> World {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    support::admin(&data, &["project-add", "p1", "--name", "人防工程 1"]);
    for (i, role) in ["inspector", "inspector", "supervisor"].iter().enumerate() {
        let id = format!("u{i}");
        support::admin(&data, &["user-add", &id, "--name", &format!("用户{i}")]);
        support::admin(&data, &["member", "p1", &id, role]);
    }
    let server = ServerProcess::start(&data, "127.0.0.1:0");
    let proxy = Proxy::start(server.addr, seed, 0).unwrap();
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let store = Store::open(dir.path().join(format!("d{i}.db"))).unwrap();
        sync::login(
            &store,
            &server.url(),
            &format!("u{i}"),
            "correct horse",
            &format!("device {i}"),
        )
        .unwrap();
        let mut account = store.sync_account().unwrap().unwrap();
        account.server_url = proxy.url();
        store.set_sync_account(&account).unwrap();
        devices.push(store);
    }
    let mut answers = serde_json::Map::new();
    for i in 0..ITEMS {
        answers.insert(format!("i{i}"), json!({ "item": format!("item {i}") }));
    }
    let inspection = devices[0]
        .create(
            RecordKind::Inspection,
            &json!({ "title": "底板钢筋 / slab rebar", "project": "p1", "status": "in_progress",
                     "answers": answers }),
        )
        .unwrap();
    let hazard = devices[0]
        .raise_hazard(&new_hazard("渗水 / seepage"))
        .unwrap();
    let mut world = World {
        _dir: dir,
        server,
        proxy,
        devices,
        inspection,
        hazard,
        acked: vec![BTreeMap::new(); DEVICES],
        photos: BTreeSet::new(),
        budget,
    };
    for d in 0..DEVICES {
        let r = world.sync(d).expect("clean first sync");
        assert!(r.complete, "first sync of device {d} incomplete: {r:?}");
    }
    world.proxy.fault_percent.store(35, Ordering::Relaxed);
    world
}

fn new_hazard(title: &str) -> NewHazard {
    NewHazard {
        project: "p1".into(),
        site: "B1".into(),
        location: "东北角 / NE corner".into(),
        title: title.into(),
        description: "测试 / test".into(),
        grade: None,
        major: false,
        photos: Vec::new(),
    }
}

impl World {
    fn sync(&mut self, dev: usize) -> offgrid_core::Result<sync::SyncReport> {
        let store = &self.devices[dev];
        let report = sync::sync(
            store,
            &options(self.budget),
            &mut |_| {},
            Arc::new(AtomicBool::new(false)),
        )?;
        // Whatever the server acknowledged must never be lost.
        for id in store.all_record_ids()? {
            let heads = store.acked_heads(&id)?;
            self.acked[dev].entry(id).or_default().extend(heads);
        }
        Ok(report)
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Answer { dev, item, value } => {
                let s = &self.devices[dev];
                s.update(&self.inspection, "answer", |e| {
                    Ok(e.set(&format!("/answers/i{item}/value"), json!(value))?)
                })
                .unwrap();
            }
            Op::BigNote { dev, item, kb } => {
                let note = noise(usize::from(kb) << 10, u64::from(kb) ^ u64::from(item));
                self.devices[dev]
                    .update(&self.inspection, "note", |e| {
                        Ok(e.set(&format!("/answers/i{item}/note"), json!(note))?)
                    })
                    .unwrap();
            }
            Op::Photo { dev, size } => {
                let bytes = photos::jpeg(&Sample {
                    width: 32 + u32::from(size),
                    height: 24 + u32::from(size % 7),
                    exif: false,
                    noise: 4,
                    ..Sample::default()
                });
                let target = PhotoTarget::Hazard {
                    id: self.hazard.clone(),
                    rectification: false,
                };
                // The hazard may have moved on (closed on another device): then it refuses.
                if let Ok(meta) =
                    self.devices[dev].add_photo(&target, &bytes, &CaptureContext::default())
                {
                    self.photos.insert(meta.sha256);
                }
            }
            Op::Escalate { dev } => {
                let _ = self.devices[dev].escalate_hazard(&self.hazard, "升级 / escalated");
            }
            Op::Raise { dev } => {
                self.devices[dev]
                    .raise_hazard(&new_hazard("积水 / standing water"))
                    .unwrap();
            }
            Op::Sync { dev } => {
                let _ = self.sync(dev);
            }
            Op::KillDuringSync { dev, delay_ms } => {
                let mut server = std::mem::replace(&mut self.server, placeholder_server());
                let killer = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(u64::from(delay_ms % 60)));
                    server.restart();
                    server
                });
                let _ = self.sync(dev);
                self.server = killer.join().unwrap();
            }
        }
    }
}

/// Text that does not compress.
fn noise(n: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect()
}

/// Stands in while the real server is being restarted on another thread.
fn placeholder_server() -> ServerProcess {
    ServerProcess::detached()
}

fn check_converged(w: &mut World) {
    w.proxy.fault_percent.store(0, Ordering::Relaxed);
    // Two passes: what the last device pushed reaches the first.
    for _ in 0..2 {
        for d in 0..DEVICES {
            let r = w.sync(d).expect("sync on a healed link");
            assert!(r.rejected.is_empty(), "rejections: {:?}", r.rejected);
        }
    }
    let ids: Vec<BTreeSet<RecordId>> = w
        .devices
        .iter()
        .map(|s| s.all_record_ids().unwrap().into_iter().collect())
        .collect();
    for d in 1..DEVICES {
        assert_eq!(ids[0], ids[d], "device {d} holds other records");
    }
    let server_heads = server_heads(&w.server);
    for id in &ids[0] {
        let heads0 = w.devices[0].heads(id).unwrap();
        let json0 = w.devices[0].get(id).unwrap();
        for d in 1..DEVICES {
            assert_eq!(
                w.devices[d].heads(id).unwrap(),
                heads0,
                "heads of {id} on device {d}"
            );
            assert_eq!(
                w.devices[d].get(id).unwrap(),
                json0,
                "content of {id} on device {d}"
            );
        }
        let mut sorted = heads0.clone();
        sorted.sort();
        assert_eq!(
            server_heads.get(id.as_str()),
            Some(&sorted),
            "server heads of {id}"
        );
    }
    assert_eq!(
        server_heads.len(),
        ids[0].len(),
        "the server holds other records"
    );
    for (d, acked) in w.acked.iter().enumerate() {
        for (id, hashes) in acked {
            for h in hashes {
                let present = w.devices[0]
                    .read(id, |doc| {
                        let hash: automerge::ChangeHash = h.parse().unwrap();
                        Ok(doc.get_change_by_hash(&hash).is_some())
                    })
                    .unwrap();
                assert!(
                    present,
                    "change {h} of {id}, acknowledged to device {d}, is lost"
                );
            }
        }
    }
    for sha in &w.photos {
        let on_server = w.server.data.join("blobs").join(&sha[..2]).join(sha);
        assert!(on_server.exists(), "photo {sha} is not on the server");
        for (d, s) in w.devices.iter().enumerate() {
            assert!(
                s.photo_path(sha, offgrid_core::store::PhotoFile::Original)
                    .unwrap()
                    .is_some(),
                "photo {sha} missing on device {d}"
            );
        }
    }
    for (d, s) in w.devices.iter().enumerate() {
        let st = s.sync_status().unwrap();
        assert_eq!(st.pending_records, 0, "device {d} has unsynced records");
        assert_eq!(st.pending_photos, 0, "device {d} has unverified photos");
        assert!(st.unverified.is_empty(), "device {d} lacks records: {st:?}");
    }
    // A new device's first sync, at this case's budget: everything the server holds for it.
    let fresh = Store::open(w._dir.path().join("fresh.db")).unwrap();
    sync::login(&fresh, &w.proxy.url(), "u1", "correct horse", "fresh").unwrap();
    let r = sync::sync(
        &fresh,
        &options(w.budget),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .expect("a new device syncs");
    assert!(r.complete, "new device: {r:?}");
    assert_eq!(r.repaired, 0, "paged, not repaired: {r:?}");
    for (id, heads) in &server_heads {
        let mut held = fresh.heads(&RecordId(id.clone())).unwrap_or_default();
        held.sort();
        assert_eq!(&held, heads, "record {id} on the new device");
    }
}

fn server_heads(server: &ServerProcess) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open_with_flags(
        server.data.join("server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = conn.prepare("SELECT id, heads FROM records").unwrap();
    st.query_map([], |r| {
        let heads: String = r.get(1)?;
        Ok((
            r.get::<_, String>(0)?,
            heads.split(',').map(str::to_owned).collect(),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn cases() -> u32 {
    std::env::var("OFFGRID_SYNC_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn devices_and_server_converge_through_a_hostile_network(
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 20..45),
        budget in prop_oneof![Just(4u64 << 10), (16u64 << 10)..(256u64 << 10), Just(1u64 << 20)],
    ) {
        let mut w = setup(seed, budget);
        for op in &ops {
            w.apply(op);
        }
        check_converged(&mut w);
        let c = &w.proxy.counts;
        eprintln!(
            "faults: {} forwarded, {} requests dropped, {} responses dropped, {} duplicated, {} delayed, {} truncated, {} 503",
            c.forwarded.load(Ordering::Relaxed),
            c.dropped_requests.load(Ordering::Relaxed),
            c.dropped_responses.load(Ordering::Relaxed),
            c.duplicated.load(Ordering::Relaxed),
            c.delayed.load(Ordering::Relaxed),
            c.truncated.load(Ordering::Relaxed),
            c.errors_5xx.load(Ordering::Relaxed),
        );
    }
}
