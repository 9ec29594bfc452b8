//! The grid cell kind's rules: born in the organisation scope with its `members` map; code,
//! level and parent never change (a re-drawn hierarchy is new cells); written only by the
//! organisation's admins ([`Permission::ManageGrid`]). Read by the cell's members and the
//! members of every cell above it.

use automerge::Automerge;

use super::ORG;
use crate::access::Permission;
use crate::doc::genesis::root_text;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Readers, Refusal, Transition};

/// The rules of grid cell records ([`RecordKind::GridCell`]), listed in [`crate::record::builtin`].
pub struct GridCellRules;

impl KindRules for GridCellRules {
    fn kind(&self) -> RecordKind {
        RecordKind::GridCell
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["members"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &[]
    }

    fn immutable_fields(&self) -> &'static [&'static str] {
        &["code", "level", "parent"]
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        let mut keys = vec![
            format!("code:{}", root_text(doc, "code").unwrap_or_default()),
            format!("parent:{}", root_text(doc, "parent").unwrap_or_default()),
        ];
        keys.extend(members(doc).into_iter().map(|m| format!("member:{m}")));
        KindColumns {
            status: root_text(doc, "level"),
            keys,
            ..Default::default()
        }
    }

    fn readers(&self, doc: &Automerge) -> Option<Readers> {
        Some(Readers {
            members: members(doc),
            parent: root_text(doc, "parent").filter(|p| !p.is_empty()),
            ..Default::default()
        })
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        in_org(t)?;
        crate::record::require_all(t, Permission::ManageGrid)
    }
}

/// Refuses a reference record filed outside the organisation scope.
pub fn in_org(t: &Transition<'_>) -> Result<(), Refusal> {
    if t.project != ORG {
        return Err(Refusal::rule(
            "org_scope",
            format!("grid cells and sites belong to the scope {ORG:?}"),
        ));
    }
    Ok(())
}

/// The user ids of the cell's members.
fn members(doc: &Automerge) -> Vec<String> {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, "members") {
        Ok(Some((automerge::Value::Object(_), obj))) => doc.keys(&obj).collect(),
        _ => Vec::new(),
    }
}
