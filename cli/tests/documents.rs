//! Official documents end to end: records made through the core, documents made by the
//! `offgrid` binary, read back by real tools — poppler's pdftotext, pdftoppm, pdffonts,
//! pdfdetach and pdfimages, zbarimg for the QR code, Python's openpyxl for the spreadsheet
//! (`tests/documents-tools.sh` installs them; `OFFGRID_TEST_PYTHON` names the Python with
//! openpyxl). A document reported by sync is verified by a real server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
#![cfg(feature = "documents")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use offgrid_core::hazard::{NewHazard, RectificationOrder};
use offgrid_core::inspection::{MissingKind, NewInspection};
use offgrid_core::photo::{CaptureContext, PhotoTarget};
use offgrid_core::store::PhotoFile;
use offgrid_core::{FixedClock, RecordId, Role, Store, StoreOptions, User};
use offgrid_testkit::photos::{self, Sample};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

const PROJECT: &str = "示范人防工程";
/// 2025-11-28 09:00 at +08:00.
const T0: i64 = 1_764_291_600_000;

struct Fixture {
    dir: tempfile::TempDir,
    db: PathBuf,
    inspection: RecordId,
    hazards: Vec<RecordId>,
}

fn user(id: &str, name: &str, role: Role) -> User {
    User::new(id, name).with_role(PROJECT, role)
}

fn jpeg(n: u8) -> Vec<u8> {
    photos::jpeg(&Sample {
        width: 800,
        height: 600,
        noise: n,
        quality: 85,
        ..Default::default()
    })
}

/// A submitted stage inspection (three failed items with notes, photos, a signature), a hazard
/// raised from each failure with a photo as found, all ordered; the first rectified with an
/// after-photo and re-inspected as passed.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("docs.db");
    let clock = std::sync::Arc::new(FixedClock::new(T0, 480));
    let store = Store::open_with(
        &db,
        StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let zhang = user("zhang", "张喆", Role::Inspector);
    store.set_user(zhang.clone());
    let id = store
        .create_inspection(&NewInspection {
            template_id: "rf-stage-inspection".into(),
            template_version: None,
            project: PROJECT.into(),
            site: "3号楼地下一层".into(),
            title: None,
        })
        .unwrap();
    let ins = store.inspection(&id).unwrap();
    let template = store
        .template(&ins.template.id, ins.template.version)
        .unwrap();
    let failing = ["wall-cover", "tie-bolt-waterstop", "door-frame-plumb"];
    let mut n = 0;
    for _ in 0..4 {
        for m in store.inspection(&id).unwrap().progress.missing {
            clock.advance_ms(60_000);
            let item = template.item(&m.item).unwrap().clone();
            match m.what {
                MissingKind::Signature => store
                    .sign_inspection(&id, Some(&item.id), "张喆", &photos::png(240, 80))
                    .unwrap(),
                MissingKind::Photos | MissingKind::Answer => {
                    if matches!(m.what, MissingKind::Answer) {
                        let (value, note) = match item.id.as_str() {
                            "wall-cover" => {
                                (json!(18), Some("东侧外墙3处实测保护层18mm，低于25mm"))
                            }
                            "tie-bolt-waterstop" => (json!("fail"), Some("3根对拉螺栓采用PVC套管")),
                            "door-frame-plumb" => {
                                (json!(3.5), Some("1号防护密闭门门框垂直度偏差3.5mm"))
                            }
                            _ => (typical(&item), None),
                        };
                        store.answer(&id, &item.id, &value, note).unwrap();
                    }
                    if matches!(m.what, MissingKind::Photos) || failing.contains(&item.id.as_str())
                    {
                        n += 1;
                        store
                            .add_photo(
                                &PhotoTarget::Inspection {
                                    id: id.clone(),
                                    item: item.id.clone(),
                                },
                                &jpeg(n),
                                &CaptureContext::default(),
                            )
                            .unwrap();
                    }
                }
                other => panic!("no answer for {}: {other:?}", m.item),
            }
        }
    }
    store
        .answer(
            &id,
            "remarks",
            &json!("钢筋工程总体符合要求；3项不合格。"),
            None,
        )
        .unwrap();
    store.submit_inspection(&id).unwrap();
    let wang = user("wang", "王总监", Role::Supervisor);
    store.set_user(wang.clone());
    store.review_inspection(&id, true, None).unwrap();
    let mut hazards = Vec::new();
    for item in failing {
        let h = store
            .raise_hazard_from_item(&id, item, "东侧外墙", "见检查记录")
            .unwrap();
        store
            .add_photo(
                &PhotoTarget::Hazard {
                    id: h.clone(),
                    rectification: false,
                },
                &jpeg(40 + hazards.len() as u8),
                &CaptureContext::default(),
            )
            .unwrap();
        store
            .order_rectification(
                &h,
                &RectificationOrder {
                    unit: "某建设集团有限公司".into(),
                    person: "chen".into(),
                    person_name: "陈工".into(),
                    deadline_ms: T0 + 7 * 86_400_000,
                    measures: "按设计要求返工".into(),
                },
            )
            .unwrap();
        hazards.push(h);
    }
    clock.advance_ms(86_400_000);
    store.set_user(user("chen", "陈工", Role::Rectifier));
    store
        .add_photo(
            &PhotoTarget::Hazard {
                id: hazards[0].clone(),
                rectification: true,
            },
            &jpeg(90),
            &CaptureContext::default(),
        )
        .unwrap();
    let after = store
        .photos(&hazards[0])
        .unwrap()
        .into_iter()
        .find(|p| p.stage.as_deref() == Some("rectification"))
        .unwrap();
    store
        .submit_rectification(&hazards[0], "已按设计返工，保护层实测28mm", &[after.sha256])
        .unwrap();
    clock.advance_ms(3_600_000);
    store.set_user(wang);
    store
        .reinspect(&hazards[0], true, Some("复查合格"))
        .unwrap();
    drop(store);
    Fixture {
        dir,
        db,
        inspection: id,
        hazards,
    }
}

fn typical(item: &offgrid_core::checklist::Item) -> Json {
    use offgrid_core::checklist::ItemKind;
    match &item.kind {
        ItemKind::SingleChoice { options } => json!(options.iter().find(|o| !o.fails).unwrap().id),
        ItemKind::MultipleChoice { options } => {
            json!([options.iter().find(|o| !o.fails).unwrap().id])
        }
        ItemKind::Number { min, max, .. } => match (min, max) {
            (Some(lo), Some(hi)) => json!((lo + hi) / 2.0),
            (Some(v), None) | (None, Some(v)) => json!(v),
            _ => json!(0),
        },
        ItemKind::Text { .. } => json!("符合要求"),
        ItemKind::Date => json!("2025-11-28"),
        _ => json!("pass"),
    }
}

impl Fixture {
    fn offgrid(&self, args: &[&str]) -> std::process::Output {
        self.offgrid_env(args, &[])
    }

    fn offgrid_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut all = vec![
            "--db",
            self.db.to_str().unwrap(),
            "--user",
            "wang",
            "--role",
            "supervisor",
            "--project",
            PROJECT,
        ];
        all.extend_from_slice(args);
        support::run_env(self.dir.path(), &all, env)
    }

    /// Runs `offgrid report … --json --out FILE`; returns what it printed.
    fn report(&self, args: &[&str], out: &Path) -> Json {
        let mut all = vec!["--json", "report"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = self.offgrid(&all);
        assert!(
            o.status.success(),
            "report {}: {}",
            args[0],
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn hazard_args(&self) -> Vec<&str> {
        self.hazards.iter().map(|h| h.as_str()).collect()
    }
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (tests/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF's text with all whitespace removed: typst sets a thin space between Chinese and
/// Latin or digits ("3 号楼"), and table cells wrap, which pdftotext shows as spaces and breaks.
fn text_of(pdf: &Path) -> String {
    squash(&tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]))
}

/// The same in content order (`pdftotext -raw`): a table cell's lines together, not
/// interleaved with the cells beside them.
fn raw_text_of(pdf: &Path) -> String {
    squash(&tool("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"]))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Each needle appears, after the previous one.
fn assert_in_order(text: &str, needles: &[&str]) {
    let mut at = 0;
    for n in needles {
        let n = &squash(n);
        match text[at..].find(n.as_str()) {
            Some(i) => at += i + n.len(),
            None => panic!("{n:?} not found after position {at} in:\n{text}"),
        }
    }
}

/// What the QR code on the document's last page decodes to (pdftoppm at 200 dpi, zbarimg).
fn qr_on_last_page(f: &Fixture, pdf: &Path, written: &Json) -> String {
    let last = written["pages"].as_u64().unwrap().to_string();
    let png = f.path("qr");
    tool(
        "pdftoppm",
        &[
            "-r",
            "200",
            "-png",
            "-singlefile",
            "-f",
            &last,
            "-l",
            &last,
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    tool(
        "zbarimg",
        &["--raw", "-q", f.path("qr.png").to_str().unwrap()],
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_supervision_report_shows_its_fields_in_order_with_page_footers() {
    let f = fixture();
    let out = f.path("report.pdf");
    let w = f.report(&["supervision", f.inspection.as_str()], &out);
    let text = text_of(&out);
    let pages = w["pages"].as_u64().unwrap();
    assert_in_order(
        &text,
        &[
            "人民防空工程质量监督站",
            "人防工程质量监督报告",
            w["number"].as_str().unwrap(),
            "工程概况",
            PROJECT,
            "监督依据",
            "GB 50134-2004",
            "检查情况",
            "不合格",
            "东侧外墙3处实测保护层18mm",
            "隐患与整改",
            "结论",
            "签字",
            "张喆",
            "SHA-256",
        ],
    );
    assert!(
        text.contains(w["sha256"].as_str().unwrap()),
        "the hash is printed"
    );
    assert!(
        text.contains(&format!("第1页共{pages}页")),
        "footer on page 1"
    );
    assert!(
        text.contains(&format!("第{pages}页共{pages}页")),
        "footer on the last page"
    );
    // pdftoppm renders every page.
    let prefix = f.path("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "40",
            "-png",
            out.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let rendered = std::fs::read_dir(f.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("page")
        })
        .count();
    assert_eq!(rendered as u64, pages);
}

#[test]
fn fonts_are_embedded_as_subsets_and_photos_are_inline() {
    let f = fixture();
    let out = f.path("report.pdf");
    f.report(&["supervision", f.inspection.as_str()], &out);
    let fonts = tool("pdffonts", &[out.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty());
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            ["yes", "yes", "yes"],
            "embedded, subset, unicode: {row}"
        );
    }
    let images = tool("pdfimages", &["-list", out.to_str().unwrap()]);
    // Three failed items with a photo each, plus the photo items, plus the signature.
    assert!(images.lines().skip(2).count() >= 5, "{images}");
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(size < 3_000_000, "{size} bytes");
}

#[test]
fn a_notice_from_an_encrypted_store_shows_every_photo_and_caches_them_sealed() {
    let f = fixture();
    let mut args = vec!["notice"];
    args.extend(f.hazard_args());
    let plain_pdf = f.path("plain.pdf");
    f.report(&args, &plain_pdf);
    let hex = "5a".repeat(32);
    let key = offgrid_core::StoreKey::from_hex(&hex).unwrap();
    let options = StoreOptions {
        key: Some(key),
        ..Default::default()
    };
    drop(Store::open_with(&f.db, options).unwrap()); // encrypted in place, photos sealed
    let out = f.path("encrypted.pdf");
    let mut all = vec!["--json", "report"];
    all.extend_from_slice(&args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let o = f.offgrid_env(&all, &[("OFFGRID_KEY", &hex)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(written["missing_photos"], serde_json::json!([]));
    let images = |pdf: &Path| {
        tool("pdfimages", &["-list", pdf.to_str().unwrap()])
            .lines()
            .count()
    };
    assert_eq!(
        images(&out),
        images(&plain_pdf),
        "the same photos, read decrypted"
    );
    let cache = f.db.with_file_name("docs.db.blobs").join("document-photos");
    let cached: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert!(!cached.is_empty());
    for entry in cached {
        let bytes = std::fs::read(entry.path()).unwrap();
        assert!(
            bytes.starts_with(b"OGSEAL01"),
            "{:?} is sealed",
            entry.path()
        );
    }
}

#[test]
fn the_qr_code_and_the_attachment_carry_the_printed_hash() {
    let f = fixture();
    let out = f.path("notice.pdf");
    let mut args = vec!["notice"];
    args.extend(f.hazard_args());
    let w = f.report(&args, &out);
    let sha = w["sha256"].as_str().unwrap();
    assert!(text_of(&out).contains(sha));
    let decoded = qr_on_last_page(&f, &out, &w);
    assert_eq!(decoded.trim(), sha, "the QR code holds the hash");
    let attached = f.path("attached");
    std::fs::create_dir(&attached).unwrap();
    tool(
        "pdfdetach",
        &[
            "-saveall",
            "-o",
            attached.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let json_bytes = std::fs::read(attached.join("record.json")).unwrap();
    assert_eq!(
        sha256_hex(&json_bytes),
        sha,
        "the attachment is what the hash names"
    );
    let shown: Json = serde_json::from_slice(&json_bytes).unwrap();
    assert_eq!(shown["kind"], "rectification_notice");
    assert_eq!(shown["records"].as_array().unwrap().len(), f.hazards.len());
    assert!(
        shown["records"][0]["heads"]
            .as_array()
            .is_some_and(|h| !h.is_empty())
    );
}

#[test]
fn the_same_state_gives_the_same_bytes_and_verification_follows_changes() {
    let f = fixture();
    let (one, two) = (f.path("a.pdf"), f.path("b.pdf"));
    let w = f.report(&["supervision", f.inspection.as_str()], &one);
    f.report(&["supervision", f.inspection.as_str()], &two);
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(&two).unwrap(),
        "byte-identical"
    );
    let sha = w["sha256"].as_str().unwrap();
    let status = |args: &[&str]| f.offgrid(args).status.code();
    assert_eq!(status(&["verify", one.to_str().unwrap()]), Some(0), "valid");
    assert_eq!(status(&["verify", "--sha256", sha]), Some(0));
    assert_eq!(
        status(&["verify", "--sha256", &"ab".repeat(32)]),
        Some(3),
        "unknown"
    );
    // A hazard of the report moves on: the report is superseded.
    let o = f.offgrid(&[
        "hazard",
        "escalate",
        f.hazards[1].as_str(),
        "--note",
        "超期督办",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = f.offgrid(&["--json", "verify", one.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "superseded");
    let v: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "superseded");
    assert_eq!(v["changed"], json!([f.hazards[1].as_str()]));
    let again = f.report(&["supervision", f.inspection.as_str()], &two);
    assert_ne!(
        again["sha256"].as_str().unwrap(),
        sha,
        "a new state, a new hash"
    );
    assert_eq!(again["number"], w["number"], "the same document number");
}

#[test]
fn the_failed_only_report_leaves_out_passed_items() {
    let f = fixture();
    let (all, failed) = (f.path("all.pdf"), f.path("failed.pdf"));
    f.report(&["supervision", f.inspection.as_str()], &all);
    f.report(
        &["supervision", f.inspection.as_str(), "--failed-only"],
        &failed,
    );
    let (all, failed) = (text_of(&all), text_of(&failed));
    assert!(failed.contains("仅列不合格项"));
    assert!(failed.contains("3根对拉螺栓采用PVC套管"));
    assert!(all.contains("合格") && all.matches("合格").count() > failed.matches("合格").count());
}

#[test]
fn the_reply_form_answers_the_notice_with_photos_before_and_after() {
    let f = fixture();
    let (notice, reply) = (f.path("notice.pdf"), f.path("reply.pdf"));
    let mut args = vec!["notice"];
    args.extend(f.hazard_args());
    let n = f.report(&args, &notice);
    args[0] = "reply";
    let r = f.report(&args, &reply);
    let text = text_of(&reply);
    assert_in_order(
        &text,
        &[
            "整改回复单",
            "答复通知书",
            n["number"].as_str().unwrap(),
            "已按设计返工",
            "陈工",
            "整改前",
            "整改后",
            "复查",
        ],
    );
    assert!(text.contains("闭合"), "the re-inspected item is closed");
    assert!(text.contains("待复查"), "the others await re-inspection");
    assert_ne!(r["sha256"], n["sha256"]);
    let notice_text = text_of(&notice);
    assert_in_order(
        &notice_text,
        &[
            "整改通知书",
            "某建设集团有限公司",
            PROJECT,
            "东侧外墙",
            "整改要求",
            "签收",
            "SHA-256",
        ],
    );
}

#[test]
fn the_register_reads_back_with_rows_filter_frozen_header_and_dropdown() {
    let f = fixture();
    let out = f.path("register.xlsx");
    let w = f.report(&["register", "--thumbnails"], &out);
    assert_eq!(w["records"].as_array().unwrap().len(), f.hazards.len());
    let script = r#"
import json, sys, zipfile, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["隐患台账"]
rows = [[c.value for c in r] for r in ws.iter_rows()]
dv = [ (str(d.sqref), d.type, d.formula1) for d in ws.data_validations.dataValidation ]
fills = [ws.cell(row=r, column=7).fill.fgColor.rgb for r in range(2, ws.max_row + 1)]
print(json.dumps({"header": rows[0], "rows": rows[1:], "freeze": ws.freeze_panes,
  "filter": ws.auto_filter.ref, "dv": dv, "fills": fills, "images": len([n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith("xl/media/")]),
  "sha": wb["验证"]["B4"].value}, ensure_ascii=False, default=str))
"#;
    let python = std::env::var("OFFGRID_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let json_text = tool(&python, &["-c", script, out.to_str().unwrap()]);
    let got: Json = serde_json::from_str(&json_text).unwrap();
    assert_eq!(got["header"][0], "序号");
    assert_eq!(got["header"][16], "状态");
    assert_eq!(got["header"][17], "逾期天数");
    assert_eq!(got["rows"].as_array().unwrap().len(), f.hazards.len());
    assert_eq!(got["freeze"], "A2");
    assert!(got["filter"].as_str().unwrap().starts_with("A1:T"));
    assert_eq!(got["dv"][0][1], "list");
    assert!(got["dv"][0][2].as_str().unwrap().contains("待整改"));
    assert!(
        got["fills"].as_array().unwrap().iter().any(|c| c
            .as_str()
            .is_some_and(|c| c.ends_with("FCE4C4") || c.ends_with("FFF2B3"))),
        "grade colours: {}",
        got["fills"]
    );
    assert_eq!(
        got["images"],
        json!(f.hazards.len()),
        "a thumbnail per hazard"
    );
    assert_eq!(got["sha"], w["sha256"]);
    let statuses: Vec<&str> = got["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[16].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"复查通过") && statuses.contains(&"待整改"),
        "{statuses:?}"
    );
}

/// A store with one hazard raised by 张喆 and ordered for rectification by 王总监 to `unit`.
fn one_hazard(location: &str, title: &str, description: &str, unit: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("docs.db");
    let clock = std::sync::Arc::new(FixedClock::new(T0, 480));
    let store = Store::open_with(
        &db,
        StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    store.set_user(user("zhang", "张喆", Role::Inspector));
    let h = store
        .raise_hazard(&NewHazard {
            project: PROJECT.into(),
            site: "3号楼".into(),
            location: location.into(),
            title: title.into(),
            description: description.into(),
            grade: None,
            major: false,
            photos: Vec::new(),
        })
        .unwrap();
    clock.advance_ms(60_000);
    store.set_user(user("wang", "王总监", Role::Supervisor));
    store
        .grade_hazard(&h, offgrid_core::RiskGrade::Yellow, false, None)
        .unwrap();
    store
        .order_rectification(
            &h,
            &RectificationOrder {
                unit: unit.into(),
                person: "chen".into(),
                person_name: "陈工".into(),
                deadline_ms: T0 + 7 * 86_400_000,
                measures: "按设计要求返工".into(),
            },
        )
        .unwrap();
    drop(store);
    Fixture {
        dir,
        db,
        inspection: RecordId(String::new()),
        hazards: vec![h],
    }
}

#[test]
fn traditional_characters_and_drawing_symbols_print_in_a_notice() {
    const COMPANY: &str = "中國建築第八工程局有限公司";
    let f = one_hazard(
        COMPANY,
        "鋼筋⌀25間距偏大",
        "箍筋Φ16、φ8@200，保護層≥25mm，偏差±5‰，3㎡；鿰鿿",
        COMPANY,
    );
    let out = f.path("notice.pdf");
    let w = f.report(&["notice", f.hazards[0].as_str()], &out);
    assert_eq!(w["replaced_characters"], json!([]), "everything prints");
    let text = raw_text_of(&out);
    assert_in_order(
        &text,
        &[
            "整改通知书",
            &format!("主送To{COMPANY}"),
            &format!("3号楼{COMPANY}"), // 部位
            &format!(
                "{COMPANY}，鋼筋⌀25間距偏大：箍筋Φ16、φ8@200，保護層≥25mm，偏差±5‰，3㎡；鿰鿿。"
            ),
        ],
    );
    assert!(!text.contains('\u{FFFD}'), "no replacement character");
    // Drawn by the three fonts, each embedded as a subset.
    let fonts = tool("pdffonts", &[out.to_str().unwrap()]);
    for name in ["NotoSansCJK", "DejaVuSans", "OffgridHanSupplement"] {
        assert!(fonts.contains(name), "{name} in:\n{fonts}");
    }
    // The page renders.
    let png = f.path("notice-page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "100",
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            out.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    assert!(std::fs::metadata(f.path("notice-page.png")).unwrap().len() > 10_000);
}

#[test]
fn a_character_no_font_has_is_printed_as_a_replacement_with_a_warning() {
    // U+20000 (CJK extension B) and U+E000 (private use): in no font of the documents.
    let f = one_hazard("B1 𠀀 区", "渗水\u{E000}", "", "某建设集团有限公司");
    let out = f.path("odd.pdf");
    let o = f.offgrid(&[
        "--json",
        "report",
        "notice",
        f.hazards[0].as_str(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        w["replaced_characters"],
        json!([
            {"character": "\u{E000}", "code_point": "U+E000",
             "fields": ["/notice/items/0/problem"]},
            {"character": "𠀀", "code_point": "U+20000",
             "fields": ["/notice/items/0/location", "/notice/items/0/problem"]},
        ])
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: 𠀀 (U+20000)") && err.contains("/notice/items/0/location"),
        "{err}"
    );
    // Printed as U+FFFD, drawn by a real glyph (DejaVu Sans), not as a missing glyph's box.
    let text = raw_text_of(&out);
    assert!(text.contains("B1\u{FFFD}区"), "{text}");
    assert!(text.contains("渗水\u{FFFD}"), "{text}");
    assert!(!text.contains('𠀀') && !text.contains('\u{E000}'));
    let fonts = tool("pdffonts", &[out.to_str().unwrap()]);
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    // The hash and the attached JSON are of the text as recorded.
    let attached = f.path("attached");
    std::fs::create_dir(&attached).unwrap();
    tool(
        "pdfdetach",
        &[
            "-saveall",
            "-o",
            attached.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let json_bytes = std::fs::read(attached.join("record.json")).unwrap();
    assert_eq!(sha256_hex(&json_bytes), w["sha256"].as_str().unwrap());
    let shown: Json = serde_json::from_slice(&json_bytes).unwrap();
    assert_eq!(shown["notice"]["items"][0]["location"], "3号楼 B1 𠀀 区");
    // Without --json the warning is printed too, and the same records give the same bytes.
    let again = f.path("again.pdf");
    let o = f.offgrid(&[
        "report",
        "notice",
        f.hazards[0].as_str(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: 𠀀 (U+20000)"));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn many_findings_many_photos_long_lines_and_a_missing_file_make_a_complete_document() {
    let f = fixture();
    let store = Store::open(&f.db).unwrap();
    store.set_user(user("zhang", "张喆", Role::Inspector));
    let long = "防护密闭门门框墙钢筋间距偏大".repeat(120);
    let batch: Vec<NewHazard> = (0..500)
        .map(|i| NewHazard {
            project: PROJECT.into(),
            site: "3号楼".into(),
            location: format!("{}号防护单元", i % 12 + 1),
            title: format!("问题{i}"),
            description: if i == 7 {
                long.clone()
            } else {
                "门框墙钢筋间距偏大".into()
            },
            grade: None,
            major: false,
            photos: Vec::new(),
        })
        .collect();
    let many = store.raise_hazards(&batch).unwrap();
    for (k, h) in many.iter().take(100).enumerate() {
        for j in 0..2u8 {
            store
                .add_photo(
                    &PhotoTarget::Hazard {
                        id: h.clone(),
                        rectification: false,
                    },
                    &photos::jpeg(&Sample {
                        width: 320,
                        height: 240,
                        noise: (k % 100) as u8 + j * 100 + 1,
                        quality: 80,
                        ..Default::default()
                    }),
                    &CaptureContext::default(),
                )
                .unwrap();
        }
    }
    // One photo's file is gone from this device.
    let gone = store.photos(&many[3]).unwrap()[0].sha256.clone();
    std::fs::remove_file(store.photo_path(&gone, PhotoFile::Upload).unwrap().unwrap()).unwrap();
    drop(store);
    let ids: Vec<&str> = many.iter().map(|h| h.as_str()).collect();
    let out = f.path("many.pdf");
    let mut args = vec!["notice"];
    args.extend(ids);
    let w = f.report(&args, &out);
    assert_eq!(w["missing_photos"], json!([gone]));
    let text = text_of(&out);
    assert!(text.contains("问题499"), "the last finding is there");
    // The findings table runs over many pages and repeats its header on each of them.
    let raw = tool("pdftotext", &["-layout", out.to_str().unwrap(), "-"]);
    let pages: Vec<String> = raw.split('\u{c}').map(squash).collect();
    let pages_with_rows: Vec<&String> = pages
        .iter()
        .filter(|page| (0..500).any(|i| page.contains(&format!("问题{i}："))))
        .collect();
    assert!(
        pages_with_rows.len() > 5,
        "{} of {} pages",
        pages_with_rows.len(),
        pages.len()
    );
    for page in &pages_with_rows {
        assert!(
            page.contains("问题Problem") && page.contains("依据Clause"),
            "a page of findings without the table header: {}",
            &page[..page.len().min(300)]
        );
    }
    assert!(text.contains("照片文件缺失"));
    assert!(
        text.contains("SHA-256"),
        "the document is complete: {}",
        &text[text.len().saturating_sub(600)..]
    );
    let images = tool("pdfimages", &["-list", out.to_str().unwrap()]);
    assert!(
        images.lines().skip(2).count() >= 199,
        "199 photos (the QR code is vector)"
    );
}

/// `GET {url}/v1/verify/{sha}` over a plain socket: (status code, JSON body).
fn get_verify(url: &str, sha: &str) -> (u16, Json) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    write!(
        c,
        "GET /v1/verify/{sha} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    c.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, serde_json::from_str(body).unwrap())
}

#[test]
fn a_document_reported_by_sync_is_verified_by_the_server() {
    use offgrid_core::documents::DocumentSettings;
    use offgrid_core::sync::{self, SyncOptions};
    use offgrid_server::{App, Config, RunningServer, accounts};
    const PW: &str = "correct horse";

    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Config::new(dir.path().join("server"))).unwrap();
    let b = app.backend.as_ref();
    accounts::add_project(b, "p1", "示范工程").unwrap();
    accounts::add_user(b, "wang", "王总监", PW).unwrap();
    accounts::set_member(b, "p1", "wang", Some(Role::Supervisor)).unwrap();
    let srv = RunningServer::start(app, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let url = srv.url();
    let store = Store::open(dir.path().join("wang.db")).unwrap();
    sync::login(&store, &url, "wang", PW, "phone").unwrap();
    let sync_now = || {
        let r = sync::sync(
            &store,
            &SyncOptions::default(),
            &mut |_| {},
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        )
        .unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    };
    let h = store
        .raise_hazard(&NewHazard {
            project: "p1".into(),
            site: "3号楼".into(),
            location: "地下一层防护密闭门".into(),
            title: "门扇闭锁不严".into(),
            description: String::new(),
            grade: None,
            major: false,
            photos: Vec::new(),
        })
        .unwrap();
    let out = dir.path().join("notice.pdf");
    let w = store
        .write_rectification_notice(std::slice::from_ref(&h), &DocumentSettings::default(), &out)
        .unwrap();

    // Made offline: the server has not heard of it.
    assert_eq!(
        get_verify(&url, &w.sha256),
        (
            200,
            json!({
                "status": "unknown", "sha256": w.sha256, "kind": null, "number": null,
                "issued_ms": null, "changed": []
            })
        )
    );
    // One sync pushes the hazard and reports the document: valid.
    sync_now();
    let (code, v) = get_verify(&url, &w.sha256);
    assert_eq!(code, 200);
    assert_eq!(v["status"], "valid", "{v}");
    assert_eq!(v["kind"], "rectification_notice");
    assert_eq!(v["number"], w.number.as_str());
    let pushed = || -> i64 {
        rusqlite::Connection::open(dir.path().join("wang.db"))
            .unwrap()
            .query_row(
                "SELECT pushed FROM issued_documents WHERE sha256 = ?1",
                [&w.sha256],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(pushed(), 1, "taken: not reported again");

    // The hazard moves on and syncs: superseded, naming it; the device agrees.
    store.escalate_hazard(&h, "超期督办").unwrap();
    sync_now();
    let (_, v) = get_verify(&url, &w.sha256);
    assert_eq!(v["status"], "superseded");
    assert_eq!(v["changed"], json!([h.as_str()]));
    assert_eq!(
        store.verify_document(&w.sha256).unwrap().status,
        offgrid_core::documents::DocumentStatus::Superseded
    );
    // Not a hash: a clear 400.
    let (code, e) = get_verify(&url, "not-a-hash");
    assert_eq!(code, 400, "{e}");
}

#[test]
fn the_organisation_header_carries_its_agency_number_pattern_and_logo() {
    let f = fixture();
    let logo = f.path("logo.jpg");
    std::fs::write(&logo, jpeg(7)).unwrap();
    let org = f.path("org.json");
    std::fs::write(
        &org,
        serde_json::to_vec(&json!({
            "agency": "滨江区人民防空工程质量监督站",
            "number_pattern": "滨人防〔{year}〕{kind}{serial}号",
            "logo_path": logo.to_str().unwrap(),
            "verify_url": "https://offgrid.example.cn/v1/verify/",
        }))
        .unwrap(),
    )
    .unwrap();
    let hazard = f.hazards[1].as_str();
    let (plain, with_logo) = (f.path("plain.pdf"), f.path("logo.pdf"));
    f.report(&["notice", hazard], &plain);
    let w = f.report(
        &["--org", org.to_str().unwrap(), "notice", hazard],
        &with_logo,
    );
    let number = w["number"].as_str().unwrap();
    assert!(
        number.starts_with("滨人防〔2025〕整改") && number.ends_with('号'),
        "{number}"
    );
    let text = squash(&text_of(&with_logo));
    assert!(text.contains("滨江区人民防空工程质量监督站"));
    assert!(text.contains(&squash(number)));
    let images = |pdf: &Path| {
        tool("pdfimages", &["-list", pdf.to_str().unwrap()])
            .lines()
            .skip(2)
            .count()
    };
    assert_eq!(images(&with_logo), images(&plain) + 1, "the logo is drawn");
    // The QR code points to the verification address.
    let code = qr_on_last_page(&f, &with_logo, &w);
    assert_eq!(
        code.trim(),
        format!(
            "https://offgrid.example.cn/v1/verify/{}",
            w["sha256"].as_str().unwrap()
        )
    );
}
