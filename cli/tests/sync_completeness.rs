//! A device holds everything the server holds for it, or says it does not (issue 28), against a
//! real server on loopback: a new device's first sync of records large enough to run the pull
//! budget out part-way through the last page of records gets every one of them; a record the
//! server "forgets" to send (a proxy between them drops it from a response) is found missing by
//! the scope's digest and fetched again; one that never arrives leaves the sync incomplete,
//! with the scope named in the report and the status.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use offgrid_core::sync::{self, SyncOptions};
use offgrid_core::{RecordKind, Role, Store};
use offgrid_server::{App, Config, RunningServer, accounts};
use serde_json::{Value, json};

const PW: &str = "correct horse";

fn server(data: &Path) -> RunningServer {
    let app = App::open(Config::new(data)).unwrap();
    let b = app.backend.as_ref();
    accounts::add_project(b, "p1", "p1").unwrap();
    for u in ["zhang", "li"] {
        accounts::add_user(b, u, u, PW).unwrap();
        accounts::set_member(b, "p1", u, Some(Role::Inspector)).unwrap();
    }
    RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap()
}

fn device(dir: &Path, name: &str, user: &str, url: &str) -> Store {
    let s = Store::open(dir.join(format!("{name}.db"))).unwrap();
    sync::login(&s, url, user, PW, name).unwrap();
    s
}

fn sync_now(s: &Store) -> sync::SyncReport {
    sync::sync(
        s,
        &SyncOptions::default(),
        &mut |_| {},
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap()
}

/// Text that does not compress: a signature image's worth of it.
fn noise(n: usize, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'!' + ((x >> 33) % 90) as u8)
        })
        .collect()
}

fn hazards(s: &Store, n: usize, size: usize) -> Vec<offgrid_core::RecordId> {
    s.write(|w| {
        (0..n)
            .map(|i| {
                w.create(
                    RecordKind::Hazard,
                    &json!({
                        "project": "p1",
                        "title": format!("隐患 {i}"),
                        "status": "raised",
                        "description": noise(size, i as u64),
                    }),
                )
            })
            .collect::<offgrid_core::Result<Vec<_>>>()
    })
    .unwrap()
}

fn holds_all(s: &Store, ids: &[offgrid_core::RecordId]) -> usize {
    let held = s.all_record_ids().unwrap();
    ids.iter().filter(|id| held.contains(id)).count()
}

#[test]
fn a_new_devices_first_sync_gets_every_record_when_the_budget_runs_out_in_the_last_page() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let a = device(dir.path(), "a", "zhang", &srv.url());
    // 20 records of 100 KB of text that hardly compresses: the 1 MiB budget runs out part-way
    // through the first (and last) page of records, of 20.
    let ids = hazards(&a, 20, 100_000);
    assert!(sync_now(&a).complete);

    let b = device(dir.path(), "b", "li", &srv.url());
    let report = sync_now(&b);
    assert_eq!(holds_all(&b, &ids), 20, "{report:?}");
    assert!(report.complete, "{report:?}");
    assert_eq!(report.repaired, 0, "paged, not repaired: {report:?}");
    assert!(report.unverified.is_empty());
    assert_eq!(sync_now(&b).progress.records_down, 0);
}

/// An HTTP proxy in front of the server that lets `edit` change each response body (JSON) to
/// a path.
struct Proxy {
    url: String,
}

type Edit = dyn Fn(&str, &Value, &mut Value) + Send + Sync;

impl Proxy {
    fn start(upstream: String, edit: Arc<Edit>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let (upstream, edit) = (upstream.clone(), edit.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, edit.as_ref());
                });
            }
        });
        Proxy { url }
    }
}

fn serve(conn: TcpStream, upstream: &str, edit: &Edit) -> std::io::Result<()> {
    let client = reqwest::blocking::Client::new();
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    len = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client.request(method, format!("{upstream}{path}"));
        for (k, v) in &headers {
            if [
                "authorization",
                "content-type",
                "content-encoding",
                "offgrid-protocol",
            ]
            .contains(&k.as_str())
            {
                req = req.header(k, v);
            }
        }
        let request_json: Value = if headers
            .iter()
            .any(|(k, v)| k == "content-encoding" && v == "gzip")
        {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain)?;
            serde_json::from_slice(&plain).unwrap_or(Value::Null)
        } else {
            serde_json::from_slice(&body).unwrap_or(Value::Null)
        };
        let resp = req.body(body).send().map_err(std::io::Error::other)?;
        let status = resp.status().as_u16();
        let mut bytes = resp.bytes().map_err(std::io::Error::other)?.to_vec();
        if let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) {
            edit(&path, &request_json, &mut v);
            bytes = serde_json::to_vec(&v).unwrap();
        }
        write!(
            out,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            bytes.len()
        )?;
        out.write_all(&bytes)?;
        out.flush()?;
    }
}

/// Drops one record from sync responses, as many times as armed.
#[derive(Default)]
struct Forget {
    id: Mutex<String>,
    times: AtomicUsize,
    dropped: AtomicUsize,
}

impl Forget {
    fn arm(&self, id: &str, times: usize) {
        *self.id.lock().unwrap() = id.to_owned();
        self.times.store(times, Ordering::SeqCst);
    }

    fn proxy(self: &Arc<Self>, upstream: String) -> Proxy {
        let me = self.clone();
        Proxy::start(
            upstream,
            Arc::new(move |path: &str, _req: &Value, resp: &mut Value| {
                if path != "/v1/sync" || me.times.load(Ordering::SeqCst) == 0 {
                    return;
                }
                let id = me.id.lock().unwrap().clone();
                if let Some(pull) = resp["pull"].as_array_mut() {
                    let before = pull.len();
                    pull.retain(|p| p["id"] != id.as_str());
                    if pull.len() < before {
                        me.dropped.fetch_add(1, Ordering::SeqCst);
                        me.times.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            }),
        )
    }
}

#[test]
fn a_record_the_server_forgot_to_send_is_found_missing_and_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let a = device(dir.path(), "a", "zhang", &srv.url());
    let ids = hazards(&a, 5, 100);
    assert!(sync_now(&a).complete);

    let forget = Arc::new(Forget::default());
    forget.arm(&ids[3].0, 1);
    let proxy = forget.proxy(srv.url());
    let b = device(dir.path(), "b", "li", &proxy.url);
    let report = sync_now(&b);
    assert_eq!(
        forget.dropped.load(Ordering::SeqCst),
        1,
        "the proxy dropped it"
    );
    assert_eq!(holds_all(&b, &ids), 5, "{report:?}");
    assert_eq!(report.repaired, 1, "{report:?}");
    assert!(report.complete, "{report:?}");
    assert!(b.sync_status().unwrap().unverified.is_empty());

    // A change made later and dropped from the feed is fetched again too.
    let edited = ids[1].clone();
    a.write(|w| {
        w.update(&edited, "edit", |e| {
            Ok(e.set("/title", json!("隐患 1（已核实）"))?)
        })
    })
    .unwrap();
    assert!(sync_now(&a).complete);
    forget.arm(&edited.0, 1);
    let report = sync_now(&b);
    assert_eq!(forget.dropped.load(Ordering::SeqCst), 2);
    assert_eq!(report.repaired, 1, "{report:?}");
    assert!(report.complete);
    assert_eq!(b.heads(&edited).unwrap(), a.heads(&edited).unwrap());
}

#[test]
fn a_record_that_never_arrives_leaves_the_sync_incomplete_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(&dir.path().join("server"));
    let a = device(dir.path(), "a", "zhang", &srv.url());
    let ids = hazards(&a, 3, 100);
    assert!(sync_now(&a).complete);

    let forget = Arc::new(Forget::default());
    forget.arm(&ids[0].0, usize::MAX);
    let proxy = forget.proxy(srv.url());
    let b = device(dir.path(), "b", "li", &proxy.url);
    let report = sync_now(&b);
    assert_eq!(holds_all(&b, &ids), 2);
    assert!(!report.complete, "{report:?}");
    assert_eq!(report.unverified, vec!["p1".to_owned()]);
    assert_eq!(b.sync_status().unwrap().unverified, vec!["p1".to_owned()]);

    // Once the record comes through, the sync is complete again and the status says so.
    forget.arm(&ids[0].0, 0);
    let report = sync_now(&b);
    assert_eq!(holds_all(&b, &ids), 3);
    assert!(report.complete, "{report:?}");
    assert!(b.sync_status().unwrap().unverified.is_empty());
}
