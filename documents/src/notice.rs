//! What the rectification notice for a set of hazards of one project shows: addressee, project,
//! inspectors and date, one row per problem (location, "time + place + problem + basis", clause,
//! grade, deadline, measures, photo ids), the requirements, issuer and date, the receipt and
//! objection lines. [`HazardSet`] is shared with the reply form, which answers the same notice.

use serde_json::json;

use crate::error::invalid;
use crate::supervision::{clause_text, site_facts};
use crate::text::{local_date, local_minute, local_year};
use crate::{Assembled, DocumentKind, DocumentSettings, ShownRecord, Source};
use offgrid_common::model::RecordId;
use offgrid_domain::hazard::{Hazard, HazardEvent, HazardEventKind};

/// The hazards of one notice, loaded and in a fixed order (as raised).
pub(crate) struct HazardSet {
    pub hazards: Vec<Hazard>,
    pub project: String,
    pub site_name: String,
    pub address: String,
    /// The hazards' ids and heads as read, in the order shown.
    pub records: Vec<ShownRecord>,
}

impl HazardSet {
    pub(crate) fn load<S: Source>(src: &S, ids: &[RecordId]) -> Result<HazardSet, S::Error> {
        if ids.is_empty() {
            return Err(invalid("a notice needs at least one hazard").into());
        }
        let mut unique: Vec<RecordId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        // Each hazard and the heads the notice shows come from one read.
        let mut loaded = src.hazards_with_heads(&unique)?;
        loaded.sort_by(|(a, _), (b, _)| (raised_at(a), &a.id.0).cmp(&(raised_at(b), &b.id.0)));
        let (hazards, records): (Vec<Hazard>, Vec<ShownRecord>) = loaded
            .into_iter()
            .map(|(h, heads)| {
                let shown = ShownRecord {
                    id: h.id.clone(),
                    heads,
                };
                (h, shown)
            })
            .unzip();
        let project = hazards[0].project.clone();
        if hazards.iter().any(|h| h.project != project) {
            return Err(invalid("a notice covers the hazards of one project").into());
        }
        let (site_name, address) = site_facts(src, &hazards[0].site);
        Ok(HazardSet {
            hazards,
            project,
            site_name,
            address,
            records,
        })
    }

    /// When the notice was issued: the latest rectification order (else the latest finding),
    /// in the offset it was written in.
    pub(crate) fn issued(&self) -> (i64, i32) {
        let ordered = self
            .hazards
            .iter()
            .flat_map(|h| h.events.iter())
            .filter(|e| matches!(e.kind, HazardEventKind::RectificationOrdered { .. }))
            .map(|e| (e.at_ms, e.offset_minutes))
            .max();
        ordered.unwrap_or_else(|| {
            self.hazards
                .iter()
                .filter_map(|h| h.events.first())
                .map(|e| (e.at_ms, e.offset_minutes))
                .max()
                .unwrap_or((0, 480))
        })
    }

    /// The notice's number; the reply form cites it.
    pub(crate) fn notice_number(&self, settings: &DocumentSettings) -> String {
        let (at, offset) = self.issued();
        settings.number(
            DocumentKind::RectificationNotice,
            local_year(at, offset),
            &self.ids(),
        )
    }

    pub(crate) fn ids(&self) -> Vec<RecordId> {
        self.records.iter().map(|r| r.id.clone()).collect()
    }
}

fn raised_at(h: &Hazard) -> i64 {
    h.events.first().map(|e| e.at_ms).unwrap_or(0)
}

/// The name a person is shown by, with "（已核实）" once the server confirmed who pushed it.
pub(crate) fn who(e: &HazardEvent) -> String {
    let name = if e.by_name.is_empty() {
        &e.by
    } else {
        &e.by_name
    };
    let who = match &e.verified_by {
        Some(account) if account == &e.by => format!("{name}（已核实）"),
        Some(_) => format!("{name}（提交账号不符）"),
        None => name.clone(),
    };
    if e.clock_ahead {
        format!("{who}（设备时间超前）")
    } else {
        who
    }
}

/// The latest rectification submitted and the latest re-inspection, if any.
pub(crate) fn latest_rectification(h: &Hazard) -> (Option<&HazardEvent>, Option<&HazardEvent>) {
    let latest = |f: fn(&HazardEventKind) -> bool| h.events.iter().rfind(|e| f(&e.kind));
    (
        latest(|k| matches!(k, HazardEventKind::RectificationSubmitted { .. })),
        latest(|k| matches!(k, HazardEventKind::Reinspected { .. })),
    )
}

pub(crate) fn names(events: impl Iterator<Item = String>) -> String {
    let mut out: Vec<String> = Vec::new();
    for n in events {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out.join("、")
}

pub(crate) fn assemble<S: Source>(
    src: &S,
    ids: &[RecordId],
    settings: &DocumentSettings,
) -> Result<Assembled, S::Error> {
    let set = HazardSet::load(src, ids)?;
    // Deadlines as the office set them: dates in the organisation's zone.
    let zone = src.zone();
    let mut photos = crate::photos::Prepared::default();
    let mut items = Vec::new();
    for (n, h) in set.hazards.iter().enumerate() {
        let raised = h.events.first();
        let when = raised
            .map(|e| local_minute(e.at_ms, e.offset_minutes))
            .unwrap_or_default();
        let clause = h
            .source
            .as_ref()
            .and_then(|s| s.clause.as_ref())
            .map(clause_text)
            .unwrap_or_default();
        let meta = src.photos(&h.id)?;
        let mut shown = Vec::new();
        for (sha, p) in &h.photos {
            if p.stage.as_deref() == Some("rectification") {
                continue;
            }
            let m = meta.iter().find(|m| &m.sha256 == sha);
            shown.push(photos.add(src, m, sha, &format!("{} {}", set.site_name, h.location))?);
        }
        let photo_ids = shown
            .iter()
            .filter_map(|p| p["sha256"].as_str().map(|s| s[..8].to_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut problem = format!("{when}，{}，{}", h.location, h.title);
        if !h.description.is_empty() {
            problem.push_str(&format!("：{}", h.description));
        }
        if !clause.is_empty() {
            problem.push_str(&format!("，不符合{clause}"));
        }
        problem.push('。');
        items.push(json!({
            "no": (n + 1).to_string(),
            "location": format!("{} {}", set.site_name, h.location),
            "problem": problem,
            "clause": clause,
            "grade": h.state.grade.map(|g| g.label().0).unwrap_or("未评估"),
            "deadline": h.state.deadline_ms.map(|d| local_date(d, zone.offset_minutes(d))).unwrap_or_default(),
            "measures": h.state.measures.clone().unwrap_or_default(),
            "photo_ids": photo_ids,
            "photos": shown,
        }));
    }
    let (issued_ms, offset) = set.issued();
    let all_events = || set.hazards.iter().flat_map(|h| h.events.iter());
    let inspectors = names(
        all_events()
            .filter(|e| matches!(e.kind, HazardEventKind::Raised { .. }))
            .map(who),
    );
    let issuer = names(
        all_events()
            .filter(|e| matches!(e.kind, HazardEventKind::RectificationOrdered { .. }))
            .map(who),
    );
    let units = names(set.hazards.iter().filter_map(|h| h.state.unit.clone()));
    let first_found = all_events()
        .filter(|e| matches!(e.kind, HazardEventKind::Raised { .. }))
        .map(|e| (e.at_ms, e.offset_minutes))
        .min()
        .unwrap_or((issued_ms, offset));
    let number = set.notice_number(settings);
    let notice = json!({
        "title": "人防工程质量问题整改通知书",
        "to": units,
        "copies": "",
        "project": set.project,
        "address": set.address,
        "inspected": local_date(first_found.0, first_found.1),
        "inspectors": inspectors,
        "preamble": format!(
            "经对你单位承建的{}（{}）进行监督检查，发现下列质量问题，现通知如下：",
            set.project, set.site_name
        ),
        "items": items,
        "requirements": [
            "一、请责任单位按上表整改期限完成整改；整改期间涉及问题部位的下道工序应暂停施工。",
            "二、整改完成后填写《整改回复单》，附整改前后照片，经监理单位复查签字后报送本机构。",
            "三、本机构将对整改情况进行现场复查；逾期未整改的，将依法依规处理。",
        ],
        "issuer": issuer,
        "issued": local_date(issued_ms, offset),
        "objection": "如对本通知有异议，可自收到之日起十五日内向签发机构书面提出。 Objections: in writing to the issuing agency within 15 days of receipt.",
    });
    Ok(Assembled {
        kind: DocumentKind::RectificationNotice,
        body: ("notice", notice),
        records: set.records.clone(),
        number,
        failed_only: false,
        photos,
        signatures: Vec::new(),
        dated: (issued_ms, offset),
    })
}
