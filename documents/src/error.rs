//! The crate's one error type: a document that cannot be laid out or written. What a
//! [`crate::Source`] fails with is its own error type, which this one converts into.

/// A document that cannot be made: why, in words for the person who asked for it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Laying out, typesetting or encoding failed, or an argument does not make a document.
    #[error("document: {reason}")]
    Document {
        /// Why.
        reason: String,
    },
    /// What was asked for does not make a document (no hazards, hazards of two projects).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn document(reason: impl Into<String>) -> Error {
    Error::Document {
        reason: reason.into(),
    }
}

pub(crate) fn invalid(what: impl Into<String>) -> Error {
    Error::InvalidArgument(what.into())
}
