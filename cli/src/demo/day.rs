//! The rest of the demo's day, on device A (the site office's tablet, passed from hand to hand):
//! 张工 (inspector) fills in a stage inspection from the built-in `rf-stage-inspection`
//! template — three items fail — signs and submits it; 王监理 (supervisor) accepts it, raises a
//! hazard from each failed item, grades the morning's seepage and orders rectification;
//! 陈工 (the contractor, rectifier) reports two rectifications with photos; 张工 re-inspects,
//! passes one (and closes it) and sends the other back; at 17:30 the hazard whose deadline passed
//! is escalated. The store's [`FixedClock`](offgrid_core::FixedClock) moves through the day and
//! `set_user` switches people; the core checks every role and rule on the way.

use anyhow::{Context, Result, bail, ensure};
use offgrid_core::checklist::ItemKind;
use offgrid_core::hazard::{Hazard, RectificationOrder, Register, RegisterQuery};
use offgrid_core::inspection::{InspectionStatus, MissingKind, NewInspection, Progress};
use offgrid_core::{Error as CoreError, ListSort, RecordId, Role, Store, User};
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::data::{SIGNATURE, TEMPLATE, attach_after_photo, attach_answer_photo, found, scripted};
use super::{Device, data, local_on};
use crate::{output, time};

/// The contractor responsible for rectification.
const CONTRACTOR: &str = "滨江建设有限公司 / Binjiang Construction Co.";

/// What the day produced (the `day` object of `demo --json`).
#[derive(Serialize)]
pub(crate) struct Day {
    pub people: Vec<User>,
    pub inspection: RecordId,
    pub template: String,
    pub status: InspectionStatus,
    pub progress: Progress,
    /// The morning's seepage hazard, then one per failed item.
    pub hazards: Vec<RecordId>,
    /// The register of the project at the end of the day (17:30), most severe first.
    pub register: Register,
    /// Every hazard with its events, in `hazards` order.
    pub timelines: Vec<Hazard>,
    /// What happened, in order.
    pub log: Vec<Step>,
}

/// One thing someone did (or was refused).
#[derive(Serialize)]
pub(crate) struct Step {
    /// Local time on the device, `HH:MM`.
    pub time: String,
    pub at_ms: i64,
    pub who: String,
    pub what: String,
}

/// The people of the day, each with a role on the project.
struct People {
    zhang: User,
    wang: User,
    chen: User,
}

/// Device A's store, its clock and the log.
struct Diary<'a> {
    device: &'a Device,
    log: Vec<Step>,
    /// Hands the tablet to someone: syncs what the previous person did and signs in as them
    /// (the server takes each account's own work only).
    handover: &'a dyn Fn(&User) -> Result<()>,
}

impl Diary<'_> {
    /// `user` takes the tablet at `hour:minute` (`days` after the demo's day).
    fn at(&self, days: i64, hour: u32, minute: u32, user: &User) -> Result<&Store> {
        if self.device.store.user().map(|u| u.id) != Some(user.id.clone()) {
            (self.handover)(user)?;
        }
        self.device.clock.set(local_on(days, hour, minute));
        self.device.store.set_user(user.clone());
        Ok(&self.device.store)
    }

    fn store(&self) -> &Store {
        &self.device.store
    }

    /// Logs `what` at the store's time, by the current user.
    fn log(&mut self, what: impl Into<String>) {
        let now = self.store().now();
        let user = self.store().user();
        let local = time::utc(now.unix_ms + i64::from(now.offset_minutes) * 60_000);
        self.log.push(Step {
            time: local[11..16].to_owned(),
            at_ms: now.unix_ms,
            who: user.map_or("-".into(), |u| output::who(Some(&u.name), Some(&u.id))),
            what: what.into(),
        });
    }
}

pub(super) fn play(
    device: &Device,
    project: &RecordId,
    seepage: &RecordId,
    handover: &dyn Fn(&User) -> Result<()>,
) -> Result<Day> {
    let p = project.as_str();
    let people = People {
        zhang: User::new("zhang", "张工").with_role(p, Role::Inspector),
        wang: User::new("wang", "王监理").with_role(p, Role::Supervisor),
        chen: User::new("chen", "陈工").with_role(p, Role::Rectifier),
    };
    let mut d = Diary {
        device,
        log: Vec::new(),
        handover,
    };

    let inspection = inspect(&mut d, &people, project)?;
    let mut hazards = vec![seepage.clone()];
    hazards.extend(review_and_raise(&mut d, &people, &inspection)?);
    order(&mut d, &people, &hazards)?;
    rectify_and_reinspect(&mut d, &people, &hazards)?;

    // 17:30: whatever is past its deadline is escalated (挂牌督办).
    d.at(0, 17, 30, &people.wang)?;
    let query = RegisterQuery {
        project: Some(project.to_string()),
        overdue: true,
        ..Default::default()
    };
    let overdue = d.store().register(&query)?;
    ensure!(!overdue.rows.is_empty(), "nothing is overdue at 17:30");
    for row in &overdue.rows {
        d.store()
            .escalate_hazard(&row.id, "超期未整改，挂牌督办 / Overdue: escalated")?;
        d.log(format!(
            "escalated overdue hazard {} ({})",
            output::short_id(row.id.as_str()),
            row.title.as_deref().unwrap_or("-")
        ));
    }

    let register = d.store().register(&RegisterQuery {
        project: Some(project.to_string()),
        sort: ListSort::Grade,
        ..Default::default()
    })?;
    ensure!(register.overdue >= 1, "the register shows nothing overdue");
    ensure!(
        register.by_status.get("returned") == Some(&1)
            && register.by_status.get("closed") == Some(&1),
        "unexpected register counts: {:?}",
        register.by_status
    );
    let timelines = hazards
        .iter()
        .map(|id| d.store().hazard(id))
        .collect::<offgrid_core::Result<Vec<_>>>()?;
    let ins = d.store().inspection(&inspection)?;
    // The tablet goes back to its owner.
    handover(&device.user)?;
    device.store.set_user(device.user.clone());
    Ok(Day {
        people: vec![people.zhang, people.wang, people.chen],
        inspection,
        template: format!("{} v{}", ins.template.id, ins.template.version),
        status: ins.status,
        progress: ins.progress,
        hazards,
        register,
        timelines,
        log: d.log,
    })
}

/// 10:30–11:30, 张工: creates the inspection, answers every visible required item in template
/// order (two minutes each), photographs, signs and submits.
fn inspect(d: &mut Diary, people: &People, project: &RecordId) -> Result<RecordId> {
    let store = d.at(0, 10, 30, &people.zhang)?;
    let id = store.create_inspection(&NewInspection {
        template_id: TEMPLATE.into(),
        template_version: None,
        project: project.to_string(),
        site: data::SITE.into(),
        title: Some(
            "3号楼地下一层底板及外墙钢筋隐蔽验收 / Building 3 B1: slab and wall rebar before pouring"
                .into(),
        ),
    })?;
    let ins = store.inspection(&id)?;
    let template = store.template(&ins.template.id, ins.template.version)?;
    d.log(format!(
        "created inspection {} from {} v{} ({} items)",
        output::short_id(id.as_str()),
        ins.template.id,
        ins.template.version,
        template.items().count()
    ));

    let (mut answered, mut photos) = (0, 0);
    // Answering can show items (a thin door-frame wall asks about its diagonal bars), so go
    // round until nothing is missing.
    for _round in 0..4 {
        let missing = d.store().inspection(&id)?.progress.missing;
        if missing.is_empty() {
            break;
        }
        for m in missing {
            d.device.clock.advance_ms(2 * 60_000);
            let item = template
                .item(&m.item)
                .with_context(|| format!("no item {}", m.item))?;
            match (m.what, &item.kind) {
                (MissingKind::Photos, ItemKind::Photo { min_count }) => {
                    for _ in 0..*min_count {
                        attach_answer_photo(d.store(), &id, &item.id, photos)?;
                        photos += 1;
                    }
                }
                (MissingKind::Signature, _) => {
                    d.store()
                        .sign_inspection(&id, Some(&item.id), "张工", SIGNATURE)?;
                    d.log(format!("signed ({})", item.text.zh));
                }
                (MissingKind::Answer, _) => {
                    let (value, note) = scripted(item);
                    let outcome = d.store().answer(&id, &item.id, &value, note)?;
                    answered += 1;
                    if outcome.failed {
                        if item.evidence.photo_on_fail {
                            attach_answer_photo(d.store(), &id, &item.id, photos)?;
                            photos += 1;
                        }
                        d.log(format!(
                            "{}: {} → FAILED ({}){}",
                            item.id,
                            value_text(&value),
                            note.unwrap_or("-"),
                            outcome
                                .raises_hazard
                                .map_or(String::new(), |g| format!(", hazard {}", g.as_str()))
                        ));
                    }
                    if !outcome.shown.is_empty() {
                        d.log(format!(
                            "{} = {} shows {}",
                            item.id,
                            value_text(&value),
                            outcome.shown.join(", ")
                        ));
                    }
                }
                (what, _) => bail!("the script has no answer for {}: {}", m.item, what.as_str()),
            }
        }
    }
    d.device.clock.advance_ms(2 * 60_000);
    d.store().answer(
        &id,
        "remarks",
        &json!(
            "钢筋工程总体符合要求；保护层、对拉螺栓、门框垂直度3项不合格，整改复查后方可浇筑 / \
                Rebar broadly as designed; cover, tie bolts and door-frame plumb fail: pour only \
                after rectification and re-inspection"
        ),
        None,
    )?;
    d.device.clock.advance_ms(2 * 60_000);
    let progress = d.store().submit_inspection(&id)?;
    d.log(format!(
        "answered {answered} items, {photos} photos; submitted: {:.0}% complete, score {:.1}%, {} failed",
        progress.completion_pct,
        progress.score_pct.unwrap_or(0.0),
        progress.failed.len()
    ));
    Ok(id)
}

/// 13:30, 王监理: accepts the inspection and raises a hazard from each failed item.
fn review_and_raise(d: &mut Diary, people: &People, id: &RecordId) -> Result<Vec<RecordId>> {
    let store = d.at(0, 13, 30, &people.wang)?;
    store.review_inspection(
        id,
        true,
        Some("同意；不合格项按隐患整改，复查合格后浇筑 / Accepted; failures become hazards"),
    )?;
    d.log("reviewed the inspection: accepted");
    let failed = d.store().inspection(id)?.progress.failed;
    let mut out = Vec::new();
    for f in failed {
        d.device.clock.advance_ms(3 * 60_000);
        let (location, description) = found(&f.item);
        let hazard = d
            .store()
            .raise_hazard_from_item(id, &f.item, location, description)?;
        let state = d.store().hazard(&hazard)?.state;
        d.log(format!(
            "raised hazard {} from {} (grade {}{})",
            output::short_id(hazard.as_str()),
            f.item,
            state.grade.map_or("-", |g| g.as_str()),
            if state.major { ", major" } else { "" }
        ));
        out.push(hazard);
    }
    ensure!(
        out.len() == 3,
        "expected three failed items, got {}",
        out.len()
    );
    Ok(out)
}

/// 13:50–14:10, 王监理: grades the morning's seepage, orders every rectification; two deadlines
/// are today (one of them will pass), two tomorrow.
fn order(d: &mut Diary, people: &People, hazards: &[RecordId]) -> Result<()> {
    let [seepage, cover, bolts, plumb] = hazards else {
        bail!("expected four hazards");
    };
    let store = d.at(0, 13, 50, &people.wang)?;
    store.grade_hazard(
        seepage,
        offgrid_core::RiskGrade::Yellow,
        false,
        Some("施工缝局部渗水，浇筑前处理 / Local seepage at a joint; fix before pouring"),
    )?;
    d.log(format!(
        "graded the morning's seepage {}: yellow",
        output::short_id(seepage.as_str())
    ));
    let orders = [
        (
            cover,
            (0, 16, 0),
            "调整钢筋位置并加垫块，保护层不小于25mm / Reposition the bars, add spacers: cover ≥ 25 mm",
        ),
        (
            plumb,
            (0, 17, 0),
            "重新校正并加固1号门框，垂直度≤2mm / Re-align and re-fix door frame 1 to ≤ 2 mm",
        ),
        (
            bolts,
            (1, 12, 0),
            "更换为带止水片的对拉螺栓 / Replace with tie bolts that have water-stop plates",
        ),
        (
            seepage,
            (1, 17, 0),
            "施工缝处注浆堵漏 / Inject grout at the construction joint",
        ),
    ];
    for (id, (days, h, m), measures) in orders {
        d.device.clock.advance_ms(2 * 60_000);
        let deadline_ms = local_on(days, h, m);
        d.store().order_rectification(
            id,
            &RectificationOrder {
                unit: CONTRACTOR.into(),
                person: people.chen.id.clone(),
                person_name: people.chen.name.clone(),
                deadline_ms,
                measures: measures.into(),
            },
        )?;
        d.log(format!(
            "ordered rectification of {} by {} ({}), deadline {}",
            output::short_id(id.as_str()),
            people.chen.name,
            people.chen.id,
            if days == 0 {
                format!("today {h:02}:{m:02}")
            } else {
                format!("tomorrow {h:02}:{m:02}")
            }
        ));
    }
    Ok(())
}

/// 15:30–16:45: 陈工 reports two rectifications; 张工 passes the first (and closes it) and sends
/// the second back. The door frame is not touched.
fn rectify_and_reinspect(d: &mut Diary, people: &People, hazards: &[RecordId]) -> Result<()> {
    let [_, cover, bolts, _] = hazards else {
        bail!("expected four hazards");
    };
    let store = d.at(0, 15, 30, &people.chen)?;
    let after = [
        attach_after_photo(store, cover, 0)?,
        attach_after_photo(store, cover, 1)?,
    ];
    store.submit_rectification(
        cover,
        "已加垫块，复测保护层28–32mm / Spacers added; cover now 28–32 mm",
        &after,
    )?;
    d.log(format!(
        "reported rectification of {} (2 photos)",
        output::short_id(cover.as_str())
    ));
    let store = d.at(0, 16, 0, &people.chen)?;
    let after = attach_after_photo(store, bolts, 2)?;
    store.submit_rectification(bolts, "已更换对拉螺栓 / Tie bolts replaced", &[after])?;
    d.log(format!(
        "reported rectification of {} (1 photo)",
        output::short_id(bolts.as_str())
    ));
    // The contractor cannot sign off his own work: his role has no re-inspection.
    let store = d.at(0, 16, 5, &people.chen)?;
    match store.reinspect(cover, true, None) {
        Err(e @ CoreError::Forbidden { .. }) => {
            d.log(format!("tried to re-inspect: refused ({e})"))
        }
        other => bail!("a rectifier's re-inspection was not refused: {other:?}"),
    }

    let store = d.at(0, 16, 30, &people.zhang)?;
    store.reinspect(
        cover,
        true,
        Some("复测保护层28mm，合格 / Re-measured 28 mm: pass"),
    )?;
    d.log(format!(
        "re-inspected {}: passed",
        output::short_id(cover.as_str())
    ));
    let store = d.at(0, 16, 35, &people.zhang)?;
    store.reinspect(
        bolts,
        false,
        Some("东侧仍有1根为PVC套管对拉 / One east-side tie bolt is still in a PVC sleeve"),
    )?;
    d.log(format!(
        "re-inspected {}: returned",
        output::short_id(bolts.as_str())
    ));
    let store = d.at(0, 16, 45, &people.zhang)?;
    store.close_hazard(cover, Some("复查合格，销号 / Verified: closed"))?;
    d.log(format!("closed {}", output::short_id(cover.as_str())));
    Ok(())
}

fn value_text(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}
