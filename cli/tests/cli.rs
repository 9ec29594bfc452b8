//! End-to-end tests of the `offgrid` binary: each runs the built executable in a temporary
//! directory and checks its exit code, stdout (mostly `--json`) and stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;
use support::{json, ok, run as offgrid, run_env as offgrid_env};

/// Runs a command that must fail with exit code 1; returns its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = offgrid(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "offgrid {args:?} did not fail:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

#[test]
fn create_set_show_list_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let id = ok(
        dir,
        &[
            "--db",
            "site.db",
            "--user",
            "zhang",
            "--user-name",
            "张工",
            "create",
            "patrol",
            "--field",
            "title=底板东北角渗水",
            "--field",
            "status=open",
            "--json-fields",
            r#"{"grade": "major", "area_m2": 0.5}"#,
        ],
    )
    .trim()
    .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id:?}");

    ok(
        dir,
        &[
            "--db",
            "site.db",
            "--user",
            "li",
            "--user-name",
            "李工",
            "set",
            &id,
            "/status",
            "rectifying",
            "--message",
            "整改中",
        ],
    );
    ok(dir, &["--db", "site.db", "set", &id, "/area_m2", "0.75"]);

    let record = json(dir, &["--db", "site.db", "--json", "show", &id]);
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["title"], "底板东北角渗水");
    assert_eq!(record["status"], "rectifying");
    assert_eq!(record["grade"], "major");
    assert_eq!(record["area_m2"], 0.75);
    let status = json(dir, &["--db", "site.db", "show", &id, "--path", "/status"]);
    assert_eq!(status, "rectifying");

    let listed = json(
        dir,
        &["--db", "site.db", "--json", "list", "--search", "渗水"],
    );
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["kind"], "patrol");
    assert_eq!(rows[0]["updated_by"], "cli");
    let none = json(
        dir,
        &["--db", "site.db", "--json", "list", "--kind", "inspection"],
    );
    assert_eq!(none, Json::Array(vec![]));
    let table = ok(dir, &["--db", "site.db", "list", "--status", "rectifying"]);
    assert!(
        table.contains(&id) && table.contains("底板东北角渗水"),
        "{table}"
    );

    let history = json(dir, &["--db", "site.db", "--json", "history", &id]);
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["user_id"], "zhang");
    assert_eq!(entries[0]["user_name"], "张工");
    assert_eq!(entries[0]["message"], "create patrol");
    assert_eq!(entries[1]["user_id"], "li");
    assert_eq!(entries[1]["user_name"], "李工");
    assert_eq!(entries[1]["message"], "整改中");
    assert_eq!(entries[1]["paths"], serde_json::json!(["/status"]));
    assert_eq!(entries[2]["user_id"], "cli");
    assert_eq!(entries[2]["message"], "set /area_m2");

    let check = json(dir, &["--db", "site.db", "--json", "check"]);
    assert_eq!(check["ok"], true);
    assert_eq!(check["records"], 1);
}

#[test]
fn usage_and_record_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let id = ok(dir, &["create", "inspection", "--field", "title=t"]);
    let id = id.trim();

    // A parent map that does not exist is refused (genesis rule), with the path named.
    let out = offgrid(dir, &["set", id, "/answers/x/value", "pass"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/answers/x"));

    let out = offgrid(dir, &["show", "no-such-record"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));

    // Usage errors exit 2.
    assert_eq!(offgrid(dir, &["create", "bogus"]).status.code(), Some(2));
    assert_eq!(
        offgrid(dir, &["create", "hazard", "--field", "novalue"])
            .status
            .code(),
        Some(2)
    );

    // Reading never creates a database.
    let out = offgrid(dir, &["--db", "missing.db", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("missing.db").exists());
}

/// The commands that only read the database (issue 28): none may create one.
const READ_ONLY: &[&[&str]] = &[
    &["sync", "--status"],
    &["--json", "sync", "--status"],
    &["sync"],
    &["list"],
    &["list", "--search", "渗水"],
    &["show", "00000000-0000-0000-0000-000000000000"],
    &["history", "00000000-0000-0000-0000-000000000000"],
    &["conflicts", "00000000-0000-0000-0000-000000000000"],
    &["check"],
    &["register"],
    &["inspection", "show", "00000000-0000-0000-0000-000000000000"],
    &["hazard", "show", "00000000-0000-0000-0000-000000000000"],
    &["grid", "list"],
    &["site", "list"],
    &["plan", "list"],
    &["patrol", "today"],
    &["photo", "queue"],
    &[
        "verify",
        "--sha256",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ],
];

/// Runs `offgrid --db DB ARGS…`, which must fail with a message naming the database, and
/// returns that message.
fn refused(dir: &Path, db: &str, args: &[&str]) -> String {
    let all: Vec<&str> = ["--db", db].iter().chain(args).copied().collect();
    let out = offgrid(dir, &all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{all:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(db),
        "{all:?}: {stderr}"
    );
    stderr
}

/// The names in `dir`.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sync_status_on_a_missing_database_fails_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stderr = refused(dir, "mistyped.db", &["sync", "--status"]);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(names_in(dir).is_empty(), "{:?}", names_in(dir));
}

#[test]
fn sync_status_on_an_empty_file_fails_and_leaves_it_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("empty.db"), b"").unwrap();
    let stderr = refused(dir, "empty.db", &["sync", "--status"]);
    assert!(stderr.contains("is empty"), "{stderr}");
    assert_eq!(std::fs::metadata(dir.join("empty.db")).unwrap().len(), 0);
    assert_eq!(names_in(dir), BTreeSet::from(["empty.db".to_owned()]));
}

#[test]
fn read_only_commands_on_a_missing_database_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for args in READ_ONLY {
        let stderr = refused(dir, "missing.db", args);
        assert!(stderr.contains("does not exist"), "{args:?}: {stderr}");
        assert!(names_in(dir).is_empty(), "{args:?}: {:?}", names_in(dir));
    }
    // Listing templates needs no database: the built-ins, and still nothing created.
    ok(dir, &["--db", "missing.db", "template", "list"]);
    assert!(names_in(dir).is_empty(), "{:?}", names_in(dir));
}

#[test]
fn read_only_commands_on_an_empty_file_leave_it_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("empty.db"), b"").unwrap();
    for args in READ_ONLY {
        let stderr = refused(dir, "empty.db", args);
        assert!(stderr.contains("is empty"), "{args:?}: {stderr}");
        assert_eq!(std::fs::metadata(dir.join("empty.db")).unwrap().len(), 0);
        assert_eq!(names_in(dir), BTreeSet::from(["empty.db".to_owned()]));
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let content = b"inspection notes, not a database\n\xe6\xb8\x97\xe6\xb0\xb4\n".repeat(50);
    std::fs::write(dir.join("notadb.txt"), &content).unwrap();
    for args in [
        &["--db", "notadb.txt", "list"][..],
        &["--db", "notadb.txt", "create", "hazard"],
        &["--db", "notadb.txt", "check"],
    ] {
        let out = offgrid(dir, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not an Offgrid database"), "{stderr}");
    }
    assert_eq!(std::fs::read(dir.join("notadb.txt")).unwrap(), content);
    let names: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, BTreeSet::from(["notadb.txt".to_owned()]));
}

#[test]
fn demo_merges_and_reports_the_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let report = json(dir, &["--json", "demo", "--dir", "demo"]);

    assert_eq!(report["merged"]["identical"], true);
    assert_eq!(report["merged"]["records_compared"], 3);
    // Synced through a real server over the flaky link; three devices end identical.
    assert!(
        report["link"]["server"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert!(report["link"]["requests_forwarded"].as_u64().unwrap() >= 8);
    assert!(
        report["sync"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["complete"] == true)
    );
    assert_eq!(report["end"]["identical"], true);
    assert_eq!(report["end"]["devices"], 3);
    assert!(report["end"]["records_compared"].as_u64().unwrap() > 3);
    let inspection = &report["merged"]["inspection"];
    assert_eq!(inspection["answers"]["cover"]["value"], 25);
    assert_eq!(inspection["notes"].as_object().unwrap().len(), 2);

    let conflicts = report["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0]["path"], "/answers/rebar-spacing/value");
    let values = conflicts[0]["values"].as_array().unwrap();
    let mut seen: Vec<(&str, &str)> = values
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["user_id"].as_str().unwrap()))
        .collect();
    seen.sort();
    assert_eq!(seen, [("fail", "li"), ("pass", "zhang")]);
    let winners: Vec<&Json> = values.iter().filter(|v| v["winner"] == true).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(
        inspection["answers"]["rebar-spacing"]["value"],
        winners[0]["value"]
    );
    assert_eq!(values[0]["offset_minutes"], 480);

    let hazard = report["records"]["hazard"].as_str().unwrap();
    let found: Vec<&str> = report["search"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [hazard]);
    assert!(report["history"].as_array().unwrap().len() >= 6);

    // Both databases are real stores that the other commands read, and they agree.
    let id = report["records"]["inspection"].as_str().unwrap();
    let a = json(dir, &["--db", "demo/device-a.db", "show", id]);
    let b = json(dir, &["--db", "demo/device-b.db", "show", id]);
    assert_eq!(a, b);
    assert_eq!(&a, inspection);
    let conflicts_b = json(
        dir,
        &["--db", "demo/device-b.db", "--json", "conflicts", id],
    );
    assert_eq!(&conflicts_b, &report["conflicts"]);

    // The human form runs too, and a second run into the same directory is refused.
    let human = ok(dir, &["demo", "--dir", "demo2"]);
    assert!(human.contains("/answers/rebar-spacing/value"), "{human}");
    assert_eq!(
        offgrid(dir, &["demo", "--dir", "demo2"]).status.code(),
        Some(1)
    );
}

#[test]
fn bench_store_prints_every_metric_as_a_json_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = ok(dir, &["bench", "store", "--records", "300", "--dir", "."]);
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let m: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(m["value"].is_number(), "{line}");
        assert!(m["unit"].is_string(), "{line}");
        names.insert(m["name"].as_str().unwrap().to_owned());
    }
    let want = [
        "machine.cores",
        "store.record_ops",
        "store.commit_p50_ms",
        "store.commit_p99_ms",
        "store.raw_commit_p50_ms",
        "store.commit_ratio",
        "store.encrypted_commit_p50_ms",
        "store.encrypted_commit_ratio",
        "store.encrypted_vs_plain",
        "store.open_ms",
        "store.open_p99_ms",
        "store.list_10k_ms",
        "store.list_all_10k_ms",
        "store.filter_10k_ms",
        "store.search_short_10k_ms",
        "store.search_10k_ms",
        "store.rss_10k_mb",
        "store.peak_rss_mb",
    ];
    assert_eq!(names, want.iter().map(|s| s.to_string()).collect());
    // The benchmark cleans up after itself.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}

#[test]
fn bench_photo_compares_a_plain_and_an_encrypted_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["photo", "sample", "p.jpg"]);
    let names = metric_names(&ok(dir, &["bench", "photo", "p.jpg", "--runs", "1"]));
    for name in [
        "photo.pipeline_ms",
        "photo.store.add_plain_ms",
        "photo.store.add_encrypted_ms",
        "photo.store.read_upload_plain_ms",
        "photo.store.read_upload_encrypted_ms",
        "photo.store.encrypted_ratio",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
}

#[test]
fn bench_screens_prints_every_metric_as_a_json_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = ok(dir, &["bench", "screens", "--hazards", "300", "--dir", "."]);
    let names = metric_names(&text);
    let want = [
        "screens.home_first_ms",
        "screens.home_p50_ms",
        "screens.home_p99_ms",
        "screens.hazard_p50_ms",
        "screens.hazard_p99_ms",
        "screens.patrol_run_p50_ms",
        "screens.patrol_run_p99_ms",
        "screens.checklist_500_p50_ms",
        "screens.checklist_500_p99_ms",
        "screens.review_500_p50_ms",
        "screens.review_500_p99_ms",
        "screens.hazard_list_p50_ms",
        "screens.hazard_list_p99_ms",
        "screens.hazard_list_ordered_p50_ms",
        "screens.hazard_list_ordered_p99_ms",
        "screens.hazard_list_search_p50_ms",
        "screens.hazard_list_search_p99_ms",
        "screens.my_coverage_p50_ms",
        "screens.my_coverage_p99_ms",
        "screens.sync_p50_ms",
        "screens.sync_p99_ms",
    ];
    assert_eq!(names, want.iter().map(|s| s.to_string()).collect());
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}

#[cfg(feature = "documents")]
#[test]
fn bench_documents_prints_every_metric_as_a_json_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = ok(
        dir,
        &["bench", "documents", "--hazards", "40", "--dir", "."],
    );
    let names = metric_names(&text);
    let want = [
        "documents.report_cold_ms",
        "documents.report_warm_ms",
        "documents.report_bytes",
        "documents.report_pages",
        "documents.report_peak_mb",
        "documents.notice_first_ms",
        "documents.notice_10_ms",
        "documents.notice_peak_mb",
        "documents.register_ms",
        "documents.register_rows",
        "documents.register_bytes",
        "documents.register_peak_mb",
    ];
    assert_eq!(names, want.iter().map(|s| s.to_string()).collect());
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}

/// The names of a benchmark's JSON lines, each checked to carry a positive value.
fn metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|line| {
            let m: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(m["value"].as_f64().is_some_and(|v| v > 0.0), "{line}");
            m["name"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The built-in template files, next to the core crate.
fn template_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/templates");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn template_list_show_and_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let listed = json(dir, &["--json", "template", "list"]);
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{listed}");
    for row in rows {
        assert!(row["items"].as_u64().unwrap() > 0, "{row}");
        assert_eq!(row["content_hash"].as_str().unwrap().len(), 64, "{row}");
        assert!(!row["title"]["zh-CN"].as_str().unwrap().is_empty(), "{row}");
    }
    let table = ok(dir, &["template", "list"]);
    assert!(
        table.contains("rf-maintenance-check") && table.contains("人防工程维护管理检查"),
        "{table}"
    );
    // No database is touched.
    assert!(!dir.join("offgrid.db").exists());

    // A built-in shown as JSON is a valid template file with the same identity.
    let shown = ok(dir, &["template", "show", "rf-maintenance-check"]);
    std::fs::write(dir.join("shown.json"), &shown).unwrap();
    let again = json(dir, &["template", "show", "--file", "shown.json"]);
    assert_eq!(again, serde_json::from_str::<Json>(&shown).unwrap());
    let checked = json(dir, &["--json", "template", "validate", "shown.json"]);
    let listed_hash = rows
        .iter()
        .find(|r| r["id"] == "rf-maintenance-check")
        .unwrap()["content_hash"]
        .clone();
    assert_eq!(checked["content_hash"], listed_hash);
    assert_eq!(
        offgrid(dir, &["template", "show", "no-such-template"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(offgrid(dir, &["template", "show"]).status.code(), Some(2));

    let schema = ok(dir, &["template", "schema"]);
    let schema: Json = serde_json::from_str(&schema).unwrap();
    assert!(schema.to_string().contains("visible_if"));
}

#[test]
fn template_validate_accepts_the_builtins() {
    let tmp = tempfile::tempdir().unwrap();
    let files = template_files();
    assert_eq!(files.len(), 4, "{files:?}");
    for file in &files {
        let out = ok(
            tmp.path(),
            &["template", "validate", file.to_str().unwrap()],
        );
        assert!(
            out.starts_with("ok: ") && out.contains(" items, hash "),
            "{file:?}: {out}"
        );
        let report = json(
            tmp.path(),
            &["--json", "template", "validate", file.to_str().unwrap()],
        );
        assert_eq!(report["ok"], true);
        assert_eq!(report["issues"], serde_json::json!([]));
    }
}

#[test]
fn template_validate_reports_every_problem_at_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let broken = serde_json::json!({
        "id": "broken",
        "version": 1,
        "title": {"zh-CN": "坏模板", "en": "Broken"},
        "purpose": "patrol",
        "sections": [{
            "id": "s",
            "title": {"zh-CN": "检查", "en": "Checks"},
            "items": [
                {"id": "exits", "type": "pass_fail", "text": {"zh-CN": "疏散通道畅通", "en": ""}},
                {
                    "id": "signs",
                    "type": "pass_fail",
                    "text": {"zh-CN": "标识完好", "en": "Signs intact"},
                    "visible_if": {"op": "eq", "item": "exit", "value": "pass"}
                }
            ]
        }]
    });
    std::fs::write(dir.join("broken.json"), broken.to_string()).unwrap();

    let out = offgrid(dir, &["template", "validate", "broken.json"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("$.sections[0].items[1].visible_if.item: unknown item \"exit\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("$.sections[0].items[0].text.en"),
        "{stdout}"
    );

    let out = offgrid(dir, &["--json", "template", "validate", "broken.json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let paths: Vec<&str> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "$.sections[0].items[0].text.en",
            "$.sections[0].items[1].visible_if.item"
        ]
    );

    // A file that does not deserialize has its one error; an unreadable file is an error too.
    std::fs::write(
        dir.join("typo.json"),
        broken
            .to_string()
            .replace("\"visible_if\"", "\"visible-if\""),
    )
    .unwrap();
    let out = offgrid(dir, &["template", "validate", "typo.json"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("$.sections[0].items[1]") && stdout.contains("visible-if"),
        "{stdout}"
    );
    std::fs::write(dir.join("not-json.json"), "{").unwrap();
    assert_eq!(
        offgrid(dir, &["template", "validate", "not-json.json"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        offgrid(dir, &["template", "validate", "missing.json"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn inspection_and_hazard_loop_with_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = ["--db", "site.db"];
    let with =
        |args: &[&str]| -> Vec<String> { db.iter().chain(args).map(|s| s.to_string()).collect() };
    let run = |args: &[&str]| {
        ok(
            dir,
            &with(args).iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let run_json = |args: &[&str]| -> Json {
        let text = run(&[&["--json"], args].concat());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
    };
    let refused = |args: &[&str]| {
        fails(
            dir,
            &with(args).iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };

    // An inspection from the built-in stage-inspection template, as the default admin.
    let created = run_json(&[
        "--project",
        "p1",
        "inspection",
        "create",
        "--template",
        "rf-stage-inspection",
        "--site",
        "3号楼地下一层",
    ]);
    let ins = created["id"].as_str().unwrap().to_owned();
    assert_eq!(ins.len(), 36, "{created}");
    // `inspection create` without a project is a usage error.
    assert_eq!(
        offgrid(
            dir,
            &with(&[
                "inspection",
                "create",
                "--template",
                "rf-stage-inspection",
                "--site",
                "s"
            ])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
        )
        .status
        .code(),
        Some(2)
    );

    let err = refused(&["inspection", "answer", &ins, "slab-rebar-spacing", "maybe"]);
    assert!(err.contains("invalid answer"), "{err}");
    let outcome = run_json(&[
        "inspection",
        "answer",
        &ins,
        "door-wall-thickness",
        "le-400",
    ]);
    assert_eq!(outcome["failed"], false);
    assert_eq!(outcome["shown"], serde_json::json!(["diagonal-bars-thin"]));
    let outcome = run_json(&[
        "inspection",
        "answer",
        &ins,
        "wall-cover",
        "18",
        "--note",
        "东侧18mm",
    ]);
    assert_eq!(outcome["failed"], true);
    assert_eq!(outcome["raises_hazard"], "yellow");
    // Text items take what was typed, even when it looks like a number.
    run(&["inspection", "answer", &ins, "remarks", "25"]);
    // A photo is cited by hash only when this device holds it (issue 28): a hash with no photo
    // behind it is refused, and nothing is written.
    let err = refused(&[
        "inspection",
        "photo",
        &ins,
        "rebar-photos",
        &"ab".repeat(32),
    ]);
    assert!(err.contains("not held on this device"), "{err}");
    run(&[
        "photo",
        "sample",
        "rebar.jpg",
        "--width",
        "80",
        "--height",
        "60",
    ]);
    let rebar = run_json(&[
        "photo",
        "add",
        "rebar.jpg",
        "--inspection",
        &ins,
        "--item",
        "rebar-photos",
    ]);
    let sha = rebar["sha256"].as_str().unwrap().to_owned();
    // Held here, it may be cited again (the same photo twice is one photo).
    run(&["inspection", "photo", &ins, "rebar-photos", &sha]);

    let err = refused(&["inspection", "submit", &ins]);
    for entry in [
        "slab-rebar-spacing: answer",
        "wall-cover: photo of the failure",
        "rebar-photos: photos",
        "diagonal-bars-thin: answer",
        "supervisor-signature: signature",
    ] {
        assert!(err.contains(entry), "{entry} not listed:\n{err}");
    }
    let shown = run_json(&["inspection", "show", &ins]);
    assert_eq!(shown["status"], "in_progress");
    assert_eq!(shown["answers"]["remarks"]["value"], "25");
    assert_eq!(
        shown["answers"]["rebar-photos"]["photos"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(shown["progress"]["failed"][0]["item"], "wall-cover");
    let human = run(&["inspection", "show", &ins[ins.len() - 8..]]);
    assert!(
        human.contains("外墙钢筋保护层厚度") && human.contains("18 mm"),
        "{human}"
    );

    // A viewer (here from $OFFGRID_ROLE) may not answer.
    let out = offgrid_env(
        dir,
        &with(&["inspection", "answer", &ins, "slab-tie-bars", "pass"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[("OFFGRID_ROLE", "viewer")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("permission answer_inspection"));

    // A hazard through the loop, each step by its role, with the photo held here.
    let hazard = run(&[
        "--project",
        "p1",
        "--user",
        "zhang",
        "--user-name",
        "张工",
        "--role",
        "inspector",
        "hazard",
        "raise",
        "--site",
        "3号楼地下一层",
        "--location",
        "东侧外墙",
        "--title",
        "外墙渗水",
        "--description",
        "施工缝渗水",
        "--grade",
        "yellow",
        "--photo",
        &sha,
    ]);
    let hazard = hazard.trim();
    let err = refused(&[
        "--role",
        "inspector",
        "hazard",
        "order",
        hazard,
        "--unit",
        "U",
        "--person",
        "chen",
        "--person-name",
        "陈工",
        "--deadline",
        "2099-01-01",
        "--measures",
        "M",
    ]);
    assert!(err.contains("permission order_rectification"), "{err}");
    run(&[
        "--user",
        "wang",
        "--role",
        "supervisor",
        "--project",
        "p1",
        "hazard",
        "order",
        hazard,
        "--unit",
        "滨江建设",
        "--person",
        "chen",
        "--person-name",
        "陈工",
        "--deadline",
        "2099-01-01T08:00",
        "--measures",
        "注浆堵漏",
    ]);
    // A rectifier on another project only.
    let err = refused(&[&["--project", "p2"][..], &rectify_as_chen(hazard, &sha)].concat());
    assert!(
        err.contains("permission submit_rectification is missing on project p1"),
        "{err}"
    );
    // The evidence must exist: the photo of the hazard as found is not proof of the fix.
    let err = refused(&rectify_as_chen(hazard, &sha));
    assert!(err.contains("not attached to this hazard"), "{err}");
    // The "after" photo is attached first, then cited.
    run(&[
        "photo",
        "sample",
        "after.jpg",
        "--width",
        "64",
        "--height",
        "48",
    ]);
    let after = run_json(&[
        "--role",
        "rectifier",
        "--user",
        "chen",
        "photo",
        "add",
        "after.jpg",
        "--hazard",
        hazard,
        "--rectification",
    ]);
    run(&rectify_as_chen(hazard, after["sha256"].as_str().unwrap()));
    let err = refused(&[
        "--user",
        "chen",
        "--role",
        "inspector",
        "hazard",
        "reinspect",
        hazard,
        "--pass",
    ]);
    assert!(
        err.contains("must not be the person who rectified"),
        "{err}"
    );
    run(&[
        "--user",
        "zhang",
        "--role",
        "inspector",
        "hazard",
        "reinspect",
        hazard,
        "--pass",
    ]);
    run(&[
        "--user",
        "zhang",
        "--role",
        "inspector",
        "hazard",
        "close",
        hazard,
        "--note",
        "销号",
    ]);

    let shown = run_json(&["hazard", "show", hazard]);
    assert_eq!(shown["state"]["status"], "closed");
    assert_eq!(shown["state"]["rectified_by"], "chen");
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "raised",
            "rectification_ordered",
            "rectification_submitted",
            "reinspected",
            "closed"
        ]
    );
    let human = run(&["hazard", "show", &hazard[hazard.len() - 8..]]);
    assert!(
        human.contains("已销号") && human.contains("陈工 (chen)"),
        "{human}"
    );

    let register = run_json(&["--project", "p1", "register"]);
    assert_eq!(register["by_status"]["closed"], 1);
    assert_eq!(register["by_grade"]["yellow"], 1);
    assert_eq!(register["overdue"], 0);
    assert_eq!(register["rows"][0]["id"], hazard);
    let table = run(&["register", "--status", "closed"]);
    assert!(
        table.contains("已销号") && table.contains("外墙渗水"),
        "{table}"
    );
    let none = run_json(&["--project", "p2", "register"]);
    assert_eq!(none["rows"], serde_json::json!([]));
}

#[test]
fn demo_day_ends_with_an_overdue_and_a_returned_hazard() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let report = json(dir, &["--json", "demo", "--dir", "day"]);
    let day = &report["day"];
    assert_eq!(day["status"], "reviewed");
    assert_eq!(day["progress"]["completion_pct"], 100.0);
    assert_eq!(day["progress"]["failed"].as_array().unwrap().len(), 3);
    let hazards = day["hazards"].as_array().unwrap();
    assert_eq!(hazards.len(), 4);
    let register = &day["register"];
    assert!(register["overdue"].as_u64().unwrap() >= 1, "{register}");
    assert_eq!(register["by_status"]["returned"], 1, "{register}");
    assert_eq!(register["by_status"]["closed"], 1, "{register}");
    let overdue: Vec<&Json> = day["timelines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["overdue"] == true)
        .collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["state"]["escalations"], 1);

    // Device A holds the day: the register command agrees with the report.
    let project = report["records"]["project"].as_str().unwrap();
    let again = json(
        dir,
        &[
            "--db",
            "day/device-a.db",
            "--json",
            "--project",
            project,
            "register",
        ],
    );
    assert_eq!(again["by_status"], register["by_status"]);
    let ins = day["inspection"].as_str().unwrap();
    let shown = json(
        dir,
        &[
            "--db",
            "day/device-a.db",
            "--json",
            "inspection",
            "show",
            ins,
        ],
    );
    assert_eq!(shown["status"], "reviewed");
}

#[test]
fn template_publish_is_immutable_per_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = serde_json::json!({
        "id": "site-walk", "version": 1, "purpose": "patrol",
        "title": {"zh-CN": "现场巡查", "en": "Site walk"},
        "sections": [{"id": "s", "title": {"zh-CN": "消防", "en": "Fire"}, "items": [
            {"id": "exits", "type": "pass_fail", "text": {"zh-CN": "疏散通道畅通", "en": "Exits clear"}}]}]
    });
    std::fs::write(d.join("walk.json"), template.to_string()).unwrap();
    let published = json(
        d,
        &["--db", "t.db", "--json", "template", "publish", "walk.json"],
    );
    assert_eq!(published["id"], "site-walk");
    assert_eq!(published["hash"].as_str().unwrap().len(), 64);
    // Publishing the same content again is fine; other content under version 1 is refused.
    ok(d, &["--db", "t.db", "template", "publish", "walk.json"]);
    let mut changed = template.clone();
    changed["title"]["en"] = "Site walk (changed)".into();
    std::fs::write(d.join("walk2.json"), changed.to_string()).unwrap();
    let err = fails(d, &["--db", "t.db", "template", "publish", "walk2.json"]);
    assert!(err.contains("already published"), "{err}");
    // The list shows it beside the built-ins; an inspection can be made from it.
    let list = json(d, &["--db", "t.db", "--json", "template", "list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"site-walk") && ids.contains(&"rf-stage-inspection"),
        "{ids:?}"
    );
    ok(
        d,
        &[
            "--db",
            "t.db",
            "--project",
            "p1",
            "inspection",
            "create",
            "--template",
            "site-walk",
            "--site",
            "A",
        ],
    );
}

#[test]
fn photo_sample_derive_add_and_queue() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "photo",
            "sample",
            "p.jpg",
            "--width",
            "800",
            "--height",
            "600",
            "--orientation",
            "6",
        ],
    );
    let info = json(d, &["photo", "derive", "p.jpg", "--out", "out"]);
    let sha = info["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(600), Some(800))
    );
    assert_eq!(info["upload_width"], 800);
    assert_eq!(info["exif"]["orientation"], 6);
    for name in [format!("{sha}.jpg"), format!("{sha}.thumb.jpg")] {
        let bytes = std::fs::read(d.join("out").join(&name)).unwrap();
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "{name} is a JPEG");
    }

    // Attach to a hazard as found, with the phone's position; then list and queue.
    let hazard = json(
        d,
        &[
            "--db",
            "s.db",
            "--json",
            "--project",
            "p1",
            "hazard",
            "raise",
            "--site",
            "B2",
            "--location",
            "东墙",
            "--title",
            "渗水",
            "--description",
            "施工缝渗水",
        ],
    );
    let id = hazard["id"].as_str().unwrap().to_owned();
    let meta = json(
        d,
        &[
            "--db", "s.db", "--json", "photo", "add", "p.jpg", "--hazard", &id, "--lat", "30.2",
            "--lon", "120.1",
        ],
    );
    assert_eq!(meta["sha256"], sha.as_str());
    assert_eq!(meta["stage"], "found");
    assert_eq!(meta["capture"]["gps"]["lat"], 30.2);
    let photos = json(d, &["--db", "s.db", "--json", "photo", "list", &id]);
    assert_eq!(photos.as_array().unwrap().len(), 1);
    let queue = json(d, &["--db", "s.db", "--json", "photo", "queue"]);
    assert_eq!(queue[0]["state"], "local");
    assert!(d.join("s.db.blobs").is_dir());

    // Not an image: a clear error, nothing recorded.
    std::fs::write(d.join("notes.txt"), "not a photo").unwrap();
    let err = fails(
        d,
        &["--db", "s.db", "photo", "add", "notes.txt", "--hazard", &id],
    );
    assert!(err.contains("unsupported image"), "{err}");
    let err = fails(d, &["photo", "derive", "notes.txt", "--out", "out"]);
    assert!(err.contains("JPEG or PNG"), "{err}");
    let queue = json(d, &["--db", "s.db", "--json", "photo", "queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 1);
}

/// `hazard rectify HAZARD --note 已注浆 --photo PHOTO` as chen, the rectifier.
fn rectify_as_chen<'a>(hazard: &'a str, photo: &'a str) -> [&'a str; 11] {
    [
        "--role",
        "rectifier",
        "--user",
        "chen",
        "hazard",
        "rectify",
        hazard,
        "--note",
        "已注浆",
        "--photo",
        photo,
    ]
}
