//! The sync client: [`login`], [`sync`] (push every dirty record and pull every project feed,
//! looping while the server says "more", then photos), [`reconcile`], and the status a screen
//! shows. A response is applied in one store transaction: changes, query tables, acknowledged
//! heads and cursors commit together, so a crash or a lost response at any point only means
//! some work is repeated, never lost.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::http::{RetryPolicy, Transport};
use super::photos;
use super::protocol::{
    Account, Bytes, DEFAULT_PULL_BYTES, LoginRequest, LoginResponse, MAX_DOCUMENTS, MAX_FETCH,
    PushRecord, ReconcileRequest, ReconcileResponse, RecordHeads, ScopeDigest, SyncRequest,
    SyncResponse,
};
use crate::doc::limits;
use crate::error::{Error, Result};
use crate::model::{RecordId, User};
use crate::store::{PhotoFile, PhotoState, Store, SyncAccount, sync_state};

const LAST_SUCCESS: &str = "sync.last_success_ms";
const LAST_ATTEMPT: &str = "sync.last_attempt_ms";
const LAST_ERROR: &str = "sync.last_error";
const UNVERIFIED: &str = "sync.unverified";
/// Per scope (`sync.verified.<scope>`): the server's and this device's digests that a
/// reconcile found nothing lacking between.
const VERIFIED: &str = "sync.verified.";

/// How a sync runs.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Pull budget per response (bytes of change data).
    pub max_pull_bytes: u64,
    /// Push budget per request (bytes of change data); more dirty records go in later rounds.
    pub max_push_bytes: usize,
    /// Download the photos of pulled records this device lacks.
    pub download_photos: bool,
    /// How each request is retried and timed out.
    pub retry: RetryPolicy,
    /// Safety net against a server that always says "more".
    pub max_rounds: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_pull_bytes: DEFAULT_PULL_BYTES,
            max_push_bytes: 4 << 20,
            download_photos: true,
            retry: RetryPolicy::default(),
            max_rounds: 1000,
        }
    }
}

/// Progress, reported after every round trip and photo.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// "push_pull", "photos_up", "photos_down" or "done".
    pub phase: String,
    /// Records the server acknowledged so far.
    pub records_up: u64,
    /// Records received from the server so far.
    pub records_down: u64,
    /// Bytes sent so far, photos included (bodies as sent, plus an estimate for headers).
    pub bytes_up: u64,
    /// Bytes received so far, photos included.
    pub bytes_down: u64,
    /// Photos uploaded so far.
    pub photos_up: u64,
    /// Photos downloaded so far.
    pub photos_down: u64,
    /// Push/pull round trips so far.
    pub round_trips: u64,
}

/// A record the server refused, and why (it stays on the device, unsynced).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRejection {
    /// The refused record's id, or `template:<id>` for a template version.
    pub id: String,
    /// The refusal's code: the server's (`forbidden`, `wrong_project`, `unknown_project`,
    /// `bad_change`, `too_large`, `bad_id`), or `no_project` for a record that names no project.
    pub code: String,
    /// Why, in words for a developer and the log.
    pub reason: String,
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The counts of the sync as it ended.
    pub progress: SyncProgress,
    /// Records the server refused, and records that cannot be synced (`no_project`).
    pub rejected: Vec<SyncRejection>,
    /// Records still unacknowledged (rejected ones, or pushed with missing dependencies).
    pub pending_records: u64,
    /// Photos referenced by this device's records that the server has not verified.
    pub pending_photos: u64,
    /// Everything is on the server, photos included, and this device holds everything the
    /// server holds for it (every scope's digest matched).
    pub complete: bool,
    /// Records this device found it lacked (a scope's digest did not match the server's)
    /// and fetched again.
    pub repaired: u64,
    /// Scopes (projects, `org`) whose digest still does not match the server's after the
    /// repair: something the server holds is not on this device (see the log).
    pub unverified: Vec<String>,
}

/// What a sync screen shows, read from the store (no network).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// A sync account is saved on this device (logged in once).
    pub signed_in: bool,
    /// The server this device syncs with (`None`: not signed in).
    pub server_url: Option<String>,
    /// The account's user id (`None`: not signed in).
    pub user_id: Option<String>,
    /// When a sync last ended complete ([`SyncReport::complete`]), UTC ms by the device's system
    /// clock (`None`: never).
    pub last_success_ms: Option<i64>,
    /// When a sync was last started, UTC ms by the device's system clock (`None`: never).
    pub last_attempt_ms: Option<i64>,
    /// Why the last sync failed, in words (`None`: it did not fail, or none ran).
    pub last_error: Option<String>,
    /// Records with changes the server has not acknowledged.
    pub pending_records: u64,
    /// Photos referenced by this device's records that the server has not verified.
    pub pending_photos: u64,
    /// Records the server refused (kept on the device with all their data), with why.
    pub refused: Vec<SyncRejection>,
    /// Scopes the last sync found this device lacking records of and could not repair.
    pub unverified: Vec<String>,
}

/// The store's user for an account (roles as the server gave them).
pub fn user_of(account: &Account) -> User {
    User {
        id: account.id.clone(),
        name: account.name.clone(),
        roles: account.roles.clone(),
    }
}

/// The store's meta key that allows plain `http://` to a server off this machine.
const INSECURE_HTTP: &str = "sync_insecure_http";

/// Plain `http://` only to this machine (a server on the same desktop, tests, the demo) unless
/// the store allows it: a phone must never send a password or a token in clear by mistake.
fn check_scheme(store: &Store, url: &str) -> Result<()> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || store.insecure_http_allowed()? {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "refusing plain http:// to {host}: passwords and tokens would cross the network in \
         clear; use https://, or allow insecure HTTP for this store explicitly"
    )))
}

/// Logs in once (online), saves the token and account in the store, and makes the account the
/// store's user. From then on the device works offline as long as it needs. A plain `http://`
/// server off this machine is refused unless the store allows it
/// ([`Store::set_insecure_http_allowed`]).
pub fn login(
    store: &Store,
    server_url: &str,
    user: &str,
    password: &str,
    device: &str,
) -> Result<Account> {
    check_scheme(store, server_url)?;
    let mut t = Transport::new(
        server_url,
        None,
        RetryPolicy {
            attempts: 3,
            ..Default::default()
        },
        Arc::new(AtomicBool::new(false)),
    )?;
    let resp: LoginResponse = t.post_json(
        "/v1/login",
        &LoginRequest {
            user: user.to_owned(),
            password: password.to_owned(),
            device: device.to_owned(),
        },
    )?;
    store.set_sync_account(&SyncAccount {
        server_url: t.base().to_owned(),
        account: resp.account.clone(),
        token: resp.token,
        token_id: resp.token_id,
        device: device.to_owned(),
    })?;
    store.set_user(user_of(&resp.account));
    tracing::info!("logged in");
    Ok(resp.account)
}

impl Store {
    /// Allows (or forbids again) plain `http://` to a server off this machine: for a test
    /// server on a closed network only. Off by default.
    pub fn set_insecure_http_allowed(&self, allowed: bool) -> Result<()> {
        self.set_sync_meta(INSECURE_HTTP, allowed.then_some("1"))
    }

    /// Whether plain `http://` to a server off this machine is allowed
    /// ([`Store::set_insecure_http_allowed`]).
    pub fn insecure_http_allowed(&self) -> Result<bool> {
        Ok(self.sync_meta(INSECURE_HTTP)?.is_some())
    }

    /// The sync status (no network).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let account = self.sync_account()?;
        let num =
            |k| -> Result<Option<i64>> { Ok(self.sync_meta(k)?.and_then(|v| v.parse().ok())) };
        Ok(SyncStatus {
            signed_in: account.is_some(),
            server_url: account.as_ref().map(|a| a.server_url.clone()),
            user_id: account.as_ref().map(|a| a.account.id.clone()),
            last_success_ms: num(LAST_SUCCESS)?,
            last_attempt_ms: num(LAST_ATTEMPT)?,
            last_error: self.sync_meta(LAST_ERROR)?,
            pending_records: self.dirty_count()?,
            pending_photos: self.pending_photo_count()?,
            refused: self
                .sync_refusals()?
                .into_iter()
                .map(|r| SyncRejection {
                    id: r.id.0,
                    code: r.code,
                    reason: r.reason,
                })
                .collect(),
            unverified: self
                .sync_meta(UNVERIFIED)?
                .map(|v| v.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }

    fn pending_photo_count(&self) -> Result<u64> {
        Ok(self
            .photo_queue(None)?
            .into_iter()
            .filter(|p| p.state != PhotoState::Verified)
            .count() as u64)
    }
}

/// Pushes every dirty record, pulls every project feed (looping while there is more), then
/// uploads the photos the server lacks and downloads those this device lacks. Transient
/// failures are retried with backoff; `cancel` stops at the next step. The outcome is saved
/// for [`Store::sync_status`].
pub fn sync(
    store: &Store,
    options: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    cancel: Arc<AtomicBool>,
) -> Result<SyncReport> {
    let now = crate::model::SystemClock::default();
    let _ = store.set_sync_meta(
        LAST_ATTEMPT,
        Some(&crate::model::Clock::now(&now).unix_ms.to_string()),
    );
    let result = sync_inner(store, options, progress, cancel);
    match &result {
        Ok(report) => {
            store.set_sync_meta(LAST_ERROR, None)?;
            if report.complete {
                store.set_sync_meta(
                    LAST_SUCCESS,
                    Some(&crate::model::Clock::now(&now).unix_ms.to_string()),
                )?;
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "sync failed");
            let _ = store.set_sync_meta(LAST_ERROR, Some(&e.to_string()));
        }
    }
    result
}

fn sync_inner(
    store: &Store,
    options: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    cancel: Arc<AtomicBool>,
) -> Result<SyncReport> {
    let account = store.sync_account()?.ok_or(Error::NotSignedIn)?;
    check_scheme(store, &account.server_url)?;
    if store.user().is_none() {
        store.set_user(user_of(&account.account));
    }
    let mut t = Transport::new(
        &account.server_url,
        Some(account.token.clone()),
        options.retry.clone(),
        cancel,
    )?;
    let device = store.actor_id();
    let mut report = SyncReport::default();
    // Refused records, and records still missing dependencies after their whole history was
    // sent once: not pushed again in this sync.
    let mut excluded: HashSet<RecordId> = HashSet::new();
    let mut resent: HashSet<RecordId> = HashSet::new();
    // Photos the pulled records reference, read while each document was open.
    let mut pulled_photos: BTreeSet<String> = BTreeSet::new();
    let mut declared: BTreeSet<String> = BTreeSet::new();
    report.progress.phase = "push_pull".into();

    // What the server says this device holds of each scope, from the last response that
    // caught the scope up.
    let mut digests: BTreeMap<String, ScopeDigest> = BTreeMap::new();
    // A pull-only request for the next page, sent while the previous page was applied.
    let mut prefetched: Option<(SyncRequest, SyncResponse)> = None;
    for round in 0..options.max_rounds {
        t.check_cancel()?;
        let (request, resp, more_dirty) = match prefetched.take() {
            // Records written since the last push round are pushed by the next round.
            Some((request, resp)) => (request, resp, store.dirty_count()? > 0),
            None => {
                let (push, more_dirty) =
                    build_push(store, options, &mut excluded, &mut report.rejected)?;
                let request = SyncRequest {
                    device: device.clone(),
                    cursors: store.sync_cursors()?,
                    push,
                    max_bytes: Some(options.max_pull_bytes),
                    templates: store.unpushed_templates()?,
                    pushed_all: !more_dirty,
                    documents: store.with_writer_conn(|c| {
                        crate::documents::issued::unreported(c, MAX_DOCUMENTS)
                    })?,
                    fetch: Vec::new(),
                };
                let sent = std::time::Instant::now();
                let resp: SyncResponse = t.post_json("/v1/sync", &request)?;
                tracing::debug!(
                    pushed = request.push.len(),
                    ms = sent.elapsed().as_millis() as u64,
                    "sync round trip"
                );
                (request, resp, more_dirty)
            }
        };
        report.progress.round_trips += 1;
        for p in &request.push {
            declared.extend(p.photos.iter().cloned());
        }
        // More to pull and nothing of ours in flight: the next page's request is known now (the
        // cursors this response carries), so it travels while this page is applied.
        let next = (resp.more
            && !more_dirty
            && round + 1 < options.max_rounds
            && request.push.is_empty()
            && request.templates.is_empty()
            && request.documents.is_empty())
        .then(|| {
            let mut cursors = request.cursors.clone();
            cursors.extend(resp.cursors.iter().map(|(k, v)| (k.clone(), v.clone())));
            SyncRequest {
                device: device.clone(),
                cursors,
                push: Vec::new(),
                max_bytes: Some(options.max_pull_bytes),
                templates: Vec::new(),
                pushed_all: false,
                documents: Vec::new(),
                fetch: Vec::new(),
            }
        });
        let (applied, fetched) = std::thread::scope(|scope| {
            let fetch = next.map(|next| {
                let t = &mut t;
                scope.spawn(move || {
                    let resp: Result<SyncResponse> = t.post_json("/v1/sync", &next);
                    resp.map(|resp| (next, resp))
                })
            });
            let applied = apply_response(store, &account.account.id, &request, &resp);
            let fetched = fetch.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Network(
                        "the sync request failed unexpectedly".into(),
                    ))
                })
            });
            (applied, fetched)
        });
        pulled_photos.extend(applied?);
        prefetched = fetched.transpose()?;
        track_digests(&mut digests, &resp);
        for r in &resp.template_refusals {
            tracing::warn!(template = %r.id, code = %r.code, "template refused by the server");
            report.rejected.push(SyncRejection {
                id: format!("template:{}", r.id),
                code: r.code.clone(),
                reason: r.reason.clone(),
            });
        }
        for r in &resp.rejected {
            excluded.insert(RecordId(r.id.clone()));
            tracing::warn!(record = %r.id, code = %r.code, "record refused by the server");
            report.rejected.push(SyncRejection {
                id: r.id.clone(),
                code: r.code.clone(),
                reason: r.reason.clone(),
            });
        }
        // The server lacks history we thought it had: its acked heads were forgotten when the
        // response was applied, so the next round sends the whole record, once.
        let mut resend = false;
        for m in &resp.missing {
            let id = RecordId(m.id.clone());
            if resent.insert(id.clone()) {
                resend = true;
            } else {
                excluded.insert(id);
            }
        }
        report.progress.records_up += resp.acked.len() as u64;
        report.progress.records_down += resp.pull.len() as u64;
        report.progress.bytes_up = t.bytes_up;
        report.progress.bytes_down = t.bytes_down;
        progress(&report.progress);
        if !resp.more && !more_dirty && !resend {
            break;
        }
    }

    // Everything the server holds for this device is here, or is fetched now.
    let (repaired, unverified) =
        verify_scopes(store, &mut t, &digests, options, &mut pulled_photos)?;
    report.repaired = repaired;
    report.unverified = unverified;
    store.set_sync_meta(
        UNVERIFIED,
        (!report.unverified.is_empty())
            .then(|| report.unverified.join(","))
            .as_deref(),
    )?;

    // Photos: upload what the server asked for (this sync or an earlier one cut off), mark
    // what it has.
    report.progress.phase = "photos_up".into();
    let needed: Vec<super::protocol::NeedBlob> = store
        .pending_uploads()?
        .into_iter()
        .map(|(sha256, project)| super::protocol::NeedBlob { sha256, project })
        .collect();
    let needed_set: BTreeSet<&str> = needed.iter().map(|n| n.sha256.as_str()).collect();
    for sha in &declared {
        if !needed_set.contains(sha.as_str())
            && store.photo_path(sha, PhotoFile::Original)?.is_some()
        {
            let _ = store.set_photo_state(sha, PhotoState::Verified);
        }
    }
    for need in &needed {
        t.check_cancel()?;
        if photos::upload(&mut t, store, need)? {
            report.progress.photos_up += 1;
            store.upload_done(&need.sha256, &need.project)?;
        }
        report.progress.bytes_up = t.bytes_up;
        progress(&report.progress);
    }

    if options.download_photos {
        report.progress.phase = "photos_down".into();
        for sha in &pulled_photos {
            if store.photo_path(sha, PhotoFile::Original)?.is_some() {
                continue;
            }
            t.check_cancel()?;
            match photos::download(&mut t, store, sha) {
                Ok(()) => report.progress.photos_down += 1,
                // Not uploaded yet by its author: the next sync gets it.
                Err(Error::Server { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
            report.progress.bytes_down = t.bytes_down;
            progress(&report.progress);
        }
    }

    // Records refused earlier and not changed since were not sent again: still reported.
    for r in store.sync_refusals()? {
        if !report.rejected.iter().any(|x| x.id == r.id.0) {
            report.rejected.push(SyncRejection {
                id: r.id.0,
                code: r.code,
                reason: r.reason,
            });
        }
    }
    report.pending_records = store.dirty_count()?;
    report.pending_photos = store.pending_photo_count()?;
    report.complete =
        report.pending_records == 0 && report.pending_photos == 0 && report.unverified.is_empty();
    report.progress.phase = "done".into();
    progress(&report.progress);
    tracing::info!(
        round_trips = report.progress.round_trips,
        up = report.progress.records_up,
        down = report.progress.records_down,
        complete = report.complete,
        "sync finished"
    );
    Ok(report)
}

/// Keeps the digest of every scope this response caught up, and forgets the one of a scope it
/// moved without catching up (the device now holds more than that digest says).
fn track_digests(digests: &mut BTreeMap<String, ScopeDigest>, resp: &SyncResponse) {
    for scope in resp.cursors.keys().filter(|k| !k.starts_with('#')) {
        match resp.digests.get(scope) {
            Some(d) => digests.insert(scope.clone(), d.clone()),
            None => digests.remove(scope),
        };
    }
}

/// Compares this device's digest of each scope with the server's; for a scope that differs,
/// asks the server which records it lacks and fetches them whole (issue 28: a device must
/// never call a sync complete while it misses records). Returns how many records were
/// fetched and the scopes that still differ.
fn verify_scopes(
    store: &Store,
    t: &mut Transport,
    digests: &BTreeMap<String, ScopeDigest>,
    options: &SyncOptions,
    photos: &mut BTreeSet<String>,
) -> Result<(u64, Vec<String>)> {
    let mut repaired = 0;
    let mut unverified = Vec::new();
    for (scope, want) in digests {
        let have = store.scope_digest(scope)?;
        if have == *want {
            continue;
        }
        // The same two digests the server already found nothing lacking between: this device
        // holds records beyond what the server counts for it (a site of a cell it left, its
        // own patrol runs), and nothing is missing.
        let pair = format!("{}:{}", want.sha256, have.sha256);
        let verified_key = format!("{VERIFIED}{scope}");
        if store.sync_meta(&verified_key)?.as_deref() == Some(pair.as_str()) {
            continue;
        }
        tracing::warn!(
            scope = %scope,
            held = have.count,
            server = want.count,
            "this device lacks records of a scope; asking for them"
        );
        t.check_cancel()?;
        let records = store
            .scope_acked(scope)?
            .into_iter()
            .map(|(id, heads)| RecordHeads { id, heads })
            .collect();
        let lacks: ReconcileResponse = t.post_json(
            "/v1/reconcile",
            &ReconcileRequest {
                records,
                scope: Some(scope.clone()),
            },
        )?;
        if lacks.device_lacks.is_empty() {
            tracing::info!(scope = %scope, "nothing lacking: this device holds more than the scope");
            store.set_sync_meta(&verified_key, Some(&pair))?;
            continue;
        }
        let mut last = None;
        for ids in lacks.device_lacks.chunks(MAX_FETCH) {
            let mut wanted: Vec<String> = ids.to_vec();
            // Whatever did not fit in one response is asked for again, while answers bring some.
            while !wanted.is_empty() {
                t.check_cancel()?;
                let request = SyncRequest {
                    device: store.actor_id(),
                    cursors: store.sync_cursors()?,
                    push: Vec::new(),
                    max_bytes: Some(options.max_pull_bytes),
                    templates: Vec::new(),
                    pushed_all: false,
                    documents: Vec::new(),
                    fetch: wanted.clone(),
                };
                let resp: SyncResponse = t.post_json("/v1/sync", &request)?;
                let account = store.sync_account()?.ok_or(Error::NotSignedIn)?;
                photos.extend(apply_response(store, &account.account.id, &request, &resp)?);
                let came: HashSet<&str> = resp.pull.iter().map(|p| p.id.as_str()).collect();
                let before = wanted.len();
                wanted.retain(|id| !came.contains(id.as_str()));
                repaired += (before - wanted.len()) as u64;
                if let Some(d) = resp.digests.get(scope) {
                    last = Some(d.clone());
                }
                if wanted.len() == before {
                    break;
                }
            }
        }
        let want = last.as_ref().unwrap_or(want);
        let have = store.scope_digest(scope)?;
        if have != *want {
            tracing::error!(
                scope = %scope,
                held = have.count,
                server = want.count,
                "this device still lacks records of a scope after asking for them"
            );
            unverified.push(scope.clone());
        }
    }
    Ok((repaired, unverified))
}

/// The photos a record references (keys of its `/photos` map).
fn photo_refs(store: &Store, id: &RecordId) -> Result<Vec<String>> {
    Ok(match store.get_path(id, "/photos")? {
        Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    })
}

/// The next batch of dirty records with their unacknowledged changes. `true` if more remain.
/// Records that cannot be pushed at all (no project) are reported in `unsyncable` once and
/// added to `excluded`.
fn build_push(
    store: &Store,
    options: &SyncOptions,
    excluded: &mut HashSet<RecordId>,
    unsyncable: &mut Vec<SyncRejection>,
) -> Result<(Vec<PushRecord>, bool)> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    let dirty = store.dirty_records(100_000)?;
    let refused: std::collections::HashMap<RecordId, Vec<String>> = store
        .sync_refusals()?
        .into_iter()
        .map(|r| (r.id, r.heads))
        .collect();
    let mut more = false;
    for d in dirty {
        if excluded.contains(&d.id) {
            continue;
        }
        // Refused as it is now: not sent again (in a loop) until it changes.
        if let Some(heads) = refused.get(&d.id)
            && *heads == store.heads(&d.id)?
        {
            continue;
        }
        if bytes >= options.max_push_bytes {
            more = true;
            break;
        }
        let project = match (&d.project, d.kind.as_str()) {
            (Some(p), _) => p.clone(),
            (None, "project") => d.id.0.clone(),
            _ => {
                tracing::warn!(record = %d.id, "record without a project is not synced");
                unsyncable.push(SyncRejection {
                    id: d.id.0.clone(),
                    code: "no_project".into(),
                    reason: "the record names no project, so no server project can hold it".into(),
                });
                excluded.insert(d.id.clone());
                continue;
            }
        };
        let changes = store.changes_since(&d.id, &d.acked)?;
        if changes.is_empty() {
            continue;
        }
        bytes += changes.iter().map(Vec::len).sum::<usize>();
        out.push(PushRecord {
            id: d.id.0.clone(),
            project,
            kind: d.kind.clone(),
            changes: changes.into_iter().map(Bytes).collect(),
            heads: store.heads(&d.id)?,
            photos: photo_refs(store, &d.id)?,
        });
    }
    Ok((out, more))
}

/// Applies one response in one transaction: pulled changes (with their projections), the
/// acknowledged heads, the receipts and the cursors. Returns the photos the pulled records
/// reference.
fn apply_response(
    store: &Store,
    account: &str,
    request: &SyncRequest,
    resp: &SyncResponse,
) -> Result<BTreeSet<String>> {
    // Pushed records by id: a response may acknowledge thousands of them.
    let pushed: std::collections::HashMap<&str, &super::protocol::PushRecord> =
        request.push.iter().map(|p| (p.id.as_str(), p)).collect();
    let started = std::time::Instant::now();
    let mut photos = BTreeSet::new();
    let result = std::thread::scope(|scope| {
        let decoded = super::pulled::Decoders::spawn(scope, store, &resp.pull);
        store.write(|w| {
            // Templates before the records made from them.
            for t in &request.templates {
                let name = format!("{}@{}", t["id"].as_str().unwrap_or_default(), t["version"]);
                let refused = resp.template_refusals.iter().any(|r| r.id == name);
                crate::checklist::published::mark_pushed(w.transaction(), t, refused)?;
            }
            for sha in &resp.documents_taken {
                crate::documents::issued::mark_reported(w.transaction(), sha, false)?;
            }
            for r in &resp.document_refusals {
                tracing::warn!(sha256 = %r.id, code = %r.code, "a reported document was refused");
                crate::documents::issued::mark_reported(w.transaction(), &r.id, true)?;
            }
            for t in &resp.templates {
                if let Err(e) = crate::checklist::published::receive(w.transaction(), t) {
                    tracing::warn!(error = %e, "a delivered template was not stored");
                }
            }
            for a in &resp.acked {
                if let Some(p) = pushed.get(a.id.as_str()) {
                    let id = RecordId(a.id.clone());
                    sync_state::set_acked(w.transaction(), &id, &p.heads)?;
                    sync_state::clear_refusal(w.transaction(), &id)?;
                    // The server accepted these changes as pushed by this account.
                    for c in &p.changes {
                        if let Ok(ch) = automerge::Change::from_bytes(c.0.clone()) {
                            let h = ch.hash().to_string();
                            let at = resp.server_time_ms;
                            sync_state::add_receipt(w.transaction(), &id, &h, at, Some(account))?;
                        }
                    }
                    for (hash, check) in &a.checks {
                        sync_state::set_check(w.transaction(), &id, hash, check)?;
                    }
                }
            }
            for r in &resp.rejected {
                if let Some(p) = pushed.get(r.id.as_str()) {
                    let id = RecordId(r.id.clone());
                    let at = resp.server_time_ms;
                    sync_state::set_refusal(
                        w.transaction(),
                        &id,
                        &p.heads,
                        &r.code,
                        &r.reason,
                        at,
                    )?;
                }
            }
            for m in &resp.missing {
                sync_state::set_acked(w.transaction(), &RecordId(m.id.clone()), &[])?;
            }
            for (i, p) in resp.pull.iter().enumerate() {
                let (bytes, prepared) = decoded.take(i);
                apply_pulled(w, p, &bytes, prepared, &mut photos)?;
            }
            for (project, cursor) in &resp.cursors {
                sync_state::set_cursor(w.transaction(), project, cursor)?;
            }
            for n in &resp.need_blobs {
                sync_state::add_upload(w.transaction(), &n.sha256, &n.project)?;
            }
            sync_state::set_watermarks(w.transaction(), &resp.watermarks)?;
            if let Some(zone) = &resp.zone {
                sync_state::set_zone(w.transaction(), zone)?;
            }
            Ok(())
        })
    });
    tracing::debug!(
        pulled = resp.pull.len(),
        acked = resp.acked.len(),
        ms = started.elapsed().as_millis() as u64,
        "response applied"
    );
    result.map(|()| photos)
}

/// Applies one pulled record with its receipts and the server's findings, and moves its acked
/// heads; adds the photos it references to `photos`. A record whose changes are refused is
/// logged and skipped: one bad record must not stop the rest of the sync.
fn apply_pulled(
    w: &mut crate::store::Writer<'_>,
    p: &super::protocol::Pulled,
    bytes: &[u8],
    prepared: Option<crate::store::received::Received>,
    photos: &mut BTreeSet<String>,
) -> Result<()> {
    let id = RecordId(p.id.clone());
    // The limits the server holds pushes to, on what is pulled: a compromised server or a
    // foreign client must not bring down a phone (issue 28).
    if let Err(e) = check_pulled(p) {
        tracing::warn!(record = %id, limit = e.tag(), "pulled changes refused");
        return Ok(());
    }
    let before = sync_state::persisted_heads(w.transaction(), &id)?;
    let acked = sync_state::acked_in(w.transaction(), &id)?;
    let clean = before == acked;
    let applied = match w.apply_from_server(&id, bytes, prepared) {
        Ok(applied) => applied,
        Err(e) => {
            tracing::warn!(record = %id, error = %e, "pulled changes refused");
            return Ok(());
        }
    };
    photos.extend(applied.photo_keys);
    // The hashes of `p.changes`, as decoded while applying them (unless the server sent a whole
    // document among them). (position in `p.changes`, hash): the receipts are by position.
    let pulled_hashes: Vec<(usize, String)> =
        if p.snapshot.is_none() && applied.change_hashes.len() == p.changes.len() {
            applied.change_hashes.into_iter().enumerate().collect()
        } else {
            p.changes
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let ch = automerge::Change::from_bytes(c.0.clone()).ok()?;
                    Some((i, ch.hash().to_string()))
                })
                .collect()
        };
    for (i, h) in &pulled_hashes {
        if let Some(ms) = p.received_ms.get(*i) {
            let by = p.received_by.get(*i).map(String::as_str);
            sync_state::add_receipt(w.transaction(), &id, h, *ms, by)?;
        }
    }
    for (hash, check) in &p.checks {
        sync_state::set_check(w.transaction(), &id, hash, check)?;
    }
    if !applied.outcome.missing_deps.is_empty() {
        return Ok(());
    }
    let new_acked = if clean {
        applied.outcome.heads
    } else {
        server_heads(acked, p, pulled_hashes.into_iter().map(|(_, h)| h))
    };
    sync_state::set_acked(w.transaction(), &id, &new_acked)
}

/// Checks a pulled record against the limit on a whole record's size ([`crate::doc::limits`]).
/// (Each change's size, inflated size, operations and nesting are checked where the store
/// parses and applies it, against the record on the device: `chunks::apply_checked`.)
fn check_pulled(p: &super::protocol::Pulled) -> std::result::Result<(), limits::Exceeded> {
    let mut total = 0u64;
    if let Some(s) = &p.snapshot {
        total += s.0.len() as u64;
    }
    for c in &p.changes {
        total += c.0.len() as u64;
    }
    if total > limits::MAX_RECORD_BYTES {
        return Err(limits::Exceeded::RecordBytes(total));
    }
    Ok(())
}

/// The server's heads of a record this device also changed on its own, after pulling `p`:
/// what it acknowledged before with the pulled changes, less what they depend on (a scope's
/// digest compares exactly these). A whole document pulled is the server's record: its heads.
fn server_heads(
    acked: Vec<String>,
    p: &super::protocol::Pulled,
    pulled: impl Iterator<Item = String>,
) -> Vec<String> {
    let mut set: BTreeSet<String> = acked.into_iter().collect();
    if let Some(snapshot) = &p.snapshot
        && let Ok(doc) = automerge::Automerge::load(&snapshot.0)
    {
        set = doc.get_heads().iter().map(|h| h.to_string()).collect();
    }
    set.extend(pulled);
    for c in &p.changes {
        if let Ok(ch) = automerge::Change::from_bytes(c.0.clone()) {
            for d in ch.deps() {
                set.remove(&d.to_string());
            }
        }
    }
    set.into_iter().collect()
}

/// Sends every record's heads; forgets what the server lacks (pushed whole next sync) and
/// resets the cursors of projects to pull again. Then syncs.
pub fn reconcile(store: &Store, cancel: Arc<AtomicBool>) -> Result<ReconcileResponse> {
    let account = store.sync_account()?.ok_or(Error::NotSignedIn)?;
    let mut t = Transport::new(
        &account.server_url,
        Some(account.token.clone()),
        RetryPolicy::default(),
        cancel,
    )?;
    let mut records = Vec::new();
    for d in store.all_record_ids()? {
        records.push(RecordHeads {
            heads: store.heads(&d)?,
            id: d.0,
        });
    }
    let resp: ReconcileResponse = t.post_json(
        "/v1/reconcile",
        &ReconcileRequest {
            records,
            scope: None,
        },
    )?;
    store.reset_sync(&resp.server_lacks, &resp.pull_again)?;
    tracing::info!(
        server_lacks = resp.server_lacks.len(),
        pull_again = resp.pull_again.len(),
        "reconciled"
    );
    Ok(resp)
}

#[cfg(test)]
mod scheme_tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_off_this_machine_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        for ok in [
            "https://offgrid.example.cn",
            "http://127.0.0.1:8470",
            "http://127.8.0.1/",
            "http://localhost:80/x",
            "http://[::1]:8470",
            "http://u:p@127.0.0.1:1",
        ] {
            check_scheme(&store, ok).unwrap();
        }
        for refused in [
            "http://offgrid.example.cn",
            "http://10.0.2.2:8470",
            "http://[2001:db8::1]:8470",
            "http://127.0.0.1.example.cn",
            "http://localhost.example.cn",
            "http://0.0.0.0:9",
        ] {
            let e = check_scheme(&store, refused).unwrap_err();
            assert!(
                matches!(e, Error::InvalidArgument(ref m) if m.contains("http://")),
                "{refused}: {e}"
            );
        }
        store.set_insecure_http_allowed(true).unwrap();
        assert!(store.insecure_http_allowed().unwrap());
        check_scheme(&store, "http://10.0.2.2:8470").unwrap();
        store.set_insecure_http_allowed(false).unwrap();
        assert!(check_scheme(&store, "http://10.0.2.2:8470").is_err());
    }
}
