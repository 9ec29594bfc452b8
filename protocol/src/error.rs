//! The error body of every refused request.

use serde::{Deserialize, Serialize};

/// Error body of every 4xx/5xx response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code (`unauthorized`, `bad_request`, `forbidden`, ...).
    pub error: String,
    /// What went wrong, for a developer (never user-entered text).
    pub message: String,
}
