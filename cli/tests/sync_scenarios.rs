//! Sync scenarios against a real server on loopback (in-process, SQLite): a photo upload cut
//! off after its record was acknowledged is finished by the next sync; a server restored from
//! an old backup is repaired by reconcile without wiping the device; a revoked token stops
//! sync with a typed error (`TokenRevoked`) while the device keeps working offline, and a lost
//! device can be wiped; a new device pulls a
//! project in pages, each next page requested while the previous one is applied.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{Error, RecordKind, Role, Store};
use offgrid_server::{App, Config, RunningServer, accounts};
use offgrid_testkit::photos::{self, Sample};
use serde_json::json;

const PW: &str = "correct horse";

fn server(data: &Path, fresh: bool) -> RunningServer {
    let app = App::open(Config::new(data)).unwrap();
    if fresh {
        let b = app.backend.as_ref();
        accounts::add_project(b, "p1", "p1").unwrap();
        for u in ["zhang", "li"] {
            accounts::add_user(b, u, u, PW).unwrap();
            accounts::set_member(b, "p1", u, Some(Role::Inspector)).unwrap();
        }
    }
    RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap()
}

fn device(dir: &Path, name: &str, user: &str, url: &str) -> Store {
    let s = Store::open(dir.join(format!("{name}.db"))).unwrap();
    sync::login(&s, url, user, PW, name).unwrap();
    s
}

fn sync_now(s: &Store) -> offgrid_core::Result<sync::SyncReport> {
    sync::sync(
        s,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
}

fn hazard(s: &Store, title: &str) -> offgrid_core::RecordId {
    s.create(
        RecordKind::Hazard,
        &json!({"project": "p1", "title": title, "status": "raised"}),
    )
    .unwrap()
}

#[test]
fn a_cut_off_photo_upload_is_finished_by_the_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"), true);
    let a = device(dir.path(), "a", "zhang", &srv.url());
    let id = a
        .raise_hazard(&offgrid_core::hazard::NewHazard {
            project: "p1".into(),
            site: "B1".into(),
            location: "东墙".into(),
            title: "渗水".into(),
            description: "施工缝渗水".into(),
            grade: None,
            major: false,
            photos: vec![],
        })
        .unwrap();
    let photo = photos::jpeg(&Sample::default());
    let meta = a
        .add_photo(
            &PhotoTarget::Hazard {
                id: id.clone(),
                rectification: false,
            },
            &photo,
            &CaptureContext::default(),
        )
        .unwrap();

    // Cancelled right after the push/pull round: the record is acknowledged, the photo not sent.
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let r = sync::sync(
        &a,
        &SyncOptions::default(),
        &mut |_| c.store(true, Ordering::Relaxed),
        cancel,
    );
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert_eq!(a.dirty_count().unwrap(), 0, "the record was acknowledged");
    let status = a.sync_status().unwrap();
    assert_eq!(status.pending_photos, 1);
    assert!(status.last_error.unwrap().contains("cancelled"));

    let r = sync_now(&a).unwrap();
    assert_eq!(r.progress.photos_up, 1);
    assert!(r.complete, "{r:?}");
    assert!(srv.app.blobs.len(&meta.sha256).unwrap().is_some());

    // Another device gets the photo, byte for byte.
    let b = device(dir.path(), "b", "li", &srv.url());
    let r = sync_now(&b).unwrap();
    assert_eq!(r.progress.photos_down, 1);
    let got = std::fs::read(
        b.photo_path(&meta.sha256, offgrid_core::store::PhotoFile::Original)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(got, photo);
}

#[test]
fn reconcile_repairs_a_server_restored_from_an_old_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let srv = server(&data, true);
    let url = srv.url();
    let a = device(dir.path(), "a", "zhang", &url);
    let early = hazard(&a, "早");
    assert!(sync_now(&a).unwrap().complete);

    // The backup is taken here (server stopped for a consistent copy).
    let addr = srv.addr;
    srv.stop();
    let backup = dir.path().join("backup");
    copy_dir(&data, &backup);
    let srv = RunningServer::start(App::open(Config::new(&data)).unwrap(), addr, 2).unwrap();
    let late = hazard(&a, "晚");
    a.update(&early, "edit", |e| Ok(e.set("/title", "早（改）")?))
        .unwrap();
    assert!(sync_now(&a).unwrap().complete);

    // Disaster: the server comes back from the backup, without `late` and the edit.
    srv.stop();
    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&backup, &data);
    let srv = RunningServer::start(App::open(Config::new(&data)).unwrap(), addr, 2).unwrap();
    assert!(srv.app.backend.name() == "sqlite");

    let r = sync::reconcile(&a, Arc::new(AtomicBool::new(false))).unwrap();
    assert!(
        r.server_lacks.contains(&early.0) && r.server_lacks.contains(&late.0),
        "{r:?}"
    );
    let report = sync_now(&a).unwrap();
    assert!(report.complete, "{report:?}");

    // A new device bootstraps everything from the repaired server.
    let b = device(dir.path(), "b", "li", &url);
    assert!(sync_now(&b).unwrap().complete);
    for id in [&early, &late] {
        assert_eq!(b.get(id).unwrap(), a.get(id).unwrap());
    }
    assert_eq!(b.get(&early).unwrap()["title"], "早（改）");
    drop(srv);
}

#[test]
fn a_revoked_token_stops_sync_but_not_work() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"), true);
    let a = device(dir.path(), "a", "zhang", &srv.url());
    assert!(sync_now(&a).unwrap().complete);
    accounts::revoke(srv.app.backend.as_ref(), "zhang", None).unwrap();
    let id = hazard(&a, "离线 / offline");
    let r = sync_now(&a);
    assert!(matches!(r, Err(Error::TokenRevoked)), "{r:?}");
    let status = a.sync_status().unwrap();
    assert_eq!(status.pending_records, 1, "nothing more was sent");
    assert!(status.last_error.unwrap().contains("revoked"));
    // Logging in again resumes where it stopped.
    sync::login(&a, &srv.url(), "zhang", PW, "a").unwrap();
    assert!(sync_now(&a).unwrap().complete);
    assert_eq!(a.get(&id).unwrap()["title"], "离线 / offline");
}

#[test]
fn a_lost_device_revoked_by_the_office_sends_nothing_more_and_can_be_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"), true);
    let lost = device(dir.path(), "lost", "li", &srv.url());
    let kept = hazard(&lost, "已同步 / synced");
    assert!(sync_now(&lost).unwrap().complete);
    // Reported lost: the office revokes the device's token (`offgrid admin revoke`).
    let token = accounts::tokens(srv.app.backend.as_ref(), "li").unwrap()[0]
        .id
        .clone();
    accounts::revoke(srv.app.backend.as_ref(), "li", Some(&token)).unwrap();
    let after = hazard(&lost, "丢失后 / after the loss");
    let r = sync_now(&lost);
    assert!(matches!(r, Err(Error::TokenRevoked)), "{r:?}");
    let b = srv.app.backend.as_ref();
    let on_server = |id: &offgrid_core::RecordId| {
        offgrid_server::backend::transact(b, |tx| tx.record(id.as_str())).unwrap()
    };
    assert!(on_server(&kept).is_some());
    assert!(
        on_server(&after).is_none(),
        "nothing pushed after the revocation"
    );

    // The app closes the store and wipes it: nothing of it is left on the device.
    let db = dir.path().join("lost.db");
    drop(lost);
    let removed = offgrid_core::store::wipe(&db).unwrap();
    assert!(removed >= 1);
    for leftover in ["lost.db", "lost.db-wal", "lost.db-shm", "lost.db.blobs"] {
        assert!(!dir.path().join(leftover).exists(), "{leftover} is left");
    }
    // What reached the server before is still there for colleagues.
    let colleague = device(dir.path(), "colleague", "zhang", &srv.url());
    assert!(sync_now(&colleague).unwrap().complete);
    assert_eq!(colleague.get(&kept).unwrap()["title"], "已同步 / synced");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_record_without_a_project_is_reported_not_silently_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"), true);
    let a = device(dir.path(), "a", "zhang", &srv.url());
    // Written with a role on every project (the account's are on p1 only), as zhang.
    a.set_user(
        offgrid_core::User::new("zhang", "张工").with_role("*", offgrid_core::Role::Inspector),
    );
    let orphan = a
        .create(RecordKind::Patrol, &json!({"title": "巡查"}))
        .unwrap();
    let r = sync_now(&a).unwrap();
    assert!(!r.complete);
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert_eq!(
        (r.rejected[0].id.as_str(), r.rejected[0].code.as_str()),
        (orphan.as_str(), "no_project")
    );
    assert_eq!(r.pending_records, 1);
}

#[test]
fn a_new_device_pulls_every_page_and_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"), true);
    let a = device(dir.path(), "a", "zhang", &srv.url());
    let ids = a
        .write(|w| {
            (0..300)
                .map(|i| {
                    w.create(
                        RecordKind::Hazard,
                        &json!({"project": "p1", "title": format!("隐患 {i}"), "status": "raised"}),
                    )
                })
                .collect::<offgrid_core::Result<Vec<_>>>()
        })
        .unwrap();
    assert!(sync_now(&a).unwrap().complete);

    let b = device(dir.path(), "b", "li", &srv.url());
    let small_pages = SyncOptions {
        max_pull_bytes: 16 << 10,
        ..SyncOptions::default()
    };
    let report = sync::sync(
        &b,
        &small_pages,
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    assert!(report.complete);
    assert!(
        report.progress.round_trips >= 4,
        "pulled in pages: {report:?}"
    );
    assert_eq!(report.progress.records_down, 300);
    let mut held = b.all_record_ids().unwrap();
    held.sort();
    let mut want = ids.clone();
    want.sort();
    assert!(want.iter().all(|id| held.contains(id)));
    assert_eq!(
        b.list(&offgrid_core::ListQuery {
            text: Some("隐患 299".into()),
            ..Default::default()
        })
        .unwrap()
        .len(),
        1
    );
    // The cursors of the last page were kept: nothing comes twice.
    let again = sync_now(&b).unwrap();
    assert_eq!(again.progress.records_down, 0);
    assert_eq!(again.progress.round_trips, 1);
}

/// The sync service the shells run: its states (needs login, syncing, idle, offline with a
/// growing backoff, back to idle, needs login once the token is revoked), what observers hear,
/// and whether a periodic run is due.
#[test]
fn the_sync_service_reports_its_state_and_backs_off_while_offline() {
    use offgrid_core::sync::RetryPolicy;
    use offgrid_core::sync::service::{SyncService, SyncState, backoff_ms};
    use std::sync::Mutex;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let srv = server(&data, true);
    let service = SyncService::new(SyncOptions {
        retry: RetryPolicy {
            attempts: 1,
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            timeout: Duration::from_secs(5),
        },
        ..SyncOptions::default()
    });
    let heard: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let h = heard.clone();
    let observer = service.observe(move |s| {
        h.lock().unwrap().push(match s {
            SyncState::Idle { .. } => "idle",
            SyncState::Syncing { .. } => "syncing",
            SyncState::Offline { .. } => "offline",
            SyncState::NeedsLogin { .. } => "needs_login",
            SyncState::Error { .. } => "error",
        })
    });

    let signed_out = Store::open(dir.path().join("out.db")).unwrap();
    assert!(matches!(
        service.sync(&signed_out),
        SyncState::NeedsLogin { .. }
    ));

    let a = device(dir.path(), "a", "zhang", &srv.url());
    a.create(
        RecordKind::Hazard,
        &json!({"project": "p1", "title": "渗水"}),
    )
    .unwrap();
    let state = service.sync(&a);
    assert!(
        matches!(
            state,
            SyncState::Idle {
                complete: true,
                last_success_ms: Some(_),
                ..
            }
        ),
        "{state:?}"
    );
    let told = heard.lock().unwrap().clone();
    assert_eq!(told[..2], ["syncing", "needs_login"], "{told:?}");
    assert_eq!(told.last(), Some(&"idle"), "{told:?}");
    assert!(service.due(a.now().unix_ms));

    // The server goes away: offline, trying again after 30 s, then after a minute.
    let addr = srv.addr;
    srv.stop();
    let now = a.now().unix_ms;
    let SyncState::Offline {
        failures: 1,
        retry_at_ms,
        ..
    } = service.sync(&a)
    else {
        panic!("{:?}", service.state());
    };
    assert!(retry_at_ms >= now + backoff_ms(1) && retry_at_ms < now + backoff_ms(2));
    assert!(!service.due(now), "a periodic run waits out the backoff");
    assert!(service.due(retry_at_ms));
    assert!(matches!(
        service.sync(&a),
        SyncState::Offline { failures: 2, .. }
    ));

    // Back: idle again, the failures forgotten.
    let srv = RunningServer::start(App::open(Config::new(&data)).unwrap(), addr, 2).unwrap();
    assert!(matches!(
        service.sync(&a),
        SyncState::Idle { complete: true, .. }
    ));
    // The phone is reported lost: its token is revoked.
    accounts::revoke(srv.app.backend.as_ref(), "zhang", None).unwrap();
    assert!(matches!(service.sync(&a), SyncState::NeedsLogin { .. }));
    service.unobserve(observer);
    let before = heard.lock().unwrap().len();
    service.sync(&a);
    assert_eq!(
        heard.lock().unwrap().len(),
        before,
        "an observer removed hears nothing"
    );
}

#[test]
fn a_device_takes_the_organisations_time_zone_from_its_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    drop(server(&data, true));
    let mut config = Config::new(&data);
    config.zone = "Asia/Urumqi".parse().unwrap();
    let srv = RunningServer::start(
        App::open(config).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        2,
    )
    .unwrap();
    let a = device(dir.path(), "a", "zhang", &srv.url());
    // Until it syncs, the default: Beijing time.
    assert_eq!(a.zone().name(), "Asia/Shanghai");
    sync_now(&a).unwrap();
    assert_eq!(a.zone().name(), "Asia/Urumqi");
    // A deadline given as a date ends that day there (+06:00): 18:00 UTC.
    let end = a.zone().deadline("2025-03-18").unwrap();
    assert_eq!(end % 86_400_000, 18 * 3_600_000 - 1);
    // It is kept: the device knows it offline, after a restart.
    drop(a);
    let again = Store::open(dir.path().join("a.db")).unwrap();
    assert_eq!(again.zone().name(), "Asia/Urumqi");
}
