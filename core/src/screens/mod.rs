//! Screen models (issue 14): one query per screen, computed in the core from the domain API,
//! including which actions the signed-in user may take, so the Android and iOS shells only
//! render and forward actions and cannot drift apart. Labels cross as enums and raw values;
//! the shells localise (zh-CN first). Commands return the refreshed screen.
//!
//! Built so far: home ([`home`]), the checklist runner ([`checklist`]), coverage of my cells
//! ([`coverage`]), the hazard detail ([`hazard`]) and the patrol run ([`patrol`]).

pub mod checklist;
pub mod coverage;
pub mod hazard;
pub mod home;
pub mod patrol;

pub use checklist::{
    ChecklistCommand, ChecklistItem, ChecklistScreen, ChecklistSection, InspectionAction,
};
pub use hazard::{HazardCommand, HazardScreen};
pub use home::HomeScreen;
pub use patrol::{PatrolAction, PatrolRunScreen};
