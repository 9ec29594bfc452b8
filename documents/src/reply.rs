//! What the reply form answering a rectification notice shows: per item the action taken, the
//! completion date and who rectified (marked when the server confirmed who pushed it), photos
//! before and after, and the agency's re-inspection (inspector, date, result: 闭合 closed or
//! 继续整改 continue).

use serde_json::json;

use crate::notice::{HazardSet, latest_rectification, names, who};
use crate::text::{local_date, local_year};
use crate::{Assembled, DocumentKind, DocumentSettings, Source};
use offgrid_common::model::RecordId;
use offgrid_domain::hazard::HazardEventKind;

pub(crate) fn assemble<S: Source>(
    src: &S,
    ids: &[RecordId],
    settings: &DocumentSettings,
) -> Result<Assembled, S::Error> {
    let set = HazardSet::load(src, ids)?;
    let mut photos = crate::photos::Prepared::default();
    let mut items = Vec::new();
    let mut last = set.issued();
    let mut reinspectors = Vec::new();
    let mut outcomes = Vec::new();
    for (n, h) in set.hazards.iter().enumerate() {
        let (submitted, reinspected) = latest_rectification(h);
        for e in submitted.iter().chain(reinspected.iter()) {
            last = last.max((e.at_ms, e.offset_minutes));
        }
        let meta = src.photos(&h.id)?;
        let place = format!("{} {}", set.site_name, h.location);
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (sha, p) in &h.photos {
            let m = meta.iter().find(|m| &m.sha256 == sha);
            let shown = photos.add(src, m, sha, &place)?;
            if p.stage.as_deref() == Some("rectification") {
                after.push(shown);
            } else {
                before.push(shown);
            }
        }
        let result = match reinspected.map(|e| &e.kind) {
            Some(HazardEventKind::Reinspected { passed: true }) => "闭合 closed",
            Some(_) => "继续整改 continue",
            None => "待复查 awaiting re-inspection",
        };
        outcomes.push(result);
        if let Some(e) = reinspected {
            reinspectors.push(who(e));
        }
        items.push(json!({
            "no": (n + 1).to_string(),
            "problem": h.title,
            "location": place,
            "action": submitted.and_then(|e| e.note.clone()).unwrap_or_else(|| "（尚未提交整改）".into()),
            "completed": submitted.map(|e| local_date(e.at_ms, e.offset_minutes)).unwrap_or_default(),
            "rectified_by": submitted.map(who).unwrap_or_default(),
            "reinspection": reinspected
                .map(|e| format!("{} {} {}", who(e), local_date(e.at_ms, e.offset_minutes), e.note.clone().unwrap_or_default()))
                .unwrap_or_default(),
            "result": result,
            "before": before,
            "after": after,
        }));
    }
    let outcome = if outcomes.iter().all(|o| o.starts_with("闭合")) {
        "闭合 closed"
    } else if outcomes.iter().any(|o| o.starts_with("继续")) {
        "继续整改 continue"
    } else {
        "待复查 awaiting re-inspection"
    };
    let reply = json!({
        "title": "人防工程质量问题整改回复单",
        "notice_number": set.notice_number(settings),
        "project": set.project,
        "address": set.address,
        "units": names(set.hazards.iter().filter_map(|h| h.state.unit.clone())),
        "replied": local_date(last.0, last.1),
        "items": items,
        "reinspectors": names(reinspectors.into_iter()),
        "outcome": outcome,
        "reinspected": local_date(last.0, last.1),
    });
    Ok(Assembled {
        kind: DocumentKind::ReplyForm,
        body: ("reply", reply),
        records: set.records.clone(),
        number: settings.number(
            DocumentKind::ReplyForm,
            local_year(last.0, last.1),
            &set.ids(),
        ),
        failed_only: false,
        photos,
        signatures: Vec::new(),
        dated: last,
    })
}
