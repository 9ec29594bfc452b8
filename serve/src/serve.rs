//! `serve`: the sync server, until SIGINT/SIGTERM, finishing requests in flight.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::StorageArgs;

/// `serve`: the sync server.
#[derive(Args)]
pub struct ServeArgs {
    /// Where the server's data is.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8470")]
    pub addr: SocketAddr,
    /// Worker threads [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// A device token unused for this many days stops working (its device logs in again).
    #[arg(long, value_name = "DAYS", default_value_t = offgrid_server::DEFAULT_TOKEN_IDLE_DAYS)]
    pub token_idle_days: u64,
    /// Failed logins allowed per account before each further attempt must wait (2 s,
    /// doubling up to 15 min; 429 with Retry-After meanwhile); an address is allowed four
    /// times as many.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub login_free_failures: u32,
    /// Open connections at most (more wait in the listen queue) [default: the open-files
    /// limit, raised at start, less 256].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Seconds a request's headers may take to arrive.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a connection may move no byte before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub idle_timeout: u64,
    /// The organisation's time zone (an IANA name), sent to every device: the office's day
    /// and the end of a deadline given as a date.
    #[arg(long, value_name = "ZONE", default_value = offgrid_common::zone::DEFAULT_ZONE)]
    pub zone: offgrid_common::zone::Zone,
}

/// Runs the sync server until SIGINT or SIGTERM, finishing the requests in flight. The first
/// line of stdout is `listening on http://ADDR`.
pub fn serve(args: ServeArgs) -> Result<()> {
    if args.token_idle_days == 0 {
        bail!("--token-idle-days must be at least 1");
    }
    let mut config = args.storage.config();
    config.token_idle = std::time::Duration::from_secs(args.token_idle_days * 86_400);
    config.login_limits.free_failures = args.login_free_failures;
    config.login_limits.free_failures_per_address = args.login_free_failures.saturating_mul(4);
    if args.header_timeout == 0 || args.idle_timeout == 0 || args.max_connections == Some(0) {
        bail!("--header-timeout, --idle-timeout and --max-connections must be at least 1");
    }
    config.connections.max = args.max_connections;
    config.connections.header_read = std::time::Duration::from_secs(args.header_timeout);
    config.connections.idle = std::time::Duration::from_secs(args.idle_timeout);
    config.zone = args.zone;
    let app = args.storage.open_with(config)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        // The first line of stdout: scripts and tests read the address from it.
        println!("listening on http://{}", listener.local_addr()?);
        offgrid_server::serve(app, listener, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
