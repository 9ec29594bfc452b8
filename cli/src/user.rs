//! Who the CLI writes as. Every change the core makes is attributed to a user; the CLI takes it
//! from `--user` / `--user-name`, else from `OFFGRID_USER` / `OFFGRID_USER_NAME`, else "cli".
//! The user has one role, from `--role`, else `OFFGRID_ROLE`, else admin, on the project named by
//! `--project` (else on every project, `"*"`): the core checks it on every domain action.
//! When none of these is given and the database is signed in (`offgrid login`), the CLI writes
//! as that account with the roles the server gave it (`Ctx::writer`).

use anyhow::{Result, bail};
use offgrid_core::{Role, User};

/// Environment variable naming the default user id.
pub(crate) const USER_ENV: &str = "OFFGRID_USER";
/// Environment variable naming the default display name.
pub(crate) const USER_NAME_ENV: &str = "OFFGRID_USER_NAME";
/// Environment variable naming the default role.
pub(crate) const ROLE_ENV: &str = "OFFGRID_ROLE";

const DEFAULT_ID: &str = "cli";
const DEFAULT_NAME: &str = "CLI";
const DEFAULT_ROLE: Role = Role::Admin;

/// Every role, in the order the help text lists them.
pub(crate) const ROLES: [Role; 5] = [
    Role::Inspector,
    Role::Rectifier,
    Role::Supervisor,
    Role::Admin,
    Role::Viewer,
];

/// Who is writing: id, display name, and a role on a project.
pub(crate) struct Identity {
    pub id: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    /// The project the role applies to; `None`: every project.
    pub project: Option<String>,
}

impl Identity {
    /// Whether any part of the identity was chosen, on the command line or in the environment.
    pub(crate) fn is_given(&self) -> bool {
        self.id.is_some()
            || self.name.is_some()
            || self.role.is_some()
            || [USER_ENV, USER_NAME_ENV, ROLE_ENV]
                .iter()
                .any(|key| std::env::var(key).is_ok_and(|v| !v.trim().is_empty()))
    }
}

/// The user for writes. Without a display name, a chosen id doubles as the name.
pub(crate) fn resolve(who: Identity) -> Result<User> {
    let from_env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    let id = who.id.or_else(|| from_env(USER_ENV));
    let name = who.name.or_else(|| from_env(USER_NAME_ENV));
    let role = match (who.role, from_env(ROLE_ENV)) {
        (Some(role), _) => role,
        (None, Some(text)) => match parse_role(text.trim()) {
            Ok(role) => role,
            Err(e) => bail!("${ROLE_ENV}: {e}"),
        },
        (None, None) => DEFAULT_ROLE,
    };
    let user = match (id, name) {
        (Some(id), Some(name)) => User::new(&id, &name),
        (Some(id), None) => User::new(&id, &id),
        (None, name) => User::new(DEFAULT_ID, name.as_deref().unwrap_or(DEFAULT_NAME)),
    };
    Ok(user.with_role(who.project.as_deref().unwrap_or("*"), role))
}

/// A role by name (clap value parser for `--role`).
pub(crate) fn parse_role(text: &str) -> Result<Role, String> {
    ROLES
        .into_iter()
        .find(|r| r.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = ROLES.iter().map(|r| r.as_str()).collect();
            format!(
                "unknown role {text:?} (expected one of: {})",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name() {
        for role in ROLES {
            assert_eq!(parse_role(role.as_str()), Ok(role));
        }
        assert!(parse_role("boss").unwrap_err().contains("supervisor"));
    }

    #[test]
    fn the_role_applies_to_the_project() {
        let user = resolve(Identity {
            id: Some("chen".into()),
            name: Some("陈工".into()),
            role: Some(Role::Rectifier),
            project: Some("p1".into()),
        })
        .unwrap();
        assert_eq!(user.roles.len(), 1);
        assert_eq!(user.roles[0].project, "p1");
        assert_eq!(user.roles[0].role, Role::Rectifier);
    }
}
