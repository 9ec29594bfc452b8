//! # offgrid-server
//!
//! The sync server: accounts and per-device tokens, the per-project change feed that devices
//! push to and pull from in one round trip, and photo blobs. Storage is behind
//! [`backend::Backend`] (SQLite by default, PostgreSQL for scale), blobs behind
//! [`blobs::BlobStore`] (the filesystem by default). See `docs/ARCHITECTURE.md` and
//! `docs/openapi.yaml`.

#![warn(missing_docs)]

pub mod accounts;
pub mod backend;
pub mod blobs;
pub mod digest;
pub mod documents;
pub mod error;
pub mod gate;
pub mod http;
pub mod listen;
pub mod metrics;
pub mod scope;
pub mod sun;
pub mod sync;
pub mod templates;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use error::{Error, Result};

/// How to run a server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Holds `server.db` (SQLite backend) and `blobs/`.
    pub data_dir: PathBuf,
    /// PostgreSQL connection string; the SQLite file is used when `None`.
    pub postgres: Option<String>,
    /// Largest request body, after decompression (photo chunks have their own limit).
    pub max_body_bytes: usize,
    /// Judge every push with the records' write policies. Only the benchmarks that measure
    /// what the gate costs turn it off, and only with the feature `bench` (the CLI's): a server
    /// built without it always judges.
    #[cfg(feature = "bench")]
    pub gate: bool,
    /// How failed logins are slowed (per account and per address).
    pub login_limits: throttle::LoginLimits,
    /// A device token unused for this long no longer works (its device logs in again).
    pub token_idle: std::time::Duration,
    /// How many connections, and how long a request's headers and an idle connection wait.
    pub connections: listen::Connections,
    /// The organisation's time zone, sent to devices with every sync: their "today" and the
    /// deadlines people give as dates (`offgrid_common::zone`).
    pub zone: offgrid_common::zone::Zone,
}

impl Config {
    /// Whether pushes are judged by the write gate: always, unless a benchmark built with the
    /// feature `bench` turned it off.
    pub fn gate_on(&self) -> bool {
        #[cfg(feature = "bench")]
        return self.gate;
        #[cfg(not(feature = "bench"))]
        true
    }
}

/// Default of [`Config::token_idle`]: 90 days.
pub const DEFAULT_TOKEN_IDLE_DAYS: u64 = 90;

impl Config {
    /// The defaults, with the data folder `data_dir`: SQLite, 32 MiB request bodies, the default
    /// login limits, token idle time, connection limits and zone.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            postgres: None,
            max_body_bytes: 32 << 20,
            #[cfg(feature = "bench")]
            gate: true,
            login_limits: throttle::LoginLimits::default(),
            token_idle: std::time::Duration::from_secs(DEFAULT_TOKEN_IDLE_DAYS * 86_400),
            connections: listen::Connections::default(),
            zone: offgrid_common::zone::Zone::default(),
        }
    }
}

/// A server's state: storage, blobs, metrics.
pub struct App {
    /// How it runs.
    pub config: Config,
    /// The database.
    pub backend: Arc<dyn backend::Backend>,
    /// Photo blobs.
    pub blobs: Arc<dyn blobs::BlobStore>,
    /// What `GET /metrics` reports.
    pub metrics: metrics::Metrics,
    /// Open documents for the write gate.
    pub docs: gate::DocCache,
    /// Failed logins, per account and per address.
    pub logins: throttle::LoginThrottle,
}

impl App {
    /// Opens (creating) the data folder and the database.
    pub fn open(config: Config) -> Result<Arc<App>> {
        std::fs::create_dir_all(&config.data_dir)?;
        let backend: Arc<dyn backend::Backend> = match &config.postgres {
            Some(url) => Arc::new(backend::postgres::PostgresBackend::connect(url)?),
            None => Arc::new(backend::sqlite::SqliteBackend::open(
                &config.data_dir.join("server.db"),
            )?),
        };
        let blobs = Arc::new(blobs::FsBlobStore::open(&config.data_dir.join("blobs"))?);
        Ok(Arc::new(App {
            logins: throttle::LoginThrottle::new(config.login_limits.clone()),
            config,
            backend,
            blobs,
            metrics: metrics::Metrics::default(),
            docs: gate::DocCache::default(),
        }))
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the requests in flight
/// (within the limits of [`listen`]).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve(app, listener, shutdown).await
}

/// A server on its own thread and runtime (tests, the demo, benchmarks). Dropping it stops it.
pub struct RunningServer {
    /// The address it listens on (with the port picked, if 0 was asked).
    pub addr: SocketAddr,
    /// The state it serves.
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Binds `addr` (port 0 picks a free one) and serves `app` with `workers` threads.
    pub fn start(app: Arc<App>, addr: SocketAddr, workers: usize) -> Result<RunningServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind(addr))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let thread = std::thread::Builder::new()
            .name("offgrid-server".into())
            .spawn(move || {
                let r = rt.block_on(serve(served, listener, async {
                    let _ = rx.await;
                }));
                if let Err(e) = r {
                    tracing::error!(error = %e, "server stopped with an error");
                }
                rt.shutdown_timeout(std::time::Duration::from_secs(5));
            })?;
        Ok(RunningServer {
            addr,
            app,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// Its base URL, `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes the requests in flight, and joins the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
