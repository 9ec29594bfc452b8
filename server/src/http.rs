//! The HTTP API (axum). Handlers parse bodies themselves so every malformed request gets the
//! same JSON error shape, run storage work on the blocking pool, and never hold the async
//! runtime. Bodies may be gzip-compressed both ways; the size limit applies to the
//! decompressed body, so a small compressed bomb is refused too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use offgrid_protocol::{
    IssuedDocument, LoginRequest, MAX_DOCUMENTS, PROTOCOL_VERSION, PushRecord, ReconcileRequest,
    Rejected, SyncRequest, is_sha256_hex, is_valid_id,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;

use crate::App;
use crate::accounts::{self, Caller};
use crate::backend::transact;
use crate::error::{Error, Result};
use crate::metrics::Metrics;

/// Largest photo chunk per `PUT` (clients send 1 MiB).
pub const MAX_BLOB_CHUNK: usize = 16 << 20;
/// Largest photo (or other blob) in all: a camera original is 3-8 MB.
pub const MAX_BLOB_BYTES: u64 = 64 << 20;
/// Largest login body: a user id, a password and a device name.
pub const MAX_LOGIN_BODY: usize = 16 << 10;

/// The API's routes, serving `app`: request bodies decompressed, responses compressed, metrics
/// and a log line per request, 404 for any other path.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/login", post(login))
        .route("/v1/me", get(me))
        .route("/v1/sync", post(sync))
        .route("/v1/reconcile", post(reconcile))
        .route("/v1/verify/{sha256}", get(verify))
        .route(
            "/v1/blobs/{sha256}",
            get(blob_get).head(blob_head).put(blob_put),
        )
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .fallback(|| async { Error::NotFound("no such endpoint".into()) })
        .with_state(app)
}

/// Metrics and one structured log line per request (no bodies, no personal data).
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let start = Instant::now();
    let resp = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    app.metrics.observe(&route, status, ms);
    tracing::info!(%method, route = %route, status, ms = format!("{ms:.1}"), "request");
    resp
}

/// Runs storage work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("worker failed: {e}")))?
}

fn bearer(headers: &HeaderMap) -> Result<String> {
    let v = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("missing Authorization: Bearer token".into()))?;
    let token = v
        .strip_prefix("Bearer ")
        .ok_or_else(|| Error::Unauthorized("Authorization must be a Bearer token".into()))?;
    if token.is_empty() || token.len() > 200 {
        return Err(Error::Unauthorized(
            "invalid or revoked token: log in again".into(),
        ));
    }
    Ok(token.to_owned())
}

/// `Offgrid-Protocol`, if sent, is exactly the version this server speaks (`1`, not `01`).
fn check_protocol(headers: &HeaderMap) -> Result<()> {
    match headers.get("offgrid-protocol") {
        None => Ok(()),
        Some(v) if v.as_bytes() == PROTOCOL_VERSION.to_string().as_bytes() => Ok(()),
        Some(_) => Err(Error::BadRequest(format!(
            "unsupported protocol version (this server speaks {PROTOCOL_VERSION})"
        ))),
    }
}

/// Reads a body of at most `limit` bytes (after decompression), once the request has been
/// checked as far as it can be without it: a body past the limit is refused (413) when the
/// limit is reached, not after it has all arrived.
async fn read_body(app: &App, body: Body, limit: usize) -> Result<Bytes> {
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            app.metrics.limit("body_bytes");
            tracing::warn!(limit = "body_bytes", "request body refused");
            Err(Error::TooLarge(format!(
                "the request body is larger than {limit} bytes"
            )))
        }
        Err(e) => Err(Error::BadRequest(format!(
            "the body could not be read: {e}"
        ))),
    }
}

fn path(p: Result<Path<String>, PathRejection>) -> Result<String> {
    p.map(|Path(s)| s)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

fn query(q: Result<Query<BlobQuery>, QueryRejection>) -> Result<BlobQuery> {
    let Query(q) = q.map_err(|e| Error::BadRequest(e.body_text()))?;
    match &q.project {
        Some(p) if !is_valid_id(p) => Err(Error::BadRequest(
            "project must be an id (1-100 of A-Z a-z 0-9 _ - . :)".into(),
        )),
        _ => Ok(q),
    }
}

/// `POST /v1/sync`'s body as the handler reads it: the request, the records refused for
/// being pushed twice, the reported documents refused as malformed.
pub fn parse_sync_request(body: &[u8]) -> Result<(SyncRequest, Vec<Rejected>, Vec<Rejected>)> {
    sync_request(parse(body)?)
}

/// `POST /v1/login`'s body as the handler reads it.
pub fn parse_login_request(body: &[u8]) -> Result<LoginRequest> {
    parse(body)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de)
        .map_err(|e| Error::BadRequest(format!("malformed body at {}: {}", e.path(), e.inner())))
}

async fn authed(app: &Arc<App>, headers: &HeaderMap) -> Result<Caller> {
    check_protocol(headers)?;
    let token = bearer(headers)?;
    let a = app.clone();
    blocking(move || accounts::authenticate_within(a.backend.as_ref(), &token, a.config.token_idle))
        .await
}

async fn healthz(State(app): State<Arc<App>>) -> Result<&'static str> {
    let a = app.clone();
    blocking(move || transact(a.backend.as_ref(), |tx| tx.project_exists("healthz"))).await?;
    Ok("ok\n")
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    check_protocol(&headers)?;
    let req = parse_login_request(&read_body(&app, body, MAX_LOGIN_BODY).await?)?;
    let address = peer.ip();
    // A name that cannot be a user id is counted under one key (bounded memory).
    let user = if offgrid_protocol::is_valid_id(&req.user) {
        req.user.clone()
    } else {
        "#invalid".to_owned()
    };
    if let Err(t) = app.logins.check(&user, address, Instant::now()) {
        Metrics::add(&app.metrics.logins_throttled, 1);
        return Err(Error::TooManyRequests(t.retry_after_s));
    }
    let a = app.clone();
    let out = blocking(move || {
        accounts::login(a.backend.as_ref(), &req.user, &req.password, &req.device)
    })
    .await;
    match &out {
        Ok(_) => app.logins.succeeded(&user),
        Err(Error::Unauthorized(_)) => {
            Metrics::add(&app.metrics.logins_failed, 1);
            if let Some(wait) = app.logins.failed(&user, address, Instant::now()) {
                Metrics::add(&app.metrics.login_lockouts, 1);
                // No user id or address in the log: a tag that groups one account's lockouts.
                let tag = &offgrid_protocol::sha256_hex(user.as_bytes())[..8];
                tracing::warn!(
                    account_tag = tag,
                    wait_s = wait.as_secs(),
                    "logins held back after repeated failures"
                );
            }
        }
        Err(_) => {}
    }
    Ok(Json(out?).into_response())
}

async fn me(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let a = app.clone();
    let account = blocking(move || accounts::account(a.backend.as_ref(), &caller)).await?;
    Ok(Json(account).into_response())
}

async fn sync(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let bytes = read_body(&app, body, app.config.max_body_bytes).await?;
    let (req, twice, bad_documents) = parse_sync_request(&bytes)?;
    let a = app.clone();
    let (mut resp, stats) = blocking(move || {
        let gate = a.config.gate_on().then_some(&a.docs);
        crate::sync::sync(a.backend.as_ref(), gate, &caller, req)
    })
    .await?;
    resp.document_refusals.extend(bad_documents);
    resp.zone = Some(app.config.zone.name().to_owned());
    if !twice.is_empty() {
        resp.rejected.extend(twice);
        resp.rejected.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Metrics::add(&app.metrics.changes_in, stats.changes_in as u64);
    Metrics::add(&app.metrics.changes_applied, stats.changes_applied as u64);
    Metrics::add(&app.metrics.changes_out, stats.changes_out as u64);
    Metrics::add(&app.metrics.records_refused, stats.refused as u64);
    for tag in &stats.limits {
        app.metrics.limit(tag);
    }
    tracing::debug!(
        changes_in = stats.changes_in,
        applied = stats.changes_applied,
        out = stats.changes_out,
        "sync"
    );
    Ok(Json(resp).into_response())
}

/// `POST /v1/sync` as it arrives. The same fields as [`SyncRequest`], but `max_bytes` is any
/// whole number, as JSON (and the schema's `integer`) has it: `1e3` and `1000.0` are 1000.
#[derive(Deserialize)]
struct SyncBody {
    device: String,
    #[serde(default)]
    cursors: BTreeMap<String, String>,
    #[serde(default)]
    push: Vec<PushRecord>,
    #[serde(default, deserialize_with = "whole_number")]
    max_bytes: Option<u64>,
    #[serde(default)]
    templates: Vec<serde_json::Value>,
    #[serde(default)]
    pushed_all: bool,
    /// Parsed one by one: a malformed report is refused (`bad_document`), not the request.
    #[serde(default)]
    documents: Vec<serde_json::Value>,
    #[serde(default)]
    fetch: Vec<String>,
}

/// A non-negative whole number (or null); past `u64::MAX` it saturates (budgets are capped).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(v) = n.as_u64() {
        return Ok(Some(v));
    }
    match n.as_f64() {
        // `as` saturates.
        Some(f) if f >= 0.0 && f.fract() == 0.0 => Ok(Some(f as u64)),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not a non-negative whole number"
        ))),
    }
}

/// Checks what the schema states of a sync request and takes out records pushed more than once
/// in it: each of those is rejected (`bad_id`), nothing of it stored, like any refused record.
/// Reported documents that do not parse are refused (`bad_document`) on their own.
fn sync_request(body: SyncBody) -> Result<(SyncRequest, Vec<Rejected>, Vec<Rejected>)> {
    let SyncBody {
        device,
        cursors,
        push,
        max_bytes,
        templates,
        pushed_all,
        documents,
        fetch,
    } = body;
    if documents.len() > MAX_DOCUMENTS {
        return Err(Error::BadRequest(format!(
            "at most {MAX_DOCUMENTS} documents in one request"
        )));
    }
    if templates.len() > 256 {
        return Err(Error::BadRequest(
            "at most 256 templates in one request".into(),
        ));
    }
    if !(1..=128).contains(&device.len()) || !device.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::BadRequest(
            "device must be 1-128 visible ASCII characters".into(),
        ));
    }
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &push {
        *count.entry(&r.id).or_default() += 1;
    }
    let twice: BTreeSet<String> = count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_owned())
        .collect();
    let rejected = twice
        .iter()
        .map(|id| Rejected {
            id: id.clone(),
            code: "bad_id".into(),
            reason: "the record is pushed more than once in this request".into(),
        })
        .collect();
    let push = push
        .into_iter()
        .filter(|r| !twice.contains(&r.id))
        .collect();
    let mut refused_documents = Vec::new();
    let documents = documents
        .into_iter()
        .filter_map(|v| {
            let sha256 = v["sha256"].as_str().unwrap_or_default().to_owned();
            match serde_json::from_value::<IssuedDocument>(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    refused_documents.push(Rejected {
                        id: sha256,
                        code: "bad_document".into(),
                        reason: e.to_string(),
                    });
                    None
                }
            }
        })
        .collect();
    let req = SyncRequest {
        device,
        cursors,
        push,
        max_bytes,
        templates,
        pushed_all,
        documents,
        fetch,
    };
    Ok((req, rejected, refused_documents))
}

async fn reconcile(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let req: ReconcileRequest = parse(&read_body(&app, body, app.config.max_body_bytes).await?)?;
    let a = app.clone();
    let resp = blocking(move || crate::sync::reconcile(a.backend.as_ref(), &caller, req)).await?;
    Ok(Json(resp).into_response())
}

/// `GET /v1/verify/{sha256}`: whether the official document printed with this hash still
/// shows its records as they are. No account needed: a builder checks the paper in hand.
async fn verify(
    State(app): State<Arc<App>>,
    sha: Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let sha = path(sha)?;
    let a = app.clone();
    let v = blocking(move || crate::documents::verify(a.backend.as_ref(), &sha)).await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct BlobQuery {
    project: Option<String>,
}

fn check_sha(sha: &str) -> Result<()> {
    if is_sha256_hex(sha) {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "blob ids are lowercase hex SHA-256".into(),
        ))
    }
}

/// `HEAD`: 200 with the size if the caller can read the blob (through `project` if given);
/// otherwise 404 with `Upload-Offset` telling a writer where to resume.
async fn blob_head(
    State(app): State<Arc<App>>,
    sha: Result<Path<String>, PathRejection>,
    q: Result<Query<BlobQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response> {
    let sha = path(sha)?;
    check_sha(&sha)?;
    let q = query(q)?;
    let caller = authed(&app, &headers).await?;
    let a = app.clone();
    let (readable, size, offset) = blocking(move || {
        let readable = match &q.project {
            Some(p) => {
                caller.can_read(p) && transact(a.backend.as_ref(), |tx| tx.blob_granted(p, &sha))?
            }
            None => transact(a.backend.as_ref(), |tx| {
                tx.user_can_read_blob(&caller.user_id, &sha)
            })?,
        };
        let size = a.blobs.len(&sha)?;
        let offset = match &q.project {
            Some(p) if caller.can_write(p) => a.blobs.partial_len(&sha)?,
            _ => 0,
        };
        Ok((readable, size, offset))
    })
    .await?;
    let mut resp = Response::new(Body::empty());
    match (readable, size) {
        (true, Some(n)) => {
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        _ => {
            *resp.status_mut() = StatusCode::NOT_FOUND;
            resp.headers_mut()
                .insert("upload-offset", HeaderValue::from(offset));
        }
    }
    Ok(resp)
}

/// `GET`, with an optional `Range` (one byte range, RFC 9110) to resume a download: 206 with
/// `Content-Range`, or 416 if the range is not satisfiable. A `Range` that is not one byte
/// range is ignored (RFC 9110 allows that, and requires it for other units): the whole photo.
async fn blob_get(
    State(app): State<Arc<App>>,
    sha: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response> {
    let sha = path(sha)?;
    check_sha(&sha)?;
    let caller = authed(&app, &headers).await?;
    let range = headers.get(header::RANGE).and_then(parse_range);
    let a = app.clone();
    let (data, total, span) = blocking(move || {
        let ok = transact(a.backend.as_ref(), |tx| {
            tx.user_can_read_blob(&caller.user_id, &sha)
        })?;
        let total = match a.blobs.len(&sha)? {
            Some(n) if ok => n,
            // The same answer whether the blob is missing or not the caller's.
            _ => return Err(Error::NotFound(format!("no blob {sha} readable by you"))),
        };
        let span = match range {
            Some(r) => Some(r.span(total).ok_or(Error::RangeNotSatisfiable(total))?),
            None => None,
        };
        let (start, len) = match span {
            Some((first, last)) => (first, last - first + 1),
            None => (0, total),
        };
        Ok((a.blobs.read(&sha, start, len)?, total, span))
    })
    .await?;
    Metrics::add(&app.metrics.blob_bytes_out, data.len() as u64);
    let mut resp = Response::new(Body::from(data));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some((first, last)) = span {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{total}")) {
            resp.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(resp)
}

/// One byte range of a `Range` header (RFC 9110 §14.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteRange {
    /// `bytes=FIRST-` or `bytes=FIRST-LAST`.
    From(u64, Option<u64>),
    /// `bytes=-N`: the last N bytes.
    Suffix(u64),
}

impl ByteRange {
    /// The first and last byte of a `total`-byte blob, or `None` if not satisfiable: a range
    /// starting at or past the end, a suffix of 0 bytes, any range of an empty blob.
    fn span(self, total: u64) -> Option<(u64, u64)> {
        let last = total.checked_sub(1)?;
        match self {
            ByteRange::From(first, end) => {
                (first <= last).then(|| (first, end.map_or(last, |e| e.min(last))))
            }
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => Some((total.saturating_sub(n), last)),
        }
    }
}

/// `None` for anything but one well-formed byte range (another unit, several ranges, LAST
/// before FIRST), which the server then ignores. Numbers too large for 64 bits saturate: they
/// are past any end.
fn parse_range(v: &HeaderValue) -> Option<ByteRange> {
    let (unit, spec) = v.to_str().ok()?.split_once('=')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| {
            s.bytes().fold(0u64, |n, b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            })
        })
    };
    match spec.split_once('-')? {
        ("", n) => num(n).map(ByteRange::Suffix),
        (first, "") => num(first).map(|f| ByteRange::From(f, None)),
        (first, last) => {
            let (f, l) = (num(first)?, num(last)?);
            (l >= f).then_some(ByteRange::From(f, Some(l)))
        }
    }
}

/// The three numbers of `Content-Range: bytes START-END/TOTAL` as written (decimal digits),
/// or a 400: the form docs/openapi.yaml states.
fn content_range_parts(s: &str) -> Result<[&str; 3]> {
    let bad = || Error::BadRequest("Content-Range must be bytes START-END/TOTAL".into());
    let r = s.strip_prefix("bytes ").ok_or_else(bad)?;
    let (range, total) = r.split_once('/').ok_or_else(bad)?;
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let parts = [start, end, total];
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(parts)
}

/// An upload chunk's `Content-Range`: `START <= END < TOTAL` (END inclusive), in 64 bits.
fn parse_content_range(s: &str) -> Result<(u64, u64, u64)> {
    let bad = || Error::BadRequest("Content-Range must have START <= END < TOTAL".into());
    let [start, end, total] = content_range_parts(s)?.map(|p| p.parse::<u64>().map_err(|_| bad()));
    let (start, end, total) = (start?, end?, total?);
    if end < start || end >= total {
        return Err(bad());
    }
    Ok((start, end, total))
}

/// `PUT ?project=P`: appends a chunk (or the whole photo) of a blob some record of `P`
/// references. When the last byte arrives the hash is checked: on a match the project may read
/// the blob (200, `{"complete":true}`); on a mismatch the upload is discarded (422). An
/// incomplete upload answers 202 with `Upload-Offset`. Access is checked before
/// `Content-Range`, and only its form once the photo is complete (a replay).
async fn blob_put(
    State(app): State<Arc<App>>,
    sha: Result<Path<String>, PathRejection>,
    q: Result<Query<BlobQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let sha = path(sha)?;
    check_sha(&sha)?;
    let q = query(q)?;
    let caller = authed(&app, &headers).await?;
    let project = q
        .project
        .ok_or_else(|| Error::BadRequest("PUT needs ?project=<id>".into()))?;
    let content_range = headers
        .get(header::CONTENT_RANGE)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let body = read_body(&app, body, MAX_BLOB_CHUNK).await?;
    let n = body.len() as u64;
    let a = app.clone();
    let (status, offset) = blocking(move || {
        if !caller.can_write(&project) {
            return Err(Error::Forbidden(format!(
                "no write access to project {project}"
            )));
        }
        let referenced = transact(a.backend.as_ref(), |tx| {
            Ok((
                tx.has_blob_ref(&project, &sha)?,
                tx.blob_granted(&project, &sha)?,
            ))
        })?;
        if referenced == (false, false) {
            return Err(Error::Forbidden(format!(
                "no record of project {project} references blob {sha}: sync first"
            )));
        }
        if let Some(v) = &content_range {
            content_range_parts(v)?;
            // A photo larger than any camera makes is refused before a byte of it is stored.
            if !referenced.1
                && let Ok((_, _, total)) = parse_content_range(v)
                && total > MAX_BLOB_BYTES
            {
                a.metrics.limit("blob_bytes");
                tracing::warn!(limit = "blob_bytes", "photo upload refused");
                return Err(Error::TooLarge(format!(
                    "a blob may hold at most {MAX_BLOB_BYTES} bytes"
                )));
            }
        }
        if referenced.1 {
            // A replay once the photo is complete: nothing to store, whatever the chunk holds.
            return Ok((StatusCode::OK, a.blobs.len(&sha)?.unwrap_or(0)));
        }
        let (start, total) = match content_range {
            Some(v) => {
                let (s, e, t) = parse_content_range(&v)?;
                if e - s + 1 != n {
                    return Err(Error::BadRequest(
                        "Content-Range does not match the body length".into(),
                    ));
                }
                (s, t)
            }
            None => (0, n),
        };
        // The last chunk of an upload whose bytes all arrived before, but which the server
        // never verified (it stopped in between): verify what it holds.
        let have = if start + n == total && a.blobs.partial_len(&sha)? == total {
            total
        } else {
            a.blobs.append(&sha, start, &body)?
        };
        if have < total {
            return Ok((StatusCode::ACCEPTED, have));
        }
        if have > total {
            a.blobs.finish(&sha)?;
            return Err(Error::BadRequest(
                "more bytes than Content-Range announced".into(),
            ));
        }
        if !a.blobs.finish(&sha)? {
            return Err(Error::Unprocessable(format!(
                "the uploaded bytes do not hash to {sha}; upload discarded"
            )));
        }
        transact(a.backend.as_ref(), |tx| tx.grant_blob(&project, &sha))?;
        Ok((StatusCode::OK, have))
    })
    .await?;
    Metrics::add(&app.metrics.blob_bytes_in, n);
    let mut resp =
        Json(serde_json::json!({ "complete": status == StatusCode::OK, "offset": offset }))
            .into_response();
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&offset.to_string()) {
        resp.headers_mut().insert("upload-offset", v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> Option<ByteRange> {
        parse_range(&HeaderValue::from_str(s).unwrap())
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        use ByteRange::*;
        assert_eq!(range("bytes=5-"), Some(From(5, None)));
        assert_eq!(range("bytes=5-9"), Some(From(5, Some(9))));
        assert_eq!(range("Bytes=-3"), Some(Suffix(3)));
        assert_eq!(
            range("bytes=99999999999999999999999-"),
            Some(From(u64::MAX, None))
        );
        for ignored in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=9-5",
            "bytes=0-1,5-6",
            "items=0-5",
            "bytes= 0-5",
            "bytes=+1-",
            "bytes=a-b",
        ] {
            assert_eq!(range(ignored), None, "{ignored:?}");
        }
        assert_eq!(From(5, None).span(10), Some((5, 9)));
        assert_eq!(From(5, Some(100)).span(10), Some((5, 9)));
        assert_eq!(From(10, None).span(10), None);
        assert_eq!(Suffix(3).span(10), Some((7, 9)));
        assert_eq!(Suffix(30).span(10), Some((0, 9)));
        assert_eq!(Suffix(0).span(10), None);
        assert_eq!(From(0, None).span(0), None);
    }

    #[test]
    fn content_ranges_are_decimal_and_inside_the_total() {
        assert_eq!(parse_content_range("bytes 0-9/10").unwrap(), (0, 9, 10));
        for bad in [
            "bytes 0-10/10",
            "bytes 5-4/10",
            "bytes +0-9/10",
            "bytes 0-9/",
            "bytes 0-9",
            "0-9/10",
            "bytes 0-99999999999999999999/10",
        ] {
            assert!(parse_content_range(bad).is_err(), "{bad:?}");
        }
    }
}
