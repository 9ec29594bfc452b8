//! Patrol records (巡查): a generic record for now (the patrol workflow comes later): written by
//! those who patrol; their events, photos and notes are only added.

use automerge::Automerge;

use crate::access::Permission;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Refusal, Transition};

/// The rules of the legacy generic patrol records ([`RecordKind::Patrol`]), listed in
/// [`crate::record::builtin`].
pub struct PatrolRules;

impl KindRules for PatrolRules {
    fn kind(&self) -> RecordKind {
        RecordKind::Patrol
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["checkpoints", "photos", "notes", "events", "hazards"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["photos", "notes", "events"]
    }

    fn columns(&self, _doc: &Automerge) -> KindColumns {
        KindColumns::default()
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        crate::record::require_all(t, Permission::Patrol)
    }
}
