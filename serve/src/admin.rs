//! `admin`: users, passwords, tokens, projects, members, templates and tag keys, on the
//! server's storage (the server may be running: its database takes concurrent writers).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use offgrid_common::access::Role;
use offgrid_server::accounts;

use crate::StorageArgs;

/// A role by its name (`inspector`, `rectifier`, `supervisor`, `admin`, `viewer`).
fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|e| e.to_string())
}

/// `admin`: users, passwords, tokens, projects, members, templates, tag keys.
#[derive(Args)]
pub struct AdminArgs {
    /// Where the server's data is.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// What `admin` does.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a user. The password comes from --password or $OFFGRID_PASSWORD.
    UserAdd {
        /// The user's id: their login name and the author of their changes (e.g. wangfang).
        id: String,
        /// Display name (e.g. 王芳).
        #[arg(long)]
        name: String,
        /// The password (better in $OFFGRID_PASSWORD: a command line is visible to other users).
        #[arg(long, env = "OFFGRID_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a user's password; every token of theirs is revoked.
    Password {
        /// The user's id.
        id: String,
        /// The new password (better in $OFFGRID_PASSWORD).
        #[arg(long, env = "OFFGRID_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// A user's device tokens (id, device, created, revoked).
    Tokens {
        /// The user's id.
        user: String,
    },
    /// Revoke one token of a user (--token), or all of them.
    Revoke {
        /// The user's id.
        user: String,
        /// The token to revoke (its id, from `tokens`); every live token when not given.
        #[arg(long, value_name = "TOKEN_ID")]
        token: Option<String>,
    },
    /// Create a project.
    ProjectAdd {
        /// The project's id (e.g. p1).
        id: String,
        /// The project's name (e.g. 人防工程 1).
        #[arg(long)]
        name: String,
    },
    /// Give a user a role on a project: inspector, rectifier, supervisor, admin or viewer.
    Member {
        /// The project's id.
        project: String,
        /// The user's id.
        user: String,
        /// The role (replaces any role the user had there).
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Remove a user from a project.
    Unmember {
        /// The project's id.
        project: String,
        /// The user's id.
        user: String,
    },
    /// Publish a checklist template (JSON, docs/templates.md) to every device. A version is
    /// immutable: publishing it again with other content is refused (publish a new version).
    TemplatePublish {
        /// The template's JSON file.
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

/// What `admin tag-key` does.
#[derive(Subcommand)]
pub enum TagKeyCommand {
    /// Set (replace) a tag's SDM file-read key: UID as 14 hex digits, key as 32.
    Set {
        /// The tag's UID, 14 hex digits.
        uid: String,
        /// The key, 32 hex digits (better in $OFFGRID_TAG_KEY).
        #[arg(long, env = "OFFGRID_TAG_KEY", hide_env_values = true)]
        key: String,
    },
    /// Remove a tag's key (its scans are then reported unverified).
    Remove {
        /// The tag's UID, 14 hex digits.
        uid: String,
    },
    /// The tags with a key (never the keys).
    List,
}

/// Runs one administration command on the server's storage; `json` prints lists as JSON.
pub fn admin(args: AdminArgs, json: bool) -> Result<()> {
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
                        format!("last used {}", offgrid_common::civil::utc_text(ms))
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
