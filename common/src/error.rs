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
    Forbidden {
        /// The permission's name ([`crate::Permission::as_str`], e.g. `write_off_hazard`).
        permission: String,
        /// The id of the project it was asked on.
        project: String,
    },

    /// A draft's fields are empty, too long or name what is unknown.
    #[error("{}", crate::fields::describe(fields))]
    InvalidFields {
        /// Every field found wrong, in field order, each once.
        fields: Vec<FieldError>,
    },
}

/// A result whose error is [`Error`] unless another is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;
