//! A patrol run's events and their fold. A run is one patroller's walk of a plan's checkpoints
//! (one record per device per patrol, one writer): start, scans, skips, answers, observations,
//! pause/resume, finish; a supervisor may approve a skip or void the run. Events are only
//! added; the run's state is a deterministic fold (device time, then event id). Events the
//! runner adds after finishing are kept and shown, but change nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::scan::{ScanFlag, ScanVerdict};
use super::task::RunFacts;
use crate::model::RiskGrade;
use crate::site::CheckMethod;

/// A position fix (WGS-84), where the phone had one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    #[serde(default)]
    pub id: String,
    /// What happened, with its details (the event's `type` and that type's fields).
    #[serde(flatten)]
    pub kind: RunEventKind,
    /// The user id of its author: the runner, or a supervisor for an approval or a void.
    pub by: String,
    /// When it happened, UTC ms by the recording device's clock: the first key of the fold order.
    pub at_ms: i64,
}

/// What a run event records, stored as the event's `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEventKind {
    /// The runner began the run (recorded with the run's first change).
    Start,
    /// A checkpoint scan, with the device's verdict at the time.
    Scan {
        /// How the checkpoint was checked.
        method: CheckMethod,
        /// The tag's key ([`crate::site::tag_key`]) for NFC and QR.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
        /// The raw payload read (an NTAG 424 SUN URL, for the server to verify).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<String>,
        /// Reading of a clock that does not jump when the time is set (ms since boot).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        monotonic_ms: Option<i64>,
        /// Where the phone was, if it had a fix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gps: Option<Gps>,
        /// SHA-256 of photos taken at the checkpoint.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<String>,
        /// Whether the scan counts and what it flags ([`super::scan::judge`]); the server
        /// judges it again.
        verdict: ScanVerdict,
    },
    /// A required checkpoint not visited, and why.
    Skip {
        /// The id of the checkpoint not visited.
        checkpoint: String,
        /// Why it was not visited (not blank).
        reason: String,
    },
    /// A supervisor approved the skip `skip` (an event id).
    ApproveSkip {
        /// The id of the `skip` event approved.
        skip: String,
    },
    /// A checklist answer given at a checkpoint (or for the run).
    Answer {
        /// The checkpoint it was given at (`None`: for the whole run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
        /// The id of the item, in the plan version's checklist template.
        item: String,
        /// The answer, in the form the item's type takes.
        value: serde_json::Value,
        /// The runner's note on the answer (`None`: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A problem seen on the way (上报); a hazard may be raised from it.
    Observe {
        /// The checkpoint it was seen at (`None`: on the way).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
        /// What was seen: a hazard raised from it takes it as its description.
        text: String,
        /// The grade the runner gives it (`None`: ungraded); a hazard raised from it starts
        /// with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grade: Option<RiskGrade>,
        /// SHA-256 of the photos taken of it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<String>,
    },
    /// The runner paused the run (applies only while it is in progress).
    Pause,
    /// The runner resumed the run (applies only while it is paused).
    Resume,
    /// The runner ended the run; a reason when required checkpoints were left uncovered.
    Finish {
        /// Why required checkpoints were left uncovered (`None`: every one was covered).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A supervisor voided the run (it counts for nothing, and stays on record).
    Void {
        /// Why the run was voided (not blank).
        reason: String,
    },
}

impl RunEventKind {
    /// The event type's stable name, as stored in the event's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            RunEventKind::Start => "start",
            RunEventKind::Scan { .. } => "scan",
            RunEventKind::Skip { .. } => "skip",
            RunEventKind::ApproveSkip { .. } => "approve_skip",
            RunEventKind::Answer { .. } => "answer",
            RunEventKind::Observe { .. } => "observe",
            RunEventKind::Pause => "pause",
            RunEventKind::Resume => "resume",
            RunEventKind::Finish { .. } => "finish",
            RunEventKind::Void { .. } => "void",
        }
    }

    /// Written by a supervisor, not by the runner.
    pub fn is_supervisors(&self) -> bool {
        matches!(
            self,
            RunEventKind::ApproveSkip { .. } | RunEventKind::Void { .. }
        )
    }
}

impl crate::doc::events::Event for RunEvent {
    fn with_id(mut self, id: String) -> Self {
        self.id = id;
        self
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn at_ms(&self) -> i64 {
        self.at_ms
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started, or resumed, and not finished.
    InProgress,
    /// Paused by the runner.
    Paused,
    /// Finished by the runner: later events of the runner change nothing.
    Finished,
    /// Voided by a supervisor (even after finishing): the run counts for nothing.
    Voided,
}

offgrid_common::named!(pub RunStatus, "run status" {
    InProgress => "in_progress",
    Paused => "paused",
    Finished => "finished",
    Voided => "voided",
});

impl RunStatus {
    /// (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            RunStatus::InProgress => ("巡查中", "in progress"),
            RunStatus::Paused => ("已暂停", "paused"),
            RunStatus::Finished => ("已完成", "finished"),
            RunStatus::Voided => ("已作废", "voided"),
        }
    }
}

/// A run's state: the fold of its events.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    /// Where the run stands.
    pub status: RunStatus,
    /// When it started, UTC ms by the device's clock: the first `start` event, else the first event
    /// (`None`: no events).
    pub started_ms: Option<i64>,
    /// When the runner finished it, UTC ms by the device's clock (`None`: not finished).
    pub finished_ms: Option<i64>,
    /// Checkpoints a counting scan covered, with the first such scan's time.
    pub scanned: BTreeMap<String, i64>,
    /// Checkpoints skipped (skip event id), and whether the skip counts (approved, or no
    /// approval needed).
    pub skipped: BTreeMap<String, (String, bool)>,
    /// Every flag raised by the run's scans, with how often.
    pub flags: BTreeMap<ScanFlag, u32>,
    /// Observation event ids.
    pub observations: Vec<String>,
    /// Events that changed nothing (after the finish, a resume while running, …).
    pub not_applied: BTreeSet<String>,
}

impl RunState {
    /// Checkpoints covered: scanned, or skipped with a skip that counts.
    pub fn covered(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.scanned.keys().cloned().collect();
        out.extend(
            self.skipped
                .iter()
                .filter(|(_, (_, counts))| *counts)
                .map(|(c, _)| c.clone()),
        );
        out
    }

    /// The facts a task's state is folded from.
    pub fn facts(&self, by: &str) -> RunFacts {
        RunFacts {
            by: by.to_owned(),
            started_ms: self.started_ms.unwrap_or(0),
            finished_ms: self.finished_ms,
            covered: self.covered(),
            voided: self.status == RunStatus::Voided,
        }
    }
}

/// Folds `events` (in fold order). `skip_needs_approval`: a skip counts only once approved.
pub fn fold(events: &[RunEvent], skip_needs_approval: bool) -> RunState {
    let mut s = RunState {
        status: RunStatus::InProgress,
        started_ms: None,
        finished_ms: None,
        scanned: BTreeMap::new(),
        skipped: BTreeMap::new(),
        flags: BTreeMap::new(),
        observations: Vec::new(),
        not_applied: BTreeSet::new(),
    };
    let approved: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            RunEventKind::ApproveSkip { skip } => Some(skip.as_str()),
            _ => None,
        })
        .collect();
    for e in events {
        let open = matches!(s.status, RunStatus::InProgress | RunStatus::Paused);
        let applied = match &e.kind {
            RunEventKind::Void { .. } => {
                s.status = RunStatus::Voided;
                true
            }
            RunEventKind::ApproveSkip { .. } => true,
            _ if !open => false,
            RunEventKind::Start => {
                s.started_ms.get_or_insert(e.at_ms);
                true
            }
            RunEventKind::Scan { verdict, .. } => {
                for f in &verdict.flags {
                    *s.flags.entry(*f).or_default() += 1;
                }
                if let (true, Some(c)) = (verdict.counts, &verdict.checkpoint) {
                    s.scanned.entry(c.clone()).or_insert(e.at_ms);
                }
                true
            }
            RunEventKind::Skip { checkpoint, .. } => {
                let counts = !skip_needs_approval || approved.contains(e.id.as_str());
                s.skipped
                    .entry(checkpoint.clone())
                    .or_insert((e.id.clone(), counts));
                true
            }
            RunEventKind::Answer { .. } => true,
            RunEventKind::Observe { .. } => {
                s.observations.push(e.id.clone());
                true
            }
            RunEventKind::Pause if s.status == RunStatus::InProgress => {
                s.status = RunStatus::Paused;
                true
            }
            RunEventKind::Resume if s.status == RunStatus::Paused => {
                s.status = RunStatus::InProgress;
                true
            }
            RunEventKind::Pause | RunEventKind::Resume => false,
            RunEventKind::Finish { .. } => {
                s.status = RunStatus::Finished;
                s.finished_ms = Some(e.at_ms);
                true
            }
        };
        if !applied {
            s.not_applied.insert(e.id.clone());
        }
    }
    if s.started_ms.is_none() {
        s.started_ms = events.first().map(|e| e.at_ms);
    }
    s
}

/// A position fix recorded above ground during a run (GPS is of no use underground).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    /// When the fix was taken, UTC ms by the device's clock.
    pub at_ms: i64,
    /// Longitude in degrees (WGS-84).
    pub lon: f64,
    /// Latitude in degrees (WGS-84).
    pub lat: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// Most points in one chunk (a chunk is one write; a shell sends what it buffered).
pub const MAX_TRACK_CHUNK: usize = 1_000;

/// A chunk's points as stored: `at_ms,lon,lat,accuracy_m` per point, `;` between points.
pub fn track_text(points: &[TrackPoint]) -> String {
    points
        .iter()
        .map(|p| format!("{},{},{},{}", p.at_ms, p.lon, p.lat, p.accuracy_m))
        .collect::<Vec<_>>()
        .join(";")
}

/// The points of a stored chunk, or why it is malformed.
pub fn parse_track(text: &str) -> std::result::Result<Vec<TrackPoint>, String> {
    text.split(';')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let f: Vec<&str> = p.split(',').collect();
            let [at, lon, lat, acc] = f.as_slice() else {
                return Err(format!("{p:?} is not at_ms,lon,lat,accuracy_m"));
            };
            let point = TrackPoint {
                at_ms: at.parse().map_err(|_| format!("bad time in {p:?}"))?,
                lon: lon.parse().map_err(|_| format!("bad longitude in {p:?}"))?,
                lat: lat.parse().map_err(|_| format!("bad latitude in {p:?}"))?,
                accuracy_m: acc.parse().map_err(|_| format!("bad accuracy in {p:?}"))?,
            };
            let ok = (-180.0..=180.0).contains(&point.lon)
                && (-90.0..=90.0).contains(&point.lat)
                && point.accuracy_m.is_finite()
                && point.accuracy_m >= 0.0;
            if ok {
                Ok(point)
            } else {
                Err(format!("{p:?} is out of range"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, at_ms: i64, kind: RunEventKind) -> RunEvent {
        RunEvent {
            id: id.into(),
            kind,
            by: "li".into(),
            at_ms,
        }
    }

    fn scan(checkpoint: &str, counts: bool, flags: Vec<ScanFlag>) -> RunEventKind {
        RunEventKind::Scan {
            method: CheckMethod::Nfc,
            tag: Some("t".into()),
            payload: None,
            monotonic_ms: None,
            gps: None,
            photos: vec![],
            verdict: ScanVerdict {
                checkpoint: Some(checkpoint.into()),
                counts,
                flags,
            },
        }
    }

    #[test]
    fn a_run_covers_what_its_counting_scans_and_skips_cover() {
        let events = vec![
            ev("a", 1, RunEventKind::Start),
            ev("b", 2, scan("gate", true, vec![])),
            ev(
                "c",
                3,
                scan("door", false, vec![ScanFlag::MethodNotAllowed]),
            ),
            ev(
                "d",
                4,
                RunEventKind::Skip {
                    checkpoint: "sump".into(),
                    reason: "flooded".into(),
                },
            ),
            ev("e", 5, RunEventKind::Pause),
            ev("f", 6, RunEventKind::Pause),
            ev("g", 7, RunEventKind::Resume),
            ev("h", 8, RunEventKind::Finish { reason: None }),
            ev("i", 9, scan("door", true, vec![])),
        ];
        let s = fold(&events, false);
        assert_eq!(s.status, RunStatus::Finished);
        assert_eq!((s.started_ms, s.finished_ms), (Some(1), Some(8)));
        assert_eq!(
            s.covered().into_iter().collect::<Vec<_>>(),
            ["gate", "sump"],
            "the refused scan and the scan after finishing cover nothing"
        );
        assert_eq!(s.flags.get(&ScanFlag::MethodNotAllowed), Some(&1));
        assert_eq!(
            s.not_applied.iter().map(String::as_str).collect::<Vec<_>>(),
            ["f", "i"]
        );
        // A skip that needs approval counts once a supervisor approved it.
        let s = fold(&events, true);
        assert_eq!(s.covered().into_iter().collect::<Vec<_>>(), ["gate"]);
        let mut approved = events.clone();
        approved.push(ev("j", 10, RunEventKind::ApproveSkip { skip: "d".into() }));
        assert!(fold(&approved, true).covered().contains("sump"));
        // A void wins over everything and the run counts for nothing.
        approved.push(ev(
            "k",
            11,
            RunEventKind::Void {
                reason: "lent phone".into(),
            },
        ));
        let s = fold(&approved, true);
        assert_eq!(s.status, RunStatus::Voided);
        assert!(s.facts("li").voided);
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = ev("x", 5, scan("gate", true, vec![ScanFlag::TooFast]));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "scan");
        assert_eq!(json["verdict"]["flags"][0], "too_fast");
        let back: RunEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
