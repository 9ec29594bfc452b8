//! The kinds this version knows, each with its rules from its own module. The only place that
//! lists them: the store and the server reach them through [`super::rules`].

use super::KindRules;
use crate::model::RecordKind;

static PROJECT: crate::project::ProjectRules = crate::project::ProjectRules;
static INSPECTION: crate::inspection::rules::InspectionRules =
    crate::inspection::rules::InspectionRules;
static HAZARD: crate::hazard::rules::HazardRules = crate::hazard::rules::HazardRules;
static PATROL: crate::patrol::rules::PatrolRules = crate::patrol::PatrolRules;
static GRID_CELL: crate::grid::rules::GridCellRules = crate::grid::rules::GridCellRules;
static SITE: crate::site::rules::SiteRules = crate::site::rules::SiteRules;
static PATROL_PLAN: crate::patrol::plan_rules::PlanRules = crate::patrol::plan_rules::PlanRules;
static PATROL_RUN: crate::patrol::run_rules::RunRules = crate::patrol::run_rules::RunRules;

/// The rules of `kind`.
pub fn rules(kind: RecordKind) -> &'static dyn KindRules {
    match kind {
        RecordKind::Project => &PROJECT,
        RecordKind::Inspection => &INSPECTION,
        RecordKind::Hazard => &HAZARD,
        RecordKind::Patrol => &PATROL,
        RecordKind::GridCell => &GRID_CELL,
        RecordKind::Site => &SITE,
        RecordKind::PatrolPlan => &PATROL_PLAN,
        RecordKind::PatrolRun => &PATROL_RUN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_rules() {
        for kind in RecordKind::ALL {
            assert_eq!(rules(kind).kind(), kind);
            for map in rules(kind).append_only() {
                assert!(
                    rules(kind).genesis_maps().contains(map),
                    "{kind}: append-only map {map} must exist from genesis"
                );
            }
        }
    }
}
