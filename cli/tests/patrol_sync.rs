//! Patrols through a real server on loopback (ADR 0008): the assignees of a plan receive it
//! with their cell's site; a run made offline reaches the office and turns its task done; a
//! task nobody patrolled shows "awaiting sync" until every assignee's phone has synced past its
//! window, and "missed" after — from the sync watermarks the server keeps per device.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod patrol_world;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use offgrid_core::grid::ORG;
use offgrid_core::patrol::schedule::Schedule;
use offgrid_core::patrol::task::TaskState;
use offgrid_core::site::CheckMethod;
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{RecordId, Role, Store};
use offgrid_server::accounts;
use patrol_world::*;

/// What the server found in each of `scans` of `run`, as `s` holds its receipts.
fn findings_on(
    s: &Store,
    run: &RecordId,
    scans: &[String],
) -> Vec<Vec<offgrid_core::patrol::check::ServerCheck>> {
    let view = s.patrol_run(run).unwrap();
    scans
        .iter()
        .map(|e| {
            view.receipts
                .iter()
                .find(|r| &r.event == e)
                .map(|r| r.server_checks.iter().map(|c| c.parse().unwrap()).collect())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_run_made_offline_turns_its_task_done_and_missed_waits_for_every_assignee() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    // The devices live three days ago (the server's watermarks are its real clock).
    let day0 = midnight_days_ago(3);
    let (day1, day2) = (day0 + DAY, day0 + 2 * DAY);

    let (admin, admin_clock) = device(dir.path(), "admin", &srv.url(), day0 + 12 * H);
    let site = cell_with_site(&admin, &["li", "wang"]);
    let mut tags = Vec::new();
    for (i, name) in ["出入口", "防护密闭门"].iter().enumerate() {
        let payload = format!("https://tag.example/t?uid=04AABBCCDDEE0{i}");
        nfc_checkpoint(&admin, &site, name, &payload);
        tags.push(payload);
    }
    let mut schedule = Schedule::daily(9 * 60, 120);
    schedule.grace_minutes = 30;
    let plan = daily_plan(&admin, &site, &["li", "wang"], schedule);
    sync_now(&admin);

    // Li patrols day 1 underground, then syncs; wang has not synced at all.
    let (li, li_clock) = device(dir.path(), "li", &srv.url(), day1 + 9 * H);
    sync_now(&li);
    assert_eq!(li.patrol_plan(&plan).unwrap().versions.len(), 1);
    li_clock.set(day1 + 9 * H + 10 * 60_000);
    let run = li.start_patrol(&plan, None).unwrap();
    for t in &tags {
        li_clock.advance_ms(3 * 60_000);
        let out = nfc_scan(&li, &run, t);
        assert!(out.verdict.counts, "{out:?}");
    }
    li.finish_patrol(&run, None).unwrap();
    sync_now(&li);

    // The office, on day 3: day 1 done (li's run arrived); day 2 nobody patrolled, but wang's
    // phone has never reported, so it may hold a run: awaiting sync, not missed.
    admin_clock.set(day2 + DAY + 12 * H);
    sync_now(&admin);
    assert_eq!(state_on(&admin, day1), TaskState::Done);
    assert_eq!(state_on(&admin, day2), TaskState::AwaitingSync);
    assert!(admin.patrol_watermarks().unwrap().contains_key("li"));

    // Wang's phone syncs (nothing to push): now day 2 is missed, on every device.
    let (wang, _) = device(dir.path(), "wang", &srv.url(), day2 + DAY + 12 * H);
    sync_now(&wang);
    sync_now(&admin);
    assert_eq!(state_on(&admin, day2), TaskState::Missed);
    assert_eq!(state_on(&wang, day2), TaskState::Missed);
    assert_eq!(state_on(&wang, day1), TaskState::Done);
    // The run as the office received it: li's, every event confirmed by the server as pushed
    // by li; li's clock was behind the server's (offline days), so nothing is flagged.
    let view = admin.patrol_run(&run).unwrap();
    assert_eq!((view.runner.as_str(), view.covered.len()), ("li", 2));
    assert_eq!(view.receipts.len(), view.events.len());
    assert!(
        view.receipts
            .iter()
            .all(|r| r.received_by.as_deref() == Some("li"))
    );
    assert!(!view.flags.contains_key("clock_ahead"), "{:?}", view.flags);

    // A phone whose clock runs a day ahead records a patrol "tomorrow": the server received it
    // before the time it claims, and the office sees the flag.
    let tomorrow = midnight_days_ago(-1);
    li_clock.set(tomorrow + 9 * H + 30 * 60_000);
    let ahead = li.start_patrol(&plan, None).unwrap();
    nfc_scan(&li, &ahead, &tags[0]);
    sync_now(&li);
    sync_now(&admin);
    let view = admin.patrol_run(&ahead).unwrap();
    assert_eq!(view.flags.get("clock_ahead"), Some(&2), "{:?}", view.flags);
    assert!(
        view.receipts
            .iter()
            .all(|r| r.server_checks == ["clock_ahead"]),
        "{:?}",
        view.receipts
    );
    // The office's coverage of that day counts both changes, from list rows and receipts.
    let coverage = admin
        .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
            from_ms: tomorrow,
            to_ms: tomorrow + DAY,
            cell: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(coverage[0].total.clock_ahead, 2, "{coverage:?}");
}

/// A scan's NTAG 424 SUN message is checked by the server with the tag key only it holds: a
/// real tap, a copied URL, a forged MAC and a tag without a key each come back as the server's
/// finding, to the runner's phone with its acknowledgement and to the office with the run.
#[test]
fn the_server_checks_sun_messages_with_the_tag_keys_it_holds() {
    use offgrid_core::patrol::check::ServerCheck;
    use offgrid_core::patrol::sun;
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let now = now_ms();
    let yesterday = midnight_days_ago(1);
    let (admin, _) = device(dir.path(), "admin", &srv.url(), yesterday + 8 * H);
    let site = cell_with_site(&admin, &["li"]);
    // Two SUN tags, bound by the URL the tag showed when it was installed; the server holds
    // the first one's key only.
    let (keyed, keyless) = ("04DE5F1EACC040", "041E3C8A2D6B80");
    for (name, uid) in [("出入口", keyed), ("防护密闭门", keyless)] {
        let installed = format!("https://tag.example/t?uid={uid}&ctr=000001&cmac=0000000000000000");
        nfc_checkpoint(&admin, &site, name, &installed);
    }
    let key = [0x5Au8; 16];
    let key_hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
    offgrid_server::sun::set_key(srv.app.backend.as_ref(), keyed, &key_hex).unwrap();
    let plan = daily_plan(&admin, &site, &["li"], Schedule::daily(9 * 60, 120));
    sync_now(&admin);

    let url = |uid: &str, counter: u32, mac: [u8; 8]| {
        let mac: String = mac.iter().map(|b| format!("{b:02X}")).collect();
        format!("https://tag.example/t?uid={uid}&ctr={counter:06X}&cmac={mac}")
    };
    let uid_bytes: [u8; 7] = [0x04, 0xDE, 0x5F, 0x1E, 0xAC, 0xC0, 0x40];
    let genuine = url(
        keyed,
        0x3D,
        offgrid_server::sun::mac(&key, &uid_bytes, 0x3D),
    );
    let forged = url(keyed, 0x3E, [0x11; 8]);
    let unkeyed = url(keyless, 7, [0x22; 8]);
    assert!(sun::parse(&genuine).is_some());

    let (li, li_clock) = device(dir.path(), "li", &srv.url(), yesterday + 9 * H + 5 * 60_000);
    sync_now(&li);
    let run = li.start_patrol(&plan, None).unwrap();
    let mut scans = Vec::new();
    // A real tap, the same URL again (copied), a forged MAC, a tag without a key.
    for payload in [&genuine, &genuine, &forged, &unkeyed] {
        li_clock.advance_ms(3 * 60_000);
        let out = nfc_scan(&li, &run, payload);
        // On the phone, offline, every one of them matches its checkpoint by the tag's UID.
        assert!(out.verdict.counts, "{out:?}");
        scans.push(out.event);
    }
    li.finish_patrol(&run, None).unwrap();
    sync_now(&li);

    let findings = |s: &Store| findings_on(s, &run, &scans);
    let expected = vec![
        vec![ServerCheck::Valid],
        vec![ServerCheck::Replayed],
        vec![ServerCheck::Invalid],
        vec![ServerCheck::NoKey],
    ];
    // The runner's phone learns it from the acknowledgement of its push; had that response
    // been lost, the same push again (its changes held, none new) acknowledges them all.
    assert_eq!(findings(&li), expected);
    let b = srv.app.backend.as_ref();
    let caller =
        accounts::authenticate(b, &accounts::login(b, "li", PW, "li-2").unwrap().token).unwrap();
    let again = offgrid_core::sync::protocol::SyncRequest {
        device: "li".into(),
        push: vec![offgrid_core::sync::protocol::PushRecord {
            id: run.0.clone(),
            project: ORG.into(),
            kind: "patrol_run".into(),
            changes: li
                .changes_since(&run, &[])
                .unwrap()
                .into_iter()
                .map(offgrid_core::sync::protocol::Bytes)
                .collect(),
            heads: Vec::new(),
            photos: Vec::new(),
        }],
        ..Default::default()
    };
    let (resp, _) = offgrid_server::sync::sync(b, Some(&srv.app.docs), &caller, again).unwrap();
    assert_eq!(resp.acked.len(), 1, "{:?}", resp.rejected);
    let mut acked: Vec<&str> = resp.acked[0].checks.values().map(String::as_str).collect();
    acked.sort();
    assert_eq!(
        acked,
        ["sun_invalid", "sun_replayed", "sun_unverified", "sun_valid"]
    );
    // The office, from the pull; a new device of the office, from the run received whole.
    sync_now(&admin);
    assert_eq!(findings(&admin), expected);
    let view = admin.patrol_run(&run).unwrap();
    for flag in ["sun_replayed", "sun_invalid", "sun_unverified"] {
        assert_eq!(view.flags.get(flag), Some(&1), "{flag}: {:?}", view.flags);
    }
    assert!(!view.flags.contains_key("sun_valid"), "{:?}", view.flags);
    // The office's coverage counts the forged and the copied scan against the site's cell.
    let coverage = admin
        .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
            from_ms: yesterday,
            to_ms: yesterday + DAY,
            cell: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(coverage.len(), 1, "{coverage:?}");
    assert_eq!(coverage[0].total.forged_scans, 2, "{coverage:?}");
    let before = offgrid_core::patrol::CoverageQuery {
        from_ms: yesterday - DAY,
        to_ms: yesterday,
        cell: None,
        ..Default::default()
    };
    assert_eq!(
        admin.patrol_coverage(&before).unwrap()[0]
            .total
            .forged_scans,
        0
    );
    std::fs::create_dir(dir.path().join("second")).unwrap();
    let (office2, _) = device(&dir.path().join("second"), "admin", &srv.url(), now);
    sync_now(&office2);
    assert_eq!(findings(&office2), expected);
    let keys = offgrid_server::sun::keys(srv.app.backend.as_ref()).unwrap();
    assert_eq!(
        keys[0].counters_seen, 1,
        "the forged counter is not claimed"
    );
}

/// An observation raised as a hazard on two phones offline is one hazard on the server and on
/// both phones: the office's push carries the observation's first change, which names the
/// runner; the server accepts it from the office only because it is exactly what the run it
/// holds gives. Each raise is kept under its raiser's name, confirmed by the server; a first
/// change that names the runner but says something else is refused.
#[test]
fn an_observation_raised_on_two_phones_offline_is_one_hazard_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let b = srv.app.backend.as_ref();
    accounts::set_member(b, ORG, "li", Some(Role::Inspector)).unwrap();
    accounts::set_member(b, ORG, "wang", Some(Role::Supervisor)).unwrap();
    let day1 = midnight_days_ago(1);
    let (admin, admin_clock) = device(dir.path(), "admin", &srv.url(), day1 + 8 * H);
    let site = cell_with_site(&admin, &["li"]);
    nfc_checkpoint(
        &admin,
        &site,
        "集水井",
        "https://tag.example/t?uid=04AABBCCDDEE10",
    );
    let plan = daily_plan(&admin, &site, &["li"], Schedule::daily(9 * 60, 120));
    sync_now(&admin);

    let (li, li_clock) = device(dir.path(), "li", &srv.url(), day1 + 9 * H + 5 * 60_000);
    sync_now(&li);
    let run = li.start_patrol(&plan, None).unwrap();
    let obs = li
        .observe_on_patrol(
            &run,
            &offgrid_core::patrol::NewObservation {
                checkpoint: None,
                text: "集水井水位超过警戒线 / sump above the alarm line".into(),
                grade: Some(offgrid_core::RiskGrade::Orange),
                photos: vec![],
            },
        )
        .unwrap();
    sync_now(&li);
    admin_clock.set(day1 + 9 * H + 30 * 60_000);
    sync_now(&admin);

    // Both raise it offline; the office syncs first.
    li_clock.set(day1 + 9 * H + 20 * 60_000);
    let hazard = li.raise_hazard_from_observation(&run, &obs, ORG).unwrap();
    admin_clock.set(day1 + 10 * H);
    assert_eq!(
        admin
            .raise_hazard_from_observation(&run, &obs, ORG)
            .unwrap(),
        hazard
    );
    sync_now(&admin);
    sync_now(&li);
    sync_now(&admin);
    let (a, b) = (admin.hazard(&hazard).unwrap(), li.hazard(&hazard).unwrap());
    assert_eq!(a, b);
    let raised: Vec<(&str, Option<&str>)> = a
        .events
        .iter()
        .filter(|e| e.kind.name() == "raised")
        .map(|e| (e.by.as_str(), e.verified_by.as_deref()))
        .collect();
    assert_eq!(raised, [("li", Some("li")), ("admin", Some("admin"))]);
    assert_eq!(admin.heads(&hazard).unwrap(), li.heads(&hazard).unwrap());
    // The office's phone delivered the first change: the server says so, and names li its author.
    let first = admin.history(&hazard).unwrap().remove(0);
    assert_eq!(
        (first.user_id.as_deref(), first.verified_by.as_deref()),
        (Some("li"), Some("admin"))
    );

    // Wang's phone makes up a "first change" of another observation's hazard that names li
    // and says something li never wrote; the server refuses it.
    let (wang, _) = device(dir.path(), "wang", &srv.url(), day1 + 11 * H);
    sync_now(&wang);
    let other = li
        .observe_on_patrol(
            &run,
            &offgrid_core::patrol::NewObservation {
                text: "照明正常 / lights fine".into(),
                ..Default::default()
            },
        )
        .unwrap();
    sync_now(&li);
    sync_now(&wang);
    let forged_id = offgrid_core::patrol::observed::observation_hazard_id(&run, &other);
    let mut forged = offgrid_core::doc::genesis::derived_record(
        offgrid_core::RecordKind::Hazard,
        &["photos", "notes", "events"],
        &forged_id,
        &serde_json::json!({
            "project": ORG, "site": site.as_str(), "location": "", "title": "漏电 / live wires",
            "description": "漏电 / live wires", "source": null, "photos": {},
            "patrol": {"run": run.as_str(), "observation": other, "checkpoint": null},
        }),
        &offgrid_core::User::new("li", "li"),
        offgrid_core::Timestamp {
            unix_ms: day1 + 9 * H,
            offset_minutes: 480,
        },
        automerge::ActorId::random(),
    )
    .unwrap();
    let bytes = forged.document().get_changes(&[])[0].raw_bytes().to_vec();
    wang.apply_changes(&forged_id, &bytes).unwrap();
    let report = sync::sync(
        &wang,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        report.rejected[0].reason.starts_with("author_mismatch"),
        "{:?}",
        report.rejected
    );
    sync_now(&admin);
    assert!(
        admin.hazard(&forged_id).is_err(),
        "the forgery reached the office"
    );
}

/// The server judges every scan again from its own copies of the plan and the site. A phone
/// underground since before the office moved its tags judges by what it last knew: a tag taken
/// off its checkpoint still counts there, a tag fitted since is unknown. The server disputes
/// both, the runner's phone learns it, and the office sees it on the run and in coverage; a scan
/// both agree on carries no such finding.
#[test]
fn the_server_disputes_a_verdict_its_copy_of_the_site_does_not_bear() {
    use offgrid_core::patrol::check::ServerCheck;
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let day1 = midnight_days_ago(1);
    let (admin, admin_clock) = device(dir.path(), "admin", &srv.url(), day1 - DAY);
    let site = cell_with_site(&admin, &["li"]);
    let old_tag = "https://tag.example/t?uid=04AABBCCDDEE20";
    let kept_tag = "https://tag.example/t?uid=04AABBCCDDEE21";
    nfc_checkpoint(&admin, &site, "出入口", old_tag);
    nfc_checkpoint(&admin, &site, "防护密闭门", kept_tag);
    let plan = daily_plan(&admin, &site, &["li"], Schedule::daily(9 * 60, 120));
    sync_now(&admin);
    let (li, li_clock) = device(dir.path(), "li", &srv.url(), day1 - DAY + H);
    sync_now(&li);

    // At 08:00 the office replaces the entrance's tag; li's phone does not sync again.
    admin_clock.set(day1 + 8 * H);
    let entrance = admin.site(&site).unwrap().checkpoints[0].id.clone();
    admin
        .unbind_tag(&site, old_tag, "标签损坏 / tag damaged")
        .unwrap();
    let new_tag = "https://tag.example/t?uid=04AABBCCDDEE22";
    admin
        .bind_tag(&site, &entrance, new_tag, CheckMethod::Nfc)
        .unwrap();
    sync_now(&admin);

    li_clock.set(day1 + 9 * H + 10 * 60_000);
    let run = li.start_patrol(&plan, None).unwrap();
    let mut scans = Vec::new();
    for (tag, counts_on_phone) in [(old_tag, true), (new_tag, false), (kept_tag, true)] {
        li_clock.advance_ms(3 * 60_000);
        let out = nfc_scan(&li, &run, tag);
        assert_eq!(out.verdict.counts, counts_on_phone, "{tag}: {out:?}");
        scans.push(out.event);
    }
    sync_now(&li);

    let findings = |s: &Store| findings_on(s, &run, &scans);
    let disputed = ServerCheck::Disputed.as_str();
    let expected = vec![
        vec![ServerCheck::Disputed],
        vec![ServerCheck::Disputed],
        vec![],
    ];
    assert_eq!(findings(&li), expected);
    admin_clock.set(day1 + 12 * H);
    sync_now(&admin);
    assert_eq!(findings(&admin), expected);
    let view = admin.patrol_run(&run).unwrap();
    assert_eq!(view.flags.get(disputed), Some(&2), "{:?}", view.flags);
    let coverage = admin
        .patrol_coverage(&offgrid_core::patrol::CoverageQuery {
            from_ms: day1,
            to_ms: day1 + DAY,
            cell: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(coverage[0].total.disputed_scans, 2, "{coverage:?}");
}

/// A grid member's forged writes into another's run, pushed straight to the server with their
/// own token: a scan in li's run, a void by wang (no role), a change naming li as its author.
/// The server refuses each, naming the rule, and keeps li's run as it was.
#[test]
fn the_server_refuses_scans_into_someone_elses_run() {
    use automerge::ReadDoc;
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let day1 = midnight_days_ago(1);
    let (admin, _) = device(dir.path(), "admin", &srv.url(), day1 + 8 * H);
    let site = cell_with_site(&admin, &["li", "wang"]);
    let tag = "https://tag.example/t?uid=04AABBCCDDEE40";
    nfc_checkpoint(&admin, &site, "出入口", tag);
    let plan = daily_plan(&admin, &site, &["li", "wang"], Schedule::daily(9 * 60, 120));
    sync_now(&admin);
    let (li, _) = device(dir.path(), "li", &srv.url(), day1 + 9 * H + 5 * 60_000);
    sync_now(&li);
    let run = li.start_patrol(&plan, None).unwrap();
    sync_now(&li);
    let (wang, _) = device(dir.path(), "wang", &srv.url(), day1 + 9 * H + 6 * 60_000);
    sync_now(&wang);
    let checkpoint = wang.site(&site).unwrap().checkpoints[0].id.clone();

    let b = srv.app.backend.as_ref();
    let stored = || {
        offgrid_server::backend::transact(b, |tx| Ok(tx.lock_record(run.as_str())?.unwrap().heads))
            .unwrap()
    };
    let before = stored();
    let caller =
        accounts::authenticate(b, &accounts::login(b, "wang", PW, "forger").unwrap().token)
            .unwrap();
    let forge = |author: &str, event: serde_json::Value| -> Vec<String> {
        let mut doc = automerge::AutoCommit::new();
        for c in wang.changes_since(&run, &[]).unwrap() {
            doc.apply_changes([automerge::Change::from_bytes(c).unwrap()])
                .unwrap();
        }
        let events = match doc.get(automerge::ROOT, "events").unwrap() {
            Some((_, id)) => id,
            None => panic!("a run has events"),
        };
        let key = format!("forged-{}", event["type"].as_str().unwrap());
        offgrid_core::doc::json::put_json(&mut doc, &events, automerge::Prop::Map(key), &event)
            .unwrap();
        let meta = offgrid_core::doc::ChangeMeta::new(
            &offgrid_core::User::new(author, author),
            offgrid_core::Timestamp {
                unix_ms: day1 + 9 * H + 7 * 60_000,
                offset_minutes: 480,
            },
            "forge",
        );
        let hash = doc
            .commit_with(meta.commit_options(offgrid_core::Timestamp {
                unix_ms: day1 + 9 * H + 7 * 60_000,
                offset_minutes: 480,
            }))
            .unwrap();
        let change = doc.get_change_by_hash(&hash).unwrap().raw_bytes().to_vec();
        let push = offgrid_core::sync::protocol::SyncRequest {
            device: "forger".into(),
            push: vec![offgrid_core::sync::protocol::PushRecord {
                id: run.0.clone(),
                project: ORG.into(),
                kind: "patrol_run".into(),
                changes: vec![offgrid_core::sync::protocol::Bytes(change)],
                heads: Vec::new(),
                photos: Vec::new(),
            }],
            ..Default::default()
        };
        let (resp, _) = offgrid_server::sync::sync(b, Some(&srv.app.docs), &caller, push).unwrap();
        assert!(resp.acked.is_empty(), "{resp:?}");
        resp.rejected.iter().map(|r| r.reason.clone()).collect()
    };
    let at = day1 + 9 * H + 7 * 60_000;
    let scan = serde_json::json!({"type": "scan", "by": "wang", "at_ms": at, "method": "nfc",
        "tag": "uid:04AABBCCDDEE40", "payload": tag,
        "verdict": {"checkpoint": checkpoint, "counts": true, "flags": []}});
    let void = serde_json::json!({"type": "void", "by": "wang", "at_ms": at, "reason": "x"});
    let as_li = serde_json::json!({"type": "scan", "by": "li", "at_ms": at, "method": "nfc",
        "tag": "uid:04AABBCCDDEE40", "payload": tag,
        "verdict": {"checkpoint": checkpoint, "counts": true, "flags": []}});
    for (author, event, rule) in [
        ("wang", scan, "one_writer"),
        ("wang", void, "permission"),
        ("li", as_li, "author_mismatch"),
    ] {
        let reasons = forge(author, event);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].contains(rule), "{rule}: {reasons:?}");
        assert_eq!(stored(), before, "li's run changed on the server");
    }
    sync_now(&admin);
    assert_eq!(admin.patrol_run(&run).unwrap().events.len(), 1);
}
