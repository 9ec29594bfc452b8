//! What a record's projection needs from the whole document: the text to index for search and
//! the number of fields holding concurrent values.
//!
//! [`SearchIndex`] keeps every string of the document keyed by (object, key), built in one pass
//! over the document and then updated field by field after local edits, so a commit that sets
//! one answer costs a lookup of that answer instead of a walk over the whole record (the walk is
//! ~0.5 ms on a 1,300-op record; a field update is microseconds). Merges from other devices,
//! inserts and deletes rebuild it.

use std::collections::{BTreeMap, BTreeSet};

use automerge::iter::{DocItem, Span};
use automerge::{ObjId, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef};

/// Upper bound on the text indexed for one record (bytes); the bound keeps one huge note from
/// bloating the index.
pub const MAX_SEARCH_TEXT: usize = 64 * 1024;

/// What a record's projection takes from the whole document: its text for search and its
/// count of conflicted fields.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Every string in the document, separated by newlines (bounded by [`MAX_SEARCH_TEXT`]).
    pub text: String,
    /// Number of fields with more than one concurrent value.
    pub conflicts: u32,
}

/// Strings and conflicted fields of one document, keyed so single fields can be updated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchIndex {
    /// Map fields holding a string (the value every device shows), by (object id, key).
    fields: BTreeMap<(String, String), String>,
    /// Strings in lists and text objects (only ever rebuilt whole).
    others: Vec<String>,
    /// Map fields with concurrent values.
    conflicted: BTreeSet<(String, String)>,
    /// Conflicted list elements.
    other_conflicts: u32,
}

impl SearchIndex {
    /// One pass over every object of the document (`ReadDoc::iter`).
    pub fn build<D: ReadDoc>(doc: &D) -> Self {
        let mut index = SearchIndex::default();
        for item in doc.iter() {
            match item.item {
                DocItem::Map(m) => {
                    let key = (item.obj.to_string(), m.key.into_owned());
                    if m.conflict {
                        index.conflicted.insert(key.clone());
                    }
                    if let ValueRef::Scalar(ScalarValueRef::Str(s)) = m.value {
                        index.fields.insert(key, s.into_owned());
                    }
                }
                DocItem::List(l) => {
                    index.other_conflicts += u32::from(l.conflict);
                    if let ValueRef::Scalar(ScalarValueRef::Str(s)) = l.value {
                        index.others.push(s.into_owned());
                    }
                }
                DocItem::Text(Span::Text { text, .. }) => index.others.push(text),
                DocItem::Text(_) => {}
            }
        }
        index
    }

    /// Re-reads the given map fields after they were set.
    pub fn update<D: ReadDoc>(&mut self, doc: &D, fields: &[(ObjId, String)]) {
        for (obj, key) in fields {
            let k = (obj.to_string(), key.clone());
            let all = doc.get_all(obj, key.as_str()).unwrap_or_default();
            if all.len() > 1 {
                self.conflicted.insert(k.clone());
            } else {
                self.conflicted.remove(&k);
            }
            match doc.get(obj, key.as_str()) {
                Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                    ScalarValue::Str(s) => {
                        self.fields.insert(k, s.to_string());
                    }
                    _ => {
                        self.fields.remove(&k);
                    }
                },
                _ => {
                    self.fields.remove(&k);
                }
            }
        }
    }

    /// The document's text and conflict count as indexed now.
    pub fn summary(&self) -> WalkSummary {
        let mut out = WalkSummary {
            text: String::new(),
            conflicts: self.conflicted.len() as u32 + self.other_conflicts,
        };
        for s in self.fields.values().chain(&self.others) {
            push_text(&mut out, s);
        }
        out
    }
}

/// The summary of a whole document, from scratch.
pub fn walk<D: ReadDoc>(doc: &D) -> WalkSummary {
    SearchIndex::build(doc).summary()
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

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    #[test]
    fn field_updates_match_a_rebuild() {
        let mut doc = AutoCommit::new();
        let answers = doc.put_object(ROOT, "answers", ObjType::Map).unwrap();
        let item = doc.put_object(&answers, "i1", ObjType::Map).unwrap();
        doc.put(&item, "value", "合格").unwrap();
        doc.put(&item, "n", 3).unwrap();
        let list = doc.put_object(ROOT, "tags", ObjType::List).unwrap();
        doc.insert(&list, 0, "渗水").unwrap();
        doc.commit();
        let mut index = SearchIndex::build(&doc);
        assert!(index.summary().text.contains("合格") && index.summary().text.contains("渗水"));
        // A concurrent edit from another actor makes a conflict.
        let mut other = doc.fork();
        other.put(&item, "value", "不合格").unwrap();
        other.commit();
        doc.put(&item, "value", 5).unwrap();
        doc.put(&item, "n", "三").unwrap();
        doc.commit();
        index.update(
            &doc,
            &[(item.clone(), "value".into()), (item.clone(), "n".into())],
        );
        assert_eq!(index, SearchIndex::build(&doc));
        doc.merge(&mut other).unwrap();
        index.update(&doc, &[(item.clone(), "value".into())]);
        assert_eq!(index, SearchIndex::build(&doc));
        assert_eq!(index.summary().conflicts, 1);
        // A local write resolves the conflict.
        doc.put(&item, "value", "合格").unwrap();
        doc.commit();
        index.update(&doc, &[(item.clone(), "value".into())]);
        assert_eq!(index, SearchIndex::build(&doc));
        assert_eq!(index.summary().conflicts, 0);
    }
}
