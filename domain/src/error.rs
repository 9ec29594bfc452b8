//! The crate's one error type: what a record kind's rules and pure actions refuse. The core
//! turns each into its own error, variant for variant.

/// What a record kind's rules, a template's validation or a pure action refuses. Messages name
/// items and paths, never user-entered text.
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
        /// Why the value cannot go there.
        reason: String,
    },

    /// A checklist template is malformed: `path` is the JSON path of the offending value.
    #[error("template invalid at {path}: {reason}")]
    Template {
        /// The JSON path of the offending value.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An answer does not fit its item's type.
    #[error("invalid answer for item {item}: {reason}")]
    InvalidAnswer {
        /// The item answered.
        item: String,
        /// Why the answer does not fit.
        reason: String,
    },

    /// A scanned checkpoint code is not the one printed at this point.
    #[error("checkpoint {item}: the scanned code does not match this point")]
    CheckpointMismatch {
        /// The checkpoint's item.
        item: String,
    },

    /// A lifecycle rule: e.g. the re-inspector must not be who rectified.
    #[error("not allowed: {0}")]
    RuleViolation(String),

    /// The user's roles on the project do not grant this permission.
    #[error("permission {permission} is missing on project {project}")]
    Forbidden {
        /// The permission's name.
        permission: String,
        /// The project (or what stands for it).
        project: String,
    },

    /// Fields of a draft that are empty, too long or name what is unknown.
    #[error("invalid fields: {}", fields.len())]
    InvalidFields {
        /// Each field and its problem.
        fields: Vec<offgrid_common::fields::FieldError>,
    },

    /// A malformed argument (an id, a key, a record of another kind).
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

impl From<offgrid_doc::Error> for Error {
    fn from(e: offgrid_doc::Error) -> Self {
        use offgrid_doc::Error as Doc;
        match e {
            Doc::PathNotFound { path } => Error::PathNotFound { path },
            Doc::AlreadyExists { path } => Error::AlreadyExists { path },
            Doc::InvalidValue { path, reason } => Error::InvalidValue { path, reason },
            Doc::InvalidArgument(what) => Error::InvalidArgument(what),
            Doc::Automerge(e) => Error::Automerge(e),
            Doc::Json(e) => Error::Json(e),
        }
    }
}

impl From<offgrid_common::Error> for Error {
    fn from(e: offgrid_common::Error) -> Self {
        match e {
            offgrid_common::Error::InvalidArgument(what) => Error::InvalidArgument(what),
            offgrid_common::Error::Forbidden {
                permission,
                project,
            } => Error::Forbidden {
                permission,
                project,
            },
            offgrid_common::Error::InvalidFields { fields } => Error::InvalidFields { fields },
        }
    }
}
