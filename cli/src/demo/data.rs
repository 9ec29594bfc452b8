//! The demo's records as their creating device fills them in: a civil-air-defence project, a
//! floor-slab rebar inspection (every answer's map created up front: the genesis rule) and a
//! seepage hazard, in Chinese with English alongside.

use offgrid_core::RecordId;
use serde_json::{Value as Json, json};

pub fn project() -> Json {
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

pub fn inspection(project: &RecordId) -> Json {
    // The genesis rule: each answer is a map created with the record, so both devices write
    // into the same map instead of each creating its own.
    json!({
        "title": "人防地下室底板钢筋隐蔽验收 / Floor-slab rebar before pouring",
        "status": "in_progress",
        "site": "3号楼地下一层 / Building 3, B1",
        "project": project,
        "assignee": "zhang",
        "answers": {
            "rebar-spacing": {"item": "钢筋间距 / Rebar spacing"},
            "cover": {"item": "保护层厚度(mm) / Concrete cover (mm)"},
            "blast-door-frame": {"item": "防护密闭门门框 / Blast-door frame"},
        },
    })
}

pub fn hazard(project: &RecordId, inspection: &RecordId) -> Json {
    json!({
        "title": "底板东北角渗水 / Seepage at the slab's north-east corner",
        "description": "底板东北角施工缝处渗水，积水约0.5㎡，浇筑前须处理 / \
                        Water seeping through the construction joint, about 0.5 m², \
                        to be fixed before pouring",
        "status": "open",
        "grade": "major",
        "site": "3号楼地下一层 / Building 3, B1",
        "project": project,
        "inspection": inspection,
    })
}
