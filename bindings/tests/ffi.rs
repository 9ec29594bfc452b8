//! The FFI layer from Rust: error mapping, closing, JSON parameters, the notification thread and
//! the logger. The same behaviour is tested from Kotlin and Python in `tests/bindings/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use offgrid_core::{ProjectRole, RecordKind, Role, User};
use offgrid_ffi::{
    ChangeListener, LogLevel, LogRecord, Logger, OffgridError, OffgridStore, set_logger,
};

fn admin() -> User {
    User {
        id: "u-admin".into(),
        name: "管理员".into(),
        roles: vec![ProjectRole {
            project: "*".into(),
            role: Role::Admin,
        }],
    }
}

fn open() -> (tempfile::TempDir, Arc<OffgridStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = OffgridStore::new(dir.path().join("t.db").to_string_lossy().into(), 480).unwrap();
    (dir, store)
}

#[test]
fn errors_are_typed_with_a_reason() {
    let (_dir, store) = open();
    match store.create_record(RecordKind::Project, "{}".into()) {
        Err(OffgridError::NoCurrentUser { reason }) => assert!(reason.contains("user")),
        other => panic!("expected NoCurrentUser, got {other:?}"),
    }
    store.set_user(admin()).unwrap();
    match store.create_record(RecordKind::Project, "{broken".into()) {
        Err(OffgridError::InvalidArgument { reason }) => assert!(reason.contains("not valid JSON")),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    match store.get_record("nope".into()) {
        Err(OffgridError::NotFound { id, reason }) => {
            assert_eq!(id, "nope");
            assert!(reason.contains("not found"));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn calls_after_close_database_fail_cleanly_and_data_stays() {
    let (dir, store) = open();
    store.set_user(admin()).unwrap();
    let id = store
        .create_record(RecordKind::Project, r#"{"title": "人防"}"#.into())
        .unwrap();
    store.close_database();
    store.close_database();
    assert!(store.is_closed());
    assert!(matches!(
        store.get_record(id.clone()),
        Err(OffgridError::Closed { .. })
    ));
    let again = OffgridStore::new(dir.path().join("t.db").to_string_lossy().into(), 0).unwrap();
    assert_eq!(
        again.get_path(id, "/title".into()).unwrap(),
        Some(serde_json::json!("人防"))
    );
}

struct Channel(Mutex<mpsc::Sender<(Vec<String>, String)>>);

impl ChangeListener for Channel {
    fn on_change(&self, event: offgrid_core::store::ChangeEvent) {
        let thread = std::thread::current().name().unwrap_or("").to_owned();
        assert_eq!(event.topics, vec![RecordKind::Project]);
        let ids = event.records.into_iter().map(|r| r.0).collect();
        self.0.lock().unwrap().send((ids, thread)).unwrap();
    }
}

#[test]
fn listeners_run_on_their_own_thread_until_cancelled() {
    let (_dir, store) = open();
    store.set_user(admin()).unwrap();
    let (tx, rx) = mpsc::channel();
    let sub = store.subscribe(Arc::new(Channel(Mutex::new(tx)))).unwrap();
    let id = store
        .create_record(RecordKind::Project, "{}".into())
        .unwrap();
    let (ids, thread) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(ids, vec![id.0]);
    assert_eq!(thread, "offgrid-notify");
    sub.cancel();
    store
        .create_record(RecordKind::Project, "{}".into())
        .unwrap();
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}

struct Collect(Mutex<Vec<LogRecord>>);

impl Logger for Collect {
    fn log(&self, record: LogRecord) {
        self.0.lock().unwrap().push(record);
    }
}

#[test]
fn the_logger_receives_events_at_or_above_its_level() {
    let logger = Arc::new(Collect(Mutex::new(Vec::new())));
    set_logger(Some(logger.clone()), LogLevel::Debug);
    let (_dir, store) = open();
    let _ = store.get_record("missing".into());
    set_logger(None, LogLevel::Error);
    let records = logger.0.lock().unwrap().clone();
    let opened = records
        .iter()
        .find(|r| r.message.contains("store opened"))
        .expect("the store logs its opening");
    assert_eq!(opened.level, LogLevel::Debug);
    assert!(opened.target.starts_with("offgrid_core"));
    // A failed call is logged with its reason (ids only, no user text).
    assert!(
        records
            .iter()
            .any(|r| r.target == "offgrid_ffi" && r.message.contains("record missing not found")),
        "{records:?}"
    );
}
