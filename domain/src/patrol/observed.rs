//! A hazard raised from a patrol observation (ADR 0008). Its first change is derived from the
//! observation alone, so it is byte for byte the same on every device that raises it and on
//! the server that checks it: the same id (from the run and the observation), actor (from the
//! id), time (the observation's), author (the runner, who saw it) and fields (what the
//! observation says, its photos, the link to the run). An observation raised on two phones
//! offline is then one hazard with one first change. Each raiser's `raised` event follows in a
//! change of their own, with their name, so the record says who raised it; the fold applies
//! the first and lists the other.

use automerge::{ActorId, AutoCommit, Automerge};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::loaded::Loaded;
use super::run::RunEventKind;
use crate::doc::meta::ChangeMeta;
use crate::error::{Error, Result};
use crate::model::{RecordId, RecordKind, RiskGrade, Timestamp, User};

/// The id of the hazard raised from observation `event` of `run`: the same on every device, so
/// raising it twice yields one hazard.
pub fn observation_hazard_id(run: &RecordId, event: &str) -> RecordId {
    let digest = Sha256::new()
        .chain_update(b"offgrid-observation-hazard\0")
        .chain_update(run.as_str().as_bytes())
        .chain_update(b"\0")
        .chain_update(event.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    RecordId(uuid::Uuid::new_v8(bytes).to_string())
}

/// The actor of a derived first change: from the record's id, never a device's.
fn derived_actor(id: &RecordId) -> ActorId {
    let digest = Sha256::new()
        .chain_update(b"offgrid-derived-actor\0")
        .chain_update(id.as_str().as_bytes())
        .finalize();
    ActorId::from(&digest[..16])
}

/// What a hazard raised from an observation starts from.
pub struct Observed {
    /// The hazard's id ([`observation_hazard_id`]).
    pub id: RecordId,
    /// A document holding only the hazard's first change.
    pub genesis: AutoCommit,
    /// The grade the runner gave the observation (`None`: ungraded): the `raised` event's grade.
    pub grade: Option<RiskGrade>,
    /// The checkpoint the observation was made at (`None`: on the way).
    pub checkpoint: Option<String>,
    /// The plan of the run.
    pub plan: RecordId,
    /// The plan version the run followed (where the checkpoint's name is found).
    pub version: u32,
}

/// The first change of the hazard raised from `observation` of the run `run_id` (its document
/// `run`) in `project`.
pub fn observed_genesis(
    run_id: &RecordId,
    run: &Automerge,
    observation: &str,
    project: &str,
) -> Result<Observed> {
    let r = Loaded::read(run_id, run)?;
    let event = r
        .events
        .iter()
        .find(|e| e.id == observation)
        .ok_or_else(|| Error::InvalidArgument(format!("the run has no event {observation}")))?;
    let RunEventKind::Observe {
        checkpoint,
        text,
        grade,
        photos,
    } = &event.kind
    else {
        return Err(Error::InvalidArgument(format!(
            "event {observation} is not an observation"
        )));
    };
    // The runner as the run's first change names them (name, UTC offset): written once.
    let first = run
        .get_changes(&[])
        .first()
        .map(|c| ChangeMeta::decode(c.message()))
        .unwrap_or_default();
    let runner = User::new(&r.runner, first.user_name.as_deref().unwrap_or_default());
    let at = Timestamp {
        unix_ms: event.at_ms,
        offset_minutes: first.offset_minutes,
    };
    let mut photo_map = serde_json::Map::new();
    for sha in photos {
        let sha = crate::doc::events::photo_hash(sha)?;
        photo_map.insert(
            sha.clone(),
            json!({"sha256": sha, "by": r.runner, "at_ms": at.unix_ms}),
        );
    }
    let fields = json!({
        "project": project, "site": r.site.as_str(), "location": "",
        "title": text.chars().take(60).collect::<String>(), "description": text,
        "source": null,
        "photos": photo_map,
        "patrol": {"run": run_id.as_str(), "observation": observation, "checkpoint": checkpoint},
    });
    let id = observation_hazard_id(run_id, observation);
    let genesis = crate::doc::genesis::derived_record(
        RecordKind::Hazard,
        crate::record::rules(RecordKind::Hazard).genesis_maps(),
        &id,
        &fields,
        &runner,
        at,
        derived_actor(&id),
    )?;
    Ok(Observed {
        id,
        genesis,
        grade: *grade,
        checkpoint: checkpoint.clone(),
        plan: r.plan,
        version: r.version,
    })
}

/// Whether `change` is the first change of the hazard `id` in `project` raised from an
/// observation of a run that `load_run` returns: what the server checks before it accepts that
/// change from someone other than the runner it names as its author.
pub fn is_observed_genesis(
    id: &str,
    project: &str,
    change: &[u8],
    load_run: impl FnOnce(&RecordId) -> Option<Automerge>,
) -> bool {
    // Within the limits on a change before it is applied (this runs before the gate).
    let Ok(parsed) = crate::doc::limits::parse_change(change) else {
        return false;
    };
    let mut doc = Automerge::new();
    if crate::doc::limits::check_depths(&doc, std::slice::from_ref(&parsed)).is_err() {
        return false;
    }
    let applied =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes([parsed])));
    if !matches!(applied, Ok(Ok(()))) {
        return false;
    }
    let Ok(root) = crate::doc::json::hydrate(&doc, &automerge::ROOT) else {
        return false;
    };
    let (Some(run), Some(observation)) = (
        root["patrol"]["run"].as_str(),
        root["patrol"]["observation"].as_str(),
    ) else {
        return false;
    };
    let run_id = RecordId(run.to_owned());
    let Some(run_doc) = load_run(&run_id) else {
        return false;
    };
    match observed_genesis(&run_id, &run_doc, observation, project) {
        Ok(mut o) => {
            o.id.as_str() == id
                && o.genesis
                    .get_last_local_change()
                    .is_some_and(|c| c.raw_bytes() == change)
        }
        Err(_) => false,
    }
}
