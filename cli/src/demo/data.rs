//! The demo's records as their creating device fills them in: a civil-air-defence project, a
//! floor-slab rebar inspection (every answer's map created up front: the genesis rule) and a
//! seepage hazard, in Chinese with English alongside; and the day's script: the answers given
//! to the stage-inspection template, where each failure was found, and the photos taken
//! (synthetic JPEGs attached through the photo pipeline).

use offgrid_core::RecordId;
use offgrid_core::checklist::{Item, ItemKind};
use offgrid_core::hazard::NewHazard;
use serde_json::{Value as Json, json};

/// The built-in template the day's inspection is made from.
pub(crate) const TEMPLATE: &str = "rf-stage-inspection";

/// The site everything happens on.
pub(crate) const SITE: &str = "3号楼地下一层 / Building 3, B1";

pub(crate) fn project() -> Json {
    json!({
        "title": "滨江花园人防工程 / Binjiang Garden civil-air-defence works",
        "status": "active",
        "site": "滨江花园3号楼 / Binjiang Garden, Building 3",
        "members": {
            "zhang": {"name": "张工", "role": "inspector"},
            "li": {"name": "李工", "role": "inspector"},
        },
    })
}

pub(crate) fn inspection(project: &RecordId) -> Json {
    // The genesis rule: each answer is a map created with the record, so both devices write
    // into the same map instead of each creating its own.
    json!({
        "title": "人防地下室底板钢筋隐蔽验收 / Floor-slab rebar before pouring",
        "status": "in_progress",
        "site": SITE,
        "project": project,
        "assignee": "zhang",
        "answers": {
            "rebar-spacing": {"item": "钢筋间距 / Rebar spacing"},
            "cover": {"item": "保护层厚度(mm) / Concrete cover (mm)"},
            "blast-door-frame": {"item": "防护密闭门门框 / Blast-door frame"},
        },
    })
}

/// The seepage found underground, raised through the hazard loop (not graded yet: the
/// supervisor grades it later in the day).
pub(crate) fn hazard(project: &RecordId) -> NewHazard {
    NewHazard {
        project: project.to_string(),
        site: SITE.into(),
        location: "底板东北角施工缝 / Slab, north-east corner, construction joint".into(),
        title: "底板东北角渗水 / Seepage at the slab's north-east corner".into(),
        description: "底板东北角施工缝处渗水，积水约0.5㎡，浇筑前须处理 / \
                      Water seeping through the construction joint, about 0.5 m², \
                      to be fixed before pouring"
            .into(),
        grade: None,
        major: false,
        photos: Vec::new(),
    }
}

/// The answer 张工 gives an item: the three failures with their notes, else a pass, a
/// realistic option or a measurement in range.
pub(crate) fn scripted(item: &Item) -> (Json, Option<&'static str>) {
    match item.id.as_str() {
        "wall-cover" => (
            json!(18),
            Some("东侧外墙3处实测保护层18mm，低于25mm / East wall: 18 mm cover at 3 points"),
        ),
        "tie-bolt-waterstop" => (
            json!("fail"),
            Some("东侧外墙3根对拉螺栓采用PVC套管 / East wall: 3 tie bolts in PVC sleeves"),
        ),
        "door-frame-plumb" => (
            json!(3.5),
            Some("1号防护密闭门门框垂直度偏差3.5mm / Blast door 1: frame 3.5 mm out of plumb"),
        ),
        "door-wall-thickness" => (json!("le-400"), None),
        "door-sill-type" => (json!("fixed"), None),
        "blocking-openings" => (json!("no"), None),
        _ => (typical(item), None),
    }
}

/// A passing answer of the item's type.
pub(crate) fn typical(item: &Item) -> Json {
    match &item.kind {
        ItemKind::SingleChoice { options } => options
            .iter()
            .find(|o| !o.fails)
            .map_or(Json::Null, |o| json!(o.id)),
        ItemKind::MultipleChoice { options } => options
            .iter()
            .find(|o| !o.fails)
            .map_or(json!([]), |o| json!([o.id])),
        ItemKind::Number { min, max, .. } => match (min, max) {
            (Some(lo), Some(hi)) => json!((lo + hi) / 2.0),
            (Some(v), None) | (None, Some(v)) => json!(v),
            (None, None) => json!(0),
        },
        ItemKind::Text { .. } => json!("符合要求 / As required"),
        ItemKind::Date => json!("2025-03-18"),
        ItemKind::Checkpoint { code } => json!(code),
        ItemKind::Location => json!({ "description": SITE }),
        _ => json!("pass"),
    }
}

/// Where each failure is and what was found (for its hazard).
pub(crate) fn found(item: &str) -> (&'static str, &'static str) {
    match item {
        "wall-cover" => (
            "东侧外墙 2–4 轴 / East external wall, axes 2–4",
            "外墙钢筋保护层实测18mm，设计25mm，浇筑后易锈蚀 / Cover measured 18 mm against 25 mm",
        ),
        "tie-bolt-waterstop" => (
            "东侧外墙 / East external wall",
            "3根穿墙对拉螺栓采用PVC套管，无止水片，浇筑后将渗水 / 3 tie bolts in PVC sleeves, \
             no water-stop plates: will leak",
        ),
        "door-frame-plumb" => (
            "1号防护密闭门 / Protective airtight door 1",
            "门框垂直度偏差3.5mm（允许2mm），门扇可能关闭不严 / Frame 3.5 mm out of plumb \
             (2 mm allowed): the door may not seal",
        ),
        _ => (
            "3号楼地下一层 / Building 3, B1",
            "检查不合格 / Failed inspection item",
        ),
    }
}

/// An "after" photo of a rectification: a real (synthetic) JPEG, different for each `n`,
/// attached to the hazard through the photo pipeline so the rectification's evidence exists
/// and syncs. Returns its SHA-256.
pub(crate) fn attach_after_photo(
    store: &offgrid_core::Store,
    hazard: &RecordId,
    n: u32,
) -> offgrid_core::Result<String> {
    use offgrid_core::photo::{CaptureContext, PhotoTarget};
    use offgrid_testkit::photos::{self, Sample};
    let bytes = photos::jpeg(&Sample {
        width: 320,
        height: 240,
        noise: 8 + n as u8,
        ..Sample::default()
    });
    let target = PhotoTarget::Hazard {
        id: hazard.clone(),
        rectification: true,
    };
    Ok(store
        .add_photo(&target, &bytes, &CaptureContext::default())?
        .sha256)
}

/// An answer photo of an inspection item: a real (synthetic) JPEG, different for each `n`
/// (the demo's count of photos so far) and from the "after" photos, attached through the photo
/// pipeline so the item's evidence exists on this device, syncs and is printed in the report.
/// Returns its SHA-256.
pub(crate) fn attach_answer_photo(
    store: &offgrid_core::Store,
    inspection: &RecordId,
    item: &str,
    n: u32,
) -> offgrid_core::Result<String> {
    use offgrid_core::photo::{CaptureContext, PhotoTarget};
    use offgrid_testkit::photos::{self, Sample};
    let bytes = photos::jpeg(&Sample {
        width: 400,
        height: 300,
        noise: 8 + (n % 100) as u8,
        ..Sample::default()
    });
    let target = PhotoTarget::Inspection {
        id: inspection.clone(),
        item: item.to_owned(),
    };
    Ok(store
        .add_photo(&target, &bytes, &CaptureContext::default())?
        .sha256)
}

/// The bytes of the signature "image".
pub(crate) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n demo signature of \xe5\xbc\xa0\xe5\xb7\xa5";

#[cfg(test)]
mod tests {
    use offgrid_core::checklist::Template;

    use super::*;

    #[test]
    fn scripted_answers_fit_the_template() {
        let template: Template = offgrid_core::checklist::builtin::get(TEMPLATE)
            .unwrap()
            .unwrap();
        let mut failures = 0;
        for (_, item) in template.items() {
            if matches!(item.kind, ItemKind::Photo { .. } | ItemKind::Signature) {
                continue;
            }
            let (value, note) = scripted(item);
            offgrid_core::inspection::answer::check(item, &value)
                .unwrap_or_else(|e| panic!("{}: {e}", item.id));
            if offgrid_core::inspection::answer::is_failure(item, &value) {
                failures += 1;
                assert!(note.is_some(), "{} fails without a note", item.id);
            }
        }
        assert_eq!(failures, 3);
    }
}
