//! `offgrid serve` (the sync server, until SIGINT/SIGTERM, finishing requests in flight) and
//! `offgrid admin` (users, passwords, tokens, projects, members) on the same storage.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use offgrid_core::Role;
use offgrid_server::{App, Config, accounts};

use crate::user;

/// Where the server keeps its data.
#[derive(Args, Clone)]
pub(crate) struct StorageArgs {
    /// Data folder: `server.db` (SQLite) and `blobs/`.
    #[arg(long, value_name = "DIR", default_value = "offgrid-server")]
    pub data: PathBuf,
    /// Use PostgreSQL instead of the SQLite file (e.g. "host=/run/postgresql dbname=offgrid"
    /// or "postgresql://user@host/db"). Blobs stay in the data folder.
    #[arg(long, value_name = "URL", env = "OFFGRID_POSTGRES")]
    pub postgres: Option<String>,
}

impl StorageArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.data);
        config.postgres = self.postgres.clone();
        config
    }

    fn open(&self) -> Result<std::sync::Arc<App>> {
        self.open_with(self.config())
    }

    fn open_with(&self, config: Config) -> Result<std::sync::Arc<App>> {
        App::open(config)
            .with_context(|| format!("cannot open the server data in {}", self.data.display()))
    }
}

#[derive(Args)]
pub(crate) struct ServeArgs {
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
    #[arg(long, value_name = "ZONE", default_value = offgrid_core::zone::DEFAULT_ZONE)]
    pub zone: offgrid_core::zone::Zone,
}

pub(crate) fn serve(args: ServeArgs) -> Result<()> {
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

#[derive(Args)]
pub(crate) struct AdminArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// Create a user. The password comes from --password or $OFFGRID_PASSWORD.
    UserAdd {
        id: String,
        /// Display name (e.g. 王芳).
        #[arg(long)]
        name: String,
        #[arg(long, env = "OFFGRID_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a user's password; every token of theirs is revoked.
    Password {
        id: String,
        #[arg(long, env = "OFFGRID_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// A user's device tokens (id, device, created, revoked).
    Tokens { user: String },
    /// Revoke one token of a user (--token), or all of them.
    Revoke {
        user: String,
        #[arg(long, value_name = "TOKEN_ID")]
        token: Option<String>,
    },
    /// Create a project.
    ProjectAdd {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Give a user a role on a project: inspector, rectifier, supervisor, admin or viewer.
    Member {
        project: String,
        user: String,
        #[arg(value_parser = user::parse_role)]
        role: Role,
    },
    /// Remove a user from a project.
    Unmember { project: String, user: String },
    /// Publish a checklist template (JSON, docs/templates.md) to every device. A version is
    /// immutable: publishing it again with other content is refused (publish a new version).
    TemplatePublish {
        file: std::path::PathBuf,
        /// Who publishes it (recorded with the template).
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// NTAG 424 DNA tag keys, held only by the server: it checks the SUN message (MAC and
    /// counter) of every patrol scan of a tag with a key. Devices never hold them.
    #[command(subcommand)]
    TagKey(TagKeyCommand),
}

#[derive(Subcommand)]
pub(crate) enum TagKeyCommand {
    /// Set (replace) a tag's SDM file-read key: UID as 14 hex digits, key as 32.
    Set {
        uid: String,
        #[arg(long, env = "OFFGRID_TAG_KEY", hide_env_values = true)]
        key: String,
    },
    /// Remove a tag's key (its scans are then reported unverified).
    Remove { uid: String },
    /// The tags with a key (never the keys).
    List,
}

pub(crate) fn admin(args: AdminArgs, json: bool) -> Result<()> {
    let app = args.storage.open()?;
    let b = app.backend.as_ref();
    match args.command {
        AdminCommand::UserAdd { id, name, password } => {
            accounts::add_user(b, &id, &name, &password)?;
            println!("user {id} created");
        }
        AdminCommand::Password { id, password } => {
            accounts::set_password(b, &id, &password)?;
            println!("password of {id} set; their tokens are revoked");
        }
        AdminCommand::Tokens { user } => {
            let tokens = accounts::tokens(b, &user)?;
            if json {
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        serde_json::json!({"id": t.id, "device": t.device,
                            "created_ms": t.created_ms, "revoked_ms": t.revoked_ms,
                            "last_used_ms": t.last_used_ms})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for t in tokens {
                    let state = if t.revoked_ms.is_some() {
                        "revoked"
                    } else {
                        "live"
                    };
                    let used = t.last_used_ms.map_or("never used".to_owned(), |ms| {
                        format!("last used {}", crate::time::utc(ms))
                    });
                    println!("{}  {state:7}  {used}  {}", t.id, t.device);
                }
            }
        }
        AdminCommand::Revoke { user, token } => {
            let n = accounts::revoke(b, &user, token.as_deref())?;
            if n == 0 {
                bail!("no live token to revoke");
            }
            println!("{n} token(s) revoked");
        }
        AdminCommand::ProjectAdd { id, name } => {
            accounts::add_project(b, &id, &name)?;
            println!("project {id} created");
        }
        AdminCommand::Member {
            project,
            user,
            role,
        } => {
            accounts::set_member(b, &project, &user, Some(role))?;
            println!("{user} is {} on {project}", role.as_str());
        }
        AdminCommand::Unmember { project, user } => {
            accounts::set_member(b, &project, &user, None)?;
            println!("{user} removed from {project}");
        }
        AdminCommand::TagKey(TagKeyCommand::Set { uid, key }) => {
            offgrid_server::sun::set_key(b, &uid, &key)?;
            println!("key of tag {} set", uid.to_ascii_uppercase());
        }
        AdminCommand::TagKey(TagKeyCommand::Remove { uid }) => {
            offgrid_server::sun::remove_key(b, &uid)?;
            println!("key of tag {} removed", uid.to_ascii_uppercase());
        }
        AdminCommand::TagKey(TagKeyCommand::List) => {
            let keys = offgrid_server::sun::keys(b)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                for k in keys {
                    println!("{}  {} counter(s) seen", k.uid, k.counters_seen);
                }
            }
        }
        AdminCommand::TemplatePublish { file, by } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let p = offgrid_server::templates::publish_admin(b, &text, &by)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"id": p.id, "version": p.version, "hash": p.hash, "new": p.new})
                );
            } else if p.new {
                println!(
                    "template {} version {} published ({})",
                    p.id,
                    p.version,
                    &p.hash[..12]
                );
            } else {
                println!(
                    "template {} version {} was published already ({})",
                    p.id,
                    p.version,
                    &p.hash[..12]
                );
            }
        }
    }
    Ok(())
}
