//! What the quality supervision report of one inspection shows: the project and site, the
//! template's standards (监督依据), every visible item by section with its result, note, clause
//! and photos (or only the failed ones), the hazards raised from it, the conclusion and the
//! signatures.

use serde_json::{Value, json};

use crate::error::document;
use crate::text::{local_date, local_minute, local_year};
use crate::{Assembled, DocumentKind, DocumentSettings, ReportOptions, ShownRecord, Source};
use offgrid_common::model::RecordId;
use offgrid_domain::checklist::{Clause, Item, ItemKind, display};
use offgrid_domain::inspection::{AnswerData, InspectionEventKind, InspectionStatus};

/// How many times the report is assembled again when the inspection changed under it.
const ATTEMPTS: usize = 3;

/// The report of inspection `id`. The inspection is read in several reads (its content, its
/// photos, its signatures' images), so its heads are read before and after them: equal heads
/// mean nothing changed in between (heads only move forward), so the heads shown are those of
/// the state shown. Otherwise (a sync or another screen wrote meanwhile) it is assembled again.
/// Each hazard's row and heads come from one read.
pub(crate) fn assemble<S: Source>(
    src: &S,
    id: &RecordId,
    options: &ReportOptions,
    settings: &DocumentSettings,
) -> Result<Assembled, S::Error> {
    for _ in 0..ATTEMPTS {
        let before = sorted_heads(src, id)?;
        let assembled = assemble_at(src, id, options, settings, &before)?;
        if sorted_heads(src, id)? == before {
            return Ok(assembled);
        }
        tracing::debug!("the inspection changed while its report was assembled: again");
    }
    Err(document("the inspection kept changing while its report was made: try again").into())
}

fn sorted_heads<S: Source>(src: &S, id: &RecordId) -> Result<Vec<String>, S::Error> {
    let mut heads = src.heads(id)?;
    heads.sort();
    Ok(heads)
}

fn assemble_at<S: Source>(
    src: &S,
    id: &RecordId,
    options: &ReportOptions,
    settings: &DocumentSettings,
    heads: &[String],
) -> Result<Assembled, S::Error> {
    let inspection = src.inspection(id)?;
    let template = src.inspection_template(id)?;
    let meta: Vec<_> = src.photos(id)?;
    let (site_name, address) = site_facts(src, &inspection.site);
    let failed: std::collections::HashSet<&str> = inspection
        .progress
        .failed
        .iter()
        .map(|f| f.item.as_str())
        .collect();
    let hidden: std::collections::HashSet<&str> = inspection
        .progress
        .hidden
        .iter()
        .map(String::as_str)
        .collect();

    let mut photos = crate::photos::Prepared::default();
    let mut sections = Vec::new();
    let mut no = 0;
    for section in &template.sections {
        let mut items = Vec::new();
        for item in &section.items {
            if hidden.contains(item.id.as_str()) || matches!(item.kind, ItemKind::Signature) {
                continue;
            }
            no += 1;
            let is_failed = failed.contains(item.id.as_str());
            if options.failed_only && !is_failed {
                continue;
            }
            let answer = inspection.answers.get(&item.id);
            let mut shown_photos = Vec::new();
            if let Some(a) = answer {
                let place = format!("{site_name} · 第{no}项");
                for sha in a.photos.keys() {
                    let m = meta.iter().find(|m| &m.sha256 == sha);
                    shown_photos.push(photos.add(src, m, sha, &place)?);
                }
            }
            items.push(json!({
                "item": item.id,
                "no": no.to_string(),
                "text": item.text.zh,
                "result": result_text(item, answer, is_failed),
                "failed": is_failed,
                "note": answer.and_then(|a| a.note.clone()).unwrap_or_default(),
                "clause": item.clause.as_ref().map(clause_text).unwrap_or_default(),
                "photos": shown_photos,
            }));
        }
        if !items.is_empty() {
            sections.push(json!({"title": section.title.zh, "items": items}));
        }
    }

    let hazards = raised_hazards(src, &inspection.project, id)?;
    let mut inspectors: Vec<String> = Vec::new();
    let mut signatures = Vec::new();
    let mut shown_signatures = Vec::new();
    for s in &inspection.signatures {
        if !inspectors.contains(&s.name) {
            inspectors.push(s.name.clone());
        }
        let bytes = src.signature_image(id, &s.id);
        let index = bytes.map(|b| {
            signatures.push(b);
            signatures.len() - 1
        });
        shown_signatures.push(json!({
            "name": s.name,
            "at": local_minute(s.at_ms, s.offset_minutes),
            "image": index.is_some(),
            "index": index.unwrap_or(0),
        }));
    }
    let started = inspection
        .answers
        .values()
        .filter_map(|a| a.at_ms)
        .min()
        .unwrap_or(0);
    let offset = inspection
        .signatures
        .first()
        .map(|s| s.offset_minutes)
        .unwrap_or(480);
    let submitted = inspection
        .events
        .iter()
        .rfind(|e| e.kind == InspectionEventKind::Submitted)
        .map(|e| (e.at_ms, e.offset_minutes));
    let (date_ms, date_offset) = submitted.unwrap_or((started, offset));
    let p = &inspection.progress;
    let summary = json!({
        "required": p.required.to_string(),
        "answered": p.answered.to_string(),
        "failed": p.failed.len().to_string(),
        "score": p.score_pct.map(|s| format!("{s:.1}%")).unwrap_or_default(),
    });
    let conclusion = conclusion(inspection.status, p.failed.len(), hazards.len());
    let title = "人防工程质量监督报告".to_owned();
    let records: Vec<ShownRecord> = std::iter::once(ShownRecord {
        id: id.clone(),
        heads: heads.to_vec(),
    })
    .chain(hazards.iter().map(|(shown, _)| shown.clone()))
    .collect();
    let number = settings.number(
        DocumentKind::SupervisionReport,
        local_year(date_ms, date_offset),
        std::slice::from_ref(id),
    );
    let report = json!({
        "title": title,
        "project": inspection.project,
        "registration": "",
        "address": address,
        "site": site_name,
        "template": format!("{} (v{})", template.title.zh, template.version),
        "date": local_date(date_ms, date_offset),
        "inspectors": inspectors.join("、"),
        "status": status_text(inspection.status),
        "standards": template.standards,
        "summary": summary,
        "sections": sections,
        "hazards": hazards.into_iter().map(|(_, h)| h).collect::<Vec<Value>>(),
        "conclusion": conclusion,
        "signatures": shown_signatures,
    });
    Ok(Assembled {
        kind: DocumentKind::SupervisionReport,
        body: ("report", report),
        records,
        number,
        failed_only: options.failed_only,
        photos,
        signatures,
        dated: (date_ms, date_offset),
    })
}

/// The site's name and address if it is a site record here; else the id as written.
pub(crate) fn site_facts<S: Source>(src: &S, site: &str) -> (String, String) {
    src.site(site)
        .unwrap_or_else(|| (site.to_owned(), String::new()))
}

pub(crate) fn clause_text(c: &Clause) -> String {
    display::clause_text(c).zh
}

fn result_text(item: &Item, answer: Option<&AnswerData>, failed: bool) -> String {
    let Some(value) = answer.and_then(|a| a.value.as_ref()) else {
        return if answer.is_some_and(|a| !a.photos.is_empty()) {
            format!("照片 {} 张", answer.map(|a| a.photos.len()).unwrap_or(0))
        } else {
            "未检".into()
        };
    };
    let text = display::answer_text(item, value).map_or_else(|| value.to_string(), |t| t.zh);
    if failed && !text.contains("不合格") {
        format!("{text}（不合格）")
    } else {
        text
    }
}

fn status_text(s: InspectionStatus) -> &'static str {
    match s {
        InspectionStatus::Draft => "草稿",
        InspectionStatus::InProgress => "检查中",
        InspectionStatus::Submitted => "已提交",
        InspectionStatus::Returned => "已退回",
        InspectionStatus::Reviewed => "已审核",
    }
}

fn conclusion(status: InspectionStatus, failed: usize, hazards: usize) -> String {
    let state = match status {
        InspectionStatus::Reviewed => "本次检查已审核。",
        InspectionStatus::Submitted => "本次检查已提交，待审核。",
        _ => "本次检查尚未提交，本报告为过程稿。",
    };
    if failed == 0 {
        format!("{state}所检项目均符合要求。")
    } else {
        format!(
            "{state}发现不合格项 {failed} 项，已登记隐患 {hazards} 项，责任单位应按整改通知书限期整改并书面回复。"
        )
    }
}

/// Hazards raised from this inspection, in the order they were raised: id and heads as read,
/// and row.
fn raised_hazards<S: Source>(
    src: &S,
    project: &str,
    inspection: &RecordId,
) -> Result<Vec<(ShownRecord, Value)>, S::Error> {
    let ids = src.project_hazards(project)?;
    let mut rows = Vec::new();
    let zone = src.zone();
    for (h, heads) in src.hazards_with_heads(&ids)? {
        if h.source
            .as_ref()
            .is_none_or(|s| &s.inspection != inspection)
        {
            continue;
        }
        let raised = h
            .events
            .first()
            .map(|e| (e.at_ms, e.id.clone()))
            .unwrap_or_default();
        let row = json!({
            "title": h.title,
            "location": h.location,
            "grade": h.state.grade.map(|g| g.label().0).unwrap_or("未评估"),
            "status": h.state.status.label().0,
            "deadline": h.state.deadline_ms.map(|d| local_date(d, zone.offset_minutes(d))).unwrap_or_default(),
        });
        rows.push((raised, ShownRecord { id: h.id, heads }, row));
    }
    rows.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    Ok(rows
        .into_iter()
        .map(|(_, shown, row)| (shown, row))
        .collect())
}
