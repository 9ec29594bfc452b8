//! The client's transport: blocking reqwest over rustls, gzip both ways, typed errors, and
//! retry with exponential backoff and jitter for what a flaky link does (connection errors,
//! timeouts, truncated bodies, 5xx, 429). A 4xx is never retried: it would fail again.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::protocol::{ErrorBody, PROTOCOL_VERSION};
use crate::error::{Error, Result};

/// Retry policy and timeouts.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; doubled after each further one (each wait jittered
    /// ×0.5–1.5).
    pub first_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Timeout of one request, connection to the end of the body (connecting alone: at most 15 s).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

/// One server, one token, one cancellation flag.
pub struct Transport {
    client: Client,
    base: String,
    token: Option<String>,
    /// How requests are retried and timed out.
    pub policy: RetryPolicy,
    cancel: Arc<AtomicBool>,
    /// Bytes sent and received on the wire (compressed), for progress and benchmarks.
    pub bytes_up: u64,
    /// Bytes received, counted as `bytes_up` counts those sent.
    pub bytes_down: u64,
    /// Requests sent, retries included.
    pub requests: u64,
}

/// What one attempt produced.
enum Attempt<T> {
    Done(T),
    Retry(String),
}

impl Transport {
    /// A transport to the server at `base` (`http://` or `https://`; a trailing `/` is dropped),
    /// sending `token` as a bearer token if given. Refuses another scheme
    /// ([`Error::InvalidArgument`]); [`Error::Network`] if TLS or the client cannot be set up.
    pub fn new(
        base: &str,
        token: Option<String>,
        policy: RetryPolicy,
        cancel: Arc<AtomicBool>,
    ) -> Result<Transport> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::InvalidArgument(format!(
                "server URL must start with http:// or https://: {base}"
            )));
        }
        let client = Client::builder()
            .use_preconfigured_tls(platform_tls()?)
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("offgrid/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(format!("HTTP client: {e}")))?;
        Ok(Transport {
            client,
            base,
            token,
            policy,
            cancel,
            bytes_up: 0,
            bytes_down: 0,
            requests: 0,
        })
    }

    /// The server's base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// [`Error::Cancelled`] once the cancellation flag is set, else `Ok`.
    pub fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("offgrid-protocol", PROTOCOL_VERSION.to_string());
        if let Some(t) = &self.token {
            rb = rb.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        rb
    }

    /// `POST` a JSON body (gzip-compressed) and parse the JSON answer, retrying transient
    /// failures. The same body is sent on every attempt, so the server sees at most duplicates,
    /// which it ignores.
    pub fn post_json<B: Serialize, R: DeserializeOwned>(
        &mut self,
        path: &str,
        body: &B,
    ) -> Result<R> {
        let json = serde_json::to_vec(body)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json)?;
        let gz = gz.finish()?;
        self.with_retry(|t| {
            let rb = t
                .request(reqwest::Method::POST, path)
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_ENCODING, "gzip")
                .body(gz.clone());
            t.bytes_up += gz.len() as u64 + 200;
            let resp = match t.send(rb)? {
                Attempt::Done(r) => r,
                Attempt::Retry(why) => return Ok(Attempt::Retry(why)),
            };
            match resp.bytes() {
                Ok(bytes) => {
                    t.bytes_down += bytes.len() as u64 + 200;
                    match serde_json::from_slice(&bytes) {
                        Ok(v) => Ok(Attempt::Done(v)),
                        // A body cut off by the network parses badly: try again.
                        Err(e) => Ok(Attempt::Retry(format!("unreadable response: {e}"))),
                    }
                }
                Err(e) => Ok(Attempt::Retry(format!("response body: {e}"))),
            }
        })
    }

    /// Sends one request; maps statuses. `Retry` for what may succeed next time.
    fn send(&mut self, rb: RequestBuilder) -> Result<Attempt<Response>> {
        self.requests += 1;
        let resp = match rb.send() {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Retry(describe(&e))),
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(Attempt::Done(resp));
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Ok(Attempt::Retry(format!("server answered {status}")));
        }
        Err(error_of(resp))
    }

    /// Runs `f` up to `attempts` times with exponential backoff (and jitter) between.
    fn with_retry<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<Attempt<T>>) -> Result<T> {
        let mut backoff = self.policy.first_backoff;
        let mut last = String::new();
        for attempt in 0..self.policy.attempts.max(1) {
            self.check_cancel()?;
            if attempt > 0 {
                tracing::debug!(attempt, reason = %last, "retrying");
                let jitter = rand::random_range(0.5..1.5);
                self.sleep(backoff.mul_f64(jitter))?;
                backoff = (backoff * 2).min(self.policy.max_backoff);
            }
            match f(self)? {
                Attempt::Done(v) => return Ok(v),
                Attempt::Retry(why) => last = why,
            }
        }
        Err(Error::Network(format!(
            "gave up after {} attempts: {last}",
            self.policy.attempts
        )))
    }

    fn sleep(&self, d: Duration) -> Result<()> {
        let end = std::time::Instant::now() + d;
        while std::time::Instant::now() < end {
            self.check_cancel()?;
            std::thread::sleep(Duration::from_millis(20).min(end - std::time::Instant::now()));
        }
        Ok(())
    }

    /// `HEAD` → `(status, headers)`, retried.
    pub fn head(&mut self, path: &str) -> Result<(u16, reqwest::header::HeaderMap)> {
        self.with_retry(|t| {
            t.requests += 1;
            match t.request(reqwest::Method::HEAD, path).send() {
                Ok(r) if r.status().is_server_error() => {
                    Ok(Attempt::Retry(format!("server answered {}", r.status())))
                }
                Ok(r)
                    if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND =>
                {
                    Ok(Attempt::Done((r.status().as_u16(), r.headers().clone())))
                }
                Ok(r) => Err(error_of(r)),
                Err(e) => Ok(Attempt::Retry(describe(&e))),
            }
        })
    }

    /// `PUT` raw bytes with headers; returns the status and the parsed JSON body.
    pub fn put(
        &mut self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(u16, serde_json::Value)> {
        self.with_retry(|t| {
            let mut rb = t.request(reqwest::Method::PUT, path).body(body.to_vec());
            for (k, v) in headers {
                rb = rb.header(*k, v);
            }
            t.bytes_up += body.len() as u64 + 200;
            let resp = match t.send(rb)? {
                Attempt::Done(r) => r,
                Attempt::Retry(w) => return Ok(Attempt::Retry(w)),
            };
            let status = resp.status().as_u16();
            match resp.bytes() {
                Ok(b) => Ok(Attempt::Done((
                    status,
                    serde_json::from_slice(&b).unwrap_or_default(),
                ))),
                Err(e) => Ok(Attempt::Retry(format!("response body: {e}"))),
            }
        })
    }

    /// `GET` bytes, with an optional `Range` start.
    pub fn get_bytes(&mut self, path: &str, from: u64) -> Result<Vec<u8>> {
        self.with_retry(|t| {
            let mut rb = t.request(reqwest::Method::GET, path);
            if from > 0 {
                rb = rb.header(reqwest::header::RANGE, format!("bytes={from}-"));
            }
            let resp = match t.send(rb)? {
                Attempt::Done(r) => r,
                Attempt::Retry(w) => return Ok(Attempt::Retry(w)),
            };
            match resp.bytes() {
                Ok(b) => {
                    t.bytes_down += b.len() as u64 + 200;
                    Ok(Attempt::Done(b.to_vec()))
                }
                Err(e) => Ok(Attempt::Retry(format!("response body: {e}"))),
            }
        })
    }
}

/// TLS that trusts what the platform trusts: the OS verifier on Android (its trust manager:
/// the system store, and a CA the organisation installed where the app's network security
/// config allows it), iOS and macOS (Security framework: the keychain and configuration
/// profiles), Windows; on Linux the system bundle, or `SSL_CERT_FILE`. An intranet server
/// signed by an organisation's own CA works once that CA is installed on the device.
fn platform_tls() -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map(|b| b.with_no_client_auth())
        .map_err(|e| Error::Network(format!("TLS setup: {e}")))
}

/// What went wrong, without the URL: the kind, then the causes.
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "body interrupted"
    } else {
        "request failed"
    }
    .to_owned();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// A typed error from a 4xx response.
fn error_of(resp: Response) -> Error {
    let status = resp.status().as_u16();
    let body: Option<ErrorBody> = resp
        .bytes()
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (code, message) = body
        .map(|b| (b.error, b.message))
        .unwrap_or_else(|| ("unknown".into(), format!("HTTP {status}")));
    if status == 401 && code == "token_revoked" {
        Error::TokenRevoked
    } else if status == 401 {
        Error::Unauthorized(message)
    } else {
        Error::Server {
            status,
            code,
            message,
        }
    }
}
