//! `POST /v1/sync` and `POST /v1/reconcile`, written once against [`Tx`].
//!
//! Push, in one transaction: for each record (in id order, so concurrent requests lock in the
//! same order), check the caller may write its project (fixed at the record's first write),
//! store every new change (deduplicated by hash), apply every change whose dependencies are all
//! applied, update the heads, then append what was applied to the project feeds.
//!
//! Pull, in a second transaction: the feed after each cursor, up to a byte budget. A cursor is
//! opaque to clients: `<seq>` in the feed, or `b<start>:<last record id>` while a new device is
//! bootstrapped record by record (snapshots instead of long histories); entries committed
//! during a bootstrap come after `start` in the feed, so nothing is skipped.

use std::collections::{BTreeMap, BTreeSet};

use offgrid_protocol::{
    Acked, Bytes, DEFAULT_PULL_BYTES, MAX_FETCH, MAX_LACKS, MissingDeps, NeedBlob, Pulled,
    ReconcileRequest, ReconcileResponse, Rejected, SyncRequest, SyncResponse, TEMPLATES_CURSOR,
    WATERMARKS_CURSOR, is_sha256_hex, is_valid_id,
};

use offgrid_common::access::Role;
use offgrid_doc::limits;

use crate::accounts::{Caller, now_ms};
use crate::backend::{Backend, ChangeRow, RecordRow, Tx, transact};
use crate::error::{Error, Result};
use crate::gate::DocCache;
use crate::scope::ORG;
use offgrid_domain::patrol::check::{self, CLOCK_SLACK_MS, ServerCheck};

/// Largest pull budget a client may ask for.
pub const MAX_PULL_BYTES: u64 = 16 << 20;
/// Records with more changes than this go to a new device as one snapshot.
const SNAPSHOT_AFTER_CHANGES: usize = 4;
const FEED_PAGE: usize = 256;
const RECORD_PAGE: usize = 64;

/// What one sync did, for metrics and logs.
#[derive(Debug, Default)]
pub struct SyncStats {
    /// Changes pushed, refused ones too.
    pub changes_in: usize,
    /// Changes newly applied (pushed ones, and stored ones that waited for them).
    pub changes_applied: usize,
    /// Changes sent in the pull (a record sent as a snapshot counts none).
    pub changes_out: usize,
    /// Records the write gate refused.
    pub refused: usize,
    /// Changes refused for a limit (issue 28), by the limit's tag.
    pub limits: Vec<&'static str>,
}

/// A change parsed before the transaction.
struct Parsed {
    hash: String,
    /// The user id the change's message names as its author.
    author: Option<String>,
    deps: Vec<String>,
    time_ms: i64,
    data: Vec<u8>,
}

/// `POST /v1/sync` as `caller`: takes the pushed templates, records and reported documents,
/// then pulls what the caller reads after its cursors. Pushes are judged by the write gate with
/// the documents of `gate`; `None` (benchmarks) skips the gate.
pub fn sync(
    b: &dyn Backend,
    gate: Option<&DocCache>,
    caller: &Caller,
    req: SyncRequest,
) -> Result<(SyncResponse, SyncStats)> {
    if req.device.is_empty() || req.device.len() > 128 {
        return Err(Error::BadRequest("device must be 1-128 characters".into()));
    }
    let mut stats = SyncStats::default();
    let mut resp = SyncResponse {
        server_time_ms: now_ms(),
        ..Default::default()
    };

    // Parse and check everything before taking any lock.
    let mut push: Vec<(offgrid_protocol::PushRecord, Result<Vec<Parsed>, Rejected>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for rec in req.push {
        if !seen.insert(rec.id.clone()) {
            return Err(Error::BadRequest(format!(
                "record {} is pushed twice",
                rec.id
            )));
        }
        let parsed = parse_record(&rec, &mut stats.limits);
        stats.changes_in += rec.changes.len();
        push.push((rec, parsed));
    }
    push.sort_by(|a, b| a.0.id.cmp(&b.0.id));

    // Templates first: a record pushed with the template it was made from finds it stored.
    if !req.templates.is_empty() {
        let may = crate::templates::may_publish(caller.role(ORG));
        resp.template_refusals =
            crate::templates::publish_pushed(b, &req.templates, &caller.user_id, may)?;
    }
    let arrived_ms = resp.server_time_ms;
    if !push.is_empty() {
        let now = now_ms();
        let device = req.device.clone();
        let out = transact(b, |tx| push_all(tx, gate, caller, &push, &device, now))?;
        stats.changes_applied = out.applied;
        stats.refused = out.refused;
        stats.limits.extend(out.limits);
        resp.acked = out.acked;
        resp.missing = out.missing;
        resp.rejected = out.rejected;
        resp.need_blobs = out.need_blobs;
    }
    // Documents after the pushes: one may show the changes pushed with it.
    if !req.documents.is_empty() {
        let t = crate::documents::take_reported(b, caller, &req.documents, now_ms())?;
        resp.documents_taken = t.taken;
        resp.document_refusals.extend(t.refused);
    }
    // Everything the device holds is here now (what waits for dependencies is not applied
    // yet, so it does not count): its watermark is the time the request arrived.
    if req.pushed_all && resp.missing.is_empty() {
        transact(b, |tx| tx.set_token_watermark(&caller.token_id, arrived_ms))?;
    }

    let budget = req
        .max_bytes
        .unwrap_or(DEFAULT_PULL_BYTES)
        .clamp(1, MAX_PULL_BYTES);
    let projects: BTreeSet<String> = caller
        .roles
        .iter()
        .map(|r| r.project.clone())
        .filter(|p| p != ORG)
        .collect();
    let mut cursors = BTreeMap::new();
    for p in &projects {
        let c = req.cursors.get(p).map(String::as_str).unwrap_or("");
        cursors.insert(p.clone(), Cursor::parse(c)?);
    }
    // Every account reads some of the organisation scope (ADR 0007); its cursor is checked
    // against what grants the reading inside the pull's transaction.
    let org_cursor = req.cursors.get(ORG).cloned().unwrap_or_default();
    if req.fetch.len() > MAX_FETCH || req.fetch.iter().any(|id| !is_valid_id(id)) {
        return Err(Error::BadRequest(format!(
            "fetch holds at most {MAX_FETCH} record ids"
        )));
    }
    let (pull, next, more, templates, watermarks, digests) = transact(b, |tx| {
        let mut cursors = cursors.clone();
        let index = b.org_index().current(tx)?;
        let reach = index.reach(caller);
        let digest = reach.digest();
        let inner = match org_cursor.split_once('~') {
            Some((d, inner)) if d == digest => Cursor::parse(inner)?,
            // What grants the reading changed: the scope is pulled again from the start.
            Some((_, inner)) => {
                Cursor::parse(inner)?;
                Cursor::parse("")?
            }
            None => Cursor::parse(&org_cursor)?,
        };
        cursors.insert(ORG.to_owned(), inner);
        let reads = |project: &str, id: &str| {
            if project == ORG {
                reach.reads(id)
            } else {
                caller.can_read(project)
            }
        };
        let (pull, mut next, more, caught_up) =
            pull(tx, &cursors, &req.device, budget, &reads, &req.fetch)?;
        if let Some(c) = next.get_mut(ORG) {
            *c = format!("{digest}~{c}");
        }
        // What the device now holds of each scope it is caught up with (issue 28).
        let mut digests = BTreeMap::new();
        for (project, head) in caught_up {
            let key = if project == ORG {
                format!("{ORG}~{digest}")
            } else {
                project.clone()
            };
            let d = b
                .digests()
                .digest(tx, &key, &project, head, &|id| reads(&project, id))?;
            digests.insert(project, d);
        }
        // Published templates, all of them whenever the device's set is not the server's.
        let (templates, digest) = crate::templates::unless_held(
            tx,
            req.cursors.get(TEMPLATES_CURSOR).map(String::as_str),
        )?;
        next.insert(TEMPLATES_CURSOR.to_owned(), digest);
        // Sync watermarks newer than the device's (ADR 0008).
        let after: i64 = req
            .cursors
            .get(WATERMARKS_CURSOR)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        // An account's least watermark can only have moved if one of its devices synced since
        // the cursor (the latest device watermark the device was sent).
        let marks = tx.watermarks_after(after)?;
        if let Some(latest) = marks.iter().map(|(_, _, max)| *max).max() {
            next.insert(WATERMARKS_CURSOR.to_owned(), latest.to_string());
        }
        Ok((pull, next, more, templates, marks, digests))
    })?;
    resp.watermarks = watermarks
        .into_iter()
        .filter(|(_, least, _)| *least > 0)
        .map(|(account, least, _)| (account, least))
        .collect();
    resp.templates = templates;
    stats.changes_out = pull.iter().map(|p| p.changes.len()).sum();
    resp.pull = pull;
    resp.cursors = next;
    resp.more = more;
    resp.digests = digests;
    Ok((resp, stats))
}

fn parse_record(
    rec: &offgrid_protocol::PushRecord,
    limited: &mut Vec<&'static str>,
) -> Result<Vec<Parsed>, Rejected> {
    let reject = |code: &str, reason: String| Rejected {
        id: rec.id.clone(),
        code: code.to_owned(),
        reason,
    };
    if !is_valid_id(&rec.id) {
        return Err(reject("bad_id", "invalid record id".into()));
    }
    if !is_valid_id(&rec.project) {
        return Err(reject("bad_id", "invalid project id".into()));
    }
    if rec.kind.is_empty() || rec.kind.len() > 32 {
        return Err(reject("bad_change", "invalid kind".into()));
    }
    if let Some(bad) = rec.photos.iter().find(|p| !is_sha256_hex(p)) {
        let _ = bad;
        return Err(reject(
            "bad_id",
            "a photo reference is not a SHA-256".into(),
        ));
    }
    let mut out = Vec::with_capacity(rec.changes.len());
    for (i, Bytes(bytes)) in rec.changes.iter().enumerate() {
        // The limits on one change, checked before anything inflates or applies it.
        let change = limits::parse_change(bytes).map_err(|e| {
            tracing::warn!(limit = e.tag(), "pushed change refused");
            limited.push(e.tag());
            let code = match e {
                limits::Exceeded::Bytes(_) => "too_large",
                _ => "bad_change",
            };
            Rejected {
                id: rec.id.clone(),
                code: code.to_owned(),
                reason: format!("change {i}: {}: {e}", e.tag()),
            }
        })?;
        out.push(Parsed {
            author: offgrid_doc::ChangeMeta::decode(change.message()).user_id,
            hash: change.hash().to_string(),
            deps: change.deps().iter().map(|h| h.to_string()).collect(),
            time_ms: change.timestamp(),
            data: bytes.clone(),
        });
    }
    Ok(out)
}

struct PushOut {
    acked: Vec<Acked>,
    missing: Vec<MissingDeps>,
    rejected: Vec<Rejected>,
    need_blobs: Vec<NeedBlob>,
    applied: usize,
    refused: usize,
    limits: Vec<&'static str>,
}

fn push_all(
    tx: &mut dyn Tx,
    gate: Option<&DocCache>,
    caller: &Caller,
    push: &[(offgrid_protocol::PushRecord, Result<Vec<Parsed>, Rejected>)],
    device: &str,
    now: i64,
) -> Result<PushOut> {
    let mut out = PushOut {
        acked: Vec::new(),
        missing: Vec::new(),
        rejected: Vec::new(),
        need_blobs: Vec::new(),
        applied: 0,
        refused: 0,
        limits: Vec::new(),
    };
    let mut feed: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (rec, parsed) in push {
        let changes = match parsed {
            Ok(c) => c,
            Err(r) => {
                out.rejected.push(r.clone());
                continue;
            }
        };
        let reject = |code: &str, reason: String| Rejected {
            id: rec.id.clone(),
            code: code.to_owned(),
            reason,
        };
        let existing = tx.lock_record(&rec.id)?;
        let project = match &existing {
            Some(row) if row.project != rec.project => {
                out.rejected.push(reject(
                    "wrong_project",
                    format!("record belongs to project {}", row.project),
                ));
                continue;
            }
            Some(row) => row.project.clone(),
            None => rec.project.clone(),
        };
        // The organisation scope: any account that writes somewhere may push to it, and the
        // gate decides (admins of `org` for cells and sites, supervisors for their sites'
        // fields). Grid members hold no role at all and push their own patrol runs (the gate
        // refuses a run written by anyone but its runner; only assignees' runs count). Without
        // the gate, only its admins.
        let writes = if project == crate::scope::ORG {
            caller.can_write(&project)
                || (gate.is_some()
                    && (caller.roles.iter().any(|r| r.role != Role::Viewer)
                        || rec.kind == offgrid_common::model::RecordKind::PatrolRun.as_str()))
        } else {
            caller.can_write(&project)
        };
        if project == crate::scope::ORG && existing.is_none() {
            crate::accounts::ensure_org(tx)?;
        }
        if !writes {
            out.rejected.push(reject(
                "forbidden",
                format!("no write access to project {project}"),
            ));
            continue;
        }
        if existing.is_none() && !tx.project_exists(&rec.project)? {
            out.rejected.push(reject(
                "unknown_project",
                format!("project {} does not exist on the server", rec.project),
            ));
            continue;
        }
        let mut new = Vec::new();
        for c in changes {
            if tx.change_state(&rec.id, &c.hash)?.is_none() {
                new.push(c);
            }
        }
        // The record's size with these changes, before the gate opens it.
        let stored = tx.record_bytes(&rec.id)?;
        let bytes = stored + new.iter().map(|c| c.data.len() as u64).sum::<u64>();
        if bytes > limits::MAX_RECORD_BYTES && !new.is_empty() {
            let e = limits::Exceeded::RecordBytes(bytes);
            tracing::warn!(record = %rec.id, limit = e.tag(), "push refused");
            out.limits.push(e.tag());
            out.rejected
                .push(reject("too_large", format!("{}: {e}", e.tag())));
            continue;
        }
        // Every new change is the pushing account's own: a device sends what its user wrote.
        // One exception: the first change of a hazard raised from a patrol observation names
        // the runner who saw it, whoever raised it; it is accepted from another account only
        // if it is exactly what the observation on the run held here gives.
        if gate.is_some()
            && let Some(c) = new.iter().find(|c| {
                c.author.as_deref() != Some(caller.user_id.as_str())
                    && !(existing.is_none()
                        && c.deps.is_empty()
                        && rec.kind == offgrid_common::model::RecordKind::Hazard.as_str()
                        && crate::gate::is_observed_genesis(tx, &rec.id, &rec.project, &c.data))
            })
        {
            out.rejected.push(reject(
                "forbidden",
                format!(
                    "author_mismatch: change {} names {} as its author, but {} pushed it",
                    &c.hash[..12],
                    c.author
                        .as_deref()
                        .map_or("nobody".into(), |a| format!("{a:?}")),
                    caller.user_id
                ),
            ));
            continue;
        }
        // The gate: the record as it would be, judged as the caller, before anything is stored.
        let judged = match gate {
            Some(cache) if !new.is_empty() => {
                let data: Vec<&[u8]> = new.iter().map(|c| c.data.as_slice()).collect();
                match crate::gate::check(cache, tx, rec, existing.as_ref(), &data, caller)? {
                    Ok(j) => Some(j),
                    Err(refusal) => {
                        tracing::info!(record = %rec.id, rule = refusal.name(), "push refused by the gate");
                        out.refused += 1;
                        // Past a limit on what a change may hold: malformed, not forbidden.
                        let code = if refusal.name() == "depth" {
                            out.limits.push("depth");
                            "bad_change"
                        } else {
                            "forbidden"
                        };
                        out.rejected.push(reject(code, refusal.to_string()));
                        continue;
                    }
                }
            }
            _ => None,
        };
        let row = match existing {
            Some(row) => row,
            None => {
                let row = RecordRow {
                    id: rec.id.clone(),
                    project: rec.project.clone(),
                    kind: rec.kind.clone(),
                    heads: Vec::new(),
                };
                tx.insert_record(&row, now)?;
                row
            }
        };
        // What the server checks in a patrol scan: its SUN message, with the tag keys it holds.
        // The acknowledgement carries every finding on the run, so a phone whose previous
        // response was lost (its changes now held here, not new) still learns them.
        // And its verdict, judged again from the server's copies of the plan and the site, and
        // the device's clock against the server's.
        let mut checks = BTreeMap::new();
        let mut found_any = false;
        if row.kind == offgrid_common::model::RecordKind::PatrolRun.as_str() {
            let ops: Vec<crate::sun::ScanOps> =
                new.iter().map(|c| crate::sun::scan_ops(&c.data)).collect();
            // Judged again only when the push records a scan (most pushes to a run do not).
            let scans: BTreeSet<String> = new
                .iter()
                .zip(&ops)
                .filter(|(_, o)| o.records_scan)
                .map(|(c, _)| c.hash.clone())
                .collect();
            let disputed = match &judged {
                Some(j) if !scans.is_empty() => {
                    crate::gate::disputed_scans(tx, &rec.id, &j.doc, &scans)?
                }
                _ => Vec::new(),
            };
            for (c, o) in new.iter().zip(&ops) {
                let mut found = crate::sun::check_payloads(tx, &rec.id, &c.hash, &o.payloads)?;
                if disputed.contains(&c.hash) {
                    found.push(ServerCheck::Disputed);
                }
                if c.time_ms > now + CLOCK_SLACK_MS {
                    found.push(ServerCheck::ClockAhead);
                }
                if !found.is_empty() {
                    tx.set_change_check(&rec.id, &c.hash, &check::join(&found))?;
                }
            }
            found_any = true;
        } else {
            // Every kind: a change stamped after the server received it (issue 28). A record
            // is evidence of when things were done; the device's clock may be wrong.
            for c in &new {
                if c.time_ms > now + CLOCK_SLACK_MS {
                    tx.set_change_check(&rec.id, &c.hash, ServerCheck::ClockAhead.as_str())?;
                    found_any = true;
                }
            }
        }
        if found_any {
            checks = tx.change_checks(&rec.id)?.into_iter().collect();
        }
        for c in new {
            tx.insert_change(&ChangeRow {
                record: rec.id.clone(),
                hash: c.hash.clone(),
                deps: c.deps.clone(),
                data: c.data.clone(),
                device_time_ms: c.time_ms,
                received_ms: now,
                user_id: caller.user_id.clone(),
                device: device.to_owned(),
            })?;
        }
        let (heads, applied, missing) = apply_ready(tx, &row)?;
        out.applied += applied.len();
        if let (Some(cache), Some(j)) = (gate, judged) {
            crate::gate::keep(cache, &rec.id, j, &heads, bytes);
        }
        if !applied.is_empty() {
            tx.set_heads(&rec.id, &heads)?;
            feed.entry(row.project.clone())
                .or_default()
                .extend(applied.into_iter().map(|h| (rec.id.clone(), h)));
        }
        for sha in &rec.photos {
            tx.add_blob_ref(&row.project, sha, &rec.id)?;
            if !tx.blob_granted(&row.project, sha)? {
                let need = NeedBlob {
                    sha256: sha.clone(),
                    project: row.project.clone(),
                };
                if !out.need_blobs.contains(&need) {
                    out.need_blobs.push(need);
                }
            }
        }
        if missing.is_empty() {
            out.acked.push(Acked {
                id: rec.id.clone(),
                heads,
                checks,
            });
        } else {
            out.missing.push(MissingDeps {
                id: rec.id.clone(),
                deps: missing,
            });
        }
    }
    for (project, entries) in &feed {
        tx.append_feed(project, entries, device)?;
    }
    Ok(out)
}

/// Applies every stored change of the record whose dependencies are applied, repeatedly.
/// Returns the new heads, the hashes applied (in order) and the dependencies still missing.
fn apply_ready(
    tx: &mut dyn Tx,
    row: &RecordRow,
) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let mut heads: BTreeSet<String> = row.heads.iter().cloned().collect();
    let mut pending: BTreeMap<String, Vec<String>> =
        tx.pending_changes(&row.id)?.into_iter().collect();
    let mut known: BTreeMap<String, bool> = BTreeMap::new();
    let mut applied = Vec::new();
    loop {
        let mut progress = false;
        let mut ready: Vec<String> = Vec::new();
        for (hash, deps) in &pending {
            let mut all = true;
            for d in deps {
                let ok = match known.get(d) {
                    Some(v) => *v,
                    None => {
                        let v = tx.change_state(&row.id, d)? == Some(true);
                        known.insert(d.clone(), v);
                        v
                    }
                };
                if !ok {
                    all = false;
                    break;
                }
            }
            if all {
                ready.push(hash.clone());
            }
        }
        ready.sort();
        for hash in ready {
            let deps = pending.remove(&hash).unwrap_or_default();
            tx.mark_applied(&row.id, &hash)?;
            known.insert(hash.clone(), true);
            for d in &deps {
                heads.remove(d);
            }
            heads.insert(hash.clone());
            applied.push(hash);
            progress = true;
        }
        if !progress || pending.is_empty() {
            break;
        }
    }
    let mut missing = BTreeSet::new();
    for deps in pending.values() {
        for d in deps {
            if !pending.contains_key(d) && tx.change_state(&row.id, d)?.is_none() {
                missing.insert(d.clone());
            }
        }
    }
    Ok((
        heads.into_iter().collect(),
        applied,
        missing.into_iter().collect(),
    ))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cursor {
    Bootstrap { start: Option<i64>, after: String },
    Feed(i64),
}

impl Cursor {
    fn parse(s: &str) -> Result<Cursor> {
        let bad = || Error::BadRequest("malformed cursor (send back what the server gave)".into());
        if s.is_empty() {
            return Ok(Cursor::Bootstrap {
                start: None,
                after: String::new(),
            });
        }
        if let Some(rest) = s.strip_prefix('b') {
            let (start, after) = rest.split_once(':').ok_or_else(bad)?;
            let start = start.parse::<i64>().map_err(|_| bad())?;
            if !after.is_empty() && !is_valid_id(after) {
                return Err(bad());
            }
            return Ok(Cursor::Bootstrap {
                start: Some(start),
                after: after.to_owned(),
            });
        }
        s.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Cursor::Feed)
            .ok_or_else(bad)
    }

    fn render(&self) -> String {
        match self {
            Cursor::Feed(n) => n.to_string(),
            Cursor::Bootstrap { start, after } => format!("b{}:{after}", start.unwrap_or(0)),
        }
    }
}

/// The feeds after `cursors`. The organisation scope goes first (a record pulled in the same
/// response never waits for the reference data it names), filtered by `org_reads`, with whole
/// records for its feed entries (see [`crate::scope`]).
/// Records asked for by id (`fetch`) come whole after the feeds, while the budget lasts, if
/// `reads(project, id)`. Also returns the scopes whose cursor reached the end of their feed,
/// with the feed's head.
#[allow(clippy::type_complexity)]
fn pull(
    tx: &mut dyn Tx,
    cursors: &BTreeMap<String, Cursor>,
    device: &str,
    budget: u64,
    reads: &dyn Fn(&str, &str) -> bool,
    fetch: &[String],
) -> Result<(
    Vec<Pulled>,
    BTreeMap<String, String>,
    bool,
    Vec<(String, i64)>,
)> {
    let org_reads = |id: &str| reads(ORG, id);
    let mut out: Vec<Pulled> = Vec::new();
    let mut next = BTreeMap::new();
    let mut used: u64 = 0;
    let mut more = false;
    let mut caught_up = Vec::new();
    let ordered = cursors
        .iter()
        .filter(|(p, _)| p.as_str() == ORG)
        .chain(cursors.iter().filter(|(p, _)| p.as_str() != ORG));
    for (project, cursor) in ordered {
        let org = project == ORG;
        let mut cursor = cursor.clone();
        let head = tx.feed_head(project)?;
        if let Cursor::Feed(n) = cursor
            && n > head
        {
            // The server's feed is behind the client (restored from a backup): start over.
            tracing::warn!(project = %project, cursor = n, head, "cursor ahead of the feed; bootstrapping");
            cursor = Cursor::Bootstrap {
                start: None,
                after: String::new(),
            };
        }
        'project: loop {
            if used >= budget {
                more = true;
                break;
            }
            match &mut cursor {
                Cursor::Bootstrap { start, after } => {
                    let start_seq = *start.get_or_insert(head);
                    let rows = tx.records_after(project, after, RECORD_PAGE)?;
                    let count = rows.len();
                    // The last page of records, and every one of them sent: the budget may run
                    // out part-way through a short page, and the rest of it is the next
                    // response's (issue 28: a new device missed records here).
                    let mut done = count < RECORD_PAGE;
                    for (i, r) in rows.into_iter().enumerate() {
                        if org && !org_reads(&r.id) {
                            *after = r.id;
                            continue;
                        }
                        let p = whole(tx, project, &r.id, &r.kind)?;
                        used += pulled_bytes(&p);
                        out.push(p);
                        *after = r.id;
                        if used >= budget {
                            done = done && i + 1 == count;
                            break;
                        }
                    }
                    if done && used < budget {
                        cursor = Cursor::Feed(start_seq);
                    } else if done {
                        // Finished exactly at the budget: the next request moves to the feed.
                        cursor = Cursor::Feed(start_seq);
                        more = more || tx.feed_head(project)? > start_seq;
                        break 'project;
                    }
                }
                Cursor::Feed(n) => {
                    let rows = tx.feed_after(project, *n, FEED_PAGE)?;
                    if rows.is_empty() {
                        break 'project;
                    }
                    let full_page = rows.len() == FEED_PAGE;
                    let count = rows.len();
                    for (i, row) in rows.into_iter().enumerate() {
                        *n = row.seq;
                        if org {
                            // A readable record, whole, once per response.
                            if row.device != device
                                && org_reads(&row.record)
                                && !out.iter().any(|p| p.id == row.record && p.project == ORG)
                            {
                                let p = whole(tx, project, &row.record, &row.kind)?;
                                used += pulled_bytes(&p);
                                out.push(p);
                            }
                        } else if row.device != device {
                            used += row.data.len() as u64;
                            match out.last_mut() {
                                Some(last)
                                    if last.id == row.record
                                        && last.snapshot.is_none()
                                        && last.project == *project =>
                                {
                                    last.changes.push(Bytes(row.data));
                                    last.received_ms.push(row.received_ms);
                                    last.received_by.push(row.user_id);
                                }
                                _ => out.push(Pulled {
                                    project: project.clone(),
                                    id: row.record,
                                    kind: row.kind,
                                    changes: vec![Bytes(row.data)],
                                    snapshot: None,
                                    received_ms: vec![row.received_ms],
                                    received_by: vec![row.user_id],
                                    checks: BTreeMap::new(),
                                }),
                            }
                        }
                        if used >= budget {
                            if i + 1 < count || full_page || tx.feed_head(project)? > *n {
                                more = true;
                            }
                            break 'project;
                        }
                    }
                    if !full_page {
                        break 'project;
                    }
                }
            }
        }
        let head_now = tx.feed_head(project)?;
        if matches!(cursor, Cursor::Feed(n) if n >= head_now) {
            caught_up.push((project.clone(), head_now));
        }
        next.insert(project.clone(), cursor.render());
    }
    for id in fetch {
        // What did not fit, the device asks for again.
        if used >= budget {
            break;
        }
        let Some(row) = tx.record(id)? else { continue };
        if row.heads.is_empty()
            || !reads(&row.project, &row.id)
            || out.iter().any(|p| p.id == row.id && p.snapshot.is_some())
        {
            continue;
        }
        let p = whole(tx, &row.project, &row.id, &row.kind)?;
        used += pulled_bytes(&p);
        out.push(p);
    }
    // What the server found in the pulled records' changes (every kind: a clock ahead of the
    // server's; patrol runs: their scans too), in one query.
    let ids: Vec<String> = out.iter().map(|p| p.id.clone()).collect();
    let mut found: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (record, hash, finding) in tx.checks_of(&ids)? {
        found.entry(record).or_default().insert(hash, finding);
    }
    for p in &mut out {
        if let Some(checks) = found.get(&p.id) {
            p.checks = checks.clone();
        }
    }
    Ok((out, next, more, caught_up))
}

/// Every applied change of a record, as one snapshot when it has many.
fn whole(tx: &mut dyn Tx, project: &str, id: &str, kind: &str) -> Result<Pulled> {
    let changes = tx.applied_changes(id)?;
    // A patrol run is evidence: its changes travel one by one, with when, from whom and what
    // the server checked of each.
    let snapshot = if changes.len() > SNAPSHOT_AFTER_CHANGES
        && kind != offgrid_common::model::RecordKind::PatrolRun.as_str()
    {
        snapshot(id, &changes)
    } else {
        None
    };
    Ok(match snapshot {
        Some(s) => Pulled {
            project: project.to_owned(),
            id: id.to_owned(),
            kind: kind.to_owned(),
            changes: Vec::new(),
            snapshot: Some(Bytes(s)),
            received_ms: Vec::new(),
            received_by: Vec::new(),
            checks: BTreeMap::new(),
        },
        None => Pulled {
            project: project.to_owned(),
            id: id.to_owned(),
            kind: kind.to_owned(),
            received_ms: changes.iter().map(|c| c.1).collect(),
            received_by: changes.iter().map(|c| c.2.clone()).collect(),
            changes: changes.into_iter().map(|c| Bytes(c.0)).collect(),
            snapshot: None,
            checks: BTreeMap::new(),
        },
    })
}

/// The record as one saved document, or `None` (then its changes are sent) if its changes do
/// not load (one bad record must not stop a project's bootstrap), or if the document is past
/// the limits a device holds a pulled document to (it would refuse it; each change passes).
fn snapshot(id: &str, changes: &[(Vec<u8>, i64, String)]) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    for (c, _, _) in changes {
        all.extend_from_slice(c);
    }
    let loaded = std::panic::catch_unwind(|| automerge::Automerge::load(&all).map(|d| d.save()));
    match loaded {
        Ok(Ok(bytes)) => match offgrid_doc::limits::check_document_chunk(&bytes) {
            Ok(()) => Some(bytes),
            Err(e) => {
                tracing::warn!(record = %id, limit = e.tag(), "record too large for a snapshot; sending its changes");
                None
            }
        },
        Ok(Err(e)) => {
            tracing::warn!(record = %id, error = %e, "record does not load; sending its changes");
            None
        }
        Err(_) => {
            tracing::warn!(record = %id, "loading the record panicked; sending its changes");
            None
        }
    }
}

fn pulled_bytes(p: &Pulled) -> u64 {
    p.changes.iter().map(|c| c.0.len() as u64).sum::<u64>()
        + p.snapshot.as_ref().map(|s| s.0.len() as u64).unwrap_or(0)
}

/// Compares the client's heads with the server's: records the server lacks changes of (the
/// client pushes their whole history next time) and projects the client should pull again.
pub fn reconcile(
    b: &dyn Backend,
    caller: &Caller,
    req: ReconcileRequest,
) -> Result<ReconcileResponse> {
    // Sorted, so records are locked in the same order as pushes lock them.
    let mut client: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in req.records {
        if !is_valid_id(&r.id) || r.heads.iter().any(|h| !is_sha256_hex(h)) {
            return Err(Error::BadRequest("invalid record id or head".into()));
        }
        client.insert(r.id, r.heads.into_iter().collect());
    }
    if let Some(scope) = &req.scope {
        return device_lacks(b, caller, scope, &client);
    }
    transact(b, |tx| {
        let mut resp = ReconcileResponse::default();
        let mut pull_again = BTreeSet::new();
        for (id, heads) in &client {
            let row = tx.lock_record(id)?;
            match row {
                None => {
                    if !heads.is_empty() {
                        resp.server_lacks.push(id.clone());
                    }
                }
                Some(row) => {
                    if !caller.can_read(&row.project) {
                        continue;
                    }
                    let mut lacks = false;
                    for h in heads {
                        if tx.change_state(id, h)? != Some(true) {
                            lacks = true;
                        }
                    }
                    if lacks {
                        resp.server_lacks.push(id.clone());
                    }
                    let server: BTreeSet<String> = row.heads.iter().cloned().collect();
                    if !server.is_subset(heads) {
                        // The client may lack server changes (or simply be ahead: the server
                        // cannot tell without its whole history), so it pulls the project
                        // again. Idempotent; it costs bandwidth only.
                        pull_again.insert(row.project.clone());
                    }
                }
            }
        }
        for role in &caller.roles {
            if pull_again.contains(&role.project) {
                continue;
            }
            let mut after = String::new();
            loop {
                let rows = tx.records_after(&role.project, &after, 500)?;
                let n = rows.len();
                for r in rows {
                    if !client.contains_key(&r.id) {
                        pull_again.insert(role.project.clone());
                    }
                    after = r.id;
                }
                if n < 500 || pull_again.contains(&role.project) {
                    break;
                }
            }
        }
        resp.server_lacks.sort();
        resp.pull_again = pull_again.into_iter().collect();
        Ok(resp)
    })
}

/// The records of `scope` the caller reads whose heads here are not the heads `client` sent
/// (or that it did not send): what a device whose digest of the scope did not match lacks.
fn device_lacks(
    b: &dyn Backend,
    caller: &Caller,
    scope: &str,
    client: &BTreeMap<String, BTreeSet<String>>,
) -> Result<ReconcileResponse> {
    if !is_valid_id(scope) {
        return Err(Error::BadRequest("scope must be a project id".into()));
    }
    transact(b, |tx| {
        let index = b.org_index().current(tx)?;
        let reach = index.reach(caller);
        let reads = |id: &str| {
            if scope == ORG {
                reach.reads(id)
            } else {
                caller.can_read(scope)
            }
        };
        let mut lacks = Vec::new();
        let mut after = String::new();
        'pages: loop {
            let rows = tx.records_after(scope, &after, 500)?;
            let n = rows.len();
            for r in rows {
                after = r.id.clone();
                if r.heads.is_empty() || !reads(&r.id) {
                    continue;
                }
                let same = client.get(&r.id).is_some_and(|heads| {
                    heads.len() == r.heads.len() && r.heads.iter().all(|h| heads.contains(h))
                });
                if !same {
                    lacks.push(r.id);
                    if lacks.len() >= MAX_LACKS {
                        break 'pages;
                    }
                }
            }
            if n < 500 {
                break;
            }
        }
        Ok(ReconcileResponse {
            device_lacks: lacks,
            ..Default::default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for c in [
            Cursor::Feed(0),
            Cursor::Feed(42),
            Cursor::Bootstrap {
                start: Some(7),
                after: "r-1".into(),
            },
        ] {
            assert_eq!(Cursor::parse(&c.render()).unwrap(), c);
        }
        assert_eq!(
            Cursor::parse("").unwrap(),
            Cursor::Bootstrap {
                start: None,
                after: String::new()
            }
        );
        for bad in ["x", "-1", "b", "b1", "bx:y", "b1:../etc", "1.5"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }
}
