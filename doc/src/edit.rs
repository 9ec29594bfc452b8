//! [`Edit`]: the only way application code changes a record. It enforces the genesis rule: a
//! scalar may be set only inside a map that already exists, and new maps appear only under fresh
//! keys (unique ids), so two devices can never each create "the same" map and lose one of them.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, Prop, ROOT, ReadDoc};
use serde_json::Value as Json;

use super::json::{hydrate, json_to_scalar, put_json, value_to_json};
use super::path::{format, parse, resolve_obj, segment_prop};
use crate::error::{Error, Result};

/// Root fields that identify a record; they are written once at creation and never changed.
pub const RESERVED_ROOT_KEYS: [&str; 4] = ["id", "kind", "created_ms", "created_by"];

/// An edit of one document, within the caller's transaction: sets, replaces, inserts, appends
/// and deletes by JSON pointer, keeping the genesis rule, and notes what it touched.
pub struct Edit<'a> {
    doc: &'a mut AutoCommit,
    /// Map fields set by this edit (lets the search index update just those).
    set_fields: Vec<(automerge::ObjId, String)>,
    /// Whether objects were added or removed (the search index is then rebuilt).
    structural: bool,
}

/// What an edit touched: the map fields it set, and whether it added or removed objects.
pub struct Touched {
    /// Map fields set, as (object, key): the search index re-reads just these.
    pub set_fields: Vec<(automerge::ObjId, String)>,
    /// Objects or list elements were added, set or removed: the search index is rebuilt.
    pub structural: bool,
}

impl<'a> Edit<'a> {
    /// An edit of `doc`, within the transaction the caller commits or rolls back.
    pub fn new(doc: &'a mut AutoCommit) -> Self {
        Edit {
            doc,
            set_fields: Vec::new(),
            structural: false,
        }
    }

    /// What this edit touched (for the search index).
    pub fn into_touched(self) -> Touched {
        Touched {
            set_fields: self.set_fields,
            structural: self.structural,
        }
    }

    /// Sets a scalar (string, number, boolean or null) at `pointer`. The parent must exist.
    pub fn set(&mut self, pointer: &str, value: impl Into<Json>) -> Result<()> {
        let value = value.into();
        let segments = parse(pointer)?;
        let Some((last, parent)) = segments.split_last() else {
            return Err(Error::InvalidArgument("cannot set the root".into()));
        };
        check_not_reserved(&segments)?;
        let Some(scalar) = json_to_scalar(&value) else {
            return Err(Error::InvalidValue {
                path: pointer.to_owned(),
                reason: "set takes a scalar; use insert for a new map under a unique key".into(),
            });
        };
        let (obj, ty) = resolve_obj(&*self.doc, parent)?;
        let prop = segment_prop(ty, last, &segments)?;
        if let Prop::Seq(i) = prop
            && i >= self.doc.length(&obj)
        {
            return Err(Error::PathNotFound {
                path: pointer.to_owned(),
            });
        }
        match &prop {
            Prop::Map(key) => self.set_fields.push((obj.clone(), key.clone())),
            Prop::Seq(_) => self.structural = true,
        }
        self.doc.put(&obj, prop, scalar)?;
        Ok(())
    }

    /// Replaces the field at `pointer` with any JSON value as a whole (e.g. a multiple-choice
    /// answer's list). The parent must exist. Use only for values that are replaced, never
    /// written into: concurrent replacements are kept as conflicting values.
    pub fn replace(&mut self, pointer: &str, value: &Json) -> Result<()> {
        if json_to_scalar(value).is_some() {
            return self.set(pointer, value.clone());
        }
        let segments = parse(pointer)?;
        let Some((last, parent)) = segments.split_last() else {
            return Err(Error::InvalidArgument("cannot replace the root".into()));
        };
        check_not_reserved(&segments)?;
        let (obj, ty) = resolve_obj(&*self.doc, parent)?;
        if ty != ObjType::Map {
            return Err(Error::InvalidValue {
                path: pointer.to_owned(),
                reason: "parent is not a map".into(),
            });
        }
        self.structural = true;
        put_json(self.doc, &obj, Prop::Map(last.clone()), value)
    }

    /// Sets raw bytes (e.g. a signature image) at `pointer`. The parent must exist.
    pub fn set_bytes(&mut self, pointer: &str, bytes: Vec<u8>) -> Result<()> {
        let segments = parse(pointer)?;
        let Some((last, parent)) = segments.split_last() else {
            return Err(Error::InvalidArgument("cannot set the root".into()));
        };
        let (obj, ty) = resolve_obj(&*self.doc, parent)?;
        if ty != ObjType::Map {
            return Err(Error::InvalidValue {
                path: pointer.to_owned(),
                reason: "parent is not a map".into(),
            });
        }
        self.set_fields.push((obj.clone(), last.clone()));
        self.doc
            .put(&obj, last.as_str(), automerge::ScalarValue::Bytes(bytes))?;
        Ok(())
    }

    /// Adds `value` (any JSON) under a key of the map at `map_pointer` that must not exist yet.
    /// Use a unique key (e.g. [`crate::RecordId::new`]) for things added concurrently: photos,
    /// notes, events.
    ///
    /// [`crate::RecordId::new`]: offgrid_common::model::RecordId::new
    pub fn insert(&mut self, map_pointer: &str, key: &str, value: &Json) -> Result<()> {
        let segments = parse(map_pointer)?;
        let (obj, ty) = resolve_obj(&*self.doc, &segments)?;
        let path = format!("{map_pointer}{}", format(&[key]));
        if !matches!(ty, ObjType::Map) {
            return Err(Error::InvalidValue {
                path,
                reason: "not a map".into(),
            });
        }
        if segments.is_empty() && RESERVED_ROOT_KEYS.contains(&key) {
            return Err(Error::InvalidValue {
                path,
                reason: "reserved field".into(),
            });
        }
        if self.doc.get(&obj, key)?.is_some() {
            return Err(Error::AlreadyExists { path });
        }
        self.structural = true;
        put_json(self.doc, &obj, Prop::Map(key.to_owned()), value)
    }

    /// Appends a value to the list at `list_pointer`.
    pub fn push(&mut self, list_pointer: &str, value: &Json) -> Result<()> {
        let segments = parse(list_pointer)?;
        let (obj, ty) = resolve_obj(&*self.doc, &segments)?;
        if ty != ObjType::List {
            return Err(Error::InvalidValue {
                path: list_pointer.into(),
                reason: "not a list".into(),
            });
        }
        let end = self.doc.length(&obj);
        self.structural = true;
        put_json(self.doc, &obj, Prop::Seq(end), value)
    }

    /// Deletes the field at `pointer`.
    pub fn delete(&mut self, pointer: &str) -> Result<()> {
        let segments = parse(pointer)?;
        let Some((last, parent)) = segments.split_last() else {
            return Err(Error::InvalidArgument("cannot delete the root".into()));
        };
        check_not_reserved(&segments)?;
        let (obj, ty) = resolve_obj(&*self.doc, parent)?;
        let prop = segment_prop(ty, last, &segments)?;
        if self.doc.get(&obj, prop.clone())?.is_none() {
            return Err(Error::PathNotFound {
                path: pointer.to_owned(),
            });
        }
        self.structural = true;
        self.doc.delete(&obj, prop)?;
        Ok(())
    }

    /// Reads the value at `pointer` (as it is inside this edit), or `None`.
    pub fn get(&self, pointer: &str) -> Result<Option<Json>> {
        get(&*self.doc, pointer)
    }
}

/// Reads the value at `pointer`, or `None` if any part of the path is missing.
pub fn get<D: ReadDoc>(doc: &D, pointer: &str) -> Result<Option<Json>> {
    let segments = parse(pointer)?;
    let Some((last, parent)) = segments.split_last() else {
        return Ok(Some(hydrate(doc, &ROOT)?));
    };
    let Ok((obj, ty)) = resolve_obj(doc, parent) else {
        return Ok(None);
    };
    let Ok(prop) = segment_prop(ty, last, &segments) else {
        return Ok(None);
    };
    match doc.get(&obj, prop)? {
        Some((v, id)) => Ok(Some(value_to_json(doc, &v, &id)?)),
        None => Ok(None),
    }
}

fn check_not_reserved(segments: &[String]) -> Result<()> {
    if segments.len() == 1 && RESERVED_ROOT_KEYS.contains(&segments[0].as_str()) {
        return Err(Error::InvalidValue {
            path: format(segments),
            reason: "reserved field".into(),
        });
    }
    Ok(())
}
