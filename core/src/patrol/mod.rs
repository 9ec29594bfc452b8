//! Grid patrols (巡查) on the device (ADR 0008): adding plans and versions ([`plans`]), running
//! patrols ([`runs`]), raising a hazard from an observation ([`observed`]), today's tasks and the
//! office's coverage per grid cell from the projections ([`today`], [`coverage`]). The rules, the
//! schedules, tasks and scans are `offgrid_domain::patrol`'s, re-exported here.

pub use offgrid_domain::patrol::*;

pub mod coverage;
pub mod observed;
pub mod plans;
pub mod runs;
pub mod today;

pub use coverage::{CellCoverage, CoverageFigures, CoverageQuery, CoverageSort, TaskCounts};
pub use runs::{EventReceipt, NewObservation, PatrolRunView, ScanInput, ScanOutcome};
pub use today::{TaskQuery, TaskView};
