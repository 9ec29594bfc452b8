//! Screen models (issue 14): one query per screen, computed in the core from the domain API,
//! including which actions the signed-in user may take, so the Android and iOS shells only
//! render and forward actions and cannot drift apart. Labels cross as enums and raw values;
//! the shells localise (zh-CN first). Commands return the refreshed screen.
//!
//! Built so far: home ([`home`]), the checklist runner with submit and review
//! ([`checklist`]), coverage of my cells ([`coverage`]), the hazard detail ([`hazard`]), the
//! patrol run ([`patrol`]) and the sync status (`sync`, with the sync client).

pub mod checklist;
pub mod coverage;
pub mod hazard;
pub mod home;
pub mod patrol;
#[cfg(feature = "sync-client")]
pub mod sync;

pub use checklist::{
    ChecklistCommand, ChecklistItem, ChecklistScreen, ChecklistSection, InspectionAction,
};
pub use hazard::{HazardCommand, HazardScreen};
pub use home::HomeScreen;
pub use patrol::{PatrolAction, PatrolRunScreen};
#[cfg(feature = "sync-client")]
pub use sync::SyncScreen;
