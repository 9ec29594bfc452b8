//! Append-only event maps (`/events/<uuid>`), the storage of every lifecycle: reading them in
//! their deterministic fold order (device time, then event id).

use automerge::{ReadDoc, Value};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// An event stored under its id in an events map.
pub trait Event: DeserializeOwned {
    /// The event with the id it is stored under (the id is the map key, not a field).
    fn with_id(self, id: String) -> Self;
    /// The id it is stored under (a UUID): the second key of the fold order.
    fn id(&self) -> &str;
    /// When it happened, UTC milliseconds by the recording device's clock: the first key of the
    /// fold order.
    fn at_ms(&self) -> i64;
}

/// Sorts events into fold order.
pub fn sort<E: Event>(events: &mut [E]) {
    events.sort_by(|a, b| (a.at_ms(), a.id()).cmp(&(b.at_ms(), b.id())));
}

/// The events of a hydrated events map, in fold order. Entries that do not parse (written by a
/// newer version, say) are skipped, not fatal.
pub fn from_json<E: Event>(map: &Json) -> Vec<E> {
    let mut out: Vec<E> = map
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    serde_json::from_value::<E>(v.clone())
                        .ok()
                        .map(|e| e.with_id(k.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    sort(&mut out);
    out
}

/// The events of the document's root `events` map, reading only that map.
pub fn read<E: Event, D: ReadDoc>(doc: &D) -> Vec<E> {
    match doc.get(automerge::ROOT, "events") {
        Ok(Some((Value::Object(_), obj))) => super::json::hydrate(doc, &obj)
            .map(|m| from_json(&m))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The change (hex hash) that recorded event `key` of the root `events` map: who really wrote
/// it is that change's receipt on the server (ADR 0006).
pub fn change_of(doc: &automerge::Automerge, key: &str) -> Option<String> {
    let (_, events) = doc.get(automerge::ROOT, "events").ok()??;
    let (_, obj) = doc.get(&events, key).ok()??;
    doc.hash_for_opid(&obj).map(|h| h.to_string())
}

/// A photo reference: a SHA-256 in hex, lowercased.
pub fn photo_hash(sha256: &str) -> crate::Result<String> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(crate::Error::InvalidArgument(format!(
            "a photo is referenced by its SHA-256 in hex, not {sha256:?}"
        )));
    }
    Ok(sha256.to_ascii_lowercase())
}
