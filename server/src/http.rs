//! The HTTP API (axum). Handlers parse bodies themselves so every malformed request gets the
//! same JSON error shape, run storage work on the blocking pool, and never hold the async
//! runtime. Bodies may be gzip-compressed both ways; the size limit applies to the
//! decompressed body, so a small compressed bomb is refused too.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use offgrid_core::sync::protocol::{
    LoginRequest, PROTOCOL_VERSION, ReconcileRequest, SyncRequest, is_sha256_hex, is_valid_id,
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

pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/login", post(login))
        .route("/v1/me", get(me))
        .route("/v1/sync", post(sync))
        .route("/v1/reconcile", post(reconcile))
        .route(
            "/v1/blobs/{sha256}",
            get(blob_get)
                .head(blob_head)
                .put(blob_put)
                .layer(DefaultBodyLimit::max(MAX_BLOB_CHUNK)),
        )
        .layer(DefaultBodyLimit::max(limit))
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

fn check_protocol(headers: &HeaderMap) -> Result<()> {
    match headers
        .get("offgrid-protocol")
        .map(|v| v.to_str().map(str::parse::<u32>))
    {
        None => Ok(()),
        Some(Ok(Ok(v))) if v == PROTOCOL_VERSION => Ok(()),
        _ => Err(Error::BadRequest(format!(
            "unsupported protocol version (this server speaks {PROTOCOL_VERSION})"
        ))),
    }
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
    blocking(move || accounts::authenticate(a.backend.as_ref(), &token)).await
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

async fn login(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    check_protocol(&headers)?;
    let req: LoginRequest = parse(&body)?;
    let a = app.clone();
    let out = blocking(move || {
        accounts::login(a.backend.as_ref(), &req.user, &req.password, &req.device)
    })
    .await;
    if out.is_err() {
        Metrics::add(&app.metrics.logins_failed, 1);
    }
    Ok(Json(out?).into_response())
}

async fn me(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let a = app.clone();
    let account = blocking(move || accounts::account(a.backend.as_ref(), &caller)).await?;
    Ok(Json(account).into_response())
}

async fn sync(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let req: SyncRequest = parse(&body)?;
    let a = app.clone();
    let (resp, stats) =
        blocking(move || {
            let gate = a.config.gate.then_some(&a.docs);
            crate::sync::sync(a.backend.as_ref(), gate, &caller, req)
        })
        .await?;
    Metrics::add(&app.metrics.changes_in, stats.changes_in as u64);
    Metrics::add(&app.metrics.changes_applied, stats.changes_applied as u64);
    Metrics::add(&app.metrics.changes_out, stats.changes_out as u64);
    Metrics::add(&app.metrics.records_refused, stats.refused as u64);
    tracing::debug!(
        changes_in = stats.changes_in,
        applied = stats.changes_applied,
        out = stats.changes_out,
        "sync"
    );
    Ok(Json(resp).into_response())
}

async fn reconcile(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let caller = authed(&app, &headers).await?;
    let req: ReconcileRequest = parse(&body)?;
    let a = app.clone();
    let resp = blocking(move || crate::sync::reconcile(a.backend.as_ref(), &caller, req)).await?;
    Ok(Json(resp).into_response())
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
    Path(sha): Path<String>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    check_sha(&sha)?;
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

/// `GET`, with an optional `Range: bytes=START-` (or `START-END`) to resume a download.
async fn blob_get(
    State(app): State<Arc<App>>,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    check_sha(&sha)?;
    let caller = authed(&app, &headers).await?;
    let range = headers
        .get(header::RANGE)
        .map(|v| parse_range(v.to_str().unwrap_or("")))
        .transpose()?;
    let a = app.clone();
    let (data, total, start) = blocking(move || {
        let ok = transact(a.backend.as_ref(), |tx| {
            tx.user_can_read_blob(&caller.user_id, &sha)
        })?;
        let total = match a.blobs.len(&sha)? {
            Some(n) if ok => n,
            // The same answer whether the blob is missing or not the caller's.
            _ => return Err(Error::NotFound(format!("no blob {sha} readable by you"))),
        };
        let (start, end) = match range {
            Some((s, e)) => (
                s,
                e.unwrap_or(total.saturating_sub(1))
                    .min(total.saturating_sub(1)),
            ),
            None => (0, total.saturating_sub(1)),
        };
        if start >= total && total > 0 {
            return Err(Error::BadRequest(format!(
                "range starts past the end ({total} bytes)"
            )));
        }
        let data = a.blobs.read(&sha, start, end + 1 - start)?;
        Ok((data, total, start))
    })
    .await?;
    Metrics::add(&app.metrics.blob_bytes_out, data.len() as u64);
    let partial = range.is_some();
    let len = data.len() as u64;
    let mut resp = Response::new(Body::from(data));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if partial {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        let v = format!("bytes {start}-{}/{total}", start + len.saturating_sub(1));
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(resp)
}

fn parse_range(s: &str) -> Result<(u64, Option<u64>)> {
    let bad = || Error::BadRequest("Range must be bytes=START- or bytes=START-END".into());
    let r = s.strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    let start = a.parse::<u64>().map_err(|_| bad())?;
    let end = if b.is_empty() {
        None
    } else {
        Some(b.parse::<u64>().map_err(|_| bad())?)
    };
    if matches!(end, Some(e) if e < start) {
        return Err(bad());
    }
    Ok((start, end))
}

/// `Content-Range: bytes START-END/TOTAL` of an upload chunk.
fn parse_content_range(s: &str) -> Result<(u64, u64, u64)> {
    let bad = || Error::BadRequest("Content-Range must be bytes START-END/TOTAL".into());
    let r = s.strip_prefix("bytes ").ok_or_else(bad)?;
    let (range, total) = r.split_once('/').ok_or_else(bad)?;
    let (a, b) = range.split_once('-').ok_or_else(bad)?;
    let (start, end, total) = (
        a.parse::<u64>().map_err(|_| bad())?,
        b.parse::<u64>().map_err(|_| bad())?,
        total.parse::<u64>().map_err(|_| bad())?,
    );
    if end < start || end >= total {
        return Err(bad());
    }
    Ok((start, end, total))
}

/// `PUT ?project=P`: appends a chunk (or the whole photo) of a blob some record of `P`
/// references. When the last byte arrives the hash is checked: on a match the project may read
/// the blob (200, `{"complete":true}`); on a mismatch the upload is discarded (422). An
/// incomplete upload answers 202 with `Upload-Offset`.
async fn blob_put(
    State(app): State<Arc<App>>,
    Path(sha): Path<String>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    check_sha(&sha)?;
    let caller = authed(&app, &headers).await?;
    let project = q
        .project
        .filter(|p| is_valid_id(p))
        .ok_or_else(|| Error::BadRequest("PUT needs ?project=<id>".into()))?;
    let (start, total) = match headers.get(header::CONTENT_RANGE) {
        Some(v) => {
            let (s, e, t) = parse_content_range(v.to_str().unwrap_or(""))?;
            if e + 1 - s != body.len() as u64 {
                return Err(Error::BadRequest(
                    "Content-Range does not match the body length".into(),
                ));
            }
            (s, t)
        }
        None => (0, body.len() as u64),
    };
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
        match referenced {
            (_, true) => return Ok((StatusCode::OK, total)),
            (false, false) => {
                return Err(Error::Forbidden(format!(
                    "no record of project {project} references blob {sha}: sync first"
                )));
            }
            _ => {}
        }
        let have = a.blobs.append(&sha, start, &body)?;
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
