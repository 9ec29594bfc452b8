//! Signing in: `POST /v1/login` and the account the server answers with.

use offgrid_common::access::ProjectRole;
use serde::{Deserialize, Serialize};

/// `POST /v1/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    /// A name for the device ("Pixel 8 of Wang Fang"); shown when tokens are listed or revoked.
    pub device: String,
}

/// The signed-in user as the server knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub roles: Vec<ProjectRole>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for this device. The server keeps only its hash.
    pub token: String,
    /// The token's id, for revocation.
    pub token_id: String,
    pub account: Account,
}
