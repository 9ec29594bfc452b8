//! Grid patrols (巡查): when patrols are due ([`schedule`]: recurrence, windows in the site's
//! zone, overnight windows), a plan's versions and the tasks derived from them with their state
//! ([`plan`], [`task`]: never created, so every device and the server compute the same ones
//! offline), whether a checkpoint scan counts and what it flags ([`scan`]), a run's events and
//! their fold ([`run`]), the plan and run records with their rules ([`plans`], [`plan_rules`],
//! [`runs`], [`run_rules`]), the hazard raised from an observation ([`observed`]), what the server checks in a scan
//! ([`sun`], [`rejudge`], [`check`]), today's tasks and the office's coverage per grid cell from the
//! projections ([`today`], [`coverage`]), and the legacy
//! generic patrol record's rules ([`rules`]). ADR 0008.

pub use offgrid_domain::patrol::*;

pub mod coverage;
pub mod observed;
pub mod plans;
pub mod runs;
pub mod today;

pub use coverage::{CellCoverage, CoverageFigures, CoverageQuery, CoverageSort, TaskCounts};
pub use runs::{EventReceipt, NewObservation, PatrolRunView, ScanInput, ScanOutcome};
pub use today::{TaskQuery, TaskView};
