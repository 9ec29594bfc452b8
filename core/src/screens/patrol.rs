//! The patrol run screen: the next checkpoint, what is scanned, skipped and remaining, the
//! flags, and what this user may do on the run now: the runner walks it (scan, skip, observe,
//! answer, pause, resume, finish), a supervisor voids it or approves a skip (never their own).
//! The same conditions the run's actions check ([`crate::patrol::runs`]) and its rules judge.

use serde::{Deserialize, Serialize};

use crate::access::Permission;
use crate::error::Result;
use crate::grid::ORG;
use crate::model::RecordId;
use crate::patrol::run::{RunEventKind, RunStatus};
use crate::patrol::{NewObservation, PatrolRunView, ScanInput, ScanOutcome};
use crate::site::Checkpoint;
use crate::store::Store;

/// What a user can do on a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolAction {
    /// Scan a checkpoint's tag, or check one by hand with a photo (the runner, in progress).
    Scan,
    /// Skip a required checkpoint, with a reason (the runner, in progress).
    Skip,
    /// Report a problem seen on the way (上报; the runner, in progress).
    Observe,
    /// Answer a checklist item of the plan's template ([`Store::answer_on_patrol`]; the runner, in
    /// progress).
    Answer,
    /// Pause the run (the runner, in progress).
    Pause,
    /// Resume a paused run (the runner).
    Resume,
    /// Finish the run; a reason is needed if required checkpoints are uncovered (the runner).
    Finish,
    /// 作废 (a supervisor).
    Void,
    /// Approve a skipped checkpoint (a supervisor, not the runner).
    ApproveSkip,
}

/// A skipped checkpoint, and whether it counts yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SkippedCheckpoint {
    /// The checkpoint's id.
    pub checkpoint: String,
    /// The skip's event id (what an approval names).
    pub skip: String,
    /// Why it was skipped (locked, flooded, no access, …).
    pub reason: String,
    /// Counted: approved, or the plan needs no approval.
    pub counts: bool,
}

/// A step on a run, as the run screen forwards it.
#[derive(Clone, Debug, PartialEq)]
pub enum PatrolCommand {
    /// A tag read (NFC, QR) or a checkpoint chosen by hand with a photo; the verdict comes
    /// back as the screen's `last_scan`.
    Scan {
        /// What was read or chosen.
        scan: ScanInput,
    },
    /// Skips a required checkpoint not yet covered.
    Skip {
        /// The checkpoint's id.
        checkpoint: String,
        /// Why (locked, flooded, no access, …); required.
        reason: String,
    },
    /// Reports a problem seen on the way (上报).
    Observe {
        /// What was seen, where, graded how, with which photos.
        observation: NewObservation,
    },
    /// Pauses the run.
    Pause,
    /// Resumes a paused run.
    Resume,
    /// Finishes the run.
    Finish {
        /// Why, when required checkpoints are uncovered (required then).
        reason: Option<String>,
    },
    /// A supervisor approves a skip (its event id).
    ApproveSkip {
        /// The skip's event id.
        skip: String,
    },
    /// A supervisor voids the run (作废), saying why.
    Void {
        /// Why; required.
        reason: String,
    },
}

/// The patrol run screen, for the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatrolRunScreen {
    /// The run with its state, checkpoints, events and server receipts.
    pub run: PatrolRunView,
    /// The first required checkpoint not yet covered, in route order.
    pub next_checkpoint: Option<Checkpoint>,
    /// Checkpoints a counting scan covered, in route order.
    pub scanned: Vec<String>,
    /// Skipped checkpoints, in event order, each with whether it counts yet.
    pub skipped: Vec<SkippedCheckpoint>,
    /// The latest scan and its verdict (which checkpoint, whether it counts, its flags), for
    /// the feedback after scanning.
    pub last_scan: Option<ScanOutcome>,
    /// What the signed-in user may do now (none without a signed-in user).
    pub allowed_actions: Vec<PatrolAction>,
}

impl Store {
    /// The patrol run screen for the signed-in user.
    pub fn patrol_run_screen(&self, id: &RecordId) -> Result<PatrolRunScreen> {
        let run = self.patrol_run(id)?;
        let next_checkpoint = run
            .remaining
            .first()
            .and_then(|c| run.checkpoints.iter().find(|x| &x.id == c))
            .cloned();
        let mut skipped: Vec<SkippedCheckpoint> = Vec::new();
        let mut scanned: Vec<String> = Vec::new();
        for e in &run.events {
            match &e.kind {
                RunEventKind::Scan { verdict, .. } if verdict.counts => {
                    if let Some(c) = &verdict.checkpoint
                        && !scanned.contains(c)
                    {
                        scanned.push(c.clone());
                    }
                }
                RunEventKind::Skip { checkpoint, reason } => skipped.push(SkippedCheckpoint {
                    checkpoint: checkpoint.clone(),
                    skip: e.id.clone(),
                    reason: reason.clone(),
                    counts: false,
                }),
                _ => {}
            }
        }
        let approved: Vec<&str> = run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                RunEventKind::ApproveSkip { skip } => Some(skip.as_str()),
                _ => None,
            })
            .collect();
        for s in &mut skipped {
            s.counts = !run.skip_needs_approval || approved.contains(&s.skip.as_str());
        }
        let last_scan = run.events.iter().rev().find_map(|e| match &e.kind {
            RunEventKind::Scan { verdict, .. } => Some(ScanOutcome {
                event: e.id.clone(),
                verdict: verdict.clone(),
            }),
            _ => None,
        });
        let order = |c: &String| run.checkpoints.iter().position(|x| &x.id == c);
        scanned.sort_by_key(order);
        let allowed_actions = match self.user() {
            Some(user) => {
                let mut actions = Vec::new();
                let runner = user.id == run.runner;
                match run.status {
                    RunStatus::InProgress if runner => actions.extend([
                        PatrolAction::Scan,
                        PatrolAction::Skip,
                        PatrolAction::Observe,
                        PatrolAction::Answer,
                        PatrolAction::Pause,
                        PatrolAction::Finish,
                    ]),
                    RunStatus::Paused if runner => {
                        actions.extend([PatrolAction::Resume, PatrolAction::Finish])
                    }
                    _ => {}
                }
                if user.can(ORG, Permission::ManagePatrol) {
                    if run.status != RunStatus::Voided {
                        actions.push(PatrolAction::Void);
                    }
                    if !runner && skipped.iter().any(|s| !s.counts) {
                        actions.push(PatrolAction::ApproveSkip);
                    }
                }
                actions
            }
            None => Vec::new(),
        };
        Ok(PatrolRunScreen {
            run,
            next_checkpoint,
            scanned,
            skipped,
            last_scan,
            allowed_actions,
        })
    }

    /// Takes a step on the run (judged as every write is) and returns the screen again.
    pub fn patrol_command(&self, id: &RecordId, command: PatrolCommand) -> Result<PatrolRunScreen> {
        match command {
            PatrolCommand::Scan { scan } => {
                self.scan_checkpoint(id, &scan)?;
            }
            PatrolCommand::Skip { checkpoint, reason } => {
                self.skip_checkpoint(id, &checkpoint, &reason)?;
            }
            PatrolCommand::Observe { observation } => {
                self.observe_on_patrol(id, &observation)?;
            }
            PatrolCommand::Pause => {
                self.pause_patrol(id)?;
            }
            PatrolCommand::Resume => {
                self.resume_patrol(id)?;
            }
            PatrolCommand::Finish { reason } => {
                self.finish_patrol(id, reason.as_deref())?;
            }
            PatrolCommand::ApproveSkip { skip } => {
                self.approve_patrol_skip(id, &skip)?;
            }
            PatrolCommand::Void { reason } => {
                self.void_patrol(id, &reason)?;
            }
        }
        self.patrol_run_screen(id)
    }
}
