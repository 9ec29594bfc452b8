//! Hazards (隐患): the closed loop a hazard follows ([`events`]), what a person may do next
//! ([`actions`]) and the write policy ([`rules`]).
//!
//! Document layout (kind `hazard`): root `title`, `description`, `location`, `site`, `project`,
//! `source` {inspection, item, clause}; genesis maps `photos` (by SHA-256), `notes`, `events`.

pub mod actions;
pub mod events;
pub mod read;
pub mod register;
pub mod rules;

use automerge::Automerge;

pub use actions::HazardAction;
pub use events::{HazardEvent, HazardEventKind, HazardState, HazardStatus};
pub use read::{Hazard, HazardSource, hazard_of};
pub use register::{Register, RegisterQuery};

/// The folded state, reading only the events map (for the list projection).
pub fn state_of(doc: &Automerge) -> HazardState {
    events::fold(&crate::doc::events::read::<HazardEvent, _>(doc))
}
