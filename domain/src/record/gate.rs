//! The write gate: [`judge`] decides whether a transition of a record (the document after a
//! write, and the heads before it) may stand. The same function runs for local actions (inside
//! the write transaction, before anything is persisted), for merges on a device, and on the
//! server for every push, as the authenticated account with its roles.
//!
//! Generic rules first, the same for every kind:
//! - the identity fields `id, kind, project, created_by, created_ms` never change, and the
//!   record's creator is the author of its first change;
//! - genesis maps are never replaced; entries of append-only maps (events, photos, notes,
//!   signatures) are only added, never changed or removed;
//! - every added entry's `by` (and a signature's `user_id`) is the author of the change that
//!   added it, and, for a writer, every new change is by that writer.
//!
//! Then the kind's own policy ([`super::KindRules::judge`]).

use automerge::{Automerge, ChangeHash, ROOT, ReadDoc, Value};

use super::transition::{How, Transition};
use super::{Refusal, Roles};
use crate::doc::genesis::root_text;
use crate::model::{RecordKind, User};

/// Identity fields: written in the first change, never again.
pub const IDENTITY_FIELDS: [&str; 5] = ["id", "kind", "project", "created_by", "created_ms"];

/// Who is writing, and whose roles are known.
#[derive(Clone, Debug)]
pub struct Authority {
    /// Every new change must name this user as its author (local writes).
    pub writer: Option<String>,
    /// Users whose roles are known (with their roles per project).
    pub known: Vec<User>,
    /// Authors whose roles are not known have none (the server); otherwise their role checks
    /// are skipped (merges on a device: the server judged those changes as their author).
    pub strict: bool,
}

impl Authority {
    /// A local write by `user`: every change is theirs and their roles are known.
    pub fn writer(user: &User) -> Authority {
        Authority {
            writer: Some(user.id.clone()),
            known: vec![user.clone()],
            strict: true,
        }
    }

    /// Changes merged on a device: authors are whoever the changes name.
    pub fn merge(current: Option<&User>) -> Authority {
        Authority {
            writer: None,
            known: current.into_iter().cloned().collect(),
            strict: false,
        }
    }

    /// A push on the server by `caller` (its roles as the server holds them).
    pub fn server(caller: User) -> Authority {
        Authority {
            writer: None,
            known: vec![caller],
            strict: true,
        }
    }

    /// The roles of `user` on `project`: a known user's; none for anyone else when strict; else
    /// unknown (judged elsewhere).
    pub fn roles_on(&self, user: Option<&str>, project: &str) -> Roles {
        match user.and_then(|u| self.known.iter().find(|k| k.id == u)) {
            Some(u) => Roles::Known(u.roles_on(project).collect()),
            None if self.strict => Roles::Known(Vec::new()),
            None => Roles::Unknown,
        }
    }
}

/// Judges the transition of `doc` from `before` (empty: a new record) to its current heads.
/// A new record that arrives with more than its first change (a push of a whole history) is
/// judged in two steps: the first change as the record's genesis, then the rest.
pub fn judge(doc: &Automerge, before: &[ChangeHash], authority: &Authority) -> Result<(), Refusal> {
    judge_logged(doc, before, authority, None)
}

/// As [`judge`], with the patches automerge logged while applying the new changes
/// (`Automerge::apply_changes_log_patches`), so the document is not diffed again.
pub fn judge_logged(
    doc: &Automerge,
    before: &[ChangeHash],
    authority: &Authority,
    patches: Option<Vec<automerge::Patch>>,
) -> Result<(), Refusal> {
    if doc.get_heads().as_slice() == before {
        return Ok(());
    }
    if before.is_empty() {
        let changes = doc.get_changes(&[]);
        if changes.len() > 1 {
            let first = [changes[0].hash()];
            let genesis = doc.fork_at(&first).map_err(|_| {
                Refusal::rule("bad_change", "the record's first change does not load")
            })?;
            judge_one(&genesis, &[], authority, None, true)?;
            return judge_one(doc, &first, authority, None, false);
        }
    }
    judge_one(doc, before, authority, patches, false)
}

/// Judges a new record's first change (`doc` holds only it) that more changes will follow in
/// the same write, judged in their turn ([`Transition::partial`]).
pub fn judge_first(doc: &Automerge, authority: &Authority) -> Result<(), Refusal> {
    judge_one(doc, &[], authority, None, true)
}

fn judge_one(
    doc: &Automerge,
    before: &[ChangeHash],
    authority: &Authority,
    patches: Option<Vec<automerge::Patch>>,
    partial: bool,
) -> Result<(), Refusal> {
    let mut t = Transition::new(doc, before, authority, patches);
    t.partial = partial;
    // The kind the record was (a change to the kind itself is refused below).
    let kind_text = match before {
        [] => root_text(doc, "kind"),
        heads => match doc.get_at(ROOT, "kind", heads) {
            Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
            _ => None,
        },
    };
    let kind: RecordKind = match kind_text {
        Some(k) => k.parse().map_err(|_| {
            Refusal::rule(
                "unknown_kind",
                format!("records of kind {k:?} are not accepted"),
            )
        })?,
        None => return Err(Refusal::rule("unknown_kind", "the record names no kind")),
    };
    let rules = super::rules(kind);

    if let Some(writer) = &authority.writer
        && let Some(other) = t.new_authors.iter().find(|a| a.as_deref() != Some(writer))
    {
        return Err(author_mismatch(other.as_deref(), writer));
    }
    if t.is_genesis() {
        let first = doc.get_changes(&[]).first().map(|c| c.hash());
        let creator = first.and_then(|h| t.author_of_change(&h));
        if creator.is_none() || root_text(doc, "created_by") != creator {
            return Err(Refusal::rule(
                "author_mismatch",
                "created_by must be the author of the record's first change",
            ));
        }
    } else {
        for touch in &t.touches {
            let Some(root) = touch.path.first() else {
                continue;
            };
            if IDENTITY_FIELDS.contains(&root.as_str())
                || rules.immutable_fields().contains(&root.as_str())
            {
                return Err(Refusal::rule(
                    "immutable_field",
                    format!("/{root} is written once, when the record is created"),
                ));
            }
            if touch.path.len() == 1 && rules.genesis_maps().contains(&root.as_str()) {
                return Err(Refusal::rule(
                    "genesis_map",
                    format!("/{root} exists from the record's first change and is never replaced"),
                ));
            }
        }
    }
    for map in rules.append_only() {
        for touch in t
            .touches
            .iter()
            .filter(|x| x.path.first().is_some_and(|k| k == map))
        {
            // Two devices adding the same key (the same photo) is not a change: both stay.
            if touch.path.len() >= 2 && (touch.how == How::Delete || t.rewrites(touch, 2)) {
                return Err(Refusal::rule(
                    "append_only",
                    format!("entries of /{map} are only added, never changed or removed"),
                ));
            }
        }
        for entry in t.new_entries(map) {
            for field in ["by", "user_id"] {
                if let Some(by) = entry.value.get(field).and_then(|v| v.as_str())
                    && entry.author.as_deref() != Some(by)
                {
                    return Err(Refusal::rule(
                        "author_mismatch",
                        format!(
                            "/{map}/{} says {field} {by:?} but was written by {}",
                            entry.key,
                            entry.author.as_deref().unwrap_or("nobody named")
                        ),
                    ));
                }
            }
        }
    }
    rules.judge(&t)
}

fn author_mismatch(author: Option<&str>, writer: &str) -> Refusal {
    Refusal::rule(
        "author_mismatch",
        format!(
            "a change names {} as its author, but it was written by {writer}",
            author.map_or("nobody".to_owned(), |a| format!("{a:?}"))
        ),
    )
}
