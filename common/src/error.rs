//! The crate's one error type: what the base types refuse.

use crate::fields::FieldError;

/// What the base types refuse. The crates above turn each variant into their own.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A value that cannot be read (a kind, a role, a zone, a date).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The user lacks `permission` on `project`.
    #[error("permission {permission} is missing on project {project}")]
    Forbidden { permission: String, project: String },

    /// A draft's fields are empty, too long or name what is unknown.
    #[error("{}", crate::fields::describe(fields))]
    InvalidFields { fields: Vec<FieldError> },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
