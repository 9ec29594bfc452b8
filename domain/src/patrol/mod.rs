//! Grid patrols (巡查), the rules and the math every device and the server share (ADR 0008):
//! when patrols are due ([`schedule`]: recurrence, windows in the site's zone, overnight
//! windows), a plan's versions and the tasks derived from them with their state ([`plan`],
//! [`task`]: never created, so every device and the server compute the same ones offline),
//! whether a checkpoint scan counts and what it flags ([`scan`]), a run's events and their fold
//! ([`run`], [`loaded`]), the plan and run records with their rules ([`plans`],
//! [`plan_rules`], [`run_rules`]), the hazard raised from an observation ([`observed`]), what
//! the server checks in a scan ([`sun`], [`rejudge`], [`check`]), and the legacy generic patrol
//! record's rules ([`rules`]).

pub mod check;
pub mod loaded;
pub mod observed;
pub mod plan;
pub mod plan_rules;
pub mod plans;
pub mod rejudge;
pub mod rules;
pub mod run;
pub mod run_rules;
pub mod scan;
pub mod schedule;
pub mod sun;
pub mod task;

pub use plans::{Excusal, NewPlan, PatrolPlan};
pub use rules::PatrolRules;
pub use run::TrackPoint;
