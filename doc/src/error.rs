//! The crate's one error type: what an edit or a read of a document refuses.

/// What an edit or a read of a document refuses. The core turns each into its own error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path names nothing in the document.
    #[error("path {path} does not exist")]
    PathNotFound {
        /// The JSON pointer, or its part up to the first segment that names nothing.
        path: String,
    },

    /// An edit would make what is already there.
    #[error("path {path} already exists")]
    AlreadyExists {
        /// The JSON pointer of what is there.
        path: String,
    },

    /// A value that cannot be written at `path`.
    #[error("invalid value for {path}: {reason}")]
    InvalidValue {
        /// The JSON pointer written to.
        path: String,
        /// Why the value cannot go there (e.g. `reserved field`, `not a map`).
        reason: String,
    },

    /// A malformed argument (a path, a key).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Automerge refused an operation or a read.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    /// A value did not convert to or from JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A result whose error is [`Error`] unless another is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;
