//! Conversion between documents and JSON: hydrate an object (taking the deterministic winner of
//! any conflict), and write a JSON value as new automerge objects and scalars.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};

use crate::error::{Error, Result};

/// JSON for one scalar. Bytes become a lowercase hex string, timestamps and counters numbers.
pub fn scalar_to_json(v: &ScalarValue) -> Json {
    match v {
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Bytes(b) => Json::String(hex(b)),
        ScalarValue::Null | ScalarValue::Unknown { .. } => Json::Null,
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The scalar for a JSON value, or `None` for objects and arrays.
pub fn json_to_scalar(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// JSON for a value found in the document (scalars directly, objects hydrated).
pub fn value_to_json<D: ReadDoc>(doc: &D, value: &Value<'_>, id: &ObjId) -> Result<Json> {
    match value {
        Value::Scalar(s) => Ok(scalar_to_json(s)),
        Value::Object(_) => hydrate(doc, id),
    }
}

/// The whole object as JSON. Where a field has concurrent values, the winner that every device
/// picks is shown; [`crate::doc::conflicts`] lists all of them.
pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Json> {
    match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let mut out = Map::new();
            for key in doc.keys(obj) {
                if let Some((v, id)) = doc.get(obj, key.as_str())? {
                    out.insert(key, value_to_json(doc, &v, &id)?);
                }
            }
            Ok(Json::Object(out))
        }
        ObjType::List => {
            let mut out = Vec::new();
            for i in 0..doc.length(obj) {
                if let Some((v, id)) = doc.get(obj, i)? {
                    out.push(value_to_json(doc, &v, &id)?);
                }
            }
            Ok(Json::Array(out))
        }
        ObjType::Text => Ok(Json::String(doc.text(obj)?)),
    }
}

/// Writes `value` at `prop` of `obj` (a map key or a list insertion index), creating maps and
/// lists for JSON objects and arrays.
pub fn put_json<T: Transactable>(tx: &mut T, obj: &ObjId, prop: Prop, value: &Json) -> Result<()> {
    let created = match value {
        Json::Object(_) => Some(ObjType::Map),
        Json::Array(_) => Some(ObjType::List),
        _ => None,
    };
    let insert = matches!(prop, Prop::Seq(_)) && tx.object_type(obj)? == ObjType::List;
    let child = match (created, prop) {
        (Some(ty), Prop::Seq(i)) if insert => tx.insert_object(obj, i, ty)?,
        (Some(ty), p) => tx.put_object(obj, p, ty)?,
        (None, p) => {
            let s = json_to_scalar(value).ok_or_else(|| Error::InvalidArgument("scalar".into()))?;
            match p {
                Prop::Seq(i) if insert => tx.insert(obj, i, s)?,
                p => tx.put(obj, p, s)?,
            }
            return Ok(());
        }
    };
    match value {
        Json::Object(m) => {
            for (k, v) in m {
                put_json(tx, &child, Prop::Map(k.clone()), v)?;
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                put_json(tx, &child, Prop::Seq(i), v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT};
    use serde_json::json;

    #[test]
    fn json_round_trips_through_a_document() {
        let mut doc = AutoCommit::new();
        let v = json!({"title": "底板钢筋", "n": 3, "big": u64::MAX, "f": 1.5, "ok": true,
                       "none": null, "m": {"a": [1, "二", {"x": false}]}});
        for (k, val) in v.as_object().unwrap() {
            put_json(&mut doc, &ROOT, Prop::Map(k.clone()), val).unwrap();
        }
        assert_eq!(hydrate(&doc, &ROOT).unwrap(), v);
    }
}
