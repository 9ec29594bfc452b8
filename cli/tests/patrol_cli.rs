//! The patrol commands through the binary (ADR 0008): `plan add|show|list|revise` and
//! `patrol today|start|scan|skip|observe|finish|show|void`, text and `--json`, refusals with
//! exit code 1.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;

use std::path::Path;

use serde_json::Value as Json;
use support::{json, ok, run};

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(out.status.code(), Some(1), "offgrid {args:?} did not fail");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_plan_a_patrol_with_scans_and_a_finish_that_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = |args: &[&str]| -> Vec<String> {
        ["--db", "p.db"]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let call = |args: &[&str]| ok(d, &db(args).iter().map(String::as_str).collect::<Vec<_>>());
    let call_json = |args: &[&str]| -> Json {
        let mut a = db(args);
        a.insert(0, "--json".into());
        json(d, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    call(&[
        "grid",
        "add",
        "--code",
        "3201",
        "--name",
        "南京市",
        "--level",
        "city",
    ]);
    let site = call(&[
        "site",
        "add",
        "--name",
        "吉庆人防工程",
        "--address",
        "江东中路 100 号",
        "--kind",
        "dual_use",
        "--unit",
        "吉庆物业",
        "--cell",
        "3201",
    ])
    .trim()
    .to_owned();
    for (i, name) in ["出入口", "防护密闭门"].iter().enumerate() {
        call(&[
            "site",
            "checkpoint",
            &site,
            "--name",
            name,
            "--kind",
            "entrance",
            "--method",
            "nfc",
        ]);
        call(&[
            "site",
            "bind",
            &site,
            name,
            &format!("https://tag.example/t?uid=04AABBCCDD000{i}"),
            "--method",
            "nfc",
        ]);
    }
    // A window that is always open; the plan is in force from now on.
    let plan = call(&[
        "plan",
        "add",
        "--title",
        "日常巡查",
        "--site",
        &site,
        "--at",
        "00:00",
        "--window",
        "1440",
        "--assignee",
        "li",
        "--template",
        "shelter-safety-patrol@1",
    ])
    .trim()
    .to_owned();
    let shown = call_json(&["plan", "show", &plan]);
    assert_eq!(
        shown["versions"][0]["checkpoints"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(call(&["plan", "show", &plan]).contains("出入口"));
    assert_eq!(
        call_json(&["plan", "list", "--assignee", "li"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A bad schedule is refused with the field named.
    let err = fails(
        d,
        &db(&[
            "plan",
            "add",
            "--title",
            "x",
            "--site",
            &site,
            "--at",
            "25:00",
            "--assignee",
            "li",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert!(err.contains("25:00"), "{err}");

    let li = |args: &[&str]| -> Vec<String> {
        let mut a = db(args);
        a.splice(0..0, ["--user".to_owned(), "li".to_owned()]);
        a
    };
    let as_li = |args: &[&str]| ok(d, &li(args).iter().map(String::as_str).collect::<Vec<_>>());
    let run_id = as_li(&["patrol", "start", &plan]).trim().to_owned();
    let scan = as_li(&[
        "patrol",
        "scan",
        &run_id,
        "--nfc",
        "https://tag.example/t?uid=04AABBCCDD0000",
    ]);
    assert!(scan.contains("counts"), "{scan}");
    let unknown = as_li(&[
        "patrol",
        "scan",
        &run_id,
        "--nfc",
        "https://tag.example/t?uid=0400000000FFFF",
    ]);
    assert!(unknown.contains("unknown_tag"), "{unknown}");
    let err = fails(
        d,
        &li(&["patrol", "finish", &run_id])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(err.contains("reason"), "{err}");
    // Answers to the plan's template: an item of it, of its type.
    as_li(&["patrol", "answer", &run_id, "exits-clear", "pass"]);
    let err = fails(
        d,
        &li(&["patrol", "answer", &run_id, "exits-clear", "maybe"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(err.contains("pass"), "the answer's expected type: {err}");
    as_li(&[
        "patrol",
        "observe",
        &run_id,
        "--text",
        "门槛积水 / water at the door",
    ]);
    as_li(&[
        "patrol",
        "finish",
        &run_id,
        "--reason",
        "防护密闭门锁闭 / door locked",
    ]);
    let mut args = li(&["patrol", "show", &run_id]);
    args.insert(0, "--json".into());
    let view = json(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(view["status"], "finished");
    assert_eq!(view["covered"].as_array().unwrap().len(), 1);
    assert_eq!(view["remaining"].as_array().unwrap().len(), 1);
    assert_eq!(view["flags"]["unknown_tag"], 1);
    // Start, two scans, the answer that fit, the observation, the finish.
    assert_eq!(view["events"].as_array().unwrap().len(), 6);
    let text = as_li(&["patrol", "show", &run_id]);
    assert!(text.contains("已完成"), "{text}");

    // Tomorrow's task of the plan is listed, upcoming.
    let tomorrow = {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            + 8 * 3_600_000
            + 86_400_000;
        let days = now_ms.div_euclid(86_400_000);
        let (y, m, d) = offgrid_core::civil::civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let tasks = call_json(&["patrol", "today", "--date", &tomorrow]);
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    assert_eq!(tasks[0]["state"], "upcoming");
    assert_eq!(tasks[0]["assignees"][0], "li");
    let cov = call_json(&["patrol", "coverage", "--date", &tomorrow]);
    assert_eq!(cov[0]["code"], "3201");
    assert_eq!(cov[0]["total"]["tasks"]["upcoming"], 1);
    let table = call(&["patrol", "coverage", "--date", &tomorrow]);
    assert!(table.contains("南京市"), "{table}");
    // Nothing needs attention yet (the task is upcoming): the register-like filter leaves no row.
    let quiet = call_json(&[
        "patrol",
        "coverage",
        "--date",
        &tomorrow,
        "--attention",
        "--sort",
        "missed",
        "--depth",
        "0",
    ]);
    assert_eq!(quiet, serde_json::json!([]));

    // A set of sites planned in one step: one plan per site, the same schedule and assignees.
    let second = call(&[
        "site",
        "add",
        "--name",
        "万达人防工程",
        "--address",
        "江东中路 98 号",
        "--kind",
        "dual_use",
        "--unit",
        "万达物业",
        "--cell",
        "3201",
    ])
    .trim()
    .to_owned();
    call(&[
        "site",
        "checkpoint",
        &second,
        "--name",
        "出入口",
        "--kind",
        "entrance",
        "--method",
        "qr",
    ]);
    let plans = call(&[
        "plan",
        "add",
        "--title",
        "夜查",
        "--site",
        &site,
        "--site",
        &second,
        "--at",
        "22:00",
        "--window",
        "480",
        "--assignee",
        "wang",
    ]);
    assert_eq!(plans.lines().count(), 2, "{plans}");
    let listed = call_json(&["plan", "list", "--assignee", "wang"]);
    let mut sites: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["site"].as_str().unwrap())
        .collect();
    sites.sort();
    let mut want = vec![site.as_str(), second.as_str()];
    want.sort();
    assert_eq!(sites, want, "{listed}");
    // Checkpoints belong to one site.
    let err = fails(
        d,
        &db(&[
            "plan",
            "add",
            "--title",
            "x",
            "--site",
            &site,
            "--site",
            &second,
            "--at",
            "08:00",
            "--assignee",
            "wang",
            "--checkpoint",
            "出入口",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert!(err.contains("one --site"), "{err}");
}
