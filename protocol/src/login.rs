//! Signing in: `POST /v1/login` and the account the server answers with.

use offgrid_common::access::ProjectRole;
use serde::{Deserialize, Serialize};

/// `POST /v1/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The account's user id (any string that is not an id gets the 401 of a wrong password).
    pub user: String,
    /// The account's password, checked against the argon2id hash the server keeps.
    pub password: String,
    /// A name for the device ("Pixel 8 of Wang Fang"); shown when tokens are listed or revoked.
    pub device: String,
}

/// The signed-in user as the server knows them (in [`LoginResponse`], and the body of
/// `GET /v1/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The user id: the device names it as the author of every change it makes.
    pub id: String,
    /// Display name (e.g. 王芳).
    pub name: String,
    /// The account's role per project (`"*"`: every project), as the server holds them.
    pub roles: Vec<ProjectRole>,
}

/// The answer to `POST /v1/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for this device. The server keeps only its hash.
    pub token: String,
    /// The token's id, for revocation.
    pub token_id: String,
    /// The account signed in.
    pub account: Account,
}
