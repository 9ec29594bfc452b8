//! The `offgrid-server` binary as an operator runs it: accounts made with `admin`, the server
//! started on loopback, a device's login and sync answered, lists as JSON, a clean stop on
//! SIGTERM, and arguments it refuses with a clear message.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_offgrid-server");

fn admin(data: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .arg("admin")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("OFFGRID_PASSWORD", "correct horse")
        .output()
        .expect("offgrid-server runs");
    assert!(
        out.status.success(),
        "offgrid-server admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The server's process, killed if the test fails before it stops it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `offgrid-server serve` on a free loopback port; its base URL from the first line of stdout.
fn serve(data: &Path) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--workers", "2", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("OFFGRID_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("offgrid-server serve starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (Server(child), format!("http://{addr}"))
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn serves_devices_with_accounts_made_by_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    admin(&data, &["project-add", "p1", "--name", "人防工程 1"]);
    admin(&data, &["user-add", "zhang", "--name", "张工"]);
    admin(&data, &["member", "p1", "zhang", "inspector"]);
    let (mut server, url) = serve(&data);

    let health = client().get(format!("{url}/healthz")).send().unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let login: Value = client()
        .post(format!("{url}/v1/login"))
        .json(&json!({"user": "zhang", "password": "correct horse", "device": "phone-1"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = login["token"].as_str().expect("a token");
    assert_eq!(login["account"]["name"], "张工", "{login}");
    assert_eq!(
        login["account"]["roles"],
        json!([{"project": "p1", "role": "inspector"}]),
        "{login}"
    );

    let sync = client()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .json(&json!({"device": "phone-1"}))
        .send()
        .unwrap();
    assert_eq!(sync.status().as_u16(), 200);
    let sync: Value = sync.json().unwrap();
    assert_eq!(sync["more"], false, "{sync}");
    assert_eq!(sync["digests"]["p1"]["count"], 0, "{sync}");
    assert_eq!(sync["zone"], "Asia/Shanghai", "{sync}");

    // The token just issued is listed, live, while the server runs.
    let out = admin(&data, &["--json", "tokens", "zhang"]);
    let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tokens.as_array().map(Vec::len), Some(1), "{tokens}");
    assert_eq!(tokens[0]["device"], "phone-1");
    assert!(tokens[0]["revoked_ms"].is_null());

    // SIGTERM: the server finishes and exits cleanly.
    let term = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn refuses_bad_arguments_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--token-idle-days", "0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--token-idle-days must be at least 1"),
        "{err}"
    );

    let out = Command::new(BIN)
        .args(["admin", "--data"])
        .arg(dir.path())
        .args(["member", "p1", "zhang", "boss"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("boss") && err.contains("inspector"), "{err}");
}
