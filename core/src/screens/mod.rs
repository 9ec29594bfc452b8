//! Screen models (issue 14): one query per screen, computed in the core from the domain API,
//! including which actions the signed-in user may take, so the Android and iOS shells only
//! render and forward actions and cannot drift apart. Labels cross as enums and raw values;
//! the shells localise (zh-CN first). Commands return the refreshed screen.
//!
//! Screens: home ([`home`]), the inspection and hazard lists ([`list`]), the checklist runner
//! ([`checklist`]), draft validation for forms ([`forms`]), review and sign-off ([`review`]), the hazard detail ([`hazard`]), the
//! patrol run ([`patrol`]), coverage of my cells ([`coverage`]) and the sync status (`sync`,
//! with the sync client).

pub mod checklist;
pub mod coverage;
pub mod forms;
pub mod hazard;
pub mod home;
pub mod list;
pub mod patrol;
pub mod review;
#[cfg(feature = "sync-client")]
pub mod sync;

pub use checklist::{
    ChecklistCommand, ChecklistItem, ChecklistScreen, ChecklistSection, InspectionAction,
};
pub use forms::Draft;
pub use hazard::{HazardCommand, HazardScreen};
pub use home::HomeScreen;
pub use list::{ListFilter, ListRow, ListScreen, ListScreenKind, StatusCount};
pub use patrol::{PatrolAction, PatrolCommand, PatrolRunScreen};
pub use review::{ReviewAction, ReviewCommand, ReviewFinding, ReviewScreen, SignatureSlot};
#[cfg(feature = "sync-client")]
pub use sync::SyncScreen;
