//! Hostile input against the real server (issue 28): `offgrid serve` in a child process under
//! `prlimit`, its open-files limit at 1,024 and its address space capped (so a regression fails
//! here instead of swapping the machine), each case sent by one member with one request or a
//! handful. After each, the server still answers `/healthz`, the refusal is typed and counted
//! in `/metrics`, and the server's peak resident memory (VmHWM) stayed under 300 MB.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use offgrid_core::sync::protocol::{Bytes, PushRecord, SyncRequest};
use serde_json::{Value, json};

/// The peak the whole suite allows the server.
const PEAK_BYTES: u64 = 300 << 20;
/// The address-space cap: far above the peak, far below what the machine has.
const ADDRESS_SPACE: u64 = 3 << 30;

struct Server {
    child: Child,
    url: String,
    addr: String,
}

impl Server {
    /// A server with project `p1` and member `zhang`, started under the limits, with `extra`
    /// arguments for `offgrid serve`.
    fn start(data: &Path, extra: &[&str]) -> Server {
        support::admin(data, &["project-add", "p1", "--name", "人防工程 1"]);
        support::admin(data, &["user-add", "zhang", "--name", "张工"]);
        support::admin(data, &["member", "p1", "zhang", "inspector"]);
        let mut child = Command::new("prlimit")
            .arg("--nofile=1024:1024")
            .arg(format!("--as={ADDRESS_SPACE}:{ADDRESS_SPACE}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_offgrid"))
            .args(["serve", "--workers", "2", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env("OFFGRID_LOG", "warn")
            .env("MALLOC_ARENA_MAX", "2")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prlimit and offgrid serve run");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut line,
        )
        .expect("the address");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Server {
            child,
            url: format!("http://{addr}"),
            addr,
        }
    }

    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    }

    fn token(&self) -> String {
        let resp: Value = Self::client()
            .post(format!("{}/v1/login", self.url))
            .json(&json!({"user": "zhang", "password": "correct horse", "device": "hostile"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        resp["token"].as_str().expect("a token").to_owned()
    }

    /// Pushes one record of one change; the response's JSON.
    fn push(&self, token: &str, id: &str, change: Vec<u8>) -> (u16, Value) {
        let req = SyncRequest {
            device: "hostile".into(),
            push: vec![PushRecord {
                id: id.into(),
                project: "p1".into(),
                kind: "hazard".into(),
                changes: vec![Bytes(change)],
                heads: vec![],
                photos: vec![],
            }],
            ..Default::default()
        };
        let resp = Self::client()
            .post(format!("{}/v1/sync", self.url))
            .bearer_auth(token)
            .json(&req)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    fn healthy(&self) -> bool {
        Self::client()
            .get(format!("{}/healthz", self.url))
            .timeout(Duration::from_secs(10))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    fn metrics(&self) -> String {
        Self::client()
            .get(format!("{}/metrics", self.url))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// Peak resident memory so far (VmHWM).
    fn peak_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server is running");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kb << 10
    }

    /// The server is up, answers, and stayed under the peak.
    fn assert_unharmed(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server process died"
        );
        assert!(self.healthy(), "the server answers /healthz");
        let peak = self.peak_bytes();
        eprintln!("server peak resident memory: {} MB", peak >> 20);
        assert!(
            peak <= PEAK_BYTES,
            "server peak {} MB > {} MB",
            peak >> 20,
            PEAK_BYTES >> 20
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A change by `zhang` creating a hazard whose description nests maps `depth` deep.
fn nested_change(id: &str, depth: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "id", id).unwrap();
    doc.put(automerge::ROOT, "kind", "hazard").unwrap();
    doc.put(automerge::ROOT, "project", "p1").unwrap();
    let mut obj = doc
        .put_object(automerge::ROOT, "nest", ObjType::Map)
        .unwrap();
    for _ in 1..depth {
        obj = doc.put_object(&obj, "n", ObjType::Map).unwrap();
    }
    commit(&mut doc)
}

fn commit(doc: &mut AutoCommit) -> Vec<u8> {
    doc.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(r#"{"u":"zhang","n":"张工","tz":480,"m":"hostile"}"#),
    );
    doc.get_changes(&[]).last().unwrap().raw_bytes().to_vec()
}

fn refused(resp: &Value, code: &str, tag: &str) {
    let r = &resp["rejected"][0];
    assert_eq!(r["code"], code, "{resp}");
    assert!(
        r["reason"].as_str().unwrap_or_default().contains(tag),
        "{resp}"
    );
}

fn deep_nesting(depth: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[]);
    let token = srv.token();
    let change = nested_change("h-deep", depth);
    let (status, resp) = srv.push(&token, "h-deep", change);
    assert_eq!(status, 200, "{resp}");
    refused(&resp, "bad_change", "depth");
    assert!(
        srv.metrics()
            .contains("offgrid_limit_refusals_total{limit=\"depth\"} 1"),
        "{}",
        srv.metrics()
    );
    srv.assert_unharmed();
}

#[test]
fn a_change_nesting_maps_10_000_deep_is_refused_and_the_server_stays_up() {
    deep_nesting(10_000);
}

#[test]
fn a_change_nesting_maps_50_000_deep_is_refused_and_the_server_stays_up() {
    deep_nesting(50_000);
}

#[test]
fn a_change_of_200_000_operations_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[]);
    let token = srv.token();
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "id", "h-ops").unwrap();
    let text = doc
        .put_object(automerge::ROOT, "description", ObjType::Text)
        .unwrap();
    doc.splice_text(&text, 0, 0, &"隐".repeat(200_000)).unwrap();
    let change = commit(&mut doc);
    assert!(
        change.len() < 2 << 20,
        "small on the wire: {}",
        change.len()
    );
    let (status, resp) = srv.push(&token, "h-ops", change);
    assert_eq!(status, 200, "{resp}");
    refused(&resp, "bad_change", "ops");
    assert!(srv.metrics().contains("limit=\"ops\"} 1"));
    srv.assert_unharmed();
}

/// A compressed change chunk whose data inflates to `inflated` zero bytes.
fn deflate_bomb(inflated: usize) -> Vec<u8> {
    let mut deflated = Vec::new();
    {
        let mut w = flate2::write::DeflateEncoder::new(&mut deflated, flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..inflated >> 20 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap();
    }
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = deflated.len() as u64;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            chunk.push(b);
            break;
        }
        chunk.push(b | 0x80);
    }
    chunk.extend(deflated);
    chunk
}

#[test]
fn a_compressed_change_inflating_to_a_gibibyte_is_refused_before_it_inflates() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[]);
    let token = srv.token();
    let bomb = deflate_bomb(1 << 30);
    assert!(bomb.len() < 8 << 20, "{} bytes on the wire", bomb.len());
    let (status, resp) = srv.push(&token, "h-bomb", bomb);
    assert_eq!(status, 200, "{resp}");
    refused(&resp, "bad_change", "inflated");
    srv.assert_unharmed();
}

#[test]
fn thirty_two_huge_login_bodies_at_once_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[]);
    let body = format!(
        r#"{{"user":"zhang","password":"{}","device":"x"}}"#,
        "x".repeat(31 << 20)
    );
    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let (url, body) = (srv.url.clone(), body.clone());
                s.spawn(move || {
                    Server::client()
                        .post(format!("{url}/v1/login"))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .ok()
                        .map(|r| r.status().as_u16())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Each is answered 413 (or cut off once the limit is read): none is logged in.
    assert!(
        statuses.iter().all(|s| matches!(s, Some(413) | None)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&Some(413)), "{statuses:?}");
    assert!(srv.metrics().contains("limit=\"body_bytes\"}"));
    srv.assert_unharmed();
}

#[test]
fn fifteen_hundred_half_sent_requests_are_closed_and_the_server_keeps_answering() {
    // The test holds 1,500 connections open itself.
    rlimit::increase_nofile_limit(4096).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &["--header-timeout", "2"]);
    let mut held = Vec::new();
    for _ in 0..1500 {
        let Ok(mut c) = TcpStream::connect(&srv.addr) else {
            break;
        };
        let _ = c.write_all(b"POST /v1/login HTTP/1.1\r\nHost: offgrid\r\nContent-Le");
        held.push(c);
    }
    assert!(held.len() >= 1000, "{} connections opened", held.len());
    // Answered while they are held: queued behind the limit at most until their headers time out.
    let asked = Instant::now();
    assert!(srv.healthy(), "the server answers while 1,500 are held");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    // Every one of them is refused by the server: 408, then closed.
    std::thread::sleep(Duration::from_secs(5));
    let mut refused = 0;
    for c in &mut held {
        c.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 512];
        // Up to the end of the stream: the answer, then the close.
        while let Ok(n @ 1..) = c.read(&mut buf) {
            answer.extend(&buf[..n]);
        }
        let closed = matches!(c.read(&mut buf), Ok(0));
        if answer.starts_with(b"HTTP/1.1 408 ") && closed {
            refused += 1;
        }
    }
    assert!(
        refused * 10 >= held.len() * 9,
        "{refused} of {} answered 408 and closed by the server",
        held.len()
    );
    // Counted as refusals by the header-read limit.
    let metrics = srv.metrics();
    assert!(
        metrics.contains("offgrid_limit_refusals_total{limit=\"header_timeout\"}"),
        "{metrics}"
    );
    drop(held);
    srv.assert_unharmed();
}

#[test]
fn a_photo_upload_announcing_more_than_any_photo_is_refused_before_it_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[]);
    let token = srv.token();
    let sha = "ab".repeat(32);
    // A record of p1 references the photo (a record with no change yet: nothing to judge).
    let req = SyncRequest {
        device: "hostile".into(),
        push: vec![PushRecord {
            id: "h-photo".into(),
            project: "p1".into(),
            kind: "hazard".into(),
            changes: vec![],
            heads: vec![],
            photos: vec![sha.clone()],
        }],
        ..Default::default()
    };
    let pushed: Value = Server::client()
        .post(format!("{}/v1/sync", srv.url))
        .bearer_auth(&token)
        .json(&req)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(pushed["need_blobs"][0]["sha256"], sha.as_str(), "{pushed}");
    let resp = Server::client()
        .put(format!("{}/v1/blobs/{sha}?project=p1", srv.url))
        .bearer_auth(&token)
        .header("content-range", format!("bytes 0-1023/{}", 10u64 << 30))
        .body(vec![0u8; 1024])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert!(srv.metrics().contains("limit=\"blob_bytes\"} 1"));
    assert!(
        !dir.path().join("blobs/partial").exists()
            || std::fs::read_dir(dir.path().join("blobs/partial"))
                .unwrap()
                .next()
                .is_none(),
        "nothing of it stored"
    );
    srv.assert_unharmed();
}
