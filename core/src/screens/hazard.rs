//! The hazard detail screen: what was found, the timeline with who did what (and whom the
//! server verified), photos before and after rectification, and the loop's next steps this
//! user may take ([`crate::hazard::actions`]). Commands take a step and return the screen
//! again.

use serde::Serialize;

use crate::error::Result;
use crate::hazard::{Hazard, HazardAction, RectificationOrder};
use crate::inspection::PhotoRef;
use crate::model::{RecordId, RiskGrade};
use crate::store::Store;

/// The hazard detail screen, for the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HazardScreen {
    /// The hazard: fields, events in fold order (the timeline, with `verified_by`), state.
    pub hazard: Hazard,
    /// Photos as found, oldest first.
    pub before_photos: Vec<PhotoRef>,
    /// Photos of the rectification, oldest first.
    pub after_photos: Vec<PhotoRef>,
    /// The steps the signed-in user may take now (none without a user).
    pub allowed_actions: Vec<HazardAction>,
}

/// A step of the loop, as a screen forwards it.
#[derive(Clone, Debug, PartialEq)]
pub enum HazardCommand {
    /// 评估分级: grades the hazard ([`Store::grade_hazard`]).
    Grade {
        /// The grade given.
        grade: RiskGrade,
        /// Graded a major hazard (重大隐患); a red grade makes it major anyway.
        major: bool,
        /// An optional note.
        note: Option<String>,
    },
    /// 下达整改: orders the rectification ([`Store::order_rectification`]).
    OrderRectification {
        /// Who (unit, person), by when, what to do.
        order: RectificationOrder,
    },
    /// After-photos (SHA-256) attached to the hazard as rectification photos first.
    SubmitRectification {
        /// What was done.
        note: String,
        /// SHA-256 of the after-photos (at least one).
        photos: Vec<String>,
    },
    /// 复查: re-inspection by someone other than who rectified ([`Store::reinspect`]).
    Reinspect {
        /// `true`: 复查通过 (verified); `false`: 退回整改 (sent back).
        passed: bool,
        /// Why; required when sending back.
        note: Option<String>,
    },
    /// 超期 / 挂牌督办: escalates the hazard one level.
    Escalate {
        /// Why.
        note: String,
    },
    /// 销号: closes a verified general hazard.
    Close {
        /// An optional note.
        note: Option<String>,
    },
    /// 核销: a supervisor writes off a verified hazard (the only way to close a major one).
    WriteOff {
        /// Why.
        note: String,
    },
}

impl Store {
    /// The hazard detail screen for the signed-in user.
    pub fn hazard_screen(&self, id: &RecordId) -> Result<HazardScreen> {
        let hazard = self.hazard(id)?;
        let allowed_actions = match self.user() {
            Some(user) => crate::hazard::actions::allowed(&hazard.state, &user, &hazard.project),
            None => Vec::new(),
        };
        let mut photos: Vec<PhotoRef> = hazard.photos.values().cloned().collect();
        photos.sort_by(|a, b| (a.at_ms, &a.sha256).cmp(&(b.at_ms, &b.sha256)));
        let (after_photos, before_photos) = photos
            .into_iter()
            .partition(|p| p.stage.as_deref() == Some("rectification"));
        Ok(HazardScreen {
            hazard,
            before_photos,
            after_photos,
            allowed_actions,
        })
    }

    /// Takes a step of the loop (judged as every write is) and returns the screen again.
    pub fn hazard_command(&self, id: &RecordId, command: HazardCommand) -> Result<HazardScreen> {
        match command {
            HazardCommand::Grade { grade, major, note } => {
                self.grade_hazard(id, grade, major, note.as_deref())?
            }
            HazardCommand::OrderRectification { order } => self.order_rectification(id, &order)?,
            HazardCommand::SubmitRectification { note, photos } => {
                self.submit_rectification(id, &note, &photos)?
            }
            HazardCommand::Reinspect { passed, note } => {
                self.reinspect(id, passed, note.as_deref())?
            }
            HazardCommand::Escalate { note } => self.escalate_hazard(id, &note)?,
            HazardCommand::Close { note } => self.close_hazard(id, note.as_deref())?,
            HazardCommand::WriteOff { note } => self.write_off_hazard(id, &note)?,
        }
        self.hazard_screen(id)
    }
}
