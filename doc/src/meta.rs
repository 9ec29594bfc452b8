//! What each change says about itself. The automerge change message carries a small JSON object:
//! who made the change (user id and name — the actor id is per install, not per person), the
//! device's UTC offset, and a short description. The change's own timestamp is UTC milliseconds.

use serde::{Deserialize, Serialize};

use offgrid_common::model::{Timestamp, User};

/// What a change says about itself: the JSON object in its automerge message (keys `u`, `n`,
/// `tz`, `m`). What it names is a claim; the sync server verifies who pushed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    /// User id.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// User display name at the time of the change.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Device UTC offset in minutes.
    #[serde(rename = "tz", default)]
    pub offset_minutes: i32,
    /// What the change did, e.g. "answer item 3".
    #[serde(rename = "m", default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl ChangeMeta {
    /// The metadata of a change `user` makes at `now` (its offset is kept), saying `message`.
    pub fn new(user: &User, now: Timestamp, message: &str) -> Self {
        ChangeMeta {
            user_id: Some(user.id.clone()),
            user_name: Some(user.name.clone()),
            offset_minutes: now.offset_minutes,
            message: message.to_owned(),
        }
    }

    /// The change message: this metadata as compact JSON.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Decodes a change message. Messages from other tools (plain text) are kept as the message.
    pub fn decode(message: Option<&str>) -> Self {
        match message {
            None => ChangeMeta::default(),
            Some(m) => serde_json::from_str(m).unwrap_or_else(|_| ChangeMeta {
                message: m.to_owned(),
                ..Default::default()
            }),
        }
    }

    /// Options for committing a change with this metadata as its message and `now.unix_ms`
    /// as its timestamp.
    pub fn commit_options(&self, now: Timestamp) -> automerge::transaction::CommitOptions {
        automerge::transaction::CommitOptions::default()
            .with_message(self.encode())
            .with_time(now.unix_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_plain_text() {
        let user = User::new("u1", "张工");
        let meta = ChangeMeta::new(
            &user,
            Timestamp {
                unix_ms: 5,
                offset_minutes: 480,
            },
            "答题",
        );
        assert_eq!(ChangeMeta::decode(Some(&meta.encode())), meta);
        let plain = ChangeMeta::decode(Some("hello"));
        assert_eq!(plain.message, "hello");
        assert_eq!(plain.user_id, None);
    }
}
