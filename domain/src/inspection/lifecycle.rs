//! An inspection's lifecycle: draft → in progress → submitted → reviewed, or returned to the
//! inspector and submitted again. Status is a deterministic fold of the `events` map (sorted by
//! device time, then event id), so devices that recorded different events agree.

use serde::{Deserialize, Serialize};

/// Lifecycle events, stored under `/events/<uuid>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InspectionEvent {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: InspectionEventKind,
    pub by: String,
    #[serde(default)]
    pub by_name: String,
    pub at_ms: i64,
    #[serde(default)]
    pub offset_minutes: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionEventKind {
    Submitted,
    Returned,
    Reviewed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    Draft,
    InProgress,
    Submitted,
    Returned,
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
