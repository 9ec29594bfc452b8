//! The HTTP API against a real server on loopback (SQLite backend): bad input and access
//! control. Every refusal is a 4xx with the JSON error shape, the server keeps running, and
//! what was stored before is untouched. Records here are bare automerge documents, so these
//! transport and access tests run with the write gate off (`tests/gate.rs` tests the gate).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::io::Write;

use automerge::transaction::Transactable;
use offgrid_protocol::{Bytes, PushRecord, SyncRequest, SyncResponse};
use offgrid_server::{App, Config, RunningServer, accounts};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Env {
    _dir: tempfile::TempDir,
    server: RunningServer,
    http: Client,
}

const PW: &str = "correct horse";

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Config {
        gate: false,
        ..Config::new(dir.path())
    })
    .unwrap();
    let b = app.backend.as_ref();
    for p in ["p1", "p2"] {
        accounts::add_project(b, p, p).unwrap();
    }
    for (u, p, role) in [
        ("alice", "p1", offgrid_core::Role::Inspector),
        ("bob", "p2", offgrid_core::Role::Inspector),
        ("vera", "p1", offgrid_core::Role::Viewer),
    ] {
        accounts::add_user(b, u, u, PW).unwrap();
        accounts::set_member(b, p, u, Some(role)).unwrap();
    }
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    Env {
        _dir: dir,
        server,
        http: Client::new(),
    }
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    fn login(&self, user: &str) -> String {
        let r = self
            .http
            .post(self.url("/v1/login"))
            .json(&json!({"user": user, "password": PW, "device": "test"}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn sync(&self, token: &str, req: &SyncRequest) -> Response {
        self.http
            .post(self.url("/v1/sync"))
            .bearer_auth(token)
            .json(req)
            .send()
            .unwrap()
    }

    fn sync_ok(&self, token: &str, req: &SyncRequest) -> SyncResponse {
        let r = self.sync(token, req);
        assert_eq!(r.status(), 200);
        r.json().unwrap()
    }

    fn heads(&self, id: &str) -> Option<String> {
        let app = &self.server.app;
        offgrid_server::backend::transact(app.backend.as_ref(), |tx| {
            Ok(tx.lock_record(id)?.map(|r| r.heads.join(",")))
        })
        .unwrap()
    }
}

/// A record's first changes, made with automerge directly (the server never reads content).
fn changes(n: usize, salt: &str) -> Vec<Bytes> {
    let mut doc = automerge::AutoCommit::new();
    for i in 0..n {
        doc.put(automerge::ROOT, "k", format!("{salt}{i}")).unwrap();
        doc.commit();
    }
    doc.get_changes(&[])
        .into_iter()
        .map(|c| Bytes(c.raw_bytes().to_vec()))
        .collect()
}

fn push(id: &str, project: &str, changes: Vec<Bytes>, photos: Vec<String>) -> SyncRequest {
    SyncRequest {
        device: "dev-1".into(),
        push: vec![PushRecord {
            id: id.into(),
            project: project.into(),
            kind: "hazard".into(),
            changes,
            heads: vec![],
            photos,
        }],
        ..Default::default()
    }
}

fn expect_error(r: Response, status: u16, code: &str) -> String {
    assert_eq!(r.status().as_u16(), status, "status");
    let body: Value = r.json().expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn tokens_and_passwords() {
    let e = setup();
    let r = e
        .http
        .post(e.url("/v1/login"))
        .json(&json!({"user": "alice", "password": "wrong", "device": "x"}))
        .send()
        .unwrap();
    let wrong = expect_error(r, 401, "unauthorized");
    let r = e
        .http
        .post(e.url("/v1/login"))
        .json(&json!({"user": "nobody", "password": "wrong", "device": "x"}))
        .send()
        .unwrap();
    assert_eq!(
        expect_error(r, 401, "unauthorized"),
        wrong,
        "unknown users look the same"
    );

    let req = SyncRequest {
        device: "d".into(),
        ..Default::default()
    };
    let r = e.http.post(e.url("/v1/sync")).json(&req).send().unwrap();
    expect_error(r, 401, "unauthorized");
    expect_error(e.sync("og_forged", &req), 401, "unauthorized");

    let token = e.login("alice");
    let me: Value = e
        .http
        .get(e.url("/v1/me"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["id"], "alice");
    assert_eq!(me["roles"][0]["project"], "p1");
    e.sync_ok(&token, &req);
    let app = &e.server.app;
    assert_eq!(
        accounts::revoke(app.backend.as_ref(), "alice", None).unwrap(),
        1
    );
    expect_error(e.sync(&token, &req), 401, "token_revoked");

    let r = e
        .http
        .post(e.url("/v1/sync"))
        .bearer_auth(e.login("alice"))
        .header("offgrid-protocol", "99")
        .json(&req)
        .send()
        .unwrap();
    expect_error(r, 400, "bad_request");
}

#[test]
fn malformed_requests_are_refused_and_nothing_changes() {
    let e = setup();
    let token = e.login("alice");
    let good = e.sync_ok(&token, &push("r1", "p1", changes(2, "a"), vec![]));
    assert_eq!(good.acked.len(), 1);
    let before = e.heads("r1").unwrap();

    for body in [
        &b"not json"[..],
        b"{\"device\": 5}",
        b"[]",
        b"{\"device\":\"d\",\"push\":[{\"id\":1}]}",
    ] {
        let r = e
            .http
            .post(e.url("/v1/sync"))
            .bearer_auth(&token)
            .body(body.to_vec())
            .send()
            .unwrap();
        let msg = expect_error(r, 400, "bad_request");
        assert!(msg.contains("malformed body"), "{msg}");
    }
    // A gzip header on bytes that are not gzip.
    let r = e
        .http
        .post(e.url("/v1/sync"))
        .bearer_auth(&token)
        .header("content-encoding", "gzip")
        .body(b"garbage".to_vec())
        .send()
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // A gzip bomb: small compressed, over the limit decompressed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"{\"device\":\"").unwrap();
    gz.write_all(&vec![b'a'; 40 << 20]).unwrap();
    gz.write_all(b"\"}").unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let r = e
        .http
        .post(e.url("/v1/sync"))
        .bearer_auth(&token)
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);

    // Corrupt change bytes: the record is refused, nothing of it stored.
    let mut bad = changes(1, "b");
    let n = bad[0].0.len();
    bad[0].0[n - 3] ^= 0xff;
    let resp = e.sync_ok(&token, &push("r2", "p1", bad, vec![]));
    assert_eq!(resp.rejected.len(), 1);
    assert_eq!(resp.rejected[0].code, "bad_change");
    assert_eq!(e.heads("r2"), None);
    let resp = e.sync_ok(
        &token,
        &push(
            "r1",
            "p1",
            vec![Bytes(b"\x85\x6f\x4a\x83garbage".to_vec())],
            vec![],
        ),
    );
    assert_eq!(resp.rejected[0].code, "bad_change");

    // Path tricks in ids.
    for id in ["../r1", "r1/../../x", "", ".hidden"] {
        let resp = e.sync_ok(&token, &push(id, "p1", changes(1, "c"), vec![]));
        assert_eq!(resp.rejected[0].code, "bad_id", "{id:?}");
    }
    let resp = e.sync_ok(
        &token,
        &push("r3", "p1", changes(1, "c"), vec!["../../etc/passwd".into()]),
    );
    assert_eq!(resp.rejected[0].code, "bad_id");
    let mut cursors = std::collections::BTreeMap::new();
    cursors.insert("p1".to_string(), "b1:../x".to_string());
    let r = e.sync(
        &token,
        &SyncRequest {
            device: "d".into(),
            cursors,
            ..Default::default()
        },
    );
    expect_error(r, 400, "bad_request");
    let r = e
        .http
        .get(e.url("/v1/blobs/..%2F..%2Fetc%2Fpasswd"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    expect_error(r, 400, "bad_request");
    let r = e.http.get(e.url("/v1/nothing")).send().unwrap();
    expect_error(r, 404, "not_found");

    // Still serving, and r1 is as it was.
    assert_eq!(e.heads("r1").unwrap(), before);
    assert_eq!(e.http.get(e.url("/healthz")).send().unwrap().status(), 200);
    let metrics = e
        .http
        .get(e.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("offgrid_http_requests_total{route=\"/v1/sync\",status=\"400\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("offgrid_sync_changes_applied_total 2"),
        "{metrics}"
    );
}

#[test]
fn projects_are_walled_off() {
    let e = setup();
    let alice = e.login("alice");
    let bob = e.login("bob");
    let vera = e.login("vera");
    e.sync_ok(&bob, &push("b1", "p2", changes(1, "bob"), vec![]));

    // Alice (p1) cannot write to p2, nor move b1 into p1.
    let r = e.sync_ok(&alice, &push("a-in-p2", "p2", changes(1, "x"), vec![]));
    assert_eq!(r.rejected[0].code, "forbidden");
    let r = e.sync_ok(&alice, &push("b1", "p1", changes(1, "x"), vec![]));
    assert_eq!(r.rejected[0].code, "wrong_project");
    let r = e.sync_ok(&alice, &push("new", "p-unknown", changes(1, "x"), vec![]));
    assert_eq!(r.rejected[0].code, "forbidden");
    // A viewer cannot push.
    let r = e.sync_ok(&vera, &push("v1", "p1", changes(1, "v"), vec![]));
    assert_eq!(r.rejected[0].code, "forbidden");
    // Alice's pull sees only p1.
    let r = e.sync_ok(
        &alice,
        &SyncRequest {
            device: "a".into(),
            ..Default::default()
        },
    );
    assert!(r.pull.iter().all(|p| p.project == "p1"));
    // Besides p1: the organisation scope (filtered per account) and the templates' digest.
    assert_eq!(
        r.cursors.keys().collect::<Vec<_>>(),
        ["#templates", "org", "p1"]
    );
    // Reconcile does not reveal p2's records.
    let r: Value = e
        .http
        .post(e.url("/v1/reconcile"))
        .bearer_auth(&alice)
        .json(&json!({"records": [{"id": "b1", "heads": []}]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["pull_again"], json!([]));

    // Blobs: bob's photo is not alice's.
    let photo = b"bob's photo bytes".repeat(100);
    let h = sha(&photo);
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{h}?project=p2")))
        .bearer_auth(&bob)
        .body(photo.clone())
        .send()
        .unwrap();
    expect_error(r, 403, "forbidden"); // not referenced by any record yet
    let r = e.sync_ok(&bob, &push("b2", "p2", changes(1, "b2"), vec![h.clone()]));
    assert_eq!(r.need_blobs.len(), 1);
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{h}?project=p2")))
        .bearer_auth(&bob)
        .body(photo.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = e
        .http
        .get(e.url(&format!("/v1/blobs/{h}")))
        .bearer_auth(&bob)
        .send()
        .unwrap();
    assert_eq!(r.bytes().unwrap().as_ref(), &photo[..]);
    for url in [
        format!("/v1/blobs/{h}"),
        format!("/v1/blobs/{h}?project=p2"),
    ] {
        let r = e.http.head(e.url(&url)).bearer_auth(&alice).send().unwrap();
        assert_eq!(r.status(), 404, "{url}");
    }
    let r = e
        .http
        .get(e.url(&format!("/v1/blobs/{h}")))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    expect_error(r, 404, "not_found");
    // Alice referencing bob's hash in p1 does not make it hers: she must upload the bytes.
    let r = e.sync_ok(&alice, &push("a2", "p1", changes(1, "a2"), vec![h.clone()]));
    assert_eq!(r.need_blobs.len(), 1);
    let r = e
        .http
        .get(e.url(&format!("/v1/blobs/{h}")))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{h}?project=p2")))
        .bearer_auth(&alice)
        .body(photo.clone())
        .send()
        .unwrap();
    expect_error(r, 403, "forbidden");
}

#[test]
fn photo_uploads_resume_and_are_verified() {
    let e = setup();
    let alice = e.login("alice");
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let h = sha(&photo);
    let wrong = sha(b"something else");
    let r = e.sync_ok(
        &alice,
        &push("r1", "p1", changes(1, "x"), vec![h.clone(), wrong.clone()]),
    );
    assert_eq!(r.need_blobs.len(), 2);

    // Bytes that do not match their name: refused and discarded.
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{wrong}?project=p1")))
        .bearer_auth(&alice)
        .body(photo.clone())
        .send()
        .unwrap();
    expect_error(r, 422, "unprocessable");
    let r = e
        .http
        .head(e.url(&format!("/v1/blobs/{wrong}?project=p1")))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["upload-offset"], "0");

    // Half, then the connection "drops"; HEAD says where to resume.
    let url = e.url(&format!("/v1/blobs/{h}?project=p1"));
    let total = photo.len();
    let r = e
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("content-range", format!("bytes 0-99999/{total}"))
        .body(photo[..100_000].to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = e.http.head(&url).bearer_auth(&alice).send().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["upload-offset"], "100000");
    // A replayed chunk at a stale offset conflicts and changes nothing.
    let r = e
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header("content-range", format!("bytes 0-99999/{total}"))
        .body(photo[..100_000].to_vec())
        .send()
        .unwrap();
    expect_error(r, 409, "conflict");
    let r = e
        .http
        .put(&url)
        .bearer_auth(&alice)
        .header(
            "content-range",
            format!("bytes 100000-{}/{total}", total - 1),
        )
        .body(photo[100_000..].to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = e.http.head(&url).bearer_auth(&alice).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], total.to_string());
    // Ranged download.
    let r = e
        .http
        .get(e.url(&format!("/v1/blobs/{h}")))
        .bearer_auth(&alice)
        .header("range", "bytes=250000-")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().unwrap().as_ref(), &photo[250_000..]);
    // The next sync no longer asks for it.
    let r = e.sync_ok(&alice, &push("r1", "p1", changes(1, "x"), vec![h.clone()]));
    assert!(r.need_blobs.is_empty());
}

/// What docs/openapi.yaml states at its edges: a request it allows is accepted, one it forbids
/// refused (tests/api/run checks the same with generated requests).
#[test]
fn requests_at_the_edges_of_the_schema() {
    let e = setup();
    let token = e.login("alice");
    let post = |path: &str, body: Value, protocol: &str| {
        e.http
            .post(e.url(path))
            .bearer_auth(&token)
            .header("offgrid-protocol", protocol)
            .json(&body)
            .send()
            .unwrap()
    };
    let ok = json!({"device": "d"});
    assert_eq!(post("/v1/sync", ok.clone(), "1").status(), 200);
    for protocol in ["01", "+1", "2", ""] {
        expect_error(post("/v1/sync", ok.clone(), protocol), 400, "bad_request");
    }

    // The device: 1-128 visible ASCII characters.
    for device in ["a".repeat(128), "d-1:x.y_Z".into()] {
        assert_eq!(
            post("/v1/sync", json!({"device": device}), "1").status(),
            200
        );
    }
    for device in ["".to_string(), "a".repeat(129), "设备".into(), "a b".into()] {
        expect_error(
            post("/v1/sync", json!({"device": device}), "1"),
            400,
            "bad_request",
        );
    }
    // max_bytes: any whole number (as JSON has them), or null.
    for max in [
        json!(0),
        json!(1000.0),
        json!(1e3),
        json!(null),
        json!(1e30),
    ] {
        let body = json!({"device": "d", "max_bytes": max});
        assert_eq!(post("/v1/sync", body, "1").status(), 200, "{max}");
    }
    for max in [json!(-1), json!(1.5), json!("1")] {
        let body = json!({"device": "d", "max_bytes": max});
        expect_error(post("/v1/sync", body, "1"), 400, "bad_request");
    }
    // A record pushed twice in one request is rejected, every copy; the rest applies.
    let mut req = push("twice", "p1", changes(1, "t"), vec![]);
    req.push.push(req.push[0].clone());
    req.push
        .extend(push("once", "p1", changes(1, "o"), vec![]).push);
    let resp = e.sync_ok(&token, &req);
    assert_eq!(resp.rejected.len(), 1);
    assert_eq!(
        (resp.rejected[0].id.as_str(), resp.rejected[0].code.as_str()),
        ("twice", "bad_id")
    );
    assert_eq!(resp.acked.len(), 1);
    assert_eq!(e.heads("twice"), None);
    assert!(e.heads("once").is_some());

    // Login: a device name of up to 200 characters, not bytes.
    for (device, status) in [("设".repeat(200), 200), ("设".repeat(201), 400)] {
        let r = e
            .http
            .post(e.url("/v1/login"))
            .json(&json!({"user": "alice", "password": PW, "device": device}))
            .send()
            .unwrap();
        assert_eq!(r.status(), status);
    }
    let h = sha(b"x");
    let r = e
        .http
        .head(e.url(&format!("/v1/blobs/{h}?project=..%2Fp1")))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{h}?project=")))
        .bearer_auth(&token)
        .body(b"x".to_vec())
        .send()
        .unwrap();
    expect_error(r, 400, "bad_request");
}

/// `Range` as RFC 9110 has it: one byte range is served, an unsatisfiable one is a 416, anything
/// else is ignored.
#[test]
fn photo_ranges() {
    let e = setup();
    let alice = e.login("alice");
    let photo: Vec<u8> = (0..100u8).collect();
    let h = sha(&photo);
    e.sync_ok(&alice, &push("r1", "p1", changes(1, "x"), vec![h.clone()]));
    let url = e.url(&format!("/v1/blobs/{h}?project=p1"));
    let r = e.http.put(&url).bearer_auth(&alice).body(photo.clone());
    assert_eq!(r.send().unwrap().status(), 200);
    // Replaying the upload once complete answers 200 whatever the chunk holds; only the form
    // of Content-Range is checked.
    let put = |range: &str| {
        e.http
            .put(&url)
            .bearer_auth(&alice)
            .header("content-range", range)
            .body(b"junk".to_vec())
            .send()
            .unwrap()
    };
    let r = put("bytes 7-3/2");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["offset"], 100);
    expect_error(put("bytes 0-3"), 400, "bad_request");

    let get = |range: &str| {
        e.http
            .get(e.url(&format!("/v1/blobs/{h}")))
            .bearer_auth(&alice)
            .header("range", range)
            .send()
            .unwrap()
    };
    for (range, first, last) in [
        ("bytes=10-", 10, 99),
        ("bytes=10-19", 10, 19),
        ("bytes=90-500", 90, 99),
        ("bytes=-5", 95, 99),
        ("bytes=-500", 0, 99),
        ("BYTES=99-", 99, 99),
    ] {
        let r = get(range);
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes {first}-{last}/100"),
            "{range}"
        );
        assert_eq!(r.bytes().unwrap().as_ref(), &photo[first..=last], "{range}");
    }
    for range in ["bytes=100-", "bytes=99999999999999999999999-", "bytes=-0"] {
        let r = get(range);
        assert_eq!(r.headers()["content-range"], "bytes */100", "{range}");
        expect_error(r, 416, "range_not_satisfiable");
    }
    for range in [
        "items=0-5",
        "bytes=9-5",
        "bytes=0-1,5-6",
        "bytes=x-",
        "bytes",
    ] {
        let r = get(range);
        assert_eq!(r.status(), 200, "{range}");
        assert_eq!(r.bytes().unwrap().as_ref(), &photo[..], "{range}");
    }
}

#[test]
fn out_of_order_changes_wait_for_their_dependencies() {
    let e = setup();
    let alice = e.login("alice");
    let all = changes(3, "o");
    let r = e.sync_ok(&alice, &push("r1", "p1", vec![all[2].clone()], vec![]));
    assert_eq!(r.missing.len(), 1);
    assert!(r.acked.is_empty());
    assert_eq!(e.heads("r1").as_deref(), Some(""));
    let r = e.sync_ok(
        &alice,
        &push("r1", "p1", vec![all[0].clone(), all[1].clone()], vec![]),
    );
    assert_eq!(r.acked.len(), 1);
    let last = automerge::Change::from_bytes(all[2].0.clone())
        .unwrap()
        .hash()
        .to_string();
    assert_eq!(r.acked[0].heads, vec![last]);
    // Another device pulls all three, in order, exactly once.
    let bob_view = e.sync_ok(
        &alice,
        &SyncRequest {
            device: "other".into(),
            ..Default::default()
        },
    );
    let got: usize = bob_view.pull.iter().map(|p| p.changes.len()).sum();
    assert_eq!(got, 3);
}

/// Every field the protocol serialises is documented in docs/openapi.yaml.
#[test]
fn openapi_documents_every_protocol_field() {
    use offgrid_protocol::*;
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml"))
            .unwrap();
    let pulled = Pulled {
        project: "p".into(),
        id: "r".into(),
        kind: "hazard".into(),
        changes: vec![Bytes(vec![1])],
        snapshot: Some(Bytes(vec![2])),
        received_ms: vec![1],
        received_by: vec!["u".into()],
        checks: [("h".to_owned(), "sun_valid".to_owned())].into(),
    };
    let values = [
        serde_json::to_value(push("r", "p", vec![Bytes(vec![1])], vec!["a".into()])).unwrap(),
        serde_json::to_value(SyncResponse {
            acked: vec![Acked {
                id: "r".into(),
                heads: vec![],
                checks: [("h".to_owned(), "sun_valid".to_owned())].into(),
            }],
            missing: vec![MissingDeps {
                id: "r".into(),
                deps: vec![],
            }],
            rejected: vec![Rejected {
                id: "r".into(),
                code: "c".into(),
                reason: "x".into(),
            }],
            pull: vec![pulled],
            need_blobs: vec![NeedBlob {
                sha256: "s".into(),
                project: "p".into(),
            }],
            ..Default::default()
        })
        .unwrap(),
        serde_json::to_value(LoginRequest {
            user: "u".into(),
            password: "p".into(),
            device: "d".into(),
        })
        .unwrap(),
        serde_json::to_value(LoginResponse {
            token: "t".into(),
            token_id: "i".into(),
            account: Account {
                id: "u".into(),
                name: "n".into(),
                roles: vec![offgrid_core::ProjectRole {
                    project: "p".into(),
                    role: offgrid_core::Role::Viewer,
                }],
            },
        })
        .unwrap(),
        serde_json::to_value(ReconcileRequest {
            records: vec![RecordHeads {
                id: "r".into(),
                heads: vec![],
            }],
            scope: None,
        })
        .unwrap(),
        serde_json::to_value(ReconcileResponse::default()).unwrap(),
        serde_json::to_value(ErrorBody {
            error: "e".into(),
            message: "m".into(),
        })
        .unwrap(),
    ];
    fn keys(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.insert(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = std::collections::BTreeSet::new();
    values.iter().for_each(|v| keys(v, &mut all));
    assert!(all.len() > 30, "{all:?}");
    for k in all {
        assert!(
            spec.contains(&format!("{k}:")),
            "field {k} is not in docs/openapi.yaml"
        );
    }
}

/// Every byte of an upload arrived but the server stopped before verifying them (killed
/// between the last chunk and the hash check): the client sends the last byte again and the
/// server verifies what it holds.
#[test]
fn an_upload_received_whole_but_never_verified_is_finished_by_its_last_byte() {
    let e = setup();
    let alice = e.login("alice");
    let photo: Vec<u8> = (0..5_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let h = sha(&photo);
    e.sync_ok(&alice, &push("r1", "p1", changes(1, "y"), vec![h.clone()]));
    e.server.app.blobs.append(&h, 0, &photo).unwrap();
    let head = e
        .http
        .head(e.url(&format!("/v1/blobs/{h}?project=p1")))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(head.status(), 404);
    assert_eq!(
        head.headers()["upload-offset"],
        photo.len().to_string().as_str()
    );
    let last = photo.len() - 1;
    let r = e
        .http
        .put(e.url(&format!("/v1/blobs/{h}?project=p1")))
        .bearer_auth(&alice)
        .header(
            "content-range",
            format!("bytes {last}-{last}/{}", photo.len()),
        )
        .body(vec![photo[last]])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = e
        .http
        .get(e.url(&format!("/v1/blobs/{h}")))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(got.bytes().unwrap().to_vec(), photo);
}

#[test]
fn password_guessing_is_slowed_to_the_limit() {
    use offgrid_server::throttle::LoginLimits;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.login_limits = LoginLimits {
        free_failures: 3,
        free_failures_per_address: 3,
        first_wait: Duration::from_secs(1),
        max_wait: Duration::from_secs(2),
        window: Duration::from_secs(60),
    };
    let app = App::open(config).unwrap();
    for u in ["alice", "bob"] {
        accounts::add_user(app.backend.as_ref(), u, u, PW).unwrap();
    }
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let http = Client::new();
    let login = |user: &str, password: &str| {
        http.post(format!("{}/v1/login", server.url()))
            .json(&json!({"user": user, "password": password, "device": "d"}))
            .send()
            .unwrap()
    };
    // Free failures, then the one that imposes the first wait: each checked (401).
    for _ in 0..4 {
        expect_error(login("alice", "guess"), 401, "unauthorized");
    }
    // Now even the right password waits, unchecked: 429 with Retry-After.
    let r = login("alice", PW);
    assert_eq!(r.headers()["retry-after"], "1");
    let m = expect_error(r, 429, "too_many_requests");
    assert!(m.contains("try again in 1 s"), "{m}");
    // The address guessed too: another account from it waits as well.
    expect_error(login("bob", PW), 429, "too_many_requests");
    std::thread::sleep(Duration::from_millis(1100));
    // After the wait the right password works.
    assert_eq!(login("alice", PW).status(), 200);

    // A guesser hammering for three seconds gets a handful of passwords checked, not hundreds:
    // each failure doubles the wait (1 s, then 2 s at most here).
    let (mut checked, mut held) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        match login("bob", "guess").status().as_u16() {
            401 => checked += 1,
            429 => held += 1,
            s => panic!("unexpected {s}"),
        }
    }
    assert!(checked <= 3, "{checked} passwords checked in 3 s");
    assert!(held > 10, "{held} attempts held back");
    let metrics = http
        .get(format!("{}/metrics", server.url()))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(counter("offgrid_logins_throttled_total"), held + 2);
    assert!(counter("offgrid_login_lockouts_total") >= 2);
    assert_eq!(counter("offgrid_logins_failed_total"), 4 + checked);
}

#[test]
fn tokens_unused_for_longer_than_the_idle_limit_stop_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.token_idle = std::time::Duration::from_millis(1500);
    let app = App::open(config).unwrap();
    accounts::add_user(app.backend.as_ref(), "alice", "alice", PW).unwrap();
    let server = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let http = Client::new();
    let token = http
        .post(format!("{}/v1/login", server.url()))
        .json(&json!({"user": "alice", "password": PW, "device": "d"}))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = || {
        http.get(format!("{}/v1/me", server.url()))
            .bearer_auth(&token)
            .send()
            .unwrap()
    };
    assert_eq!(me().status(), 200);
    let listed = accounts::tokens(server.app.backend.as_ref(), "alice").unwrap();
    assert!(listed[0].last_used_ms.is_some(), "use is recorded");
    std::thread::sleep(std::time::Duration::from_millis(1700));
    let m = expect_error(me(), 401, "unauthorized");
    assert!(m.contains("not used"), "{m}");
}
