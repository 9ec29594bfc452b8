//! A patrol run as read inside a write: its root and events, and the window of the occurrence
//! it patrols. The device's actions and the server's re-judging of scans read a run this way.

use std::collections::BTreeSet;

use super::plan::PlanVersion;
use super::run::{RunEvent, RunState, fold};
use super::schedule::Occurrence;
use crate::error::{Error, Result};
use crate::model::{RecordId, RecordKind};

/// A run's root and events as read inside a write.
pub struct Loaded {
    /// The plan the run patrols.
    pub plan: RecordId,
    /// The task the run is for (empty: a run outside any task).
    pub task: String,
    /// The plan version the run follows (0 when the root lacks it).
    pub version: u32,
    /// When the window of the run's task opens, UTC ms (`None`: a run outside any task).
    pub window_start_ms: Option<i64>,
    /// The site patrolled.
    pub site: RecordId,
    /// The user id of the patroller: the run's only writer besides a supervisor's events.
    pub runner: String,
    /// The run's title: the plan's, with the window's local date for a run of a task.
    pub title: String,
    /// The ids of the checkpoints the version requires, in route order.
    pub required: Vec<String>,
    /// A skipped checkpoint counts only once a supervisor approves the skip.
    pub skip_needs_approval: bool,
    /// The run's events, in fold order.
    pub events: Vec<RunEvent>,
    /// SHA-256 of the photos attached.
    pub photos: BTreeSet<String>,
}

impl Loaded {
    /// The run's state: the fold of its events.
    pub fn state(&self) -> RunState {
        fold(&self.events, self.skip_needs_approval)
    }

    /// Reads the run `id` from its document; refuses a record that is not a patrol run.
    pub fn read(id: &RecordId, doc: &automerge::Automerge) -> Result<Loaded> {
        let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
        if root["kind"] != RecordKind::PatrolRun.as_str() {
            return Err(Error::InvalidArgument(format!(
                "record {id} is not a patrol run"
            )));
        }
        let text = |k: &str| root[k].as_str().unwrap_or_default().to_owned();
        Ok(Loaded {
            plan: RecordId(text("plan")),
            task: text("task"),
            version: root["version"].as_u64().unwrap_or(0) as u32,
            window_start_ms: root["window_start_ms"].as_i64(),
            site: RecordId(text("site")),
            runner: text("runner"),
            title: text("title"),
            required: text("required")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            skip_needs_approval: root["skip_needs_approval"].as_bool().unwrap_or(false),
            events: crate::doc::events::from_json(&root["events"]),
            photos: root["photos"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        })
    }
}

/// The window of a version's occurrence opening at `start_ms`.
pub fn window_of(v: &PlanVersion, start_ms: Option<i64>) -> Option<Occurrence> {
    let start = start_ms?;
    v.schedule
        .occurrences(start, start + 1)
        .into_iter()
        .find(|o| o.start_ms == start)
}
