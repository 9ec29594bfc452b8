//! JSON-pointer paths (RFC 6901) into a document: parse, format, resolve to an object id.

use automerge::{ObjId, ObjType, Prop, ROOT, ReadDoc, Value};

use crate::error::{Error, Result};

/// Splits `/a/b~1c` into `["a", "b/c"]`. The empty string is the root.
pub fn parse(pointer: &str) -> Result<Vec<String>> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(Error::InvalidArgument(format!(
            "path {pointer:?} must start with '/'"
        )));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Formats segments as a JSON pointer.
pub fn format<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&s.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// Formats an automerge property as one pointer segment.
pub fn prop_segment(prop: &Prop) -> String {
    match prop {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    }
}

/// Converts one segment to a property of an object of type `ty`.
pub fn segment_prop(ty: ObjType, segment: &str, pointer: &[String]) -> Result<Prop> {
    match ty {
        ObjType::Map | ObjType::Table => Ok(Prop::Map(segment.to_owned())),
        ObjType::List | ObjType::Text => {
            segment
                .parse::<usize>()
                .map(Prop::Seq)
                .map_err(|_| Error::PathNotFound {
                    path: format(pointer),
                })
        }
    }
}

/// Resolves `segments` to an object (map or list) that exists now.
pub fn resolve_obj<D: ReadDoc>(doc: &D, segments: &[String]) -> Result<(ObjId, ObjType)> {
    let mut obj = ROOT;
    let mut ty = ObjType::Map;
    for (i, seg) in segments.iter().enumerate() {
        let prop = segment_prop(ty, seg, &segments[..=i])?;
        match doc.get(&obj, prop)? {
            Some((Value::Object(t), id)) => {
                obj = id;
                ty = t;
            }
            _ => {
                return Err(Error::PathNotFound {
                    path: format(&segments[..=i]),
                });
            }
        }
    }
    Ok((obj, ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_round_trip_escapes() {
        let segs = parse("/answers/a~1b/c~0d").unwrap();
        assert_eq!(segs, vec!["answers", "a/b", "c~d"]);
        assert_eq!(format(&segs), "/answers/a~1b/c~0d");
        assert!(parse("answers").is_err());
        assert!(parse("").unwrap().is_empty());
    }
}
