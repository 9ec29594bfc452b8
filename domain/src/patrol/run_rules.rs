//! The patrol run kind's rules: born in the organisation scope by its runner (root `runner`,
//! written once with the plan, task, version, window and required checkpoints); `events`,
//! `photos` and `track` only added to. Only the runner writes the run — except a void or a
//! skip's approval, which need [`Permission::ManagePatrol`]. Finishing with required
//! checkpoints uncovered needs a reason. Read by the readers of its plan.

use automerge::Automerge;

use super::run::{RunEvent, RunEventKind, RunStatus, fold};
use crate::access::Permission;
use crate::doc::genesis::root_text;
use crate::grid::ORG;
use crate::grid::rules::in_org;
use crate::model::RecordKind;
use crate::record::{KindColumns, KindRules, Readers, Refusal, Transition};

/// The rules of patrol run records ([`RecordKind::PatrolRun`]), listed in
/// [`crate::record::builtin`].
pub struct RunRules;

/// Root fields of a run, written once when it starts.
const FIXED: [&str; 8] = [
    "plan",
    "task",
    "version",
    "window_start_ms",
    "site",
    "runner",
    "required",
    "skip_needs_approval",
];

/// What a task's fold and coverage read of a run, from its projection.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunFactsRow {
    /// The id of the plan the run patrols.
    pub plan: String,
    /// The id of the task the run is for (empty: a run outside any task).
    #[serde(default)]
    pub task: String,
    /// The user id of the runner.
    pub by: String,
    /// When the run started, UTC ms by the runner's device clock (0: no events).
    #[serde(rename = "st")]
    pub started_ms: i64,
    /// When the runner finished it, UTC ms by their device clock (`None`: not finished).
    #[serde(rename = "fin", default)]
    pub finished_ms: Option<i64>,
    /// Ids of the checkpoints covered: scanned, or skipped with a skip that counts.
    #[serde(rename = "cov", default)]
    pub covered: Vec<String>,
    /// Voided by a supervisor: counts for nothing.
    #[serde(rename = "void", default)]
    pub voided: bool,
    /// Scans flagged, by flag name.
    #[serde(rename = "fl", default)]
    pub flags: std::collections::BTreeMap<String, u32>,
}

/// The run's events, in fold order.
pub fn events(doc: &Automerge) -> Vec<RunEvent> {
    crate::doc::events::read(doc)
}

fn skip_needs_approval(doc: &Automerge) -> bool {
    use automerge::ReadDoc;
    matches!(
        doc.get(automerge::ROOT, "skip_needs_approval"),
        Ok(Some((automerge::Value::Scalar(s), _))) if matches!(s.as_ref(), automerge::ScalarValue::Boolean(true))
    )
}

/// The required checkpoint ids (root `required`, comma-separated).
pub fn required(doc: &Automerge) -> Vec<String> {
    root_text(doc, "required")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The run's status if it is a run that takes no more photos or events (finished or voided).
pub fn closed(doc: &Automerge) -> Option<&'static str> {
    if root_text(doc, "kind").as_deref() != Some(RecordKind::PatrolRun.as_str()) {
        return None;
    }
    let status = fold(&events(doc), skip_needs_approval(doc)).status;
    matches!(status, RunStatus::Finished | RunStatus::Voided).then(|| status.as_str())
}

impl KindRules for RunRules {
    fn kind(&self) -> RecordKind {
        RecordKind::PatrolRun
    }

    fn genesis_maps(&self) -> &'static [&'static str] {
        &["events", "photos", "track"]
    }

    fn append_only(&self) -> &'static [&'static str] {
        &["events", "photos", "track"]
    }

    fn immutable_fields(&self) -> &'static [&'static str] {
        &FIXED
    }

    fn search_fields(&self) -> Option<&'static [&'static str]> {
        Some(&["title"])
    }

    fn columns(&self, doc: &Automerge) -> KindColumns {
        use automerge::ReadDoc;
        let state = fold(&events(doc), skip_needs_approval(doc));
        let text = |k: &str| root_text(doc, k).unwrap_or_default();
        let window_start = match doc.get(automerge::ROOT, "window_start_ms") {
            Ok(Some((automerge::Value::Scalar(s), _))) => s.as_i64(),
            _ => None,
        };
        let runner = text("runner");
        let facts = RunFactsRow {
            plan: text("plan"),
            task: text("task"),
            by: runner.clone(),
            started_ms: state.started_ms.unwrap_or(0),
            finished_ms: state.finished_ms,
            covered: state.covered().into_iter().collect(),
            voided: state.status == RunStatus::Voided,
            flags: state
                .flags
                .iter()
                .map(|(f, n)| (f.as_str().to_owned(), *n))
                .collect(),
        };
        let mut keys = vec![
            format!("plan:{}", facts.plan),
            format!("site:{}", text("site")),
        ];
        if !facts.task.is_empty() {
            keys.push(format!("task:{}", facts.task));
        }
        KindColumns {
            status: Some(state.status.as_str().to_owned()),
            assignee: Some(runner),
            due_ms: window_start,
            keys,
            facts: serde_json::to_string(&facts).ok(),
            ..Default::default()
        }
    }

    fn readers(&self, doc: &Automerge) -> Option<Readers> {
        Some(Readers {
            parent: root_text(doc, "plan").filter(|p| !p.is_empty()),
            members: root_text(doc, "runner").into_iter().collect(),
            ..Default::default()
        })
    }

    fn judge(&self, t: &Transition<'_>) -> Result<(), Refusal> {
        in_org(t)?;
        let runner = root_text(t.doc, "runner");
        if t.is_genesis() {
            let creator = root_text(t.doc, "created_by");
            if runner.is_none() || runner != creator {
                return Err(Refusal::rule(
                    "runner",
                    "a patrol run is started by its runner",
                ));
            }
        }
        // Only the runner writes the run; events are judged one by one below (a supervisor's
        // void or approval is the only event by someone else).
        for root in t.roots().into_iter().filter(|r| *r != "events") {
            if t.authors_under(root).iter().any(|a| *a != runner) {
                return Err(Refusal::rule(
                    "one_writer",
                    format!("only the runner writes a patrol run (/{root})"),
                ));
            }
        }
        for entry in t.new_entries("track") {
            let points = entry.value["points"].as_str().unwrap_or_default();
            if let Err(reason) = super::run::parse_track(points) {
                return Err(Refusal::rule(
                    "track",
                    format!("/track/{}: {reason}", entry.key),
                ));
            }
        }
        let required = required(t.doc);
        let all = std::cell::OnceCell::new();
        for entry in t.new_entries("events") {
            let Ok(event) = serde_json::from_value::<RunEvent>(entry.value.clone()) else {
                return Err(Refusal::rule(
                    "unknown_event",
                    format!(
                        "/events/{} is not a patrol event this version knows",
                        entry.key
                    ),
                ));
            };
            if event.kind.is_supervisors() {
                t.roles_of(entry.author.as_deref())
                    .require(Permission::ManagePatrol, ORG)?;
                if entry.author == runner && matches!(event.kind, RunEventKind::ApproveSkip { .. })
                {
                    return Err(Refusal::rule(
                        "approve_own_skip",
                        "a runner does not approve their own skip",
                    ));
                }
            } else if entry.author != runner {
                return Err(Refusal::rule(
                    "one_writer",
                    format!("only the runner records a {}", event.kind.name()),
                ));
            }
            match &event.kind {
                RunEventKind::Finish { reason }
                    if reason.as_deref().is_none_or(|r| r.trim().is_empty()) =>
                {
                    // Covered as of the events up to the finish.
                    let upto: Vec<RunEvent> = all
                        .get_or_init(|| events(t.doc))
                        .iter()
                        .take_while(|e| (e.at_ms, &e.id) <= (event.at_ms, &entry.key))
                        .cloned()
                        .collect();
                    let covered = fold(&upto, skip_needs_approval(t.doc)).covered();
                    if required.iter().any(|c| !covered.contains(c)) {
                        return Err(Refusal::rule(
                            "finish_reason",
                            "finishing with required checkpoints uncovered needs a reason",
                        ));
                    }
                }
                RunEventKind::Skip { reason, .. } | RunEventKind::Void { reason }
                    if reason.trim().is_empty() =>
                {
                    return Err(Refusal::rule(
                        "reason",
                        format!("a {} needs a reason", event.kind.name()),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
