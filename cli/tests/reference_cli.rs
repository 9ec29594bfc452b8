//! The reference-data commands through the binary (ADR 0007): `admin template-publish`,
//! `grid add|show|list|members|boundary` and `site add|edit|show|list|checkpoint|bind|unbind|
//! tag`, text and `--json`, GeoJSON in and out, refusals with exit code 1.
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
fn admin_template_publish_is_immutable_per_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut t: Json =
        serde_json::from_str(include_str!("../../domain/templates/shelter-patrol.json")).unwrap();
    t["id"] = "jy-patrol".into();
    std::fs::write(d.join("t.json"), t.to_string()).unwrap();
    let args = [
        "--json",
        "admin",
        "--data",
        "srv",
        "template-publish",
        "t.json",
    ];
    let first = json(d, &args);
    assert_eq!(
        (first["id"].as_str(), first["new"].as_bool()),
        (Some("jy-patrol"), Some(true))
    );
    assert_eq!(
        json(d, &args)["new"],
        false,
        "the same content again is a no-op"
    );
    t["title"]["zh-CN"] = "改过的".into();
    std::fs::write(d.join("t2.json"), t.to_string()).unwrap();
    let err = fails(
        d,
        &["admin", "--data", "srv", "template-publish", "t2.json"],
    );
    assert!(err.contains("other content"), "{err}");
    std::fs::write(d.join("bad.json"), "{\"id\": 1}").unwrap();
    let err = fails(
        d,
        &["admin", "--data", "srv", "template-publish", "bad.json"],
    );
    assert!(err.contains("template"), "{err}");
}

#[test]
fn admin_tag_keys_are_set_listed_without_the_key_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let admin = |args: &[&str]| -> Vec<String> {
        ["admin", "--data", "srv", "tag-key"]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let key = "00112233445566778899AABBCCDDEEFF";
    let set = admin(&["set", "04de5f1eacc040", "--key", key]);
    let out = ok(d, &set.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("04DE5F1EACC040"), "{out}");
    let list = admin(&["list"]);
    let mut args: Vec<&str> = vec!["--json"];
    args.extend(list.iter().map(String::as_str));
    let listed = json(d, &args);
    assert_eq!(listed[0]["uid"], "04DE5F1EACC040");
    assert!(
        !listed.to_string().contains("0011223344"),
        "the key is never shown"
    );
    let bad = admin(&["set", "04DE5F", "--key", key]);
    let err = fails(d, &bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("14 hex digits"), "{err}");
    let remove = admin(&["remove", "04DE5F1EACC040"]);
    ok(d, &remove.iter().map(String::as_str).collect::<Vec<_>>());
    let err = fails(d, &remove.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("no key"), "{err}");
}

#[test]
fn grid_and_sites_with_geojson_checkpoints_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = ["--db", "ref.db"];
    let with =
        |args: &[&str]| -> Vec<String> { db.iter().chain(args).map(|s| s.to_string()).collect() };
    let call = |args: &[&str]| {
        ok(
            d,
            &with(args).iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let call_json = |args: &[&str]| -> Json {
        let mut a = with(args);
        a.insert(0, "--json".into());
        json(d, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let boundary = serde_json::json!({"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[118.7, 32.0], [118.8, 32.0], [118.8, 32.1], [118.7, 32.0]]]}});
    std::fs::write(d.join("jy.geojson"), boundary.to_string()).unwrap();
    let city = call(&[
        "grid",
        "add",
        "--code",
        "3201",
        "--name",
        "南京市",
        "--level",
        "city",
    ]);
    assert_eq!(city.trim().len(), 36);
    call(&[
        "grid",
        "add",
        "--code",
        "320105",
        "--name",
        "建邺区",
        "--level",
        "district",
        "--parent",
        "3201",
        "--boundary",
        "jy.geojson",
    ]);
    let community = call_json(&[
        "grid",
        "add",
        "--code",
        "320105001",
        "--name",
        "吉庆社区",
        "--level",
        "community",
        "--parent",
        "320105",
    ]);
    assert_eq!(community["level"], "community");
    let members = call_json(&[
        "grid",
        "members",
        "320105001",
        "--add",
        "wang",
        "--name",
        "王芳",
        "--grid-role",
        "leader",
    ]);
    assert_eq!(members[0]["role"], "leader");
    let shown = call_json(&["grid", "show", "320105"]);
    assert_eq!(shown["children"][0]["code"], "320105001");
    let feature = call_json(&["grid", "show", "320105", "--geojson"]);
    assert_eq!(feature["geometry"], boundary["geometry"]);
    assert_eq!(feature["properties"]["code"], "320105");
    let tree = call(&["grid", "list"]);
    assert!(
        tree.contains("南京市") && tree.contains("  320105001  吉庆社区"),
        "{tree}"
    );
    let bad = fails(
        d,
        &with(&[
            "grid", "add", "--code", "x", "--name", "x", "--level", "city", "--parent", "320105",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert!(bad.contains("cannot be under"), "{bad}");

    let site = call(&[
        "site",
        "add",
        "--name",
        "吉庆人防工程",
        "--address",
        "江东中路100号",
        "--kind",
        "dual_use",
        "--unit",
        "吉庆物业",
        "--cell",
        "320105001",
        "--location",
        "118.7312,32.0051",
        "--link-project",
        "p1",
    ]);
    let site = site.trim();
    let door = call(&[
        "site",
        "checkpoint",
        site,
        "--name",
        "1号防护密闭门",
        "--kind",
        "blast_door",
        "--method",
        "nfc",
        "--method",
        "qr",
    ]);
    call(&[
        "site",
        "checkpoint",
        site,
        "--name",
        "集水井",
        "--kind",
        "sump",
        "--method",
        "manual_photo",
    ]);
    let payload = "https://t.example/s?uid=04A1B2C3D4E5F6&ctr=000012&cmac=AB12";
    let bound = call_json(&[
        "site",
        "bind",
        site,
        "1号防护密闭门",
        payload,
        "--method",
        "nfc",
    ]);
    assert_eq!(bound["tag"], "uid:04A1B2C3D4E5F6");
    assert_eq!(bound["checkpoint"], door.trim());
    let at = bound["at_ms"].as_i64().unwrap();
    let tag = call_json(&[
        "site",
        "tag",
        "https://t.example/s?uid=04a1b2c3d4e5f6&ctr=13",
        "--at",
        &(at + 1).to_string(),
    ]);
    assert_eq!(tag["binding"]["checkpoint_name"], "1号防护密闭门");
    let s = call_json(&["site", "show", site]);
    assert_eq!(s["checkpoints"][0]["tags"][0], "uid:04A1B2C3D4E5F6");
    assert_eq!(s["checkpoints"][1]["methods"][0], "manual_photo");
    let point = call_json(&["site", "show", site, "--geojson"]);
    assert_eq!(
        point["geometry"]["coordinates"],
        serde_json::json!([118.7312, 32.0051])
    );
    let text = call(&["site", "show", site]);
    assert!(
        text.contains("平战结合") && text.contains("320105001 吉庆社区"),
        "{text}"
    );
    let listed = call_json(&["site", "list", "--of-project", "p1"]);
    assert_eq!(listed[0]["id"], site);
    assert_eq!(
        call_json(&["site", "list", "--cell", "3201"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Someone who is not an admin may not touch the site; nothing changes.
    let refused = fails(
        d,
        &with(&[
            "--user",
            "qian",
            "--role",
            "inspector",
            "--project",
            "p1",
            "site",
            "checkpoint",
            site,
            "--name",
            "x",
            "--kind",
            "other",
            "--method",
            "qr",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert!(refused.contains("manage_grid"), "{refused}");
    call(&["site", "unbind", site, payload, "--reason", "标签被盗"]);
    let tag = call_json(&["site", "tag", payload]);
    assert!(tag["binding"].is_null());
    assert_eq!(tag["history"].as_array().unwrap().len(), 2);
    let edited = call_json(&[
        "site",
        "edit",
        site,
        "--unit",
        "新物业",
        "--unlink-project",
        "p1",
    ]);
    assert_eq!(edited["unit"], "新物业");
    assert_eq!(edited["projects"], serde_json::json!([]));
    assert_eq!(
        call_json(&["site", "show", site])["checkpoints"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
