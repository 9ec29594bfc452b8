//! The crate's one error type: what a record kind's rules and pure actions refuse. The core
//! turns each into its own error, variant for variant.

/// What a record kind's rules, a template's validation or a pure action refuses. Messages name
/// items and paths, never user-entered text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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

    /// A document refused an edit or a read (a path, a value, automerge, JSON).
    #[error(transparent)]
    Doc(#[from] offgrid_doc::Error),
}

/// A result whose error is [`Error`] unless another is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Error::Doc(e.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Doc(e.into())
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
