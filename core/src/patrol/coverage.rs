//! Coverage (巡查覆盖): the office's view of a period, per grid cell and rolled up the
//! hierarchy — tasks by state, checkpoints missed, flags raised by scans, scans the server
//! found forged or copied, open hazards by grade. Built from the projection tables and the
//! sync receipts only (plans' and runs' facts, the lookup keys of cells and sites, the hazard
//! list rows, the server's findings on scans): no document is loaded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::check::{ServerCheck, split};
use super::task::TaskState;
use super::today::TaskQuery;
use crate::error::Result;
use crate::hazard::HazardStatus;
use crate::model::{RecordId, RecordKind};
use crate::store::Store;

/// Which period, which part of the grid (`cell` and everything under it; `None`: all), and
/// which rows in what order, as a register filters and sorts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageQuery {
    /// The period's start, UTC ms (inclusive): tasks open at some time in `[from_ms, to_ms)`.
    pub from_ms: i64,
    /// The period's end, UTC ms (exclusive).
    pub to_ms: i64,
    /// The cell to start from, with everything under it (`None`: every cell held here).
    #[serde(default)]
    pub cell: Option<RecordId>,
    /// Only cells at most this many levels below the root (0: the root only); `None`: all.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Only cells whose rolled-up figures need the office's attention
    /// ([`CoverageFigures::needs_attention`]).
    #[serde(default)]
    pub attention_only: bool,
    /// The order of the rows (`None`: the grid's).
    #[serde(default)]
    pub sort: Option<CoverageSort>,
}

/// The order of coverage rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageSort {
    /// The grid's hierarchy, depth first by code.
    #[default]
    Grid,
    /// Most tasks missed or partial first.
    Missed,
    /// Most tasks awaiting sync first.
    AwaitingSync,
    /// Most open hazards first, the gravest grade counting first.
    Hazards,
    /// Most scans the server found forged, copied or disputed, and changes with the clock
    /// ahead, first.
    Suspect,
}

offgrid_common::named!(pub CoverageSort, "coverage order" {
    Grid => "grid",
    Missed => "missed",
    AwaitingSync => "awaiting_sync",
    Hazards => "hazards",
    Suspect => "suspect",
});

impl CoverageSort {
    /// The row's key in this order (greater first); the grid order has none.
    fn key(self, f: &CoverageFigures) -> (u32, u32, u32, u32) {
        let grade = |g: &str| f.open_hazards.get(g).copied().unwrap_or(0);
        match self {
            CoverageSort::Grid => (0, 0, 0, 0),
            CoverageSort::Missed => (f.tasks.missed + f.tasks.partial, f.checkpoints_missed, 0, 0),
            CoverageSort::AwaitingSync => (f.tasks.awaiting_sync, 0, 0, 0),
            CoverageSort::Hazards => {
                use crate::model::RiskGrade as G;
                let [r, o, y, b] =
                    [G::Red, G::Orange, G::Yellow, G::Blue].map(|g| grade(g.as_str()));
                (r, o, y, b)
            }
            CoverageSort::Suspect => (f.forged_scans + f.disputed_scans, f.clock_ahead, 0, 0),
        }
    }
}

/// Tasks of a period by state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCounts {
    /// Tasks whose window has not opened.
    pub upcoming: u32,
    /// Tasks open with no run started.
    pub due: u32,
    /// Tasks with a run started, still open.
    pub in_progress: u32,
    /// Tasks complete within their window.
    pub done: u32,
    /// Tasks complete, but after their window and grace.
    pub late: u32,
    /// Tasks whose window and grace passed with checkpoints left uncovered.
    pub partial: u32,
    /// Tasks whose window and grace passed with no run, every assignee synced since.
    pub missed: u32,
    /// Tasks whose window and grace passed with no run known here, some assignee not synced since
    /// (待同步).
    pub awaiting_sync: u32,
    /// Tasks a supervisor excused.
    pub excused: u32,
}

impl TaskCounts {
    fn add_state(&mut self, s: TaskState) {
        let slot = match s {
            TaskState::Upcoming => &mut self.upcoming,
            TaskState::Due => &mut self.due,
            TaskState::InProgress => &mut self.in_progress,
            TaskState::Done => &mut self.done,
            TaskState::Late => &mut self.late,
            TaskState::Partial => &mut self.partial,
            TaskState::Missed => &mut self.missed,
            TaskState::AwaitingSync => &mut self.awaiting_sync,
            TaskState::Excused => &mut self.excused,
        };
        *slot += 1;
    }

    fn add(&mut self, o: &TaskCounts) {
        self.upcoming += o.upcoming;
        self.due += o.due;
        self.in_progress += o.in_progress;
        self.done += o.done;
        self.late += o.late;
        self.partial += o.partial;
        self.missed += o.missed;
        self.awaiting_sync += o.awaiting_sync;
        self.excused += o.excused;
    }

    /// All tasks counted.
    pub fn total(&self) -> u32 {
        self.upcoming
            + self.due
            + self.in_progress
            + self.done
            + self.late
            + self.partial
            + self.missed
            + self.awaiting_sync
            + self.excused
    }
}

/// What a period looked like in one cell: its own sites (`own`) and with every cell under it
/// (`total`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellCoverage {
    /// The cell's record id.
    pub cell: RecordId,
    /// The cell's code.
    pub code: String,
    /// The cell's name.
    pub name: String,
    /// The parent cell; `None` for a city.
    pub parent: Option<RecordId>,
    /// Levels below the query's root (0: the root, or a city).
    pub depth: u32,
    /// Sites in the cell and every cell under it.
    pub sites: u32,
    /// The cell's own figures: the tasks, scans and hazards of the sites directly in it.
    pub own: CoverageFigures,
    /// The figures of the cell and every cell under it, rolled up.
    pub total: CoverageFigures,
}

/// The figures of a period, for one cell's sites or rolled up over a subtree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageFigures {
    /// Tasks of the period by state.
    pub tasks: TaskCounts,
    /// Required checkpoints not covered by any run of partial and missed tasks.
    pub checkpoints_missed: u32,
    /// Flags raised by the scans of the period's runs.
    pub flags: u32,
    /// Scans of the period's runs whose NTAG 424 SUN message the sync server found forged
    /// (`sun_invalid`) or copied (`sun_replayed`): not a real tap at the checkpoint.
    pub forged_scans: u32,
    /// Scans of the period's runs the sync server judged otherwise than the phone did
    /// (`scan_disputed`: which checkpoint, or whether it counts, from the server's copies of
    /// the plan and the site).
    pub disputed_scans: u32,
    /// Changes of the period's runs made, by the phone's clock, after the server received them
    /// (`clock_ahead`): a clock set ahead, which could hide a late patrol.
    pub clock_ahead: u32,
    /// Open hazards at the cell's sites, by grade name ("" when ungraded).
    pub open_hazards: BTreeMap<String, u32>,
}

impl CoverageFigures {
    /// Something here needs the office's attention: tasks missed, partial or awaiting sync,
    /// checkpoints missed, scans found forged, copied or disputed, a clock ahead, open hazards.
    pub fn needs_attention(&self) -> bool {
        self.tasks.missed + self.tasks.partial + self.tasks.awaiting_sync > 0
            || self.checkpoints_missed + self.forged_scans + self.disputed_scans + self.clock_ahead
                > 0
            || self.open_hazards.values().any(|n| *n > 0)
    }

    fn add(&mut self, o: &CoverageFigures) {
        self.tasks.add(&o.tasks);
        self.checkpoints_missed += o.checkpoints_missed;
        self.flags += o.flags;
        self.forged_scans += o.forged_scans;
        self.disputed_scans += o.disputed_scans;
        self.clock_ahead += o.clock_ahead;
        for (g, n) in &o.open_hazards {
            *self.open_hazards.entry(g.clone()).or_default() += n;
        }
    }
}

impl Store {
    /// Coverage of the period per cell, each cell with its own figures and those rolled up
    /// from every cell under it: depth first by code, or sorted by a rolled-up figure (then by
    /// code), filtered by depth and by need of attention.
    pub fn patrol_coverage(&self, q: &CoverageQuery) -> Result<Vec<CellCoverage>> {
        // The grid: parents and codes from the lookup keys, names from the list rows.
        let parent: HashMap<RecordId, Option<RecordId>> = self
            .keys_with_prefix(RecordKind::GridCell, "parent:")?
            .into_iter()
            .map(|(id, p)| (id, (!p.is_empty()).then_some(RecordId(p))))
            .collect();
        let code: HashMap<RecordId, String> = self
            .keys_with_prefix(RecordKind::GridCell, "code:")?
            .into_iter()
            .collect();
        let names: HashMap<RecordId, String> = self
            .list(&crate::store::ListQuery {
                kind: Some(RecordKind::GridCell),
                ..Default::default()
            })?
            .into_iter()
            .map(|r| (r.id, r.title.unwrap_or_default()))
            .collect();
        let site_cell: HashMap<String, RecordId> = self
            .keys_with_prefix(RecordKind::Site, "cell:")?
            .into_iter()
            .map(|(site, cell)| (site.0, RecordId(cell)))
            .collect();

        let mut own: HashMap<RecordId, CoverageFigures> = HashMap::new();
        let mut sites: HashMap<RecordId, u32> = HashMap::new();
        for cell in site_cell.values() {
            *sites.entry(cell.clone()).or_default() += 1;
        }
        for t in self.derive_tasks(&TaskQuery {
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            ..Default::default()
        })? {
            let Some(cell) = site_cell.get(t.view.site.as_str()) else {
                continue;
            };
            let f = own.entry(cell.clone()).or_default();
            f.tasks.add_state(t.view.state);
            if matches!(t.view.state, TaskState::Partial | TaskState::Missed) {
                f.checkpoints_missed += t.required.saturating_sub(t.best_covered) as u32;
            }
            f.flags += t.flags;
        }
        for (site, checks, n) in self.run_checks_by_site(q.from_ms, q.to_ms)? {
            let Some(cell) = site.as_deref().and_then(|s| site_cell.get(s)) else {
                continue;
            };
            let f = own.entry(cell.clone()).or_default();
            let checks = split(&checks);
            let found = |c: &[ServerCheck]| checks.iter().any(|x| c.contains(x));
            if found(&[ServerCheck::Invalid, ServerCheck::Replayed]) {
                f.forged_scans += n;
            }
            if found(&[ServerCheck::Disputed]) {
                f.disputed_scans += n;
            }
            if found(&[ServerCheck::ClockAhead]) {
                f.clock_ahead += n;
            }
        }
        let closed = [
            HazardStatus::Closed.as_str(),
            HazardStatus::WrittenOff.as_str(),
        ];
        for (site, grade, status, n) in self.counts_by_site(RecordKind::Hazard)? {
            if status.as_deref().is_some_and(|s| closed.contains(&s)) {
                continue;
            }
            let Some(cell) = site.as_deref().and_then(|s| site_cell.get(s)) else {
                continue;
            };
            *own.entry(cell.clone())
                .or_default()
                .open_hazards
                .entry(grade.unwrap_or_default())
                .or_default() += n;
        }

        // Depth first from the roots (the query's cell, or the cells without a parent held).
        let mut children: BTreeMap<Option<RecordId>, Vec<RecordId>> = BTreeMap::new();
        for (id, p) in &parent {
            let p = p.clone().filter(|p| parent.contains_key(p));
            children.entry(p).or_default().push(id.clone());
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| code.get(a).cmp(&code.get(b)).then(a.cmp(b)));
        }
        let roots: Vec<RecordId> = match &q.cell {
            Some(c) if parent.contains_key(c) => vec![c.clone()],
            Some(_) => Vec::new(),
            None => children.get(&None).cloned().unwrap_or_default(),
        };
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for root in roots {
            collect(
                &root, 0, &children, &parent, &code, &names, &own, &sites, &mut seen, &mut out,
            );
        }
        out.retain(|c| {
            q.max_depth.is_none_or(|d| c.depth <= d)
                && (!q.attention_only || c.total.needs_attention())
        });
        let sort = q.sort.unwrap_or_default();
        if sort != CoverageSort::Grid {
            // Stable: ties keep the grid's order.
            out.sort_by_key(|c| std::cmp::Reverse(sort.key(&c.total)));
        }
        Ok(out)
    }
}

/// Appends `cell` and its subtree (depth first), returning the cell's rolled-up figures.
#[allow(clippy::too_many_arguments)]
fn collect(
    cell: &RecordId,
    depth: u32,
    children: &BTreeMap<Option<RecordId>, Vec<RecordId>>,
    parent: &HashMap<RecordId, Option<RecordId>>,
    code: &HashMap<RecordId, String>,
    names: &HashMap<RecordId, String>,
    own: &HashMap<RecordId, CoverageFigures>,
    sites: &HashMap<RecordId, u32>,
    seen: &mut BTreeSet<RecordId>,
    out: &mut Vec<CellCoverage>,
) -> (CoverageFigures, u32) {
    if !seen.insert(cell.clone()) {
        return (CoverageFigures::default(), 0);
    }
    let mine = own.get(cell).cloned().unwrap_or_default();
    let at = out.len();
    out.push(CellCoverage {
        cell: cell.clone(),
        code: code.get(cell).cloned().unwrap_or_default(),
        name: names.get(cell).cloned().unwrap_or_default(),
        parent: parent.get(cell).cloned().flatten(),
        depth,
        sites: 0,
        own: mine.clone(),
        total: CoverageFigures::default(),
    });
    let mut total = mine;
    let mut site_count = sites.get(cell).copied().unwrap_or(0);
    for child in children.get(&Some(cell.clone())).into_iter().flatten() {
        let (f, n) = collect(
            child,
            depth + 1,
            children,
            parent,
            code,
            names,
            own,
            sites,
            seen,
            out,
        );
        total.add(&f);
        site_count += n;
    }
    out[at].total = total.clone();
    out[at].sites = site_count;
    (total, site_count)
}
