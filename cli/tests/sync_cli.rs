//! `offgrid login` and `offgrid sync` through the binary, against `offgrid serve` on loopback:
//! a signed-in database writes as its account, a second device receives what the first one
//! wrote, and a sync that leaves something behind says so in its exit code.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::path::Path;

use serde_json::Value as Json;
use support::{ServerProcess, json, ok, run};

/// `offgrid --db DB login URL --as USER --password PASSWORD --device DB`.
fn login(dir: &Path, db: &str, url: &str, user: &str, password: &str) -> std::process::Output {
    run(
        dir,
        &[
            "--db",
            db,
            "login",
            url,
            "--as",
            user,
            "--password",
            password,
            "--device",
            db,
        ],
    )
}

fn raise(dir: &Path, db: &str, title: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--db",
        db,
        "--project",
        "p1",
        "hazard",
        "raise",
        "--site",
        "3号楼地下一层",
        "--location",
        "东侧外墙",
        "--title",
        title,
        "--description",
        "巡查发现",
        "--grade",
        "yellow",
    ];
    args.extend_from_slice(extra);
    ok(dir, &args).trim().to_owned()
}

#[test]
fn a_signed_in_database_writes_as_its_account_and_syncs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("server");
    support::admin(&data, &["project-add", "p1", "--name", "人防工程 1"]);
    for (id, name) in [("zhang", "张工"), ("li", "李工")] {
        support::admin(&data, &["user-add", id, "--name", name]);
        support::admin(&data, &["member", "p1", id, "inspector"]);
    }
    let server = ServerProcess::start(&data, "127.0.0.1:0");
    let url = server.url();

    // A wrong password is refused with a clear message, and nothing is saved.
    let out = login(dir, "a.db", &url, "zhang", "wrong");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("login failed"), "{stderr}");
    let status = json(dir, &["--db", "a.db", "--json", "sync", "--status"]);
    assert_eq!(status["user_id"], Json::Null, "{status}");

    let out = login(dir, "a.db", &url, "zhang", "correct horse");
    assert!(out.status.success(), "{out:?}");
    let who = String::from_utf8_lossy(&out.stdout);
    assert!(
        who.contains("logged in as zhang (张工): inspector on p1"),
        "{who}"
    );

    // No --user: the record is written by the signed-in account, with its server role.
    let hazard = raise(dir, "a.db", "外墙渗水", &[]);
    let rows = json(dir, &["--db", "a.db", "--json", "list"]);
    assert_eq!(rows[0]["id"], hazard.as_str());
    assert_eq!(rows[0]["updated_by"], "zhang", "{rows}");
    // An explicit --user still writes as that user on this device, but the server takes only
    // the signed-in account's own work: the sync prints the refusal and exits 1, the record
    // stays here with its data, and is not sent again until it changes.
    let other = raise(dir, "a.db", "配电箱未接地", &["--user", "wang"]);
    let rows = json(dir, &["--db", "a.db", "--json", "list"]);
    let by = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["updated_by"].clone())
    };
    assert_eq!(by(&other), Some(Json::from("wang")), "{rows}");
    let out = run(dir, &["--db", "a.db", "sync"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("refused: {other} (forbidden): author_mismatch")),
        "{stdout}"
    );
    let status = json(dir, &["--db", "a.db", "--json", "sync", "--status"]);
    assert_eq!(status["user_id"], "zhang");
    assert_eq!(status["pending_records"], 1, "{status}");
    assert_eq!(status["refused"][0]["id"], other.as_str(), "{status}");
    assert!(status["last_success_ms"].is_null(), "{status}");
    let out = run(dir, &["--db", "a.db", "--json", "sync"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let again: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["progress"]["records_up"], 0, "not resent: {again}");
    assert_eq!(
        again["rejected"][0]["id"],
        other.as_str(),
        "still shown: {again}"
    );

    // A second device signs in as another user and receives the accepted record, author intact.
    let out = login(dir, "b.db", &url, "li", "correct horse");
    assert!(out.status.success(), "{out:?}");
    let report = json(dir, &["--db", "b.db", "--json", "sync"]);
    assert_eq!(report["complete"], true, "{report}");
    let rows = json(dir, &["--db", "b.db", "--json", "list"]);
    let mut got: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["updated_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, vec![(hazard.clone(), "zhang".to_owned())]);

    // A record the server refuses (no project) leaves the sync incomplete: the exit code says
    // so (a script must not take it for done), the refusal is printed, and it stays pending.
    let orphan = ok(
        dir,
        &[
            "--db",
            "b.db",
            "--role",
            "inspector",
            "create",
            "patrol",
            "--field",
            "title=巡查",
        ],
    );
    let orphan = orphan.trim();
    let out = run(dir, &["--db", "b.db", "sync"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("refused: {orphan} (no_project)")),
        "{stdout}"
    );
    assert!(stdout.contains("incomplete:"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 record(s) and 0 photo(s) not on the server yet"),
        "{stderr}"
    );
    let status = json(dir, &["--db", "b.db", "--json", "sync", "--status"]);
    assert_eq!(status["pending_records"], 1, "{status}");
}
