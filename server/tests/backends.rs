//! The backend conformance suite: written once against `&dyn Backend` through the public API
//! (accounts, sync, `transact`), each case a test of its own on each backend: SQLite (a
//! temporary folder) and PostgreSQL (a database of its own per case, made on the server
//! `OFFGRID_TEST_POSTGRES` names, e.g. the line `tests/postgres.sh` prints). The PostgreSQL
//! tests are skipped when it is unset, and fail instead when `OFFGRID_REQUIRE_POSTGRES` is set
//! (`tests/run` sets both).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use offgrid_common::access::{ProjectRole, Role};
use offgrid_common::model::RecordId;
use offgrid_core::documents::{DocumentKind, DocumentStatus, ShownRecord};
use offgrid_protocol::{Bytes, IssuedDocument, NeedBlob, PushRecord, SyncRequest, SyncResponse};
use offgrid_server::accounts::{self, Caller};
use offgrid_server::backend::postgres::{self as pg, PostgresBackend};
use offgrid_server::backend::sqlite::SqliteBackend;
use offgrid_server::backend::{Backend, transact};
use offgrid_server::sync::sync;
use offgrid_server::{App, Config, Error, RunningServer};

const PASSWORD: &str = "correct horse battery";
const SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

/// A fresh SQLite backend in its own folder (kept while the backend is used).
fn sqlite() -> (tempfile::TempDir, SqliteBackend) {
    let dir = tempfile::tempdir().unwrap();
    let b = SqliteBackend::open(&dir.path().join("server.db")).unwrap();
    assert_eq!(b.name(), "sqlite");
    (dir, b)
}

/// A connection string for an empty PostgreSQL database of its own for test `case`, made on
/// the server `OFFGRID_TEST_POSTGRES` names. `None` when it is unset, unless
/// `OFFGRID_REQUIRE_POSTGRES` is set (as `tests/run` does): then a missing server fails the
/// test instead of skipping it.
fn postgres_url(case: &str) -> Option<String> {
    let Ok(url) = std::env::var("OFFGRID_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("OFFGRID_REQUIRE_POSTGRES").is_none(),
            "OFFGRID_REQUIRE_POSTGRES is set but OFFGRID_TEST_POSTGRES is not"
        );
        println!("skipped: OFFGRID_TEST_POSTGRES not set");
        return None;
    };
    let db = format!("offgrid_t_{case}");
    let mut admin = url
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    // One at a time: PostgreSQL copies a template for each, which must be otherwise unused.
    static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    {
        let _one = CREATING.lock().unwrap_or_else(|e| e.into_inner());
        // Each its own statement: neither runs inside a transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .unwrap();
    }
    Some(match url.split_once("://") {
        // A URI: the database is its path.
        Some((scheme, rest)) => {
            let (authority, query) = match rest.split_once('?') {
                Some((a, q)) => (a, format!("?{q}")),
                None => (rest, String::new()),
            };
            let host = authority.split('/').next().unwrap_or(authority);
            format!("{scheme}://{host}/{db}{query}")
        }
        // Key-value pairs: a later key overrides an earlier one.
        None => format!("{url} dbname={db}"),
    })
}

fn postgres(case: &str) -> Option<PostgresBackend> {
    let b = PostgresBackend::connect(&postgres_url(case)?).unwrap();
    assert_eq!(b.name(), "postgres");
    Some(b)
}

/// One `#[test]` per case per backend, each on a backend of its own: the first failure does
/// not hide the rest. `$case` takes the backend and, if `users` is given, the accounts and
/// projects [`accounts_and_projects`] makes.
macro_rules! conformance {
    ($($case:ident $(($users:ident))?),* $(,)?) => {
        mod on_sqlite {
            use super::*;
            $(#[test]
            fn $case() {
                let (_dir, b) = sqlite();
                conformance!(@run $case b $($users)?);
            })*
        }
        mod on_postgres {
            use super::*;
            $(#[test]
            fn $case() {
                let Some(b) = postgres(stringify!($case)) else { return };
                conformance!(@run $case b $($users)?);
            })*
        }
    };
    (@run $case:ident $b:ident users) => {{
        let u = super::accounts_and_projects(&$b);
        super::$case(&$b, &u);
    }};
    (@run $case:ident $b:ident) => {
        super::$case(&$b)
    };
}

conformance! {
    transactions,
    accounts_and_projects,
    push_and_pull(users),
    blobs(users),
    concurrent_pushes(users),
    watermarks(users),
    documents(users),
    tag_keys,
    digests_and_fetch(users),
}

#[test]
fn sqlite_reopened_keeps_everything() {
    let (dir, b) = sqlite();
    accounts_and_projects(&b);
    drop(b);
    let b = SqliteBackend::open(&dir.path().join("server.db")).unwrap();
    assert!(transact(&b, |tx| tx.project_exists("p1")).unwrap());
}

#[test]
fn postgres_schema_is_made_once_by_processes_starting_together() {
    let Some(url) = postgres_url("starting_together") else {
        return;
    };
    // Several processes starting at once on an empty database: one creates the schema.
    let backends: Vec<PostgresBackend> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| PostgresBackend::connect(&url)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    drop(backends);
    let b = PostgresBackend::connect(&url).unwrap();
    accounts_and_projects(&b);
    // Connecting to an existing database keeps everything.
    let again = PostgresBackend::connect(&url).unwrap();
    assert!(transact(&again, |tx| tx.project_exists("p1")).unwrap());
}

#[test]
fn postgres_connections_dropped_by_the_server_are_replaced() {
    let Some(url) = postgres_url("dropped_connections") else {
        return;
    };
    let b = PostgresBackend::connect(&url).unwrap();
    accounts_and_projects(&b);
    // The server drops the pooled connections (a restart, a failover): they are replaced, even
    // when there are more of them than attempts at a transaction.
    let all_busy = std::sync::Barrier::new(pg::POOL_SIZE);
    std::thread::scope(|s| {
        for _ in 0..pg::POOL_SIZE {
            s.spawn(|| {
                transact(&b, |tx| {
                    all_busy.wait();
                    tx.project_exists("p1")
                })
                .unwrap()
            });
        }
    });
    const { assert!(pg::POOL_SIZE > pg::MAX_ATTEMPTS) };
    let mut admin = url
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    let pids: Vec<i32> = admin
        .query(
            "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'offgrid-server'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(1))
        .collect();
    assert!(!pids.is_empty());
    for _ in 0..100 {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)",
                &[&pids],
            )
            .unwrap()
            .get(0);
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for _ in 0..pg::POOL_SIZE + 1 {
        assert!(transact(&b, |tx| tx.project_exists("p1")).unwrap());
    }
}

#[test]
fn postgres_server_answers_sync_over_http() {
    let Some(url) = postgres_url("over_http") else {
        return;
    };
    accounts_and_projects(&PostgresBackend::connect(&url).unwrap());
    // The server on PostgreSQL: storage work runs on the runtime's blocking threads.
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    // Bare automerge documents: storage conformance, not the write gate (tests/gate.rs).
    config.gate = false;
    config.postgres = Some(url.clone());
    let app = App::open(config).unwrap();
    assert_eq!(app.backend.name(), "postgres");
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let http = reqwest::blocking::Client::new();
    let r = http
        .get(format!("{}/healthz", server.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let login: serde_json::Value = http
        .post(format!("{}/v1/login", server.url()))
        .json(&serde_json::json!({"user": "alice", "password": PASSWORD, "device": "http"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let h = history(1);
    let req = request(
        "dev-http",
        &BTreeMap::new(),
        vec![record("p1", "r-http", &[&h[0]])],
    );
    let r = http
        .post(format!("{}/v1/sync", server.url()))
        .bearer_auth(token)
        .json(&req)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let resp: SyncResponse = r.json().unwrap();
    assert_eq!(resp.acked.len(), 1);
    assert_eq!(resp.acked[0].heads, vec![h[0].1.clone()]);
    assert!(
        transact(server.app.backend.as_ref(), |tx| tx.lock_record("r-http"))
            .unwrap()
            .is_some()
    );
    server.stop();
}

/// A pull that catches a scope up carries its digest; reconcile with a scope names what a device
/// lacks; `fetch` sends records whole, only those the caller reads (issue 28).
fn digests_and_fetch(b: &dyn Backend, u: &Users) {
    use offgrid_protocol::{ReconcileRequest, RecordHeads};
    use offgrid_server::sync::reconcile;
    // Three records of p3, one change each, pushed by bob.
    transact(b, |tx| {
        tx.insert_project("p3", "p3", 0)?;
        tx.set_member("p3", &u.bob.user_id, Some(Role::Inspector))
    })
    .unwrap();
    let bob = accounts::Caller {
        roles: vec![
            ProjectRole {
                project: "p2".into(),
                role: Role::Inspector,
            },
            ProjectRole {
                project: "p3".into(),
                role: Role::Inspector,
            },
        ],
        ..u.bob.clone()
    };
    let ids = ["d1", "d2", "d3"];
    let mut heads = BTreeMap::new();
    for id in ids {
        let h = history(1);
        heads.insert(id.to_owned(), vec![h[0].1.clone()]);
        let resp = push(b, &bob, "dev-b", vec![record("p3", id, &[&h[0]])]);
        assert_eq!(resp.acked.len(), 1, "{resp:?}");
    }
    // A new device pulls everything; the last page carries p3's digest.
    let mut cursors = BTreeMap::new();
    let mut digest = None;
    let mut pulled = BTreeSet::new();
    for _ in 0..20 {
        let (resp, _) = sync(b, None, &bob, request("dev-new", &cursors, Vec::new())).unwrap();
        pulled.extend(
            resp.pull
                .iter()
                .filter(|p| p.project == "p3")
                .map(|p| p.id.clone()),
        );
        cursors.extend(resp.cursors.clone());
        if let Some(d) = resp.digests.get("p3") {
            digest = Some(d.clone());
        }
        if !resp.more {
            break;
        }
    }
    let digest = digest.expect("a digest once caught up");
    assert_eq!(digest.count, 3);
    assert_eq!(pulled.len(), 3);
    let mut expect = offgrid_protocol::DigestBuilder::default();
    for (id, h) in &heads {
        expect.add(id, h.iter().map(String::as_str));
    }
    assert_eq!(digest, expect.finish());

    // What a device lacks: everything, then nothing, then the record it holds at other heads.
    let ask = |records: Vec<RecordHeads>, scope: &str, who: &Caller| {
        reconcile(
            b,
            who,
            ReconcileRequest {
                records,
                scope: Some(scope.into()),
            },
        )
        .unwrap()
        .device_lacks
    };
    assert_eq!(ask(Vec::new(), "p3", &bob), ids);
    let held = |skip: &str| {
        heads
            .iter()
            .map(|(id, h)| RecordHeads {
                id: id.clone(),
                heads: if id == skip {
                    vec![SHA.into()]
                } else {
                    h.clone()
                },
            })
            .collect::<Vec<_>>()
    };
    assert!(ask(held(""), "p3", &bob).is_empty());
    assert_eq!(ask(held("d2"), "p3", &bob), ["d2"]);
    // Someone who does not read p3 learns nothing of it.
    assert!(ask(Vec::new(), "p3", &u.vera).is_empty());

    // Fetched whole, at the end of the feed; another project's record is left out.
    let mut req = request("dev-new", &cursors, Vec::new());
    req.fetch = vec!["d2".into(), "r1".into(), "nope".into()];
    let (resp, _) = sync(b, None, &bob, req).unwrap();
    let got: Vec<&str> = resp.pull.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(got, ["d2"]);
    assert_eq!(resp.digests.get("p3"), Some(&digest));
}

fn issued(sha: &str, record: &str, heads: &[&str]) -> IssuedDocument {
    IssuedDocument {
        sha256: sha.into(),
        kind: "rectification_notice".into(),
        number: "人防质监〔2026〕整改第0A1B2C号".into(),
        issued_ms: 1_790_000_000_000,
        records: vec![ShownRecord {
            id: RecordId(record.into()),
            heads: heads.iter().map(|h| h.to_string()).collect(),
        }],
    }
}

fn report(b: &dyn Backend, caller: &Caller, docs: Vec<IssuedDocument>) -> SyncResponse {
    let req = SyncRequest {
        device: "dev-docs".into(),
        documents: docs,
        ..Default::default()
    };
    sync(b, None, caller, req).unwrap().0
}

fn refusals(resp: &SyncResponse) -> Vec<(&str, &str)> {
    resp.document_refusals
        .iter()
        .map(|r| (r.id.as_str(), r.code.as_str()))
        .collect()
}

/// Reported documents: taken once the server holds every head shown and the reporter may read
/// every record; verified valid, then superseded when a record moves on; unknown otherwise.
fn documents(b: &dyn Backend, u: &Users) {
    let sha_a = "a".repeat(64);
    let sha_b = "b".repeat(64);
    let h = history(3);
    let verify = |sha: &str| offgrid_server::documents::verify(b, sha).unwrap();
    push(b, &u.alice, "dev-a", vec![record("p1", "doc1", &[&h[0]])]);

    // Shows a change the server does not hold yet: neither taken nor refused.
    let resp = report(b, &u.alice, vec![issued(&sha_a, "doc1", &[&h[1].1])]);
    assert!(resp.documents_taken.is_empty() && resp.document_refusals.is_empty());
    assert_eq!(verify(&sha_a).status, DocumentStatus::Unknown);

    // Pushed in the same request as the report: taken.
    let req = SyncRequest {
        device: "dev-a".into(),
        push: vec![record("p1", "doc1", &[&h[1]])],
        documents: vec![issued(&sha_a, "doc1", &[&h[1].1])],
        ..Default::default()
    };
    let resp = sync(b, None, &u.alice, req).unwrap().0;
    assert_eq!(resp.documents_taken, vec![sha_a.clone()]);
    let v = verify(&sha_a);
    assert_eq!(v.status, DocumentStatus::Valid);
    assert_eq!(v.kind, Some(DocumentKind::RectificationNotice));
    assert_eq!(v.number.as_deref(), Some("人防质监〔2026〕整改第0A1B2C号"));
    assert_eq!(v.issued_ms, Some(1_790_000_000_000));
    assert!(v.changed.is_empty());

    // Reported again (a lost response): taken again. The same hash showing other heads: refused.
    let resp = report(b, &u.alice, vec![issued(&sha_a, "doc1", &[&h[1].1])]);
    assert_eq!(resp.documents_taken, vec![sha_a.clone()]);
    let resp = report(b, &u.alice, vec![issued(&sha_a, "doc1", &[&h[0].1])]);
    assert_eq!(refusals(&resp), vec![(sha_a.as_str(), "document_conflict")]);

    // A reporter who may not read the record; malformed reports.
    let resp = report(b, &u.bob, vec![issued(&sha_b, "doc1", &[&h[1].1])]);
    assert_eq!(refusals(&resp), vec![(sha_b.as_str(), "forbidden")]);
    let mut bad_kind = issued(&sha_b, "doc1", &[&h[1].1]);
    bad_kind.kind = "poster".into();
    let resp = report(
        b,
        &u.alice,
        vec![
            issued("ABC", "doc1", &[&h[1].1]),
            bad_kind,
            issued(&sha_b, "doc1", &[]),
        ],
    );
    assert_eq!(
        refusals(&resp),
        vec![
            ("ABC", "bad_document"),
            (sha_b.as_str(), "bad_document"),
            (sha_b.as_str(), "bad_document")
        ]
    );
    assert_eq!(verify(&sha_b).status, DocumentStatus::Unknown);

    // The record moves on: the document is superseded, naming it.
    push(b, &u.alice, "dev-a", vec![record("p1", "doc1", &[&h[2]])]);
    let v = verify(&sha_a);
    assert_eq!(v.status, DocumentStatus::Superseded);
    assert_eq!(v.changed, vec![RecordId("doc1".into())]);

    assert!(matches!(
        offgrid_server::documents::verify(b, "not-a-hash"),
        Err(Error::BadRequest(_))
    ));
}

/// NTAG 424 tag keys (never listed), counters claimed once per tag, findings per change.
fn tag_keys(b: &dyn Backend) {
    use offgrid_server::sun;
    let uid = "04DE5F1EACC040";
    assert!(matches!(
        sun::set_key(b, "04DE5F", &"00".repeat(16)),
        Err(Error::BadRequest(_))
    ));
    assert!(matches!(
        sun::set_key(b, uid, "00"),
        Err(Error::BadRequest(_))
    ));
    sun::set_key(b, &uid.to_lowercase(), &"00".repeat(16)).unwrap();
    sun::set_key(b, uid, &"11".repeat(16)).unwrap();
    let keys = sun::keys(b).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].uid.as_str(), keys[0].counters_seen), (uid, 0));
    assert_eq!(
        transact(b, |tx| tx.tag_key(uid)).unwrap(),
        Some(vec![0x11; 16])
    );
    // A counter value is the first change's; the same change may claim it again (a retried
    // push), another may not.
    let claim = |counter, record: &str, hash: &str| {
        transact(b, |tx| tx.claim_tag_counter(uid, counter, record, hash)).unwrap()
    };
    assert!(claim(0x3D, "run-1", "h1"));
    assert!(claim(0x3D, "run-1", "h1"));
    assert!(!claim(0x3D, "run-2", "h2"));
    assert!(!claim(0x3D, "run-1", "h3"));
    assert!(claim(0x3C, "run-2", "h2"));
    assert_eq!(sun::keys(b).unwrap()[0].counters_seen, 2);
    transact(b, |tx| {
        tx.set_change_check("run-1", "h1", "sun_valid")?;
        tx.set_change_check("run-2", "h2", "sun_valid")?;
        tx.set_change_check("run-2", "h2", "sun_replayed")
    })
    .unwrap();
    let mut found = transact(b, |tx| tx.change_checks("run-2")).unwrap();
    found.sort();
    assert_eq!(found, vec![("h2".to_owned(), "sun_replayed".to_owned())]);
    sun::remove_key(b, uid).unwrap();
    assert!(matches!(sun::remove_key(b, uid), Err(Error::NotFound(_))));
    assert!(sun::keys(b).unwrap().is_empty());
    assert_eq!(transact(b, |tx| tx.tag_key(uid)).unwrap(), None);
}

struct Users {
    /// Inspector on p1.
    alice: Caller,
    /// Viewer on p1.
    vera: Caller,
    /// Inspector on p2.
    bob: Caller,
}

fn transactions(b: &dyn Backend) {
    // An error rolls back.
    let r: Result<(), Error> = transact(b, |tx| {
        assert!(tx.insert_project("px", "Doomed", 1)?);
        assert!(tx.project_exists("px")?);
        Err(Error::Internal("boom".into()))
    });
    assert!(matches!(r, Err(Error::Internal(m)) if m == "boom"));
    assert!(!transact(b, |tx| tx.project_exists("px")).unwrap());
    // A value comes back.
    assert_eq!(transact(b, |tx| tx.feed_head("nope")).unwrap(), 0);
}

fn accounts_and_projects(b: &dyn Backend) -> Users {
    accounts::add_project(b, "p1", "Site one").unwrap();
    accounts::add_project(b, "p2", "Site two").unwrap();
    assert!(matches!(
        accounts::add_project(b, "p1", "Again"),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        accounts::add_project(b, "bad id", "x"),
        Err(Error::BadRequest(_))
    ));
    assert!(transact(b, |tx| tx.project_exists("p2")).unwrap());
    assert!(!transact(b, |tx| tx.insert_project("p2", "Dup", 1)).unwrap());

    for (id, name) in [("alice", "Alice"), ("vera", "Vera"), ("bob", "Bob")] {
        accounts::add_user(b, id, name, PASSWORD).unwrap();
    }
    assert!(matches!(
        accounts::add_user(b, "alice", "A", PASSWORD),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        accounts::add_user(b, "carol", "C", "short"),
        Err(Error::BadRequest(_))
    ));
    let alice_row = transact(b, |tx| tx.user("alice")).unwrap().unwrap();
    assert_eq!(
        (alice_row.name.as_str(), alice_row.disabled),
        ("Alice", false)
    );
    assert!(alice_row.password_hash.starts_with("$argon2id$"));
    assert!(!transact(b, |tx| tx.insert_user(&alice_row, 1)).unwrap());
    assert!(transact(b, |tx| tx.user("nobody")).unwrap().is_none());
    let mut ghost = alice_row.clone();
    ghost.id = "ghost".into();
    assert!(!transact(b, |tx| tx.update_user(&ghost)).unwrap());

    // Members and roles: set, change, remove.
    accounts::set_member(b, "p1", "alice", Some(Role::Inspector)).unwrap();
    accounts::set_member(b, "p1", "vera", Some(Role::Viewer)).unwrap();
    accounts::set_member(b, "p2", "bob", Some(Role::Inspector)).unwrap();
    accounts::set_member(b, "p2", "alice", Some(Role::Viewer)).unwrap();
    accounts::set_member(b, "p2", "alice", Some(Role::Supervisor)).unwrap();
    let roles = |user: &str| transact(b, |tx| tx.roles(user)).unwrap();
    let role = |project: &str, role| ProjectRole {
        project: project.into(),
        role,
    };
    assert_eq!(
        roles("alice"),
        vec![role("p1", Role::Inspector), role("p2", Role::Supervisor)]
    );
    accounts::set_member(b, "p2", "alice", None).unwrap();
    assert_eq!(roles("alice"), vec![role("p1", Role::Inspector)]);
    assert_eq!(roles("nobody"), vec![]);
    assert!(matches!(
        accounts::set_member(b, "nope", "alice", Some(Role::Admin)),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        accounts::set_member(b, "p1", "nobody", Some(Role::Admin)),
        Err(Error::NotFound(_))
    ));

    // Logins and tokens.
    assert!(unauthorized(accounts::login(
        b,
        "alice",
        "wrong password",
        "d"
    )));
    assert!(unauthorized(accounts::login(b, "nobody", PASSWORD, "d")));
    assert!(unauthorized(accounts::authenticate(b, "og_not_a_token")));
    let first = accounts::login(b, "alice", PASSWORD, "phone").unwrap();
    assert_eq!(first.account.id, "alice");
    assert_eq!(first.account.roles, vec![role("p1", Role::Inspector)]);
    let second = accounts::login(b, "alice", PASSWORD, "tablet").unwrap();
    let caller = accounts::authenticate(b, &first.token).unwrap();
    assert_eq!(
        (caller.user_id.as_str(), caller.token_id.as_str()),
        ("alice", first.token_id.as_str())
    );
    assert_eq!(caller.roles, vec![role("p1", Role::Inspector)]);
    let tokens = accounts::tokens(b, "alice").unwrap();
    assert_eq!(tokens.len(), 2);
    let mut ids: Vec<&str> = tokens.iter().map(|t| t.id.as_str()).collect();
    ids.sort();
    let mut expected = vec![first.token_id.as_str(), second.token_id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        tokens
            .iter()
            .all(|t| t.revoked_ms.is_none() && t.user_id == "alice")
    );
    assert!(
        tokens
            .windows(2)
            .all(|w| (w[0].created_ms, &w[0].id) <= (w[1].created_ms, &w[1].id))
    );
    assert_eq!(
        tokens
            .iter()
            .find(|t| t.id == second.token_id)
            .unwrap()
            .device,
        "tablet"
    );

    // Revoke one, then all.
    assert_eq!(
        accounts::revoke(b, "alice", Some(&second.token_id)).unwrap(),
        1
    );
    assert_eq!(
        accounts::revoke(b, "alice", Some(&second.token_id)).unwrap(),
        0
    );
    assert_eq!(
        accounts::revoke(b, "bob", Some(&first.token_id)).unwrap(),
        0
    );
    // A revoked token is told apart (the device may wipe itself), an unknown one is not.
    assert!(matches!(
        accounts::authenticate(b, &second.token),
        Err(Error::TokenRevoked)
    ));
    accounts::authenticate(b, &first.token).unwrap();
    assert_eq!(accounts::revoke(b, "alice", None).unwrap(), 1);
    assert!(matches!(
        accounts::authenticate(b, &first.token),
        Err(Error::TokenRevoked)
    ));
    assert!(
        accounts::tokens(b, "alice")
            .unwrap()
            .iter()
            .all(|t| t.revoked_ms.is_some())
    );

    let alice = accounts::authenticate(
        b,
        &accounts::login(b, "alice", PASSWORD, "phone")
            .unwrap()
            .token,
    )
    .unwrap();
    let vera_login = accounts::login(b, "vera", PASSWORD, "phone").unwrap();
    let vera = accounts::authenticate(b, &vera_login.token).unwrap();
    let bob = accounts::authenticate(
        b,
        &accounts::login(b, "bob", PASSWORD, "phone").unwrap().token,
    )
    .unwrap();
    assert_eq!(bob.roles, vec![role("p2", Role::Inspector)]);

    // A disabled user's tokens stop working; enabled again, they work again.
    let set_disabled = |disabled: bool| {
        transact(b, |tx| {
            let mut u = tx.user("vera")?.unwrap();
            u.disabled = disabled;
            tx.update_user(&u)
        })
        .unwrap()
    };
    assert!(set_disabled(true));
    assert!(unauthorized(accounts::authenticate(b, &vera_login.token)));
    assert!(unauthorized(accounts::login(b, "vera", PASSWORD, "phone")));
    assert!(set_disabled(false));
    accounts::authenticate(b, &vera_login.token).unwrap();

    Users { alice, vera, bob }
}

fn unauthorized<T>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::Unauthorized(_)))
}

/// A record's history: `n` changes, each setting one more key.
fn history(n: usize) -> Vec<(Bytes, String)> {
    let mut doc = AutoCommit::new();
    for i in 0..n {
        doc.put(ROOT, format!("k{i}"), i as i64).unwrap();
        doc.commit();
    }
    let changes = doc.get_changes(&[]);
    assert_eq!(changes.len(), n);
    changes
        .iter()
        .map(|c| (Bytes(c.raw_bytes().to_vec()), c.hash().to_string()))
        .collect()
}

fn record(project: &str, id: &str, changes: &[&(Bytes, String)]) -> PushRecord {
    PushRecord {
        id: id.into(),
        project: project.into(),
        kind: "inspection".into(),
        changes: changes.iter().map(|c| c.0.clone()).collect(),
        heads: Vec::new(),
        photos: Vec::new(),
    }
}

fn request(device: &str, cursors: &BTreeMap<String, String>, push: Vec<PushRecord>) -> SyncRequest {
    SyncRequest {
        device: device.into(),
        cursors: cursors.clone(),
        push,
        max_bytes: None,
        templates: Vec::new(),
        ..Default::default()
    }
}

fn push(b: &dyn Backend, caller: &Caller, device: &str, records: Vec<PushRecord>) -> SyncResponse {
    sync(b, None, caller, request(device, &BTreeMap::new(), records))
        .unwrap()
        .0
}

fn feed_seqs(b: &dyn Backend, project: &str) -> Vec<i64> {
    transact(b, |tx| tx.feed_after(project, 0, 100_000))
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect()
}

/// The feed is numbered 1..=head without gaps.
fn assert_contiguous(b: &dyn Backend, project: &str) -> i64 {
    let head = transact(b, |tx| tx.feed_head(project)).unwrap();
    assert_eq!(feed_seqs(b, project), (1..=head).collect::<Vec<_>>());
    head
}

fn rejected(resp: &SyncResponse) -> Vec<(&str, &str)> {
    resp.rejected
        .iter()
        .map(|r| (r.id.as_str(), r.code.as_str()))
        .collect()
}

fn push_and_pull(b: &dyn Backend, u: &Users) {
    let h = history(3);
    let head = |p: &str| transact(b, |tx| tx.feed_head(p)).unwrap();

    // Out of order: the second change alone waits for the first.
    let resp = push(b, &u.alice, "dev-a", vec![record("p1", "r1", &[&h[1]])]);
    assert!(resp.acked.is_empty() && resp.rejected.is_empty());
    assert_eq!(resp.missing.len(), 1);
    assert_eq!(
        (resp.missing[0].id.as_str(), &resp.missing[0].deps),
        ("r1", &vec![h[0].1.clone()])
    );
    assert_eq!(head("p1"), 0);
    assert_eq!(
        transact(b, |tx| tx.change_state("r1", &h[1].1)).unwrap(),
        Some(false)
    );
    // What the write gate applies before judging: the bytes of what waits.
    assert_eq!(
        transact(b, |tx| tx.pending_change_data("r1")).unwrap(),
        vec![h[1].0.0.clone()]
    );
    assert_eq!(
        transact(b, |tx| tx.change_state("r1", &h[0].1)).unwrap(),
        None
    );
    let r1 = transact(b, |tx| tx.lock_record("r1")).unwrap().unwrap();
    assert_eq!(
        (r1.project.as_str(), r1.kind.as_str(), r1.heads.len()),
        ("p1", "inspection", 0)
    );

    // The first arrives: both apply, in causal order.
    let resp = push(b, &u.alice, "dev-a", vec![record("p1", "r1", &[&h[0]])]);
    assert!(resp.missing.is_empty() && resp.rejected.is_empty());
    assert_eq!(resp.acked.len(), 1);
    assert_eq!(
        (resp.acked[0].id.as_str(), &resp.acked[0].heads),
        ("r1", &vec![h[1].1.clone()])
    );
    assert_eq!(head("p1"), 2);
    let feed = transact(b, |tx| tx.feed_after("p1", 0, 10)).unwrap();
    let entries: Vec<(i64, &str, &str, &[u8])> = feed
        .iter()
        .map(|r| {
            (
                r.seq,
                r.record.as_str(),
                r.device.as_str(),
                r.data.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (1, "r1", "dev-a", &h[0].0.0[..]),
            (2, "r1", "dev-a", &h[1].0.0[..])
        ]
    );
    assert!(
        feed.iter()
            .all(|r| r.kind == "inspection" && r.received_ms > 0)
    );
    assert_eq!(
        transact(b, |tx| tx.change_state("r1", &h[0].1)).unwrap(),
        Some(true)
    );
    assert_eq!(
        transact(b, |tx| tx.lock_record("r1"))
            .unwrap()
            .unwrap()
            .heads,
        vec![h[1].1.clone()]
    );

    // The same changes again: stored once, the feed does not grow.
    let resp = push(
        b,
        &u.alice,
        "dev-b",
        vec![record("p1", "r1", &[&h[0], &h[1]])],
    );
    assert_eq!(resp.acked.len(), 1);
    assert_eq!(resp.acked[0].heads, vec![h[1].1.clone()]);
    assert_eq!(head("p1"), 2);
    let applied = transact(b, |tx| tx.applied_changes("r1")).unwrap();
    assert_eq!(applied.len(), 2);
    // Each with the account that really pushed it.
    assert!(applied.iter().all(|(_, _, by)| by == &u.alice.user_id));
    assert!(
        transact(b, |tx| tx.pending_changes("r1"))
            .unwrap()
            .is_empty()
    );
    assert!(
        transact(b, |tx| tx.pending_change_data("r1"))
            .unwrap()
            .is_empty()
    );

    // Several records in one request (any order); ids compare bytewise ("R" < "a").
    let (h2, h3, big) = (history(1), history(2), history(6));
    let resp = push(
        b,
        &u.alice,
        "dev-a",
        vec![
            record("p1", "a-lower", &[&h3[0], &h3[1]]),
            record("p1", "R-upper", &[&h2[0]]),
            record("p1", "big", &big.iter().collect::<Vec<_>>()),
        ],
    );
    assert_eq!(resp.acked.len(), 3);
    assert_eq!(assert_contiguous(b, "p1"), 11);
    let ids: Vec<String> = transact(b, |tx| tx.records_after("p1", "", 100))
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["R-upper", "a-lower", "big", "r1"]);
    let after: Vec<String> = transact(b, |tx| tx.records_after("p1", "a-lower", 1))
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(after, ["big"]);
    let page = transact(b, |tx| tx.feed_after("p1", 3, 2)).unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5]);

    // A viewer cannot write, neither new records nor existing ones.
    let resp = push(
        b,
        &u.vera,
        "dev-v",
        vec![
            record("p1", "r-vera", &[&history(1)[0]]),
            record("p1", "r1", &[&h[2]]),
        ],
    );
    assert_eq!(
        rejected(&resp),
        [("r-vera", "forbidden"), ("r1", "forbidden")]
    );
    assert!(resp.acked.is_empty());
    assert!(
        transact(b, |tx| tx.lock_record("r-vera"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        transact(b, |tx| tx.change_state("r1", &h[2].1)).unwrap(),
        None
    );

    // A record stays in its project; nobody writes a project they are not a member of.
    let resp = push(
        b,
        &u.bob,
        "dev-bob",
        vec![
            record("p2", "r1", &[&h[2]]),
            record("p1", "r-bob", &[&history(1)[0]]),
        ],
    );
    assert_eq!(
        rejected(&resp),
        [("r-bob", "forbidden"), ("r1", "wrong_project")]
    );
    assert_eq!(head("p1"), 11);
    assert_eq!(head("p2"), 0);

    // A new device bootstraps: every record, long histories as snapshots.
    let (resp, _) = sync(
        b,
        None,
        &u.alice,
        request("dev-new", &BTreeMap::new(), vec![]),
    )
    .unwrap();
    assert!(!resp.more);
    // The project's feed, the organisation scope (nothing of it readable here: empty) and the
    // digest of the published templates (none).
    assert_eq!(
        resp.cursors.keys().map(String::as_str).collect::<Vec<_>>(),
        ["#templates", "org", "p1"]
    );
    assert_eq!(resp.cursors["p1"], "11");
    assert!(resp.templates.is_empty());
    let pulled: BTreeMap<&str, (usize, bool)> = resp
        .pull
        .iter()
        .map(|p| (p.id.as_str(), (p.changes.len(), p.snapshot.is_some())))
        .collect();
    assert_eq!(
        pulled,
        BTreeMap::from([
            ("R-upper", (1, false)),
            ("a-lower", (2, false)),
            ("big", (0, true)),
            ("r1", (2, false)),
        ])
    );
    let r1_pulled = resp.pull.iter().find(|p| p.id == "r1").unwrap();
    assert_eq!(r1_pulled.changes, vec![h[0].0.clone(), h[1].0.clone()]);
    assert_eq!(r1_pulled.received_ms.len(), 2);
    let cursors = resp.cursors;

    // One more change from dev-a: the new device gets just that; dev-a not its own.
    let resp = push(b, &u.alice, "dev-a", vec![record("p1", "r1", &[&h[2]])]);
    assert_eq!(resp.acked[0].heads, vec![h[2].1.clone()]);
    let (resp, _) = sync(b, None, &u.alice, request("dev-new", &cursors, vec![])).unwrap();
    assert_eq!(resp.pull.len(), 1);
    assert_eq!(
        (resp.pull[0].id.as_str(), &resp.pull[0].changes),
        ("r1", &vec![h[2].0.clone()])
    );
    assert_eq!(resp.cursors["p1"], "12");
    let (again, _) = sync(b, None, &u.alice, request("dev-new", &resp.cursors, vec![])).unwrap();
    assert!(again.pull.is_empty() && !again.more);
    assert_eq!(again.cursors["p1"], "12");
    let (own, _) = sync(b, None, &u.alice, request("dev-a", &cursors, vec![])).unwrap();
    assert!(own.pull.is_empty());
    assert_eq!(own.cursors["p1"], "12");
    let applied: Vec<Vec<u8>> = transact(b, |tx| tx.applied_changes("r1"))
        .unwrap()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(applied, h.iter().map(|c| c.0.0.clone()).collect::<Vec<_>>());
    assert_eq!(assert_contiguous(b, "p1"), 12);
}

fn blobs(b: &dyn Backend, u: &Users) {
    let mut rec = record("p1", "r-photo", &[&history(1)[0]]);
    rec.photos = vec![SHA.into()];
    let need = NeedBlob {
        sha256: SHA.into(),
        project: "p1".into(),
    };
    let resp = push(b, &u.alice, "dev-a", vec![rec.clone()]);
    assert_eq!(resp.need_blobs, vec![need]);
    let check =
        |f: &dyn Fn(&mut dyn offgrid_server::backend::Tx) -> offgrid_server::Result<bool>| {
            transact(b, |tx| f(tx)).unwrap()
        };
    assert!(check(&|tx| tx.has_blob_ref("p1", SHA)));
    assert!(!check(&|tx| tx.has_blob_ref("p2", SHA)));
    assert!(!check(&|tx| tx.blob_granted("p1", SHA)));
    assert!(!check(&|tx| tx.user_can_read_blob("alice", SHA)));

    transact(b, |tx| {
        tx.add_blob_ref("p1", SHA, "r-photo")?;
        tx.grant_blob("p1", SHA)?;
        tx.grant_blob("p1", SHA)
    })
    .unwrap();
    assert!(check(&|tx| tx.blob_granted("p1", SHA)));
    assert!(!check(&|tx| tx.blob_granted("p2", SHA)));
    assert!(check(&|tx| tx.user_can_read_blob("alice", SHA)));
    assert!(check(&|tx| tx.user_can_read_blob("vera", SHA)));
    assert!(!check(&|tx| tx.user_can_read_blob("bob", SHA)));
    assert!(!check(
        &|tx| tx.user_can_read_blob("alice", &SHA.replace('5', "6"))
    ));
    let resp = push(b, &u.alice, "dev-a", vec![rec]);
    assert!(resp.need_blobs.is_empty());
    assert_eq!(resp.acked.len(), 1);

    // Granted to p2 as well: bob reads it; removed from p1, vera no longer does.
    transact(b, |tx| tx.grant_blob("p2", SHA)).unwrap();
    assert!(check(&|tx| tx.user_can_read_blob("bob", SHA)));
    accounts::set_member(b, "p1", "vera", None).unwrap();
    assert!(!check(&|tx| tx.user_can_read_blob("vera", SHA)));
}

/// Devices pushing at once, some creating the same record: every change lands in the feed
/// exactly once and the feed stays contiguous.
fn concurrent_pushes(b: &dyn Backend, u: &Users) {
    const THREADS: usize = 4;
    const ROUNDS: usize = 5;
    let before = assert_contiguous(b, "p1");
    let hashes: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let alice = &u.alice;
                s.spawn(move || {
                    let own = history(ROUNDS);
                    let shared = history(1);
                    let device = format!("dev-{t}");
                    for (i, c) in own.iter().enumerate() {
                        let mut records = vec![record("p1", &format!("own-{t}"), &[c])];
                        if i == 0 {
                            // Every thread creates this record in its first push.
                            records.push(record("p1", "shared", &[&shared[0]]));
                        }
                        let resp = push(b, alice, &device, records);
                        assert!(
                            resp.rejected.is_empty() && resp.missing.is_empty(),
                            "{resp:?}"
                        );
                    }
                    let mut hashes: Vec<String> = own.into_iter().map(|c| c.1).collect();
                    hashes.push(shared[0].1.clone());
                    hashes
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let head = assert_contiguous(b, "p1");
    assert_eq!(head - before, (THREADS * (ROUNDS + 1)) as i64);
    let feed = transact(b, |tx| tx.feed_after("p1", before, 1000)).unwrap();
    let in_feed: BTreeSet<Vec<u8>> = feed.iter().map(|r| r.data.clone()).collect();
    assert_eq!(in_feed.len(), feed.len(), "a change is in the feed twice");
    let shared = transact(b, |tx| tx.lock_record("shared")).unwrap().unwrap();
    let mut expected: Vec<String> = hashes.iter().map(|h| h[ROUNDS].clone()).collect();
    expected.sort();
    assert_eq!(shared.heads, expected);
    for (t, h) in hashes.iter().enumerate() {
        let own = transact(b, |tx| tx.lock_record(&format!("own-{t}")))
            .unwrap()
            .unwrap();
        assert_eq!(own.heads, vec![h[ROUNDS - 1].clone()]);
    }
}

/// Sync watermarks (ADR 0008): a request that pushes everything its device holds records the
/// time it arrived for that device; an account's watermark is the least of its devices', sent
/// to devices until they have it.
fn watermarks(b: &dyn Backend, u: &Users) {
    let sync_as = |caller: &Caller, pushed_all: bool, cursors: &BTreeMap<String, String>| {
        let req = SyncRequest {
            pushed_all,
            ..request("dev-w", cursors, Vec::new())
        };
        sync(b, None, caller, req).unwrap().0
    };
    let none = BTreeMap::new();
    // A pull that does not say it pushed everything moves no watermark.
    let r = sync_as(&u.bob, false, &none);
    assert!(!r.watermarks.contains_key("bob"), "{:?}", r.watermarks);
    let r = sync_as(&u.bob, true, &none);
    let first = r.server_time_ms;
    // The response that records it already carries it (it is read after the push).
    assert_eq!(r.watermarks.get("bob"), Some(&first));
    // Sent again only when something moved since the cursor.
    let again = sync_as(&u.alice, false, &r.cursors);
    assert!(again.watermarks.is_empty(), "{:?}", again.watermarks);
    let from_scratch = sync_as(&u.alice, false, &none);
    assert_eq!(from_scratch.watermarks.get("bob"), Some(&first));
    // Bob signs in on a second phone that has not synced: his watermark is that phone's (none).
    let phone2 = accounts::authenticate(
        b,
        &accounts::login(b, "bob", PASSWORD, "phone2").unwrap().token,
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = sync_as(&u.bob, true, &none);
    assert!(!r.watermarks.contains_key("bob"), "{:?}", r.watermarks);
    // Once it has synced everything too, the least of the two.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r2 = sync_as(&phone2, true, &none);
    assert_eq!(r2.watermarks.get("bob"), Some(&r.server_time_ms));
    assert!(r.server_time_ms > first);
}

/// The tables and indexes of a SQLite database file, with their SQL.
fn sqlite_schema(path: &std::path::Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut st = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn a_sqlite_database_made_before_the_shared_schema_upgrades_to_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.execute_batch(include_str!("fixtures/schema-v6-sqlite.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.pragma_update(None, "application_id", 0x4F46_4753)
            .unwrap();
    }
    drop(SqliteBackend::open(&old).unwrap());
    let fresh = dir.path().join("fresh.db");
    drop(SqliteBackend::open(&fresh).unwrap());
    let upgraded = sqlite_schema(&old);
    assert_eq!(upgraded, sqlite_schema(&fresh));
    assert!(upgraded.iter().any(|(_, name, _)| name == "tokens_by_user"));
}

/// The columns (type, default, nullability, collation) and indexes of a PostgreSQL database.
fn postgres_schema(url: &str) -> Vec<String> {
    let mut c = url
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    let mut out = Vec::new();
    for row in c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text,
                    COALESCE(column_default::text, ''), is_nullable::text,
                    COALESCE(collation_name::text, '')
             FROM information_schema.columns WHERE table_schema = 'public'
             ORDER BY 1, 2",
            &[],
        )
        .unwrap()
    {
        let cols: Vec<String> = (0..6).map(|i| row.get::<_, String>(i)).collect();
        out.push(cols.join(" "));
    }
    for row in c
        .query(
            "SELECT indexname::text, indexdef::text FROM pg_indexes
             WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
    {
        out.push(format!(
            "{} {}",
            row.get::<_, String>(0),
            row.get::<_, String>(1)
        ));
    }
    out
}

#[test]
fn a_postgres_database_made_before_the_shared_schema_upgrades_to_a_fresh_one() {
    let Some(old) = postgres_url("schema_v6") else {
        return;
    };
    {
        let mut c = old
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap();
        c.batch_execute(include_str!("fixtures/schema-v6-postgres.sql"))
            .unwrap();
        c.batch_execute(
            "CREATE TABLE offgrid_schema (version INT NOT NULL);
             INSERT INTO offgrid_schema(version) VALUES (6);",
        )
        .unwrap();
    }
    drop(PostgresBackend::connect(&old).unwrap());
    let fresh = postgres_url("schema_fresh").unwrap();
    drop(PostgresBackend::connect(&fresh).unwrap());
    let upgraded = postgres_schema(&old);
    assert_eq!(upgraded, postgres_schema(&fresh));
    assert!(upgraded.iter().any(|l| l.starts_with("tokens_by_user ")));
}
