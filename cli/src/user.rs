//! Who the CLI writes as. Every change the core makes is attributed to a user; the CLI takes it
//! from `--user` / `--user-name`, else from `OFFGRID_USER` / `OFFGRID_USER_NAME`, else "cli".

use offgrid_core::User;

/// Environment variable naming the default user id.
pub const USER_ENV: &str = "OFFGRID_USER";
/// Environment variable naming the default display name.
pub const USER_NAME_ENV: &str = "OFFGRID_USER_NAME";

const DEFAULT_ID: &str = "cli";
const DEFAULT_NAME: &str = "CLI";

/// The user for writes. Without a display name, a chosen id doubles as the name.
pub fn resolve(id: Option<String>, name: Option<String>) -> User {
    let from_env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    let id = id.or_else(|| from_env(USER_ENV));
    let name = name.or_else(|| from_env(USER_NAME_ENV));
    match (id, name) {
        (Some(id), Some(name)) => User::new(&id, &name),
        (Some(id), None) => User::new(&id, &id),
        (None, name) => User::new(DEFAULT_ID, name.as_deref().unwrap_or(DEFAULT_NAME)),
    }
}
