//! Users, passwords (argon2id), per-device tokens (random, stored as SHA-256), projects and
//! memberships. Used by the HTTP layer (login, authentication) and the admin commands.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use offgrid_common::access::{ProjectRole, Role};
use offgrid_protocol::{Account, LoginResponse, is_valid_id};

use crate::backend::{Backend, TokenRow, UserRow, transact};
use crate::error::{Error, Result};

/// Who is calling, once their token checked out.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The account's user id.
    pub user_id: String,
    /// The id of the token it authenticated with (not the token).
    pub token_id: String,
    /// Its roles, by project, as stored when it authenticated.
    pub roles: Vec<ProjectRole>,
}

impl Caller {
    /// The caller's role on the project, if any.
    pub fn role(&self, project: &str) -> Option<Role> {
        self.roles
            .iter()
            .find(|r| r.project == project)
            .map(|r| r.role)
    }

    /// Members of every role but viewer write.
    pub fn can_write(&self, project: &str) -> bool {
        matches!(self.role(project), Some(r) if r != Role::Viewer)
    }

    /// Members of every role read.
    pub fn can_read(&self, project: &str) -> bool {
        self.role(project).is_some()
    }
}

/// The time now, in UTC milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// An argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// SHA-256 (hex) of a bearer token: what is stored and looked up.
pub fn token_hash(token: &str) -> String {
    offgrid_protocol::sha256_hex(token.as_bytes())
}

fn check_id(what: &str, id: &str) -> Result<()> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "invalid {what} id (1-100 of A-Z a-z 0-9 _ - . :)"
        )))
    }
}

/// Creates a user; fails if the id is taken.
pub fn add_user(b: &dyn Backend, id: &str, name: &str, password: &str) -> Result<()> {
    check_id("user", id)?;
    if password.len() < 8 {
        return Err(Error::BadRequest(
            "passwords have at least 8 characters".into(),
        ));
    }
    let row = UserRow {
        id: id.to_owned(),
        name: name.to_owned(),
        password_hash: hash_password(password)?,
        disabled: false,
    };
    let now = now_ms();
    if transact(b, |tx| tx.insert_user(&row, now))? {
        Ok(())
    } else {
        Err(Error::Conflict(format!("user {id} already exists")))
    }
}

/// Sets a new password and revokes every token of the user.
pub fn set_password(b: &dyn Backend, id: &str, password: &str) -> Result<()> {
    let hash = hash_password(password)?;
    let now = now_ms();
    transact(b, |tx| {
        let mut user = tx
            .user(id)?
            .ok_or_else(|| Error::NotFound(format!("no user {id}")))?;
        user.password_hash = hash.clone();
        tx.update_user(&user)?;
        tx.revoke_tokens(id, None, now)?;
        Ok(())
    })
}

/// Creates a project; fails if the id is taken or is the organisation scope's.
pub fn add_project(b: &dyn Backend, id: &str, name: &str) -> Result<()> {
    check_id("project", id)?;
    if id == crate::scope::ORG {
        return Err(Error::BadRequest(format!(
            "{id:?} is the organisation's scope (grid cells and sites); it exists already"
        )));
    }
    let now = now_ms();
    if transact(b, |tx| tx.insert_project(id, name, now))? {
        Ok(())
    } else {
        Err(Error::Conflict(format!("project {id} already exists")))
    }
}

/// Gives the user a role on the project (`None` removes them).
pub fn set_member(b: &dyn Backend, project: &str, user: &str, role: Option<Role>) -> Result<()> {
    transact(b, |tx| {
        if project == crate::scope::ORG {
            ensure_org(tx)?;
        }
        if !tx.project_exists(project)? {
            return Err(Error::NotFound(format!("no project {project}")));
        }
        if tx.user(user)?.is_none() {
            return Err(Error::NotFound(format!("no user {user}")));
        }
        tx.set_member(project, user, role)
    })
}

/// Checks the password and issues a token for the device. The same message for an unknown user
/// and a wrong password, so logins cannot probe for user ids.
pub fn login(b: &dyn Backend, user: &str, password: &str, device: &str) -> Result<LoginResponse> {
    let denied = || Error::Unauthorized("wrong user or password".into());
    if device.chars().count() > 200 {
        return Err(Error::BadRequest(
            "device names have at most 200 characters".into(),
        ));
    }
    if !is_valid_id(user) {
        return Err(denied());
    }
    let row = transact(b, |tx| tx.user(user))?;
    let Some(row) = row.filter(|u| !u.disabled) else {
        // Spend the same time as a real check.
        let _ = verify_password(password, DUMMY_HASH);
        return Err(denied());
    };
    if !verify_password(password, &row.password_hash) {
        return Err(denied());
    }
    let token = format!(
        "og_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let token_row = TokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        hash: token_hash(&token),
        user_id: row.id.clone(),
        device: device.to_owned(),
        created_ms: now_ms(),
        revoked_ms: None,
        last_used_ms: None,
    };
    let roles = transact(b, |tx| {
        tx.insert_token(&token_row)?;
        tx.roles(&row.id)
    })?;
    tracing::info!(token = %token_row.id, "login");
    Ok(LoginResponse {
        token,
        token_id: token_row.id,
        account: Account {
            id: row.id,
            name: row.name,
            roles,
        },
    })
}

/// Tokens are marked used at most this often (a write per request would be wasted).
const TOUCH_EVERY_MS: i64 = 3_600_000;

/// The caller behind a bearer token; revoked, unknown and idle tokens (unused for longer than
/// the default 90 days) and disabled users are refused. The token's hash is looked up, then
/// compared in constant time.
pub fn authenticate(b: &dyn Backend, token: &str) -> Result<Caller> {
    let days = crate::DEFAULT_TOKEN_IDLE_DAYS;
    authenticate_within(b, token, std::time::Duration::from_secs(days * 86_400))
}

/// As [`authenticate`], with the server's idle limit.
pub fn authenticate_within(
    b: &dyn Backend,
    token: &str,
    idle: std::time::Duration,
) -> Result<Caller> {
    use subtle::ConstantTimeEq;
    let hash = token_hash(token);
    let now = now_ms();
    let idle_ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
    transact(b, |tx| {
        let denied = || Error::Unauthorized("invalid or revoked token: log in again".into());
        let t = tx.token_by_hash(&hash)?.ok_or_else(denied)?;
        if !bool::from(t.hash.as_bytes().ct_eq(hash.as_bytes())) {
            return Err(denied());
        }
        if t.revoked_ms.is_some() {
            return Err(Error::TokenRevoked);
        }
        let last = t.last_used_ms.unwrap_or(t.created_ms).max(t.created_ms);
        if now.saturating_sub(last) > idle_ms {
            return Err(Error::Unauthorized(format!(
                "the token was not used for more than {} days: log in again",
                idle.as_secs() / 86_400
            )));
        }
        match tx.user(&t.user_id)? {
            Some(u) if !u.disabled => {}
            _ => return Err(denied()),
        }
        if now - last >= TOUCH_EVERY_MS || t.last_used_ms.is_none() {
            tx.touch_token(&t.id, now)?;
        }
        Ok(Caller {
            roles: tx.roles(&t.user_id)?,
            user_id: t.user_id,
            token_id: t.id,
        })
    })
}

/// The caller's account as login returns it.
pub fn account(b: &dyn Backend, caller: &Caller) -> Result<Account> {
    transact(b, |tx| {
        let u = tx
            .user(&caller.user_id)?
            .ok_or_else(|| Error::Unauthorized("no such user".into()))?;
        Ok(Account {
            id: u.id,
            name: u.name,
            roles: tx.roles(&caller.user_id)?,
        })
    })
}

/// Revokes one token of the user, or all.
pub fn revoke(b: &dyn Backend, user: &str, token_id: Option<&str>) -> Result<u64> {
    let now = now_ms();
    transact(b, |tx| tx.revoke_tokens(user, token_id, now))
}

/// Every token of the user, revoked ones too, oldest first.
pub fn tokens(b: &dyn Backend, user: &str) -> Result<Vec<TokenRow>> {
    transact(b, |tx| tx.tokens(user))
}

/// An argon2id hash of a random password, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2yZ7J6s7mIvAHiOTeZ6nQ9Qyl2gYjZ0cY+JUqY5hqjU";

/// Creates the organisation scope's project row if it is missing (it exists on every server).
pub(crate) fn ensure_org(tx: &mut dyn crate::backend::Tx) -> Result<()> {
    if !tx.project_exists(crate::scope::ORG)? {
        tx.insert_project(crate::scope::ORG, "组织 / Organisation", now_ms())?;
    }
    Ok(())
}
