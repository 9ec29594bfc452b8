//! Fields with concurrent values. When two devices set the same field offline, automerge keeps
//! both values and picks the same winner everywhere; the others are not lost. This lists every
//! such field with each value, who wrote it and when (from the change that wrote it).

use automerge::{Automerge, ObjId, ObjType, Prop, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::json::value_to_json;
use super::meta::ChangeMeta;
use super::path::format;
use crate::error::Result;

/// A field holding concurrent values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// JSON pointer of the field.
    pub path: String,
    /// Every concurrent value; exactly one has `winner` set (the one shown everywhere).
    pub values: Vec<ConflictValue>,
}

/// One of a field's concurrent values, with the change that wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value as JSON (an object hydrated whole).
    pub value: Json,
    /// The value every device shows: automerge's deterministic pick.
    pub winner: bool,
    /// The user id the writing change's metadata names (a claim until `verified_by` is set).
    pub user_id: Option<String>,
    /// The writer's display name, from the change's metadata.
    pub user_name: Option<String>,
    /// When the writing device said it was (UTC ms) and its offset.
    pub time_ms: i64,
    /// The writing device's UTC offset in minutes east.
    pub offset_minutes: i32,
    /// Automerge actor (per install) and change hash, hex.
    pub actor: String,
    /// The hash of the change that wrote the value, hex.
    pub change: String,
    /// The account the sync server verified as the pusher of that change (`None`: not yet
    /// confirmed by the server).
    #[serde(default)]
    pub verified_by: Option<String>,
}

/// Every field of `doc` holding concurrent values, nested ones included, in document order.
/// `verified_by` is left unset for the caller to fill in.
pub fn conflicts(doc: &Automerge) -> Result<Vec<Conflict>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    visit(doc, &ROOT, ObjType::Map, &mut path, &mut out)?;
    Ok(out)
}

fn visit(
    doc: &Automerge,
    obj: &ObjId,
    ty: ObjType,
    path: &mut Vec<String>,
    out: &mut Vec<Conflict>,
) -> Result<()> {
    let props: Vec<Prop> = match ty {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(Prop::Map).collect(),
        ObjType::List => (0..doc.length(obj)).map(Prop::Seq).collect(),
        ObjType::Text => return Ok(()),
    };
    for prop in props {
        let all = doc.get_all(obj, prop.clone())?;
        path.push(super::path::prop_segment(&prop));
        if all.len() > 1 {
            let winner = doc.get(obj, prop.clone())?.map(|(_, id)| id);
            let mut values = Vec::with_capacity(all.len());
            for (v, id) in &all {
                values.push(describe(doc, v, id, winner.as_ref() == Some(id))?);
            }
            out.push(Conflict {
                path: format(path),
                values,
            });
        }
        for (v, id) in &all {
            if let Value::Object(t) = v {
                visit(doc, id, *t, path, out)?;
            }
        }
        path.pop();
    }
    Ok(())
}

fn describe(doc: &Automerge, v: &Value<'_>, id: &ObjId, winner: bool) -> Result<ConflictValue> {
    let value = value_to_json(doc, v, id)?;
    let change = doc.hash_for_opid(id);
    let meta = change.and_then(|h| doc.get_change_meta_by_hash(&h));
    let decoded = ChangeMeta::decode(meta.as_ref().and_then(|m| m.message.as_deref()));
    Ok(ConflictValue {
        value,
        winner,
        user_id: decoded.user_id,
        user_name: decoded.user_name,
        time_ms: meta.as_ref().map(|m| m.timestamp).unwrap_or(0),
        offset_minutes: decoded.offset_minutes,
        actor: meta
            .as_ref()
            .map(|m| m.actor.to_hex_string())
            .unwrap_or_default(),
        change: change.map(|h| h.to_string()).unwrap_or_default(),
        verified_by: None,
    })
}
