//! Where the server keeps its data: a folder (SQLite and blobs), or PostgreSQL.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use offgrid_server::{App, Config};

/// Where the server keeps its data.
#[derive(Args, Clone)]
pub struct StorageArgs {
    /// Data folder: `server.db` (SQLite) and `blobs/`.
    #[arg(long, value_name = "DIR", default_value = "offgrid-server")]
    pub data: PathBuf,
    /// Use PostgreSQL instead of the SQLite file (e.g. "host=/run/postgresql dbname=offgrid"
    /// or "postgresql://user@host/db"). Blobs stay in the data folder.
    #[arg(long, value_name = "URL", env = "OFFGRID_POSTGRES")]
    pub postgres: Option<String>,
}

impl StorageArgs {
    /// The server's configuration for this storage, every other setting at its default.
    pub fn config(&self) -> Config {
        let mut config = Config::new(&self.data);
        config.postgres = self.postgres.clone();
        config
    }

    /// Opens the storage (creating it if it is new).
    pub fn open(&self) -> Result<std::sync::Arc<App>> {
        self.open_with(self.config())
    }

    /// Opens the storage with `config` (creating it if it is new).
    pub fn open_with(&self, config: Config) -> Result<std::sync::Arc<App>> {
        App::open(config)
            .with_context(|| format!("cannot open the server data in {}", self.data.display()))
    }
}
