//! The server that [`crate::pushed_change`] pushes to: a SQLite database with a project, its
//! members and a few records as honest devices made them (`base/`), built once; every push
//! goes to a fresh copy of it, so each input meets the same server (a crash reproduces from
//! its input alone) and nothing accumulates across millions of runs.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use automerge::{Automerge, Change, ChangeHash};
use offgrid_core::doc::ChangeMeta;
use offgrid_core::doc::genesis::root_text;
use offgrid_core::sync::protocol::{Bytes, PushRecord, SyncRequest, SyncResponse};
use offgrid_core::{ProjectRole, Role};
use offgrid_server::backend::sqlite::SqliteBackend;
use offgrid_server::{accounts, gate::DocCache, scope::ORG};

/// The project the base records are in.
pub const PROJECT: &str = "p1";

/// The accounts on the server, with their roles in [`PROJECT`] (and `admin`'s in the
/// organisation scope). A pushed change is pushed by the account its message names, any
/// other by `zhang` (whose push the server then refuses: the author is not the pusher).
pub const USERS: [(&str, Role); 5] = [
    ("zhang", Role::Inspector),
    ("wang", Role::Supervisor),
    ("chen", Role::Rectifier),
    ("vera", Role::Viewer),
    ("admin", Role::Admin),
];

/// The records on the server before any push: each file the changes of one record, as
/// automerge change chunks one after the other (written by `examples/seeds.rs`).
const BASE: [&[u8]; 2] = [
    include_bytes!("../base/hazard.automerge"),
    include_bytes!("../base/inspection.automerge"),
];

/// Where a record is filed on the server.
#[derive(Clone, Debug)]
struct Envelope {
    id: String,
    kind: String,
    project: String,
}

struct World {
    /// The database with the base records, as bytes: each push gets a copy.
    template: Vec<u8>,
    /// Where the copies go (`/dev/shm` when there is one: no disk).
    scratch: PathBuf,
    /// The base records' envelopes, and which record each of their changes belongs to.
    records: Vec<Envelope>,
    change_of: Vec<(ChangeHash, usize)>,
    /// One push at a time (the tests may share the process).
    lock: Mutex<()>,
}

static WORLD: OnceLock<World> = OnceLock::new();

/// The roles of `user` as the server holds them.
fn caller(user: &str) -> accounts::Caller {
    let mut roles = Vec::new();
    if let Some((_, role)) = USERS.iter().find(|(u, _)| *u == user) {
        roles.push(ProjectRole {
            project: PROJECT.into(),
            role: *role,
        });
        if *role == Role::Admin {
            roles.push(ProjectRole {
                project: ORG.into(),
                role: Role::Admin,
            });
        }
    }
    accounts::Caller {
        user_id: user.into(),
        token_id: "fuzz".into(),
        roles,
    }
}

/// The envelope a document's first change gives it (its id, kind and project).
fn envelope_of(doc: &Automerge) -> Option<Envelope> {
    let kind = root_text(doc, "kind")?;
    let id = root_text(doc, "id")?;
    let project = if kind == "project" {
        id.clone()
    } else {
        root_text(doc, "project")?
    };
    Some(Envelope { id, kind, project })
}

fn scratch_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && tempfile::tempdir_in(shm).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn world() -> &'static World {
    WORLD.get_or_init(|| {
        let scratch = scratch_dir();
        let dir = tempfile::tempdir_in(&scratch).expect("a temporary folder");
        let path = dir.path().join("server.db");
        let mut records = Vec::new();
        let mut change_of = Vec::new();
        {
            let b = SqliteBackend::open(&path).expect("the server database opens");
            accounts::add_project(&b, PROJECT, "fuzz").expect("the project");
            for (user, role) in USERS {
                accounts::add_user(&b, user, user, "fuzz password").expect("a user");
                accounts::set_member(&b, PROJECT, user, Some(role)).expect("a member");
            }
            accounts::set_member(&b, ORG, "admin", Some(Role::Admin)).expect("an org admin");
            for bytes in BASE.iter().filter(|b| !b.is_empty()) {
                let doc = Automerge::load(bytes).expect("a base record loads");
                let envelope = envelope_of(&doc).expect("a base record has an id and a kind");
                for change in doc.get_changes(&[]) {
                    let author = ChangeMeta::decode(change.message()).user_id;
                    let (resp, _) = offgrid_server::sync::sync(
                        &b,
                        Some(&DocCache::default()),
                        &caller(author.as_deref().unwrap_or_default()),
                        request(&envelope, change.raw_bytes()),
                    )
                    .expect("the server takes a base record's change");
                    assert!(
                        resp.acked.iter().any(|a| a.id == envelope.id),
                        "the server refuses a change of base record {} ({resp:?}): \
                         regenerate fuzz-targets/base/ and the seeds with \
                         `cargo run -p offgrid-fuzz-targets --example seeds`",
                        envelope.id
                    );
                    change_of.push((change.hash(), records.len()));
                }
                records.push(envelope);
            }
        }
        for suffix in ["-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            assert!(
                !Path::new(&p).exists(),
                "the database was not checkpointed when closed"
            );
        }
        World {
            template: std::fs::read(&path).expect("the server database"),
            scratch,
            records,
            change_of,
            lock: Mutex::new(()),
        }
    })
}

fn request(envelope: &Envelope, change: &[u8]) -> SyncRequest {
    SyncRequest {
        device: "fuzzer".into(),
        push: vec![PushRecord {
            id: envelope.id.clone(),
            project: envelope.project.clone(),
            kind: envelope.kind.clone(),
            changes: vec![Bytes(change.to_vec())],
            heads: vec![],
            photos: vec![],
        }],
        ..Default::default()
    }
}

/// Pushes `data` (which parsed as `change`; `doc`: an empty document with it applied) to a
/// fresh copy of the server, as a record of its own if it is a first change, or as the base
/// record it builds on (the first one if none).
pub(crate) fn push(data: &[u8], change: &Change, doc: &Automerge) {
    let w = world();
    let _one = w.lock.lock().unwrap_or_else(|e| e.into_inner());
    let envelope = envelope_of(doc).unwrap_or_else(|| {
        let record = change
            .deps()
            .iter()
            .find_map(|d| w.change_of.iter().find(|(h, _)| h == d).map(|(_, r)| *r))
            .unwrap_or(0);
        w.records.get(record).cloned().unwrap_or_else(|| Envelope {
            id: "fuzz-record".into(),
            kind: "hazard".into(),
            project: PROJECT.into(),
        })
    });
    let author = ChangeMeta::decode(change.message()).user_id;
    let user = match author.as_deref() {
        Some(a) if USERS.iter().any(|(u, _)| *u == a) => a,
        _ => "zhang",
    };
    let dir = tempfile::tempdir_in(&w.scratch).expect("a temporary folder");
    let path = dir.path().join("server.db");
    std::fs::write(&path, &w.template).expect("a copy of the server database");
    let b = SqliteBackend::open(&path).expect("the copy opens");
    let result = offgrid_server::sync::sync(
        &b,
        Some(&DocCache::default()),
        &caller(user),
        request(&envelope, data),
    );
    if verbose() {
        match &result {
            Ok((r, _)) => eprintln!(
                "{} {envelope:?} as {user}: acked {:?} missing {:?} rejected {:?}",
                change.hash(),
                r.acked,
                r.missing,
                r.rejected
            ),
            Err(e) => eprintln!("{} {envelope:?} as {user}: {e}", change.hash()),
        }
    }
    match result {
        Ok((resp, _)) => check_answer(&resp, &envelope.id),
        Err(e) => assert!(
            e.status().is_client_error(),
            "the server fails on a pushed change: {e}"
        ),
    }
}

/// `OFFGRID_FUZZ_VERBOSE` set: each push and the server's answer are printed.
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("OFFGRID_FUZZ_VERBOSE").is_some())
}

/// The pushed record comes back exactly once: acknowledged, waiting for dependencies, or
/// refused.
fn check_answer(resp: &SyncResponse, id: &str) {
    let times = resp.acked.iter().filter(|a| a.id == id).count()
        + resp.missing.iter().filter(|m| m.id == id).count()
        + resp.rejected.iter().filter(|r| r.id == id).count();
    assert_eq!(times, 1, "record {id} is answered {times} times: {resp:?}");
}
