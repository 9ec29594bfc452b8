//! Patrols converge under a hostile network (ADR 0008), against a real server on loopback
//! through the fault-injecting proxy: two grid members patrol one task offline (scans, a stray
//! tag, skips, observations, finishing), raise observations as hazards — the office too, the
//! same observation on two phones — the office approves skips, and everyone syncs at random
//! while requests and responses are dropped, duplicated, delayed, truncated or answered 503.
//! Then the link heals and everyone syncs: every device holds the same runs, the same task
//! states and the same hazards, one per raised observation; no scan, skip or observation a
//! phone recorded is missing anywhere; the server never refused honest work.
//!
//! `OFFGRID_PATROL_CASES` sets the number of cases (default 6).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod patrol_world;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use offgrid_core::grid::ORG;
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::Completion;
use offgrid_core::patrol::{NewObservation, NewPlan, ScanInput, TaskQuery};
use offgrid_core::site::CheckMethod;
use offgrid_core::sync::{self, RetryPolicy, SyncOptions};
use offgrid_core::{FixedClock, RecordId, RecordKind, Role, Store};
use offgrid_server::RunningServer;
use offgrid_testkit::flaky::Proxy;
use patrol_world::*;
use proptest::prelude::*;

/// The two runners and the office, in that order.
const RUNNERS: [&str; 2] = ["li", "wang"];
const OFFICE: usize = 2;

#[derive(Clone, Debug)]
enum Op {
    /// A runner scans checkpoint `cp` (3: a tag bound nowhere).
    Scan {
        runner: usize,
        cp: usize,
    },
    Skip {
        runner: usize,
        cp: usize,
    },
    Observe {
        runner: usize,
        cp: usize,
    },
    /// A device raises the `pick`th observation it holds as a hazard.
    Raise {
        dev: usize,
        pick: usize,
    },
    Finish {
        runner: usize,
    },
    /// The office approves the `pick`th skip it holds.
    Approve {
        pick: usize,
    },
    Sync {
        dev: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 0..4usize).prop_map(|(runner, cp)| Op::Scan { runner, cp }),
        1 => (0..2usize, 0..3usize).prop_map(|(runner, cp)| Op::Skip { runner, cp }),
        2 => (0..2usize, 0..3usize).prop_map(|(runner, cp)| Op::Observe { runner, cp }),
        2 => (0..3usize, 0..4usize).prop_map(|(dev, pick)| Op::Raise { dev, pick }),
        1 => (0..2usize).prop_map(|runner| Op::Finish { runner }),
        1 => (0..4usize).prop_map(|pick| Op::Approve { pick }),
        4 => (0..3usize).prop_map(|dev| Op::Sync { dev }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    _server: RunningServer,
    proxy: Proxy,
    devices: Vec<Store>,
    clocks: Vec<Arc<FixedClock>>,
    tags: Vec<String>,
    checkpoints: Vec<String>,
    plan: RecordId,
    day: i64,
    runs: Vec<RecordId>,
    /// Every event a runner recorded: (run, event id).
    recorded: Vec<(RecordId, String)>,
    /// Every hazard raised anywhere.
    raised: BTreeSet<RecordId>,
}

fn options() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            attempts: 8,
            first_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(100),
            timeout: Duration::from_secs(10),
        },
        ..SyncOptions::default()
    }
}

fn setup(seed: u64) -> World {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir.path().join("server"));
    let b = server.app.backend.as_ref();
    for runner in RUNNERS {
        offgrid_server::accounts::set_member(b, ORG, runner, Some(Role::Inspector)).unwrap();
    }
    let proxy = Proxy::start(server.addr, seed, 0).unwrap();
    // The patrol day is two days ago: every watermark the server hands out (its real clock)
    // lies past the window, so after the last syncs the task states are final everywhere.
    let day = midnight_days_ago(2);
    let (admin, admin_clock) = device(dir.path(), "admin", &server.url(), day - DAY);
    let site = cell_with_site(&admin, &RUNNERS);
    let mut tags = Vec::new();
    for (i, name) in ["出入口", "防护密闭门", "集水井"].iter().enumerate() {
        let tag = format!("https://tag.example/t?uid=04AABBCCDDEE3{i}");
        nfc_checkpoint(&admin, &site, name, &tag);
        tags.push(tag);
    }
    tags.push("https://tag.example/t?uid=04FFFFFFFFFF99".into());
    let checkpoints = admin
        .site(&site)
        .unwrap()
        .checkpoints
        .into_iter()
        .map(|c| c.id)
        .collect();
    let plan = admin
        .add_patrol_plan(&NewPlan {
            title: "夜间巡查 / night patrol".into(),
            site: site.clone(),
            checkpoints: vec![],
            template: None,
            schedule: Schedule::daily(9 * 60, 120),
            in_sequence: false,
            assignees: RUNNERS.iter().map(|r| (*r).into()).collect(),
            completion: Completion::Each,
            skip_needs_approval: true,
        })
        .unwrap();
    sync_now(&admin);
    let mut devices = Vec::new();
    let mut clocks = Vec::new();
    for runner in RUNNERS {
        let (s, clock) = device(dir.path(), runner, &server.url(), day + 9 * H);
        sync_now(&s);
        devices.push(s);
        clocks.push(clock);
    }
    devices.push(admin);
    clocks.push(admin_clock);
    for (s, clock) in devices.iter().zip(&clocks) {
        clock.set(day + 9 * H + 5 * 60_000);
        let mut account = s.sync_account().unwrap().unwrap();
        account.server_url = proxy.url();
        s.set_sync_account(&account).unwrap();
    }
    let runs = (0..RUNNERS.len())
        .map(|r| devices[r].start_patrol(&plan, None).unwrap())
        .collect();
    proxy.fault_percent.store(35, Ordering::Relaxed);
    World {
        _dir: dir,
        _server: server,
        proxy,
        devices,
        clocks,
        tags,
        checkpoints,
        plan,
        day,
        runs,
        recorded: Vec::new(),
        raised: BTreeSet::new(),
    }
}

impl World {
    /// A sync through the proxy: it may fail on the network, but what reaches the server is
    /// never refused (every device here is honest).
    fn sync(&self, dev: usize) -> Option<sync::SyncReport> {
        let report = sync::sync(
            &self.devices[dev],
            &options(),
            &mut |_| {},
            Arc::new(AtomicBool::new(false)),
        )
        .ok()?;
        assert!(report.rejected.is_empty(), "device {dev}: {report:?}");
        Some(report)
    }

    /// The events of `kind` in the runs device `dev` holds: (run, event id).
    fn events_on(&self, dev: usize, kind: &str) -> Vec<(RecordId, String)> {
        self.runs
            .iter()
            .filter_map(|run| Some((run, self.devices[dev].patrol_run(run).ok()?)))
            .flat_map(|(run, view)| {
                view.events
                    .into_iter()
                    .filter(|e| e.kind.name() == kind)
                    .map(move |e| (run.clone(), e.id))
            })
            .collect()
    }

    fn apply(&mut self, op: &Op) {
        for clock in &self.clocks {
            clock.advance_ms(20_000);
        }
        let recorded = match *op {
            Op::Scan { runner, cp } => self.devices[runner]
                .scan_checkpoint(
                    &self.runs[runner],
                    &ScanInput {
                        method: Some(CheckMethod::Nfc),
                        payload: Some(self.tags[cp].clone()),
                        ..Default::default()
                    },
                )
                .map(|o| (runner, o.event)),
            Op::Skip { runner, cp } => self.devices[runner]
                .skip_checkpoint(&self.runs[runner], &self.checkpoints[cp], "积水 / flooded")
                .map(|id| (runner, id)),
            Op::Observe { runner, cp } => self.devices[runner]
                .observe_on_patrol(
                    &self.runs[runner],
                    &NewObservation {
                        checkpoint: Some(self.checkpoints[cp].clone()),
                        text: format!("渗水 {cp} / seepage {cp}"),
                        grade: (cp % 2 == 0).then_some(offgrid_core::RiskGrade::Yellow),
                        photos: vec![],
                    },
                )
                .map(|id| (runner, id)),
            Op::Raise { dev, pick } => {
                let seen = self.events_on(dev, "observe");
                if let Some((run, obs)) = seen.get(pick % seen.len().max(1)) {
                    let id = self.devices[dev]
                        .raise_hazard_from_observation(run, obs, ORG)
                        .expect("raising an observation held here");
                    self.raised.insert(id);
                }
                return;
            }
            Op::Finish { runner } => {
                let _ = self.devices[runner]
                    .finish_patrol(&self.runs[runner], Some("时间到 / out of time"));
                return;
            }
            Op::Approve { pick } => {
                let seen = self.events_on(OFFICE, "skip");
                if let Some((run, skip)) = seen.get(pick % seen.len().max(1)) {
                    let _ = self.devices[OFFICE].approve_patrol_skip(run, skip);
                }
                return;
            }
            Op::Sync { dev } => {
                self.sync(dev);
                return;
            }
        };
        // A finished run takes no more events; anything else recorded is kept.
        if let Ok((runner, event)) = recorded {
            self.recorded.push((self.runs[runner].clone(), event));
        }
    }

    fn hazards(&self, dev: usize) -> BTreeSet<RecordId> {
        self.devices[dev]
            .list(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == RecordKind::Hazard)
            .map(|r| r.id)
            .collect()
    }
}

fn check_converged(w: &World) {
    w.proxy.fault_percent.store(0, Ordering::Relaxed);
    for _ in 0..2 {
        for dev in 0..w.devices.len() {
            let report = w.sync(dev).expect("a sync on a clean link");
            assert!(report.complete, "device {dev}: {report:?}");
        }
    }
    let office = &w.devices[OFFICE];
    for run in &w.runs {
        let theirs = office.patrol_run(run).unwrap();
        for (dev, s) in w.devices.iter().enumerate() {
            let ours = s.patrol_run(run).unwrap();
            assert_eq!(ours.events, theirs.events, "run {run} on device {dev}");
            assert_eq!(
                (ours.status, &ours.covered, &ours.not_applied),
                (theirs.status, &theirs.covered, &theirs.not_applied),
                "run {run} on device {dev}"
            );
        }
    }
    for (run, event) in &w.recorded {
        let view = office.patrol_run(run).unwrap();
        assert!(
            view.events.iter().any(|e| &e.id == event),
            "event {event} of run {run} was lost"
        );
    }
    // One hazard per raised observation, the same everywhere.
    for dev in 0..w.devices.len() {
        assert_eq!(w.hazards(dev), w.raised, "hazards on device {dev}");
    }
    for id in &w.raised {
        let h = office.hazard(id).unwrap();
        for s in &w.devices {
            assert_eq!(s.heads(id).unwrap(), office.heads(id).unwrap());
            assert_eq!(s.hazard(id).unwrap(), h);
        }
    }
    // The same task state everywhere, in the evening.
    let states: Vec<_> = w
        .devices
        .iter()
        .zip(&w.clocks)
        .map(|(s, clock)| {
            clock.set(w.day + 20 * H);
            s.patrol_tasks(&TaskQuery {
                from_ms: w.day,
                to_ms: w.day + DAY,
                plan: Some(w.plan.clone()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.state))
            .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(states[0].len(), 1);
    assert!(states.iter().all(|s| s == &states[0]), "{states:?}");
}

fn cases() -> u32 {
    std::env::var("OFFGRID_PATROL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 16, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn patrols_converge_through_a_faulty_link(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..30)) {
        let mut w = setup(seed);
        for op in &ops {
            w.apply(op);
        }
        check_converged(&w);
    }
}
