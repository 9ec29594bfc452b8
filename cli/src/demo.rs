//! `offgrid demo`: two inspectors' devices, each with its own database, share an inspection,
//! edit it offline (both answer the same item differently), then sync through a real sync
//! server on loopback over a flaky link (requests dropped, duplicated, delayed, truncated). Shows what
//! merged (identical on both devices), what conflicted (every value kept, with who and when),
//! the history, and a two-character Chinese search on the receiving device. Then the rest of
//! the day on device A ([`day`]): a stage inspection from a built-in template, its review, the
//! hazards it raises, their rectification, re-inspection and escalation, and the register.
//!
//! Each device has its own [`FixedClock`] (Beijing time, UTC+8), so the times are realistic and
//! every run prints the same times. Which of two concurrent values wins depends on the devices'
//! random actor ids, so it can differ between runs; it never differs between devices.

pub(crate) mod data;
mod day;
mod patrol;
mod print;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use offgrid_core::doc::{Conflict, HistoryEntry};
use offgrid_core::{
    FixedClock, ListQuery, RecordId, RecordKind, RecordSummary, Role, Store, StoreOptions, User,
};
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::{output, time};

/// Beijing time (UTC+8), the devices' offset.
const OFFSET_MINUTES: i32 = 480;
/// The demo's day: 18 March 2025.
const DAY: (i64, u32, u32) = (2025, 3, 18);
/// The two-character query searched for on device B.
const QUERY: &str = "渗水";

/// One simulated device: its own database file, clock and inspector.
pub(crate) struct Device {
    pub label: &'static str,
    pub path: PathBuf,
    pub store: Store,
    pub user: User,
    clock: Arc<FixedClock>,
}

impl Device {
    fn open(
        label: &'static str,
        path: PathBuf,
        (user_id, user_name, role): (&str, &str, Role),
    ) -> Result<Self> {
        let clock = Arc::new(FixedClock::new(local(8, 0), OFFSET_MINUTES));
        let options = StoreOptions {
            clock: clock.clone(),
            ..Default::default()
        };
        let store = Store::open_with(&path, options)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let user = User::new(user_id, user_name).with_role("*", role);
        store.set_user(user.clone());
        Ok(Device {
            label,
            path,
            store,
            user,
            clock,
        })
    }

    /// Sets this device's clock to `hour:minute` Beijing time on the demo's day.
    fn at(&self, hour: u32, minute: u32) -> &Store {
        self.clock.set(local(hour, minute));
        &self.store
    }
}

/// UTC milliseconds of `hour:minute` Beijing time on the demo's day.
fn local(hour: u32, minute: u32) -> i64 {
    local_on(0, hour, minute)
}

/// UTC milliseconds of `hour:minute` Beijing time, `days` after the demo's day.
fn local_on(days: i64, hour: u32, minute: u32) -> i64 {
    let (y, m, d) = DAY;
    time::unix_ms(y, m, d, hour, minute) + days * 86_400_000 - i64::from(OFFSET_MINUTES) * 60_000
}

#[derive(Serialize)]
pub(crate) struct DeviceInfo {
    pub label: &'static str,
    pub db: PathBuf,
    pub user: User,
    pub actor: String,
}

#[derive(Serialize)]
pub(crate) struct Records {
    pub project: RecordId,
    pub inspection: RecordId,
    pub hazard: RecordId,
}

#[derive(Serialize)]
pub(crate) struct Merged {
    /// Every record hydrates to the same JSON on both devices.
    pub identical: bool,
    pub records_compared: usize,
    pub inspection: Json,
}

#[derive(Serialize)]
pub(crate) struct Search {
    pub query: &'static str,
    pub device: &'static str,
    pub results: Vec<RecordSummary>,
}

/// Everything the demo shows (printed as one JSON object with `--json`).
#[derive(Serialize)]
pub(crate) struct Report {
    pub dir: PathBuf,
    pub devices: [DeviceInfo; 3],
    /// The sync server and what the flaky link did.
    pub link: sync::LinkReport,
    pub records: Records,
    pub sync: Vec<sync::Transfer>,
    pub merged: Merged,
    pub conflicts: Vec<Conflict>,
    pub history: Vec<HistoryEntry>,
    pub search: Search,
    /// The rest of the day on device A.
    pub day: day::Day,
    /// The next day's patrol on a grid member's phone.
    pub patrol: patrol::PatrolDay,
    /// After the last syncs: every device holds the same records.
    pub end: End,
    /// The day's documents, made offline on the supervisor's new device C from synced records:
    /// the supervision report, the notice and reply form of the day's hazards, the register.
    #[cfg(feature = "documents")]
    pub documents: Vec<offgrid_core::documents::WrittenDocument>,
}

#[derive(Serialize)]
pub(crate) struct End {
    pub identical: bool,
    pub devices: usize,
    pub records_compared: usize,
}

pub(crate) fn run(dir: Option<PathBuf>, json: bool) -> Result<()> {
    let dir = prepare_dir(dir)?;
    let report = play(&dir)?;
    let mut out = std::io::stdout().lock();
    if json {
        output::json(&mut out, &report)
    } else {
        print::report(&mut out, &report)
    }
}

fn prepare_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let Some(dir) = dir else {
        let tmp = tempfile::Builder::new()
            .prefix("offgrid-demo-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        return Ok(tmp.keep());
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for name in [
        "device-a.db",
        "device-b.db",
        "device-c.db",
        "patrol.db",
        "server",
    ] {
        if dir.join(name).exists() {
            bail!(
                "{} already holds a demo ({name}); choose an empty directory",
                dir.display()
            );
        }
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

fn play(dir: &Path) -> Result<Report> {
    // zhang sets the project up (its admin), li inspects, wang supervises, chen rectifies.
    let people = [
        ("zhang", "张工", Role::Admin),
        ("li", "李工", Role::Inspector),
        ("wang", "王总监", Role::Supervisor),
        ("chen", "陈工", Role::Rectifier),
    ];
    let a = Device::open("A", dir.join("device-a.db"), people[0])?;
    let b = Device::open("B", dir.join("device-b.db"), people[1])?;
    let c = Device::open("C", dir.join("device-c.db"), people[2])?;
    let mut transfers = Vec::new();

    // In the site office, online: A sets up the project and the inspection; the project is
    // registered on the sync server, everyone logs in once; B receives the records.
    let project = a.at(9, 0).create(RecordKind::Project, &data::project())?;
    let inspection = a
        .at(9, 5)
        .create(RecordKind::Inspection, &data::inspection(&project))?;
    let link = sync::Link::start(dir, &project, &people)?;
    for d in [&a, &b, &c] {
        link.login(d)?;
    }
    transfers.push(link.sync(&a, "before going underground")?);
    transfers.push(link.sync(&b, "before going underground")?);

    // Underground, offline: both answer the same item, each adds a note, A records a hazard.
    edit_offline(&a, &b, &inspection)?;
    let hazard = a.at(10, 5).raise_hazard(&data::hazard(&project))?;

    // Back on the surface, on one bar of signal: A, then B, then A again.
    transfers.push(link.sync(&a, "back online")?);
    transfers.push(link.sync(&b, "back online")?);
    transfers.push(link.sync(&a, "back online")?);

    let compared = sync::assert_identical(&a, &b)?;
    let conflicts = a.store.conflicts(&inspection)?;
    ensure!(
        conflicts == b.store.conflicts(&inspection)?,
        "the devices report different conflicts"
    );
    let results = b.store.list(&ListQuery {
        text: Some(QUERY.into()),
        ..Default::default()
    })?;
    ensure!(
        results.iter().any(|r| r.id == hazard),
        "searching {QUERY:?} on device B did not find the hazard"
    );
    // The day on A, a tablet passed from hand to hand: each person signs in when they take it
    // (the server takes each account's own work only), after A synced the previous one's.
    let handover = |user: &User| -> Result<()> {
        link.sync(&a, "handover")?;
        link.login_as(&a, &user.id)
    };
    let day = day::play(&a, &project, &hazard, &handover)?;

    // End of the day: A syncs the day's work; B catches up; the supervisor's new device C
    // starts from nothing. All three end identical.
    transfers.push(link.sync(&a, "end of the day")?);
    transfers.push(link.sync(&b, "end of the day")?);
    transfers.push(link.sync(&c, "new device")?);
    let end_compared = sync::assert_identical(&a, &b)?;
    ensure!(
        sync::assert_identical(&a, &c)? == end_compared,
        "device C differs"
    );
    #[cfg(feature = "documents")]
    let documents = write_documents(&c, dir, &project, &day)?;
    Ok(Report {
        #[cfg(feature = "documents")]
        documents,
        dir: dir.to_owned(),
        devices: [info(&a), info(&b), info(&c)],
        link: link.report(),
        end: End {
            identical: true,
            devices: 3,
            records_compared: end_compared,
        },
        merged: Merged {
            identical: true,
            records_compared: compared,
            inspection: a.store.get(&inspection)?,
        },
        history: a.store.history(&inspection)?,
        records: Records {
            project,
            inspection,
            hazard,
        },
        sync: transfers,
        conflicts,
        search: Search {
            query: QUERY,
            device: b.label,
            results,
        },
        day,
        patrol: patrol::play(dir)?,
    })
}

/// The four documents of the day, written into `dir/documents` on device `d`.
#[cfg(feature = "documents")]
fn write_documents(
    d: &Device,
    dir: &Path,
    project: &RecordId,
    day: &day::Day,
) -> Result<Vec<offgrid_core::documents::WrittenDocument>> {
    use offgrid_core::ListSort;
    use offgrid_core::documents::{DocumentSettings, ReportOptions};
    use offgrid_core::hazard::RegisterQuery;
    let out = dir.join("documents");
    std::fs::create_dir_all(&out)?;
    let settings = DocumentSettings {
        agency: "示范市人民防空工程质量监督站".into(),
        ..DocumentSettings::default()
    };
    let s = &d.store;
    Ok(vec![
        s.write_supervision_report(
            &day.inspection,
            &ReportOptions::default(),
            &settings,
            &out.join("supervision-report.pdf"),
        )?,
        s.write_rectification_notice(
            &day.hazards,
            &settings,
            &out.join("rectification-notice.pdf"),
        )?,
        s.write_reply_form(&day.hazards, &settings, &out.join("reply-form.pdf"))?,
        s.write_register(
            &RegisterQuery {
                project: Some(project.to_string()),
                sort: ListSort::Grade,
                ..Default::default()
            },
            &settings,
            true,
            &out.join("register.xlsx"),
        )?,
    ])
}

/// The offline edits. A and B both answer `rebar-spacing` (a conflict); B measures the cover;
/// each adds a note under a fresh unique key (no conflict).
fn edit_offline(a: &Device, b: &Device, id: &RecordId) -> Result<()> {
    a.at(9, 40)
        .update(id, "钢筋间距：合格 / rebar spacing: pass", |e| {
            e.set("/answers/rebar-spacing/value", "pass")?;
            Ok(e.set(
                "/answers/rebar-spacing/note",
                "实测间距150mm，符合设计 / measured 150 mm, as designed",
            )?)
        })?;
    b.at(9, 42)
        .update(id, "钢筋间距：不合格 / rebar spacing: fail", |e| {
            Ok(e.set("/answers/rebar-spacing/value", "fail")?)
        })?;
    b.at(9, 45)
        .update(id, "保护层厚度 25mm / cover 25 mm", |e| {
            Ok(e.set("/answers/cover/value", 25)?)
        })?;
    a.at(9, 50).update(id, "添加备注 / add note", |e| {
        let note = json!({
            "text": "底板钢筋绑扎基本完成，等待监理复核 / Slab rebar tied; awaiting the supervisor",
            "by": "zhang",
        });
        Ok(e.insert("/notes", RecordId::new().as_str(), &note)?)
    })?;
    b.at(9, 52).update(id, "添加备注 / add note", |e| {
        let note = json!({
            "text": "东侧局部钢筋间距约200mm，超出设计 / East side: spacing ~200 mm in places, over design",
            "by": "li",
        });
        Ok(e.insert("/notes", RecordId::new().as_str(), &note)?)
    })?;
    Ok(())
}

fn info(d: &Device) -> DeviceInfo {
    DeviceInfo {
        label: d.label,
        db: d.path.clone(),
        user: d.user.clone(),
        actor: d.store.actor_id(),
    }
}
