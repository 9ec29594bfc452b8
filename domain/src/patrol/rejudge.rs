//! The server's second judgement of a run's scans (ADR 0008). A device judges each scan when it
//! is made, from its copies of the plan and the site; the server judges it again with the same
//! [`super::scan::judge`] from its own copies when the scan arrives. A scan whose counting the
//! server judges otherwise (which checkpoint, or whether it counts) is *disputed*: the device's
//! copy of the site was stale (a tag unbound or moved at the office), or a modified app claimed
//! a checkpoint. Soft, like every scan flag: nothing is refused, the finding travels with the
//! change's receipt ([`super::check::ServerCheck::Disputed`]) and the office sees it.
//!
//! The server keeps no index from a tag to its site: a tag not bound on the run's site is
//! judged unknown there (the device may have said foreign; neither counts, so neither is
//! disputed).

use std::collections::BTreeSet;

use automerge::Automerge;

use super::loaded::{Loaded, window_of};
use super::plans::plan_from_json;
use super::run::RunEventKind;
use super::scan::{Presented, PriorScan, RunContext, judge};
use crate::model::RecordId;
use crate::site::{CheckMethod, site_from_json, tags};

/// The hex hashes of those of `changes` (hex) that recorded a scan of the run the server
/// judges otherwise than the device did. `load` gives the documents of the plan and the site
/// the run names (`None`: not held, so a scan that counts is disputed); it is called only if
/// `changes` recorded a scan.
pub fn disputed_scans(
    run_id: &RecordId,
    run: &Automerge,
    changes: &BTreeSet<String>,
    mut load: impl FnMut(&RecordId) -> Option<Automerge>,
) -> Vec<String> {
    let Ok(r) = Loaded::read(run_id, run) else {
        return Vec::new();
    };
    let scans: Vec<(usize, String)> = r
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, RunEventKind::Scan { .. }))
        .filter_map(|(i, e)| Some((i, crate::doc::events::change_of(run, &e.id)?)))
        .filter(|(_, c)| changes.contains(c))
        .collect();
    if scans.is_empty() {
        return Vec::new();
    }
    let hydrate = |doc: Automerge| crate::doc::json::hydrate(&doc, &automerge::ROOT).ok();
    let plan = load(&r.plan)
        .and_then(hydrate)
        .map(|root| plan_from_json(&r.plan, &root));
    let version = plan
        .as_ref()
        .and_then(|p| p.versions.iter().find(|v| v.version == r.version));
    let site = load(&r.site)
        .and_then(hydrate)
        .map(|root| site_from_json(&r.site, &root));
    let window = version.and_then(|v| window_of(v, r.window_start_ms));
    let mut prior: Vec<PriorScan> = Vec::new();
    let mut out = Vec::new();
    for (i, e) in r.events.iter().enumerate() {
        let RunEventKind::Scan {
            method,
            tag,
            payload,
            monotonic_ms,
            photos,
            verdict,
            ..
        } = &e.kind
        else {
            continue;
        };
        if let Some((_, change)) = scans.iter().find(|(at, _)| *at == i) {
            let theirs = (verdict.counts, verdict.checkpoint.as_deref());
            let ours = version.map(|v| {
                // The tag as read, not as the device named it.
                let key = payload
                    .as_deref()
                    .and_then(|p| crate::site::tag_key(p).ok())
                    .or_else(|| tag.clone());
                let binding = match (&site, &key) {
                    (Some(s), Some(k)) => tags::binding_at(std::slice::from_ref(s), k, e.at_ms),
                    _ => None,
                };
                let presented = match method {
                    CheckMethod::ManualPhoto => Presented::Manual {
                        checkpoint: verdict.checkpoint.as_deref().unwrap_or_default(),
                        photos: photos.len(),
                    },
                    m => Presented::Tag {
                        method: *m,
                        binding: binding.as_ref(),
                    },
                };
                let ctx = RunContext {
                    site: &r.site,
                    checkpoints: &v.checkpoints,
                    required: &r.required,
                    in_sequence: v.in_sequence,
                    occurrence: window.as_ref(),
                    prior: &prior,
                };
                judge(&ctx, &presented, e.at_ms, *monotonic_ms)
            });
            let agrees = match &ours {
                Some(o) => (o.counts, o.checkpoint.as_deref()) == theirs,
                None => !verdict.counts,
            };
            if !agrees {
                out.push(change.clone());
            }
        }
        prior.push(PriorScan {
            checkpoint: verdict.counts.then(|| verdict.checkpoint.clone()).flatten(),
            at_ms: e.at_ms,
            monotonic_ms: *monotonic_ms,
        });
    }
    out
}
