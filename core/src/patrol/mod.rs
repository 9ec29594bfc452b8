//! Grid patrols (巡查): when patrols are due ([`schedule`]: recurrence, windows in the site's
//! zone, overnight windows), a plan's versions and the tasks derived from them with their state
//! ([`plan`], [`task`]: never created, so every device and the server compute the same ones
//! offline), whether a checkpoint scan counts and what it flags ([`scan`]), and the patrol
//! record's write rules ([`rules`]). ADR 0008.

pub mod plan;
pub mod rules;
pub mod scan;
pub mod schedule;
pub mod task;

pub use rules::PatrolRules;
