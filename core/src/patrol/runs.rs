//! Patrol runs on the device: start one for a task (or for the window open now), scan
//! checkpoints, skip, answer, observe, raise a hazard from an observation, pause, resume,
//! finish; a supervisor approves skips and voids runs. Each action loads, checks and writes in
//! one transaction, and the run's rules ([`super::run_rules`]) judge every write.
//!
//! Document layout (kind `patrol_run`, project `org`): root `title`, and written once `plan`,
//! `task` ("" for a run outside any task), `version`, `window_start_ms`, `site`, `runner`,
//! `required` (checkpoint ids, comma-separated), `skip_needs_approval`; genesis maps `events`
//! (event id → [`RunEvent`]), `photos` (SHA-256 → photo), `track` (chunk id → GPS points).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::loaded::{Loaded, window_of};
use super::plan::PlanVersion;
use super::run::{
    Gps, MAX_TRACK_CHUNK, RunEvent, RunEventKind, RunState, RunStatus, TrackPoint, parse_track,
    track_text,
};
use super::scan::{Presented, PriorScan, RunContext, ScanVerdict, judge};
use super::schedule::Occurrence;
use super::task::task_id;
use crate::error::{Error, Result};
use crate::grid::ORG;
use crate::model::{RecordId, RecordKind, RiskGrade};
use crate::site::{CheckMethod, Checkpoint};
use crate::store::Store;

const DAY_MS: i64 = 86_400_000;

/// What was read or chosen at a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanInput {
    /// How the checkpoint was checked: NFC, QR or manual with photo (required).
    pub method: Option<CheckMethod>,
    /// The NFC NDEF URI or QR text read (NFC, QR).
    #[serde(default)]
    pub payload: Option<String>,
    /// The checkpoint chosen by hand (manual with photo).
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// SHA-256 of photos taken there, already attached to the run.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Reading of a clock that does not jump when the time is set (ms since boot), if the platform
    /// has one.
    #[serde(default)]
    pub monotonic_ms: Option<i64>,
    /// Where the phone was, if it had a fix.
    #[serde(default)]
    pub gps: Option<Gps>,
}

/// A problem seen on the way.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewObservation {
    /// The checkpoint it was seen at (`None`: on the way).
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// What was seen (required): a hazard raised from it takes it as its description.
    pub text: String,
    /// The grade the runner gives it (`None`: ungraded); a hazard raised from it starts with it.
    #[serde(default)]
    pub grade: Option<RiskGrade>,
    /// SHA-256 of photos already attached to the run.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The field errors of an observation: it says what was seen.
pub(crate) fn check_observation(obs: &NewObservation) -> crate::fields::Checks {
    let mut c = crate::fields::Checks::default();
    c.required("text", &obs.text);
    c.max_chars("text", &obs.text, crate::fields::TEXT_MAX);
    c
}

/// A run as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatrolRunView {
    /// The run's record id.
    pub id: RecordId,
    /// The run's title: the plan's title, with the window's local date for a task.
    pub title: String,
    /// The patrol plan it runs.
    pub plan: RecordId,
    /// The task it is for (`None`: a patrol outside any task).
    pub task: Option<String>,
    /// The plan version it follows.
    pub version: u32,
    /// The task's window (`None`: outside any task, or the plan version is not held here).
    pub window: Option<Occurrence>,
    /// The site patrolled (a site record's id).
    pub site: RecordId,
    /// The runner's user id: only they may add to the run.
    pub runner: String,
    /// A skipped checkpoint counts only once a supervisor approves it.
    pub skip_needs_approval: bool,
    /// In progress, paused, finished or voided.
    pub status: RunStatus,
    /// When the run started, UTC ms by the runner's device (`None`: no events held).
    pub started_ms: Option<i64>,
    /// When the runner finished it, UTC ms by the runner's device (`None`: not finished).
    pub finished_ms: Option<i64>,
    /// The plan version's checkpoints, in route order.
    pub checkpoints: Vec<Checkpoint>,
    /// Checkpoints covered so far: by a scan that counts, or by a skip that counts (approved, or no
    /// approval needed).
    pub covered: Vec<String>,
    /// Required checkpoints not yet covered, in route order.
    pub remaining: Vec<String>,
    /// Flags of the run's scans, by name, with how often.
    pub flags: std::collections::BTreeMap<String, u32>,
    /// Every event, in fold order.
    pub events: Vec<RunEvent>,
    /// Events that changed nothing (after the finish, …).
    pub not_applied: Vec<String>,
    /// Events the sync server confirmed: when it received them and from whom (evidence beside
    /// the device's clock; ADR 0006).
    pub receipts: Vec<EventReceipt>,
}

/// When the sync server received the change that recorded an event, and who pushed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventReceipt {
    /// The event's id in the run.
    pub event: String,
    /// When the server received it (server clock, UTC ms).
    pub received_ms: i64,
    /// The account the server verified as its pusher (`None`: it named none).
    pub received_by: Option<String>,
    /// What the server found checking the change (`sun_valid`, `sun_invalid`,
    /// `sun_replayed`, `sun_unverified`, `scan_disputed`, `clock_ahead`; see
    /// [`super::check::ServerCheck`]).
    pub server_checks: Vec<String>,
}

/// A recorded scan: its event id and verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanOutcome {
    /// The scan event's id in the run.
    pub event: String,
    /// The verdict: which checkpoint, whether it counts, the flags raised.
    pub verdict: ScanVerdict,
}

impl Store {
    /// Starts a patrol of `plan`: for `task` if given (a task of the plan within a day), else
    /// for the task whose window is open now, else a patrol outside any task. If this user
    /// already has an unfinished run for that task here, that run is returned.
    pub fn start_patrol(&self, plan: &RecordId, task: Option<&str>) -> Result<RecordId> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now().unix_ms;
        let p = self.patrol_plan(plan)?;
        let found = p.occurrences(now - DAY_MS, now + DAY_MS);
        let (version, window): (&PlanVersion, Option<Occurrence>) = match task {
            Some(t) => {
                let (v, o) = found
                    .into_iter()
                    .find(|(v, o)| task_id(plan, v.version, o.start_ms) == t)
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "task {t} is not a task of the plan within a day of now"
                        ))
                    })?;
                (v, Some(o))
            }
            None => match found
                .into_iter()
                .find(|(_, o)| o.start_ms <= now && now < o.grace_end_ms)
            {
                Some((v, o)) => (v, Some(o)),
                None => (
                    p.current().ok_or_else(|| Error::InvalidState {
                        action: "start a patrol".into(),
                        state: "the plan has no readable version".into(),
                    })?,
                    None,
                ),
            },
        };
        let task = window
            .as_ref()
            .map(|o| task_id(plan, version.version, o.start_ms))
            .unwrap_or_default();
        if !task.is_empty() {
            for id in self.records_with_key(&format!("task:{task}"))? {
                let run = self.patrol_run(&id)?;
                if run.runner == user.id
                    && matches!(run.status, RunStatus::InProgress | RunStatus::Paused)
                {
                    return Ok(id);
                }
            }
        }
        let title = match &window {
            Some(o) => format!("{} {}", p.title, o.local_date),
            None => p.title.clone(),
        };
        let start = RecordId::new().0;
        let fields = json!({
            "project": ORG,
            "title": title,
            "plan": plan.as_str(),
            "task": task,
            "version": version.version,
            "window_start_ms": window.as_ref().map(|o| o.start_ms),
            "site": version.site.as_str(),
            "runner": user.id,
            "required": version.required().join(","),
            "skip_needs_approval": version.skip_needs_approval,
            "events": {start: {"type": "start", "by": user.id, "at_ms": now}},
        });
        self.create(RecordKind::PatrolRun, &fields)
    }

    /// The run `id` with its state.
    pub fn patrol_run(&self, id: &RecordId) -> Result<PatrolRunView> {
        let (run, changes) = self.read(id, |doc| {
            let run = Loaded::read(id, doc)?;
            let changes: Vec<(String, String)> = run
                .events
                .iter()
                .filter_map(|e| {
                    crate::doc::events::change_of(doc, &e.id).map(|h| (e.id.clone(), h))
                })
                .collect();
            Ok((run, changes))
        })?;
        let received = self.sync_receipts(id)?;
        let receipts: Vec<EventReceipt> = changes
            .iter()
            .filter_map(|(event, hash)| {
                received.get(hash).map(|r| EventReceipt {
                    event: event.clone(),
                    received_ms: r.received_ms,
                    received_by: r.received_by.clone(),
                    server_checks: r
                        .server_check
                        .as_deref()
                        .map(super::check::split)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| c.as_str().to_owned())
                        .collect(),
                })
            })
            .collect();
        // What the server found and flags: copied or forged tags, disputed verdicts, a clock
        // ahead of the server's.
        let mut server_flags: std::collections::BTreeMap<String, u32> = Default::default();
        for check in receipts
            .iter()
            .flat_map(|r| &r.server_checks)
            .filter_map(|c| c.parse::<super::check::ServerCheck>().ok())
            .filter(|c| c.is_flag())
        {
            *server_flags.entry(check.as_str().to_owned()).or_default() += 1;
        }
        let plan = self.patrol_plan(&run.plan).ok();
        let version = plan
            .as_ref()
            .and_then(|p| p.versions.iter().find(|v| v.version == run.version));
        let window = version.and_then(|v| window_of(v, run.window_start_ms));
        let state = run.state();
        let covered = state.covered();
        Ok(PatrolRunView {
            id: id.clone(),
            title: run.title.clone(),
            plan: run.plan.clone(),
            task: Some(run.task.clone()).filter(|t| !t.is_empty()),
            version: run.version,
            window,
            site: run.site.clone(),
            runner: run.runner.clone(),
            skip_needs_approval: run.skip_needs_approval,
            status: state.status,
            started_ms: state.started_ms,
            finished_ms: state.finished_ms,
            checkpoints: version.map(|v| v.checkpoints.clone()).unwrap_or_default(),
            remaining: run
                .required
                .iter()
                .filter(|c| !covered.contains(*c))
                .cloned()
                .collect(),
            covered: covered.into_iter().collect(),
            flags: state
                .flags
                .iter()
                .map(|(f, n)| (f.as_str().to_owned(), *n))
                .chain(server_flags)
                .collect(),
            not_applied: state.not_applied.into_iter().collect(),
            events: run.events,
            receipts,
        })
    }

    /// The runs of `plan` held here, newest window first (from the projection).
    pub fn patrol_runs(&self, plan: &RecordId) -> Result<Vec<crate::model::RecordSummary>> {
        let ids: BTreeSet<RecordId> = self
            .records_with_key(&format!("plan:{plan}"))?
            .into_iter()
            .collect();
        let mut rows = self.list(&crate::store::ListQuery {
            kind: Some(RecordKind::PatrolRun),
            ..Default::default()
        })?;
        rows.retain(|r| ids.contains(&r.id));
        rows.sort_by(|a, b| b.due_ms.cmp(&a.due_ms).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Records a checkpoint scan (or a manual check with photos) and returns its verdict. The
    /// scan is always kept, whether or not it counts.
    pub fn scan_checkpoint(&self, run: &RecordId, input: &ScanInput) -> Result<ScanOutcome> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now().unix_ms;
        let method = input.method.ok_or_else(|| Error::InvalidValue {
            path: "/method".into(),
            reason: "how the checkpoint was checked: nfc, qr or manual_photo".into(),
        })?;
        let photos = input
            .photos
            .iter()
            .map(|p| crate::doc::events::photo_hash(p))
            .collect::<Result<Vec<_>, _>>()?;
        let (tag, binding) = match method {
            CheckMethod::Nfc | CheckMethod::Qr => {
                let payload = input
                    .payload
                    .as_deref()
                    .ok_or_else(|| Error::InvalidValue {
                        path: "/payload".into(),
                        reason: "a tag scan carries what was read".into(),
                    })?;
                (
                    Some(crate::site::tag_key(payload)?),
                    self.tag_binding(payload, now)?,
                )
            }
            CheckMethod::ManualPhoto => {
                if input.checkpoint.is_none() || photos.is_empty() {
                    return Err(Error::InvalidValue {
                        path: "/photos".into(),
                        reason: "a manual check names the checkpoint and has a photo taken there"
                            .into(),
                    });
                }
                (None, None)
            }
        };
        let event_id = RecordId::new().0;
        let verdict = self.write(|w| {
            let r = w.read(run, |doc| Ok(Loaded::read(run, doc)?))?;
            check_runner(&r, &user.id)?;
            let state = r.state();
            require_running(&state, "scan a checkpoint")?;
            let plan = w.read(&r.plan, |doc| {
                let root = crate::doc::json::hydrate(doc, &automerge::ROOT)?;
                Ok(super::plans::plan_from_json(&r.plan, &root))
            })?;
            let attached = &r.photos;
            if let Some(p) = photos.iter().find(|p| !attached.contains(*p)) {
                return Err(Error::InvalidArgument(format!(
                    "photo {p} is not attached to the run"
                )));
            }
            let version = plan
                .versions
                .iter()
                .find(|v| v.version == r.version)
                .ok_or_else(|| Error::InvalidState {
                    action: "scan a checkpoint".into(),
                    state: format!("version {} of the plan is not held here", r.version),
                })?;
            let window = window_of(version, r.window_start_ms);
            let prior: Vec<PriorScan> = r
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    RunEventKind::Scan {
                        verdict,
                        monotonic_ms,
                        ..
                    } => Some(PriorScan {
                        checkpoint: verdict.counts.then(|| verdict.checkpoint.clone()).flatten(),
                        at_ms: e.at_ms,
                        monotonic_ms: *monotonic_ms,
                    }),
                    _ => None,
                })
                .collect();
            let ctx = RunContext {
                site: &r.site,
                checkpoints: &version.checkpoints,
                required: &r.required,
                in_sequence: version.in_sequence,
                occurrence: window.as_ref(),
                prior: &prior,
            };
            let presented = match (&binding, method) {
                (_, CheckMethod::ManualPhoto) => Presented::Manual {
                    checkpoint: input.checkpoint.as_deref().unwrap_or_default(),
                    photos: photos.len(),
                },
                (b, m) => Presented::Tag {
                    method: m,
                    binding: b.as_ref(),
                },
            };
            let verdict = judge(&ctx, &presented, w.now().unix_ms, input.monotonic_ms);
            let kind = RunEventKind::Scan {
                method,
                tag: tag.clone(),
                payload: input.payload.clone(),
                monotonic_ms: input.monotonic_ms,
                gps: input.gps.clone(),
                photos: photos.clone(),
                verdict: verdict.clone(),
            };
            append_event(w, run, "scan checkpoint", &event_id, kind, &user.id)?;
            Ok(verdict)
        })?;
        Ok(ScanOutcome {
            event: event_id,
            verdict,
        })
    }

    /// Skips a required checkpoint, with the reason (locked, flooded, no access, …).
    pub fn skip_checkpoint(
        &self,
        run: &RecordId,
        checkpoint: &str,
        reason: &str,
    ) -> Result<String> {
        if reason.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/reason".into(),
                reason: "a skipped checkpoint needs a reason".into(),
            });
        }
        self.run_event(run, "skip checkpoint", |r, state| {
            require_running(state, "skip checkpoint")?;
            if !r.required.iter().any(|c| c == checkpoint) {
                return Err(Error::InvalidArgument(format!(
                    "checkpoint {checkpoint} is not required by this patrol"
                )));
            }
            if state.covered().contains(checkpoint) {
                return Err(Error::InvalidState {
                    action: format!("skip {checkpoint}"),
                    state: "already covered".into(),
                });
            }
            Ok(RunEventKind::Skip {
                checkpoint: checkpoint.to_owned(),
                reason: reason.trim().to_owned(),
            })
        })
    }

    /// Records a checklist answer given at a checkpoint (or for the whole run).
    pub fn answer_on_patrol(
        &self,
        run: &RecordId,
        checkpoint: Option<&str>,
        item: &str,
        value: serde_json::Value,
        note: Option<&str>,
    ) -> Result<String> {
        if item.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/item".into(),
                reason: "an answer names its item".into(),
            });
        }
        // Answers to the plan version's template must be to its items, and fit their types.
        let (plan, version) = self.read(run, |doc| {
            let r = Loaded::read(run, doc)?;
            Ok((r.plan.clone(), r.version))
        })?;
        let spec = self
            .patrol_plan(&plan)?
            .versions
            .into_iter()
            .find(|v| v.version == version)
            .and_then(|v| v.template);
        if let Some(spec) = spec {
            let template = self.plan_template(&spec)?;
            let found = template
                .item(item.trim())
                .ok_or_else(|| Error::UnknownItem {
                    item: item.trim().to_owned(),
                })?;
            crate::inspection::answer::check(found, &value)?;
        }
        self.run_event(run, "answer", |r, state| {
            require_running(state, "answer")?;
            check_checkpoint(r, checkpoint)?;
            Ok(RunEventKind::Answer {
                checkpoint: checkpoint.map(str::to_owned),
                item: item.trim().to_owned(),
                value,
                note: note.map(str::to_owned).filter(|n| !n.trim().is_empty()),
            })
        })
    }

    /// Records a problem seen on the way; returns the observation's event id.
    pub fn observe_on_patrol(&self, run: &RecordId, obs: &NewObservation) -> Result<String> {
        check_observation(obs).finish()?;
        let photos = obs
            .photos
            .iter()
            .map(|p| crate::doc::events::photo_hash(p))
            .collect::<Result<Vec<_>, _>>()?;
        self.run_event(run, "observe", |r, state| {
            require_running(state, "observe")?;
            check_checkpoint(r, obs.checkpoint.as_deref())?;
            Ok(RunEventKind::Observe {
                checkpoint: obs.checkpoint.clone(),
                text: obs.text.trim().to_owned(),
                grade: obs.grade,
                photos: photos.clone(),
            })
        })
    }

    /// Adds a chunk of GPS track points to the run (above ground; the shell buffers them),
    /// only while the run is open and only points from its start to now: a track is never
    /// recorded outside a run. Chunks are only added. Returns the chunk's id.
    pub fn add_track_points(&self, run: &RecordId, points: &[TrackPoint]) -> Result<String> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        if points.is_empty() || points.len() > MAX_TRACK_CHUNK {
            return Err(Error::InvalidValue {
                path: "/points".into(),
                reason: format!("a chunk holds 1 to {MAX_TRACK_CHUNK} points"),
            });
        }
        let text = track_text(points);
        parse_track(&text).map_err(|reason| Error::InvalidValue {
            path: "/points".into(),
            reason,
        })?;
        let id = RecordId::new().0;
        self.write(|w| {
            let now = w.now().unix_ms;
            let r = w.read(run, |doc| Ok(Loaded::read(run, doc)?))?;
            check_runner(&r, &user.id)?;
            let state = r.state();
            if !matches!(state.status, RunStatus::InProgress | RunStatus::Paused) {
                return Err(Error::InvalidState {
                    action: "record a track".into(),
                    state: state.status.as_str().into(),
                });
            }
            let started = state.started_ms.unwrap_or(now);
            if let Some(p) = points.iter().find(|p| p.at_ms < started || p.at_ms > now) {
                return Err(Error::InvalidValue {
                    path: "/points".into(),
                    reason: format!(
                        "a point at {} ms lies outside the run (from {started} ms to now)",
                        p.at_ms
                    ),
                });
            }
            let chunk = json!({"by": user.id, "at_ms": now, "points": text});
            w.update(run, "track", |e| Ok(e.insert("/track", &id, &chunk)?))
        })?;
        Ok(id)
    }

    /// The run's track: every chunk's points, in time order.
    pub fn patrol_track(&self, run: &RecordId) -> Result<Vec<TrackPoint>> {
        self.read(run, |doc| {
            Loaded::read(run, doc)?;
            let chunks = crate::doc::json::root_map(doc, "track");
            let mut out: Vec<TrackPoint> = chunks
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(|c| c["points"].as_str().and_then(|t| parse_track(t).ok()))
                .flatten()
                .collect();
            out.sort_by_key(|p| p.at_ms);
            Ok(out)
        })
    }

    /// Pauses a run in progress (lunch, a locked door) until it is resumed; returns the pause
    /// event's id. A run that is not in progress is refused (`InvalidState`).
    pub fn pause_patrol(&self, run: &RecordId) -> Result<String> {
        self.run_event(run, "pause", |_, state| match state.status {
            RunStatus::InProgress => Ok(RunEventKind::Pause),
            s => Err(Error::InvalidState {
                action: "pause".into(),
                state: s.as_str().into(),
            }),
        })
    }

    /// Resumes a paused run; returns the resume event's id.
    pub fn resume_patrol(&self, run: &RecordId) -> Result<String> {
        self.run_event(run, "resume", |_, state| match state.status {
            RunStatus::Paused => Ok(RunEventKind::Resume),
            s => Err(Error::InvalidState {
                action: "resume".into(),
                state: s.as_str().into(),
            }),
        })
    }

    /// Finishes the run; with required checkpoints uncovered, `reason` is required.
    pub fn finish_patrol(&self, run: &RecordId, reason: Option<&str>) -> Result<String> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        self.run_event(run, "finish patrol", |r, state| {
            let covered = state.covered();
            let missing: Vec<&String> = r
                .required
                .iter()
                .filter(|c| !covered.contains(*c))
                .collect();
            if !missing.is_empty() && reason.is_none() {
                return Err(Error::InvalidValue {
                    path: "/reason".into(),
                    reason: format!(
                        "{} required checkpoint(s) not covered: finishing needs a reason",
                        missing.len()
                    ),
                });
            }
            Ok(RunEventKind::Finish {
                reason: reason.map(str::to_owned),
            })
        })
    }

    /// A supervisor approves a skipped checkpoint (`skip`: the skip's event id).
    pub fn approve_patrol_skip(&self, run: &RecordId, skip: &str) -> Result<String> {
        self.supervisor_event(run, "approve skip", |r| {
            let is_skip = r
                .events
                .iter()
                .any(|e| e.id == skip && matches!(e.kind, RunEventKind::Skip { .. }));
            if !is_skip {
                return Err(Error::InvalidArgument(format!(
                    "event {skip} is not a skip"
                )));
            }
            Ok(RunEventKind::ApproveSkip {
                skip: skip.to_owned(),
            })
        })
    }

    /// A supervisor voids a run (a lent phone, scans made at the guard booth): it counts for
    /// nothing and stays on record.
    pub fn void_patrol(&self, run: &RecordId, reason: &str) -> Result<String> {
        if reason.trim().is_empty() {
            return Err(Error::InvalidValue {
                path: "/reason".into(),
                reason: "voiding a patrol needs a reason".into(),
            });
        }
        self.supervisor_event(run, "void patrol", |r| {
            if r.state().status == RunStatus::Voided {
                return Err(Error::InvalidState {
                    action: "void".into(),
                    state: "voided".into(),
                });
            }
            Ok(RunEventKind::Void {
                reason: reason.trim().to_owned(),
            })
        })
    }

    /// Adds an event by the runner to an open run: `f` decides it from the run as this
    /// transaction reads it.
    fn run_event(
        &self,
        run: &RecordId,
        what: &str,
        f: impl FnOnce(&Loaded, &RunState) -> Result<RunEventKind>,
    ) -> Result<String> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let id = RecordId::new().0;
        self.write(|w| {
            let r = w.read(run, |doc| Ok(Loaded::read(run, doc)?))?;
            check_runner(&r, &user.id)?;
            let state = r.state();
            if !matches!(state.status, RunStatus::InProgress | RunStatus::Paused) {
                return Err(Error::InvalidState {
                    action: what.into(),
                    state: state.status.as_str().into(),
                });
            }
            let kind = f(&r, &state)?;
            append_event(w, run, what, &id, kind, &user.id)
        })?;
        Ok(id)
    }

    fn supervisor_event(
        &self,
        run: &RecordId,
        what: &str,
        f: impl FnOnce(&Loaded) -> Result<RunEventKind>,
    ) -> Result<String> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        user.require(ORG, crate::access::Permission::ManagePatrol)?;
        let id = RecordId::new().0;
        self.write(|w| {
            let r = w.read(run, |doc| Ok(Loaded::read(run, doc)?))?;
            let kind = f(&r)?;
            append_event(w, run, what, &id, kind, &user.id)
        })?;
        Ok(id)
    }
}

fn check_runner(r: &Loaded, user: &str) -> Result<()> {
    if r.runner != user {
        return Err(Error::Forbidden {
            permission: "patrol".into(),
            project: format!("the run of {}", r.runner),
        });
    }
    Ok(())
}

fn require_running(state: &RunState, action: &str) -> Result<()> {
    if state.status != RunStatus::InProgress {
        return Err(Error::InvalidState {
            action: action.into(),
            state: state.status.as_str().into(),
        });
    }
    Ok(())
}

fn check_checkpoint(r: &Loaded, checkpoint: Option<&str>) -> Result<()> {
    match checkpoint {
        Some(c) if !r.required.iter().any(|x| x == c) => Err(Error::InvalidArgument(format!(
            "checkpoint {c} is not part of this patrol"
        ))),
        _ => Ok(()),
    }
}

/// Adds event `id` of `kind` by `by` to the run, stamped with the write's time.
fn append_event(
    w: &mut crate::store::Writer<'_>,
    run: &RecordId,
    what: &str,
    id: &str,
    kind: RunEventKind,
    by: &str,
) -> Result<()> {
    // Photos cited by hash: held on this device or carried by the run (`PhotoNotHeld`).
    if let RunEventKind::Scan { photos, .. } | RunEventKind::Observe { photos, .. } = &kind {
        w.require_photos(Some(run), photos)?;
    }
    let event = RunEvent {
        id: String::new(),
        kind,
        by: by.to_owned(),
        at_ms: w.now().unix_ms,
    };
    let value = event_json(&event)?;
    w.update(run, what, |e| Ok(e.insert("/events", id, &value)?))
}

fn event_json(e: &RunEvent) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(e)?;
    if let Some(m) = v.as_object_mut() {
        m.remove("id");
    }
    Ok(v)
}
