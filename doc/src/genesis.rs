//! Creating a record's document. The genesis rule: every map that two devices may later write
//! into is created here, in the record's first change, by the one device that creates the record.
//! If two devices each created `answers` lazily on first write, automerge would keep only one of
//! the two maps and everything written into the other would vanish.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, Prop, ROOT};
use serde_json::Value as Json;

use super::edit::RESERVED_ROOT_KEYS;
use super::json::{put_json, put_json_sorted};
use super::meta::ChangeMeta;
use crate::error::{Error, Result};
use offgrid_common::model::{RecordId, RecordKind, Timestamp, User};

/// A new document for a record: identity fields, the kind's genesis maps (`maps`, as the kind's
/// rules name them: entries inside them are keyed by item id or by unique ids, never positional
/// lists), and `fields` (a JSON object; a value for a genesis map must be an object and fills
/// that map).
pub fn new_record(
    kind: RecordKind,
    maps: &[&str],
    id: &RecordId,
    fields: &Json,
    user: &User,
    now: Timestamp,
    actor: ActorId,
) -> Result<AutoCommit> {
    build(kind, maps, id, fields, user, now, actor, put_json)
}

/// As [`new_record`], written so that the same arguments always give a byte-identical first
/// change (every map key by key, in sorted order): a record every device derives from facts
/// they all hold (a hazard raised from a patrol observation) is then one record, not two
/// geneses for one id. `actor` must be derived from the record's id too, and no later change
/// may use it.
pub fn derived_record(
    kind: RecordKind,
    maps: &[&str],
    id: &RecordId,
    fields: &Json,
    user: &User,
    now: Timestamp,
    actor: ActorId,
) -> Result<AutoCommit> {
    build(kind, maps, id, fields, user, now, actor, put_json_sorted)
}

type Put = fn(&mut AutoCommit, &automerge::ObjId, Prop, &Json) -> Result<()>;

#[allow(clippy::too_many_arguments)]
fn build(
    kind: RecordKind,
    maps: &[&str],
    id: &RecordId,
    fields: &Json,
    user: &User,
    now: Timestamp,
    actor: ActorId,
    put_json: Put,
) -> Result<AutoCommit> {
    let fields = match fields {
        Json::Object(m) => m.clone(),
        Json::Null => Default::default(),
        _ => {
            return Err(Error::InvalidArgument(
                "record fields must be a JSON object".into(),
            ));
        }
    };
    let mut doc = AutoCommit::new().with_actor(actor);
    doc.put(ROOT, "id", id.as_str())?;
    doc.put(ROOT, "kind", kind.as_str())?;
    doc.put(ROOT, "created_ms", now.unix_ms)?;
    doc.put(ROOT, "created_by", user.id.as_str())?;
    for name in maps {
        // Each genesis map with its initial entries in one batch.
        match fields.get(*name) {
            None => {
                doc.put_object(ROOT, *name, ObjType::Map)?;
            }
            Some(entries @ Json::Object(_)) => {
                put_json(&mut doc, &ROOT, Prop::Map((*name).to_owned()), entries)?
            }
            Some(_) => {
                return Err(Error::InvalidValue {
                    path: format!("/{name}"),
                    reason: "must be an object".into(),
                });
            }
        }
    }
    for (k, v) in &fields {
        if RESERVED_ROOT_KEYS.contains(&k.as_str()) {
            return Err(Error::InvalidValue {
                path: format!("/{k}"),
                reason: "reserved field".into(),
            });
        }
        if !maps.contains(&k.as_str()) {
            put_json(&mut doc, &ROOT, Prop::Map(k.clone()), v)?;
        }
    }
    let meta = ChangeMeta::new(user, now, &format!("create {kind}"));
    doc.commit_with(meta.commit_options(now));
    Ok(doc)
}

/// The record id and kind a document says it is, if it says so.
pub fn identity<D: automerge::ReadDoc>(doc: &D) -> (Option<String>, Option<String>) {
    (root_text(doc, "id"), root_text(doc, "kind"))
}

/// A string field of the document's root, if it is one.
pub fn root_text<D: automerge::ReadDoc>(doc: &D, key: &str) -> Option<String> {
    match doc.get(ROOT, key) {
        Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
        _ => None,
    }
}
