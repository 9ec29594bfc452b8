//! Record kinds and their rules: the one abstraction between the store (and the server) and the
//! domain. Each kind implements [`KindRules`] in its own module: the maps it is born with
//! (genesis), the columns lists show (status, grade, assignee, due), and its **write policy**:
//! given the document before, the new changes and who wrote them, allow or refuse with a reason.
//!
//! The store and the server call kinds only through [`rules`] and [`gate::judge`]; neither
//! imports a domain module. A new kind implements the trait and is listed in [`builtin`].
//!
//! Policies judge **authority** (who may write what), not order: an honest event that a
//! concurrent one made inapplicable is accepted (and shown "not applied" by the fold).

pub mod builtin;
pub mod gate;
pub mod transition;

use automerge::Automerge;

use crate::access::{Permission, Role};
use crate::error::Error;
use crate::model::RecordKind;

pub use gate::{Authority, judge, judge_first, judge_logged};
pub use transition::{NewEntry, Transition};

/// The columns of a record's list row that only its kind can derive (from folds, not fields).
/// `None` leaves the column as the root field says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindColumns {
    /// The record's status as its kind names it (a hazard's `ordered`, a run's `finished`).
    pub status: Option<String>,
    /// The risk grade's name (`red`, `orange`, `yellow`, `blue`): a hazard's.
    pub grade: Option<String>,
    /// The user id the record waits on (a hazard's responsible person, a run's runner).
    pub assignee: Option<String>,
    /// When it is due, UTC ms (a hazard's rectification deadline, a run's window opening).
    pub due_ms: Option<i64>,
    /// From when the record counts as overdue (a deadline that is running), UTC ms.
    pub overdue_from_ms: Option<i64>,
    /// Lookup keys (`tag:<key>`, `cell:<id>`, …): the store indexes records by them
    /// (`record_keys`), so a scan or a cell's sites are found without loading documents.
    pub keys: Vec<String>,
    /// What the kind's own queries read of the record without loading it (compact JSON: a
    /// patrol plan's versions, a run's covered checkpoints), stored with the list row.
    pub facts: Option<String>,
}

/// Who reads a record of the organisation scope ([`crate::grid::ORG`]) besides the scope's
/// members (ADR 0007). The server derives the readers of each reference record from its
/// document; a reader of a record also reads every record whose `parent` it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readers {
    /// Every account (published reference data such as templates).
    pub everyone: bool,
    /// Users named by the record itself (a grid cell's members).
    pub members: Vec<String>,
    /// The record whose readers also read this one (a cell's parent cell, a site's cell).
    pub parent: Option<String>,
    /// Members of these projects read it (a site's construction projects).
    pub projects: Vec<String>,
}

/// What a kind knows about its records.
pub trait KindRules: Send + Sync + 'static {
    /// The kind these rules are for.
    fn kind(&self) -> RecordKind;

    /// Maps created in the record's first change: every map two devices may write into.
    fn genesis_maps(&self) -> &'static [&'static str];

    /// Genesis maps whose entries are only ever added, never changed or removed (events,
    /// photos, notes, signatures).
    fn append_only(&self) -> &'static [&'static str];

    /// The kind-specific list columns.
    fn columns(&self, doc: &Automerge) -> KindColumns;

    /// Who reads the record beyond its project's members (`None`: its project's members only).
    fn readers(&self, _doc: &Automerge) -> Option<Readers> {
        None
    }

    /// The root text fields search indexes (`None`: every string of the record). A kind whose
    /// records grow by machine-made events (patrol runs) names its human fields, so an event
    /// does not rewrite the record's search text.
    fn search_fields(&self) -> Option<&'static [&'static str]> {
        None
    }

    /// Root fields written once, in the record's first change, besides the identity fields.
    fn immutable_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The kind's write policy for a transition the generic rules already passed (identity
    /// fields untouched, append-only maps only added to, every entry's `by` its author).
    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal>;
}

/// Why a write was refused: the rule, named, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The author's roles on the record's project do not grant `permission`.
    Permission {
        /// The permission missing.
        permission: Permission,
        /// The project (or scope, such as [`crate::grid::ORG`]) it is missing on.
        project: String,
    },
    /// Another rule: `rule` is a stable name (`immutable_field`, `append_only`,
    /// `author_mismatch`, `reinspector_rectified`, …), `reason` says what it means.
    Rule {
        /// The rule's stable name.
        rule: &'static str,
        /// What the rule says, about this write.
        reason: String,
    },
}

impl Refusal {
    /// A refusal by the rule named `rule`, saying `reason`.
    pub fn rule(rule: &'static str, reason: impl Into<String>) -> Refusal {
        Refusal::Rule {
            rule,
            reason: reason.into(),
        }
    }

    /// The rule's stable name.
    pub fn name(&self) -> &'static str {
        match self {
            Refusal::Permission { .. } => "permission",
            Refusal::Rule { rule, .. } => rule,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Permission {
                permission,
                project,
            } => write!(
                f,
                "permission: {permission} is missing on project {project}"
            ),
            Refusal::Rule { rule, reason } => write!(f, "{rule}: {reason}"),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        match r {
            Refusal::Permission {
                permission,
                project,
            } => Error::Forbidden {
                permission: permission.as_str().into(),
                project,
            },
            // Citing a photo that is not attached is a mistake in the call, not a forgery.
            Refusal::Rule {
                rule: "rectification_photos",
                reason,
            } => Error::InvalidArgument(reason),
            r @ Refusal::Rule { .. } => Error::RuleViolation(r.to_string()),
        }
    }
}

/// The rules of `kind`.
pub fn rules(kind: RecordKind) -> &'static dyn KindRules {
    builtin::rules(kind)
}

/// Roles of an author, when known. On the server and for local writes they are; for changes
/// merged from other devices on a device they are not (the server judged those).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roles {
    /// These roles (none: the author holds no role on the project).
    Known(Vec<Role>),
    /// Not known here: every check passes (the server judged these changes).
    Unknown,
}

impl Roles {
    /// Whether the roles grant `permission` (`true` when unknown: judged elsewhere).
    pub fn grant(&self, permission: Permission) -> bool {
        match self {
            Roles::Known(roles) => roles.iter().any(|r| crate::access::grants(*r, permission)),
            Roles::Unknown => true,
        }
    }

    /// `Ok` if the roles grant `permission` on `project`, else the refusal naming it.
    pub fn require(&self, permission: Permission, project: &str) -> Result<(), Refusal> {
        if self.grant(permission) {
            Ok(())
        } else {
            Err(Refusal::Permission {
                permission,
                project: project.to_owned(),
            })
        }
    }

    /// Whether the author holds `role` (`true` when unknown).
    pub fn has(&self, role: Role) -> bool {
        match self {
            Roles::Known(roles) => roles.contains(&role),
            Roles::Unknown => true,
        }
    }

    /// Whether the author holds any role but viewer (`true` when unknown).
    pub fn writes(&self) -> bool {
        match self {
            Roles::Known(roles) => roles.iter().any(|r| *r != Role::Viewer),
            Roles::Unknown => true,
        }
    }
}

/// Refuses unless every new author may do `permission` on the record's project.
pub fn require_all(t: &Transition<'_>, permission: Permission) -> Result<(), Refusal> {
    for author in &t.new_authors {
        t.roles_of(author.as_deref())
            .require(permission, &t.project)?;
    }
    Ok(())
}
