//! Generated records for the benchmarks: deterministic, varied kinds, statuses, projects and
//! assignees, with bilingual titles and Chinese descriptions drawn from real civil-air-defence
//! defects, so lists, filters and searches see realistic selectivity.

use offgrid_core::RecordKind;
use serde_json::{Map, Value as Json, json};

/// Defects (Chinese, English). Only the first contains 渗水, the short search term.
const DEFECTS: [(&str, &str); 11] = [
    ("施工缝处渗水", "seepage at a construction joint"),
    ("防护密闭门门框变形", "blast-door frame deformed"),
    ("通风管道穿墙处未封堵", "duct wall penetration not sealed"),
    ("钢筋保护层厚度不足", "insufficient concrete cover"),
    ("混凝土表面裂缝", "surface cracks in concrete"),
    ("防爆波活门安装偏差", "blast valve misaligned"),
    ("排水沟堵塞", "drainage channel blocked"),
    ("应急照明失效", "emergency lighting not working"),
    (
        "密闭通道防水层破损",
        "waterproofing damaged in the airtight passage",
    ),
    ("战时出入口标识缺失", "wartime entrance signage missing"),
    (
        "防化通信设备未调试",
        "NBC communication equipment not commissioned",
    ),
];
/// A two-character query (a scan of the indexed text) matching about two records in eleven.
pub(super) const SHORT_QUERY: &str = "渗水";
/// A longer query (the trigram index) matching about two records in eleven.
pub(super) const LONG_QUERY: &str = "防护密闭门";

const HAZARD_STATUSES: [&str; 4] = ["open", "in_progress", "rectified", "closed"];
const INSPECTION_STATUSES: [&str; 4] = ["draft", "in_progress", "submitted", "approved"];
const GRADES: [&str; 3] = ["minor", "major", "critical"];
const ASSIGNEES: [&str; 5] = ["zhang", "li", "wang", "zhao", "chen"];
const PROJECTS: usize = 12;

/// The status the filter benchmark asks for, with kind patrol.
pub(super) const FILTER_STATUS: &str = "open";

/// Record number `i`: two in three are patrol records (status a plain field), the rest
/// inspections.
pub(super) fn record(i: usize) -> (RecordKind, Json) {
    let kind = if i % 3 == 2 {
        RecordKind::Inspection
    } else {
        RecordKind::Patrol
    };
    let (zh, en) = DEFECTS[i % DEFECTS.len()];
    let (zh2, _) = DEFECTS[(i * 7 + 3) % DEFECTS.len()];
    let building = i % 9 + 1;
    let floor = i % 2 + 1;
    let mut fields = Map::new();
    fields.insert(
        "title".into(),
        json!(format!(
            "{building}号楼地下{floor}层{zh} / {en}, building {building} B{floor}"
        )),
    );
    fields.insert(
        "description".into(),
        json!(format!(
            "{building}号楼地下{floor}层{}轴附近{zh}；另见{zh2}。请于{}日内整改并复查。",
            i % 20 + 1,
            i % 14 + 1
        )),
    );
    fields.insert(
        "project".into(),
        json!(format!("project-{:02}", i % PROJECTS)),
    );
    fields.insert(
        "site".into(),
        json!(format!("{building}号楼 / Building {building}")),
    );
    fields.insert("assignee".into(), json!(ASSIGNEES[i % ASSIGNEES.len()]));
    match kind {
        RecordKind::Inspection => {
            fields.insert("status".into(), json!(INSPECTION_STATUSES[(i / 3) % 4]));
            let answers: Map<String, Json> = (0..5)
                .map(|k| {
                    let value = if (i + k).is_multiple_of(4) {
                        "fail"
                    } else {
                        "pass"
                    };
                    (format!("item-{k}"), json!({ "value": value }))
                })
                .collect();
            fields.insert("answers".into(), Json::Object(answers));
        }
        _ => {
            fields.insert("status".into(), json!(HAZARD_STATUSES[(i / 3) % 4]));
            fields.insert("grade".into(), json!(GRADES[(i / 7) % 3]));
        }
    }
    (kind, Json::Object(fields))
}

/// `n` hazards raised in batches of 500 in four projects (`p0`…`p3`), all four grades;
/// `deadline(i)` gives hazard `i` a rectification order to "chen" with that deadline (UTC ms),
/// or none. Returns their ids in order.
pub(super) fn hazards(
    store: &offgrid_core::Store,
    n: usize,
    deadline: impl Fn(usize) -> Option<i64>,
) -> anyhow::Result<Vec<offgrid_core::RecordId>> {
    use offgrid_core::RiskGrade;
    use offgrid_core::hazard::{NewHazard, RectificationOrder};
    let grades = [
        RiskGrade::Red,
        RiskGrade::Orange,
        RiskGrade::Yellow,
        RiskGrade::Blue,
    ];
    let mut all = Vec::with_capacity(n);
    for start in (0..n).step_by(500) {
        let batch: Vec<NewHazard> = (start..(start + 500).min(n))
            .map(|i| NewHazard {
                project: format!("p{}", i % 4),
                site: format!("{}号楼", i % 9 + 1),
                location: "B1".into(),
                title: format!("隐患 {i}"),
                description: ["底板渗水", "疏散通道堵塞", "电动车充电", "应急照明损坏"][i % 4]
                    .into(),
                grade: Some(grades[i % 4]),
                major: false,
                photos: Vec::new(),
            })
            .collect();
        let ids = store.raise_hazards(&batch)?;
        for (k, id) in ids.iter().enumerate() {
            if let Some(deadline_ms) = deadline(start + k) {
                store.order_rectification(
                    id,
                    &RectificationOrder {
                        unit: "施工单位".into(),
                        person: "chen".into(),
                        person_name: "陈工".into(),
                        deadline_ms,
                        measures: "整改".into(),
                    },
                )?;
            }
        }
        all.extend(ids);
    }
    Ok(all)
}
