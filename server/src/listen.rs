//! Accepting connections within limits (issue 28): at most [`Connections::max`] open at once
//! (below the open-files limit, which is raised at start), a request's headers read within
//! [`Connections::header_read`], and a connection that moves no byte either way for
//! [`Connections::idle`] closed. Without these, a member's script holding a thousand
//! half-sent requests open stopped the server answering anyone.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use crate::App;

/// How connections are limited.
#[derive(Clone, Debug)]
pub struct Connections {
    /// Open connections at most; more wait in the listen queue. `None`: derived from the
    /// open-files limit at start (that limit less 256 for the database and files, at least
    /// 64, at most 16,384).
    pub max: Option<usize>,
    /// A request's headers must arrive within this.
    pub header_read: Duration,
    /// A connection that moves no byte for this long is closed.
    pub idle: Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            max: None,
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(120),
        }
    }
}

/// Raises the soft open-files limit to the hard one; returns the limit now in force.
pub fn raise_open_files() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "the open-files limit could not be raised");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    }
}

/// The connection limit for an open-files limit.
pub fn max_connections(open_files: u64) -> usize {
    usize::try_from(open_files.saturating_sub(256))
        .unwrap_or(usize::MAX)
        .clamp(64, 16_384)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish (for up to 10 seconds).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = app.config.connections.clone();
    let max = limits
        .max
        .unwrap_or_else(|| max_connections(raise_open_files()));
    tracing::info!(
        addr = %listener.local_addr()?,
        backend = app.backend.name(),
        max_connections = max,
        "serving"
    );
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let router = crate::http::router(app.clone());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut was_full = false;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, or a connection reset while queued: wait a
                    // little rather than spin, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    app.metrics.limit("accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Counted each time the last slot is taken; logged when the limit is first reached.
        let full = permits.available_permits() == 0;
        if full {
            app.metrics.limit("connections");
            if !was_full {
                tracing::warn!(
                    limit = "connections",
                    max_connections = max,
                    "connection limit reached"
                );
            }
        }
        was_full = full;
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Idle::new(stream, limits.idle));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            // Boxed: the connection is then `Unpin`, and gives its stream back when it ends.
            Box::pin(async move { router.call(req).await })
        });
        let mut closed = closed.clone();
        let header_read = limits.header_read;
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read)
                .keep_alive(true);
            let mut conn = builder.serve_connection(io, service);
            let ended = tokio::select! {
                r = &mut conn => r,
                _ = closed.changed() => {
                    std::pin::Pin::new(&mut conn).graceful_shutdown();
                    (&mut conn).await
                }
            };
            let Err(e) = ended else { return };
            if e.is_timeout() {
                // Its headers came too late: refused with 408 (hyper would close it without a
                // word), and counted like any refusal.
                app.metrics.limit("header_timeout");
                tracing::debug!(limit = "header_timeout", "connection closed");
                let mut stream = conn.into_parts().io.into_inner().inner;
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    tokio::io::AsyncWriteExt::write_all(&mut stream, &request_timeout()),
                )
                .await;
            } else {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    // The requests in flight finish; each connection returns its permit when it closes.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(10), permits.acquire_many(all)).await;
    Ok(())
}

/// What a connection whose request headers came too late is told before it is closed. (A
/// connection closed for being idle between requests is told nothing and not counted: clients
/// keep connections open between requests and reconnect.)
fn request_timeout() -> Vec<u8> {
    let body = r#"{"error":"request_timeout","message":"the request's headers took too long"}"#;
    format!(
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A stream that fails with `TimedOut` once no byte has moved either way for `idle`.
struct Idle<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, idle: Duration) -> Self {
        Idle {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle")
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    this.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        Poll::Ready(ready!(Pin::new(&mut this.inner).poll_shutdown(cx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_leaves_room_for_files() {
        assert_eq!(max_connections(1024), 768);
        assert_eq!(max_connections(100), 64);
        assert_eq!(max_connections(u64::MAX), 16_384);
    }
}
