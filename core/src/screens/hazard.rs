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

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum HazardCommand {
    Grade {
        grade: RiskGrade,
        major: bool,
        note: Option<String>,
    },
    OrderRectification {
        order: RectificationOrder,
    },
    /// After-photos (SHA-256) attached to the hazard as rectification photos first.
    SubmitRectification {
        note: String,
        photos: Vec<String>,
    },
    Reinspect {
        passed: bool,
        note: Option<String>,
    },
    Escalate {
        note: String,
    },
    Close {
        note: Option<String>,
    },
    WriteOff {
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
