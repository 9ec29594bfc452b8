//! Raising a hazard from a patrol observation on the device. The hazard's derived first change
//! is `offgrid_domain::patrol::observed`'s (ADR 0008).

pub use offgrid_domain::patrol::observed::*;

use crate::error::{Error, Result};
use crate::hazard::{HazardEvent, HazardEventKind};
use crate::model::{RecordId, RecordKind, RiskGrade};
use crate::store::Store;

impl Store {
    /// Raises a hazard from an observation of a run, in `project` (a construction project of
    /// the site, or the organisation scope). The hazard's id and first change are derived from
    /// the observation, so raising it again, here or on another device offline, gives one
    /// hazard; the raised event is this user's. If the hazard is already here, it is returned
    /// as it is.
    pub fn raise_hazard_from_observation(
        &self,
        run: &RecordId,
        observation: &str,
        project: &str,
    ) -> Result<RecordId> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        // Checked before anything else is read: the id is known from the arguments.
        let id = observation_hazard_id(run, observation);
        if self.read(&id, |_| Ok(())).is_ok() {
            return Ok(id);
        }
        let observed = self.read(run, |doc| {
            Ok(observed_genesis(run, doc, observation, project)?)
        })?;
        let location = observed
            .checkpoint
            .as_ref()
            .and_then(|c| {
                self.patrol_plan(&observed.plan).ok().and_then(|p| {
                    p.versions
                        .iter()
                        .find(|v| v.version == observed.version)
                        .and_then(|v| v.checkpoints.iter().find(|x| &x.id == c))
                        .map(|x| x.name.clone())
                })
            })
            .unwrap_or_default();
        let raised = HazardEvent::new(
            HazardEventKind::Raised {
                grade: observed.grade,
                major: observed.grade == Some(RiskGrade::Red),
            },
            &user,
            now,
            None,
        );
        let value = serde_json::to_value(&raised)?;
        let Observed { id, genesis, .. } = observed;
        self.write(|w| {
            if w.exists(&id)? {
                // Raised on another device, and synced here meanwhile.
                return Ok(());
            }
            w.create_derived(&id, RecordKind::Hazard, genesis)?;
            w.update(&id, "raise", |e| {
                e.insert("/events", &raised.id, &value)?;
                if !location.is_empty() {
                    e.set("/location", location.as_str())?;
                }
                Ok(())
            })
        })?;
        Ok(id)
    }
}
