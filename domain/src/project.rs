//! Project records: the construction project (人防工程) that inspections and hazards belong to.
//! Only the project's admins write them.

use automerge::Automerge;

use crate::access::Permission;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Refusal, Transition};

/// The rules of project records ([`RecordKind::Project`]), listed in [`crate::record::builtin`].
pub struct ProjectRules;

impl KindRules for ProjectRules {
    fn kind(&self) -> RecordKind {
        RecordKind::Project
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["members", "sites", "settings"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &[]
    }

    fn columns(&self, _doc: &Automerge) -> KindColumns {
        KindColumns::default()
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        crate::record::require_all(t, Permission::ManageProject)
    }
}
