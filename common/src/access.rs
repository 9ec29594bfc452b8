//! Roles and permissions. The current user carries a role per project; every domain action
//! checks a [`Permission`] and fails with [`Error::Forbidden`] naming it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::User;

/// What someone does on a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Inspects, raises hazards, re-inspects rectifications.
    Inspector,
    /// Rectifies hazards (usually the contractor).
    Rectifier,
    /// Reviews inspections, orders rectification, writes off major hazards.
    Supervisor,
    /// Everything, including templates and members.
    Admin,
    /// Reads only.
    Viewer,
}

crate::named!(pub Role, "role" {
    Inspector => "inspector",
    Rectifier => "rectifier",
    Supervisor => "supervisor",
    Admin => "admin",
    Viewer => "viewer",
});

/// A role on one project (`"*"` means every project).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRole {
    /// The project's id, or `"*"` for every project.
    pub project: String,
    /// The role held there.
    pub role: Role,
}

/// An action that needs a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Create an inspection.
    CreateInspection,
    /// Answer an inspection's items and add its photos, notes and signatures while it is
    /// editable.
    AnswerInspection,
    /// Submit an inspection for review.
    SubmitInspection,
    /// Review a submitted inspection, or return it.
    ReviewInspection,
    /// Raise a hazard (登记), edit its title, description, location and site, and add photos
    /// of it (not rectification photos).
    RaiseHazard,
    /// Grade a hazard's risk (评估分级).
    GradeHazard,
    /// Order a hazard's rectification (下达整改): unit, person, deadline, measures.
    OrderRectification,
    /// Submit a rectification with photos of the result (提交整改), and add rectification
    /// photos. The person ordered to rectify needs no such role, only one that writes.
    SubmitRectification,
    /// Re-inspect a rectification (复查): pass it or send it back; never one's own.
    Reinspect,
    /// Escalate a hazard one level (超期 / 挂牌督办).
    Escalate,
    /// Close a hazard that passed re-inspection (销号); a major hazard is written off instead.
    CloseHazard,
    /// Write a hazard off after acceptance (核销): how a major hazard is closed.
    WriteOffHazard,
    /// Publish a checklist template version (checked on the `org` scope: only admins there).
    PublishTemplate,
    /// Edit a project record (members, sites, settings).
    ManageProject,
    /// Write patrol records.
    Patrol,
    /// Edit the organisation's reference data: grid cells and sites (admins of the `org`
    /// scope, see `grid::ORG` in the core).
    ManageGrid,
    /// Edit a site linked to the project (its fields, checkpoints and tags; not its cell or
    /// its projects).
    ManageSite,
    /// Write patrol plans and their versions, void patrol runs, approve skipped checkpoints
    /// (supervisors and admins of the `org` scope).
    ManagePatrol,
}

crate::named!(pub Permission, "permission" {
    CreateInspection => "create_inspection",
    AnswerInspection => "answer_inspection",
    SubmitInspection => "submit_inspection",
    ReviewInspection => "review_inspection",
    RaiseHazard => "raise_hazard",
    GradeHazard => "grade_hazard",
    OrderRectification => "order_rectification",
    SubmitRectification => "submit_rectification",
    Reinspect => "reinspect",
    Escalate => "escalate",
    CloseHazard => "close_hazard",
    WriteOffHazard => "write_off_hazard",
    PublishTemplate => "publish_template",
    ManageProject => "manage_project",
    Patrol => "patrol",
    ManageGrid => "manage_grid",
    ManageSite => "manage_site",
    ManagePatrol => "manage_patrol",
});

/// Whether `role` grants `permission`.
pub fn grants(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Rectifier => matches!(permission, SubmitRectification),
        Role::Inspector => matches!(
            permission,
            CreateInspection
                | AnswerInspection
                | SubmitInspection
                | RaiseHazard
                | GradeHazard
                | Reinspect
                | Escalate
                | CloseHazard
                | Patrol
        ),
        Role::Supervisor => !matches!(
            permission,
            PublishTemplate | SubmitRectification | ManageProject | ManageGrid
        ),
    }
}

impl User {
    /// The user's roles on `project` (including roles on every project).
    pub fn roles_on<'a>(&'a self, project: &'a str) -> impl Iterator<Item = Role> + 'a {
        self.roles
            .iter()
            .filter(move |r| r.project == project || r.project == "*")
            .map(|r| r.role)
    }

    /// Whether some role of the user on `project` (or on every project) grants `permission`.
    pub fn can(&self, project: &str, permission: Permission) -> bool {
        self.roles_on(project).any(|r| grants(r, permission))
    }

    /// Whether some role of the user, on any project, grants `permission`.
    pub fn can_anywhere(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| grants(r.role, permission))
    }

    /// `Ok` if the user may do `permission` on `project`, else [`Error::Forbidden`].
    pub fn require(&self, project: &str, permission: Permission) -> Result<()> {
        if self.can(project, permission) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                permission: permission.as_str().into(),
                project: project.into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_by_project() {
        let mut u = User::new("li", "李工");
        u.roles.push(ProjectRole {
            project: "p1".into(),
            role: Role::Rectifier,
        });
        u.roles.push(ProjectRole {
            project: "*".into(),
            role: Role::Viewer,
        });
        assert!(u.can("p1", Permission::SubmitRectification));
        assert!(!u.can("p2", Permission::SubmitRectification));
        let err = u.require("p1", Permission::WriteOffHazard).unwrap_err();
        assert!(
            matches!(err, Error::Forbidden { ref permission, .. } if permission == "write_off_hazard")
        );
        assert!(err.to_string().contains("write_off_hazard"));
        assert!(grants(Role::Supervisor, Permission::WriteOffHazard));
        assert!(!grants(Role::Inspector, Permission::WriteOffHazard));
        assert!(!grants(Role::Supervisor, Permission::SubmitRectification));
    }
}
