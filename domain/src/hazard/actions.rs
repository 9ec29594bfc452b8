//! Which steps of the closed loop a user may take on a hazard now: those that fit its state
//! ([`super::events::applies`]) and that the write policy would accept from them
//! ([`super::rules::may_record`]), the same two checks a write passes. A screen offers these
//! and no others, so it never offers what a write would refuse nor hides what it would accept.

use serde::{Deserialize, Serialize};

use super::events::{self, HazardEventKind, HazardState};
use crate::model::{RiskGrade, User};
use crate::record::Roles;

/// A step of the loop a user can take (the shells label it; zh-CN first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardAction {
    /// 评估分级.
    Grade,
    /// 下达整改.
    OrderRectification,
    /// 提交整改.
    SubmitRectification,
    /// 复查 (passed or sent back).
    Reinspect,
    /// 挂牌督办.
    Escalate,
    /// 销号.
    Close,
    /// 核销.
    WriteOff,
}

offgrid_common::named!(pub HazardAction, "hazard action" {
    Grade => "grade",
    OrderRectification => "order_rectification",
    SubmitRectification => "submit_rectification",
    Reinspect => "reinspect",
    Escalate => "escalate",
    Close => "close",
    WriteOff => "write_off",
});

impl HazardAction {
    /// The label, (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            HazardAction::Grade => ("评估分级", "Grade"),
            HazardAction::OrderRectification => ("下达整改", "Order rectification"),
            HazardAction::SubmitRectification => ("提交整改", "Submit rectification"),
            HazardAction::Reinspect => ("复查", "Re-inspect"),
            HazardAction::Escalate => ("挂牌督办", "Escalate"),
            HazardAction::Close => ("销号", "Close"),
            HazardAction::WriteOff => ("核销", "Write off"),
        }
    }

    /// An event of this action, for the checks (its details do not change who may record it).
    fn event(self) -> HazardEventKind {
        use HazardEventKind as E;
        match self {
            HazardAction::Grade => E::Graded {
                grade: RiskGrade::Blue,
                major: false,
            },
            HazardAction::OrderRectification => E::RectificationOrdered {
                unit: String::new(),
                person: String::new(),
                person_name: String::new(),
                deadline_ms: 0,
                measures: String::new(),
            },
            HazardAction::SubmitRectification => E::RectificationSubmitted { photos: Vec::new() },
            HazardAction::Reinspect => E::Reinspected { passed: true },
            HazardAction::Escalate => E::Escalated,
            HazardAction::Close => E::Closed,
            HazardAction::WriteOff => E::WrittenOff,
        }
    }
}

/// The actions `user` may take on a hazard of `project` whose fold is `state`.
pub fn allowed(state: &HazardState, user: &User, project: &str) -> Vec<HazardAction> {
    let roles = Roles::Known(user.roles_on(project).collect());
    HazardAction::ALL
        .into_iter()
        .filter(|a| {
            let event = a.event();
            events::applies(state, &event)
                && super::rules::may_record(&event, &user.id, &roles, project, state).is_ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::hazard::HazardStatus;

    fn state(status: HazardStatus) -> HazardState {
        HazardState {
            status,
            grade: Some(RiskGrade::Yellow),
            major: false,
            unit: None,
            assignee: Some("chen".into()),
            assignee_name: None,
            deadline_ms: None,
            measures: None,
            rectified_by: None,
            escalations: 0,
            not_applied: Vec::new(),
        }
    }

    fn user(id: &str, role: Role) -> User {
        User::new(id, id).with_role("p1", role)
    }

    #[test]
    fn each_role_is_offered_its_steps_in_order() {
        use HazardAction::*;
        let graded = state(HazardStatus::Graded);
        assert_eq!(
            allowed(&graded, &user("zhang", Role::Inspector), "p1"),
            [Grade, Escalate]
        );
        assert_eq!(
            allowed(&graded, &user("wang", Role::Supervisor), "p1"),
            [Grade, OrderRectification, Escalate]
        );
        assert_eq!(
            allowed(&graded, &user("vera", Role::Viewer), "p1"),
            [],
            "a viewer reads"
        );
        assert_eq!(
            allowed(&graded, &user("wang", Role::Supervisor), "p2"),
            [],
            "roles are per project"
        );
        let ordered = state(HazardStatus::Ordered);
        // The person ordered submits with any role but viewer; a rectifier of the project too.
        assert!(
            allowed(&ordered, &user("chen", Role::Inspector), "p1").contains(&SubmitRectification)
        );
        assert!(
            allowed(&ordered, &user("li", Role::Rectifier), "p1").contains(&SubmitRectification)
        );
        assert!(
            !allowed(&ordered, &user("zhang", Role::Inspector), "p1")
                .contains(&SubmitRectification)
        );
    }

    #[test]
    fn the_rectifier_does_not_reinspect_and_a_major_hazard_is_written_off() {
        use HazardAction::*;
        let mut submitted = state(HazardStatus::Submitted);
        submitted.rectified_by = Some("zhang".into());
        assert!(!allowed(&submitted, &user("zhang", Role::Inspector), "p1").contains(&Reinspect));
        assert!(allowed(&submitted, &user("qian", Role::Inspector), "p1").contains(&Reinspect));
        let mut verified = state(HazardStatus::Verified);
        assert_eq!(
            allowed(&verified, &user("wang", Role::Supervisor), "p1"),
            [Escalate, Close, WriteOff]
        );
        verified.major = true;
        assert_eq!(
            allowed(&verified, &user("wang", Role::Supervisor), "p1"),
            [Escalate, WriteOff]
        );
        assert_eq!(
            allowed(&verified, &user("zhang", Role::Inspector), "p1"),
            [Escalate],
            "an inspector neither closes a major hazard nor writes one off"
        );
        assert_eq!(
            allowed(
                &state(HazardStatus::Closed),
                &user("wang", Role::Supervisor),
                "p1"
            ),
            []
        );
    }
}
