//! The crate's one error type: what an edit or a read of a document refuses.

/// What an edit or a read of a document refuses. The core turns each into its own error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path names nothing in the document.
    #[error("path {path} does not exist")]
    PathNotFound { path: String },

    /// An edit would make what is already there.
    #[error("path {path} already exists")]
    AlreadyExists { path: String },

    /// A value that cannot be written at `path`.
    #[error("invalid value for {path}: {reason}")]
    InvalidValue { path: String, reason: String },

    /// A malformed argument (a path, a key).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
