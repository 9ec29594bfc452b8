//! One pass over a document for its projection: the text to index for search and the number of
//! fields holding concurrent values. Uses the range iterators, which report conflicts without
//! materialising every value.

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValueRef, ValueRef};

/// Upper bound on the text indexed for one record (bytes); a record's searchable words are in
/// its first fields, and the bound keeps one huge note from bloating the index.
pub const MAX_SEARCH_TEXT: usize = 64 * 1024;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Every string in the document, separated by newlines (bounded by [`MAX_SEARCH_TEXT`]).
    pub text: String,
    /// Number of fields with more than one concurrent value.
    pub conflicts: u32,
}

pub fn walk<D: ReadDoc>(doc: &D) -> WalkSummary {
    let mut out = WalkSummary::default();
    visit(doc, &ROOT, ObjType::Map, &mut out);
    out
}

fn visit<D: ReadDoc>(doc: &D, obj: &ObjId, ty: ObjType, out: &mut WalkSummary) {
    match ty {
        ObjType::Map | ObjType::Table => {
            for item in doc.map_range(obj, ..) {
                let id = item.id();
                on_item(doc, item.value, &id, item.conflict, out);
            }
        }
        ObjType::List => {
            for item in doc.list_range(obj, ..) {
                let id = item.id();
                on_item(doc, item.value, &id, item.conflict, out);
            }
        }
        ObjType::Text => {
            if let Ok(t) = doc.text(obj) {
                push_text(out, &t);
            }
        }
    }
}

fn on_item<D: ReadDoc>(
    doc: &D,
    value: ValueRef<'_>,
    id: &ObjId,
    conflict: bool,
    out: &mut WalkSummary,
) {
    if conflict {
        out.conflicts += 1;
    }
    match value {
        ValueRef::Object(t) => visit(doc, id, t, out),
        ValueRef::Scalar(ScalarValueRef::Str(s)) => push_text(out, &s),
        ValueRef::Scalar(_) => {}
    }
}

fn push_text(out: &mut WalkSummary, s: &str) {
    if s.is_empty() || out.text.len() >= MAX_SEARCH_TEXT {
        return;
    }
    if !out.text.is_empty() {
        out.text.push('\n');
    }
    let room = MAX_SEARCH_TEXT - out.text.len();
    let mut end = s.len().min(room);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.text.push_str(&s[..end]);
}
