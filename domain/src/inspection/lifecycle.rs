//! An inspection's lifecycle: draft → in progress → submitted → reviewed, or returned to the
//! inspector and submitted again. Status is a deterministic fold of the `events` map (sorted by
//! device time, then event id), so devices that recorded different events agree.

use serde::{Deserialize, Serialize};

/// Lifecycle events, stored under `/events/<uuid>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InspectionEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    #[serde(default)]
    pub id: String,
    /// What happened (stored as the event's `type`).
    #[serde(rename = "type")]
    pub kind: InspectionEventKind,
    /// The user id of its author (the gate checks it is the author of the change that added it).
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    #[serde(default)]
    pub by_name: String,
    /// When it happened, UTC milliseconds by the recording device's clock: the first key of the
    /// fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    #[serde(default)]
    pub offset_minutes: i32,
    /// The author's remark; a return always has one, saying why (`None`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A step of an inspection's lifecycle, stored as the event's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionEventKind {
    /// The inspector submitted the inspection for review (first time or again after a return).
    Submitted,
    /// A supervisor sent the submitted inspection back to the inspector, with a note.
    Returned,
    /// A supervisor accepted the submitted inspection: it is final.
    Reviewed,
}

/// Where an inspection stands: the fold of its events and whether anyone has started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    /// Created, nothing answered yet.
    Draft,
    /// Someone has started answering (the `started` map is not empty); not yet submitted.
    InProgress,
    /// Submitted and awaiting review; read only.
    Submitted,
    /// Sent back by the reviewer: editable again, to be submitted again.
    Returned,
    /// Accepted by a supervisor; read only for good.
    Reviewed,
}

offgrid_common::named!(pub InspectionStatus, "inspection status" {
    Draft => "draft",
    InProgress => "in_progress",
    Submitted => "submitted",
    Returned => "returned",
    Reviewed => "reviewed",
});

impl InspectionStatus {
    /// The status with this name, if there is one.
    pub fn named(text: &str) -> Option<InspectionStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether answers may still be changed on this device.
    pub fn editable(self) -> bool {
        matches!(
            self,
            InspectionStatus::Draft | InspectionStatus::InProgress | InspectionStatus::Returned
        )
    }
}

impl crate::doc::events::Event for InspectionEvent {
    fn with_id(self, id: String) -> Self {
        InspectionEvent { id, ..self }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn at_ms(&self) -> i64 {
        self.at_ms
    }
}

/// The status after `events` (sorted), given whether anything has been answered. Events that do
/// not fit the state they arrive in (possible after merges) are skipped.
pub fn fold(events: &[InspectionEvent], any_answer: bool) -> InspectionStatus {
    use InspectionEventKind as E;
    use InspectionStatus as S;
    let mut status = if any_answer { S::InProgress } else { S::Draft };
    for e in events {
        status = match (status, e.kind) {
            (S::Draft | S::InProgress | S::Returned, E::Submitted) => S::Submitted,
            (S::Submitted, E::Returned) => S::Returned,
            (S::Submitted, E::Reviewed) => S::Reviewed,
            (s, _) => s,
        };
    }
    status
}
