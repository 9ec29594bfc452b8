//! Tags on checkpoints: NFC tags and QR labels, bound and unbound by append-only events in the
//! site's `tags` map. Which checkpoint a tag stood for at a moment is a fold of every event for
//! that tag, in time order (then by event id), across every site that ever held it: a tag
//! unbound on one device and scanned on another before they synced resolves the same on both
//! once they have, by the history and not by which change arrived first.
//!
//! A tag is known by its key ([`tag_key`]): an NTAG 424 DNA SUN URL changes on every tap (its
//! counter and CMAC), so it is known by the UID it carries; anything else by its text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::{CheckMethod, Site};
use crate::error::{Error, Result};
use crate::model::RecordId;

/// One bind or unbind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagEvent {
    /// The key it is stored under in the site's `tags` map (a UUID): the second key of the fold
    /// order.
    pub id: String,
    /// Bind or unbind, with its details (the event's `type` and that type's fields).
    #[serde(flatten)]
    pub kind: TagEventKind,
    /// The tag's key ([`tag_key`]).
    pub tag: String,
    /// The user id of its author.
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    #[serde(default)]
    pub by_name: String,
    /// When it happened, UTC ms by the recording device's clock: the first key of the fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    #[serde(default)]
    pub offset_minutes: i32,
}

/// What a tag event does, stored as the event's `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TagEventKind {
    /// From now on the tag stands for `checkpoint` of this site (replacing any earlier binding).
    Bind {
        /// The id of the checkpoint.
        checkpoint: String,
        /// How the tag is read (NFC or QR).
        method: CheckMethod,
    },
    /// From now on the tag stands for nothing.
    Unbind {
        /// Why (a replaced or stolen tag, …); empty when none was given.
        #[serde(default)]
        reason: String,
    },
}

/// What a tag stood for at a moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagBinding {
    /// The tag's key ([`tag_key`]).
    pub tag: String,
    /// The site whose event bound it.
    pub site: RecordId,
    /// That site's name.
    pub site_name: String,
    /// The id of the checkpoint it stood for.
    pub checkpoint: String,
    /// That checkpoint's name (empty when the site no longer lists it).
    pub checkpoint_name: String,
    /// How the tag is read, as it was bound.
    pub method: CheckMethod,
    /// When the bind event in force was recorded, UTC ms by that device's clock.
    pub bound_at_ms: i64,
    /// The user id of who bound it.
    pub bound_by: String,
}

/// The key a tag is known by: `uid:<UID>` for a URL carrying a `uid` parameter (NTAG 424 DNA
/// SUN messages and most NFC-tag URL schemes), else the payload's text (trimmed), or
/// `sha256:<hex>` of it when it is longer than 200 bytes.
pub fn tag_key(payload: &str) -> Result<String> {
    let text = payload.trim();
    if text.is_empty() {
        return Err(Error::InvalidArgument("an empty tag payload".into()));
    }
    if let Some((_, query)) = text.split_once('?') {
        for pair in query.split(['&', '#']) {
            if let Some((k, v)) = pair.split_once('=')
                && k.eq_ignore_ascii_case("uid")
                && !v.is_empty()
                && v.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Ok(format!("uid:{}", v.to_ascii_uppercase()));
            }
        }
    }
    if text.len() > 200 || text.chars().any(char::is_control) {
        return Ok(format!("sha256:{}", hex(&Sha256::digest(text.as_bytes()))));
    }
    Ok(text.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The events of a site's `tags` map, in fold order (time, then event id, as every event map).
pub fn events_of(map: &Json) -> Vec<TagEvent> {
    crate::doc::events::from_json(map)
}

impl crate::doc::events::Event for TagEvent {
    fn with_id(self, id: String) -> Self {
        TagEvent { id, ..self }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn at_ms(&self) -> i64 {
        self.at_ms
    }
}

/// Tag key → (bind event id, checkpoint) for tags bound now.
pub fn bound_now(events: &[TagEvent]) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for e in events {
        match &e.kind {
            TagEventKind::Bind { checkpoint, .. } => {
                out.insert(e.tag.clone(), (e.id.clone(), checkpoint.clone()));
            }
            TagEventKind::Unbind { .. } => {
                out.remove(&e.tag);
            }
        }
    }
    out
}

/// The binding in force for `key` at `at_ms` given every site that ever held it.
pub fn binding_at(sites: &[Site], key: &str, at_ms: i64) -> Option<TagBinding> {
    let mut events: Vec<(&Site, &TagEvent)> = sites
        .iter()
        .flat_map(|s| s.tag_events.iter().map(move |e| (s, e)))
        .filter(|(_, e)| e.tag == key && e.at_ms <= at_ms)
        .collect();
    events.sort_by(|a, b| {
        (a.1.at_ms, &a.1.id, a.0.id.as_str()).cmp(&(b.1.at_ms, &b.1.id, b.0.id.as_str()))
    });
    let mut current = None;
    for (site, e) in events {
        current = match &e.kind {
            TagEventKind::Bind { checkpoint, method } => Some(TagBinding {
                tag: key.to_owned(),
                site: site.id.clone(),
                site_name: site.name.clone(),
                checkpoint: checkpoint.clone(),
                checkpoint_name: site
                    .checkpoints
                    .iter()
                    .find(|c| &c.id == checkpoint)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                method: *method,
                bound_at_ms: e.at_ms,
                bound_by: e.by.clone(),
            }),
            TagEventKind::Unbind { .. } => None,
        };
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_keys_ignore_what_changes_per_tap() {
        let a = tag_key("https://t.example/s?uid=04a1b2c3d4e5f6&ctr=000012&cmac=AB12CD34EF56AB12")
            .unwrap();
        let b = tag_key(" https://t.example/s?uid=04A1B2C3D4E5F6&ctr=000013&cmac=0011223344556677")
            .unwrap();
        assert_eq!(a, "uid:04A1B2C3D4E5F6");
        assert_eq!(a, b);
        assert_eq!(tag_key("OFFGRID:CP:0042\n").unwrap(), "OFFGRID:CP:0042");
        assert!(tag_key(&"x".repeat(300)).unwrap().starts_with("sha256:"));
        assert!(tag_key("  ").is_err());
    }
}
