//! Draft validation for the shells' forms: a draft in, the field errors out (empty, too long,
//! unknown, not allowed here, a deadline already passed), computed by the same checks the
//! writes run ([`crate::draft`]), so a form can mark its fields before the user saves and a
//! save that slips past gets the same errors as [`crate::Error::InvalidFields`].

use crate::access::Permission;
use crate::error::{Error, Result};
use crate::fields::{FieldError, FieldProblem};
use crate::hazard::{NewHazard, RectificationOrder};
use crate::inspection::NewInspection;
use crate::patrol::NewObservation;
use crate::store::Store;

/// A form's content before it is saved.
#[derive(Clone, Debug, PartialEq)]
pub enum Draft {
    /// The new-inspection form.
    Inspection {
        /// What the form holds.
        draft: NewInspection,
    },
    /// The raise-a-hazard form.
    Hazard {
        /// What the form holds.
        draft: NewHazard,
    },
    /// The rectification order form (下达整改); a deadline already passed is refused.
    RectificationOrder {
        /// What the form holds.
        order: RectificationOrder,
    },
    /// The patrol observation form (上报).
    Observation {
        /// What the form holds.
        observation: NewObservation,
    },
}

impl Store {
    /// The field errors of `draft` for the signed-in user (empty: it may be saved).
    pub fn validate_draft(&self, draft: &Draft) -> Result<Vec<FieldError>> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        Ok(match draft {
            Draft::Inspection { draft } => {
                let mut c = self.check_new_inspection(draft)?.0;
                if !draft.project.trim().is_empty()
                    && !user.can(&draft.project, Permission::CreateInspection)
                {
                    c.push("project", FieldProblem::NotAllowed);
                }
                c.into_errors()
            }
            Draft::Hazard { draft } => {
                let mut c = crate::hazard::check_new(draft);
                if !draft.project.trim().is_empty()
                    && !user.can(&draft.project, Permission::RaiseHazard)
                {
                    c.push("project", FieldProblem::NotAllowed);
                }
                c.into_errors()
            }
            Draft::RectificationOrder { order } => {
                let mut c = crate::hazard::check_order(order);
                if order.deadline_ms <= self.now().unix_ms {
                    c.push("deadline_ms", FieldProblem::InPast);
                }
                c.into_errors()
            }
            Draft::Observation { observation } => {
                crate::patrol::runs::check_observation(observation).into_errors()
            }
        })
    }
}
