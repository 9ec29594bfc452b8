//! The one public error of the FFI, converted from [`offgrid_core::Error`] in one place.
//!
//! Every variant carries `reason`: a readable sentence for logs and error screens. Reasons name
//! records by id and fields by path; they never contain what users typed (the core's messages
//! are written that way). Kotlin sees `OffgridException.<Variant>`, Swift `OffgridError.<variant>`,
//! Python `OffgridError.<Variant>`.

use offgrid_core::Error;
use offgrid_core::fields::FieldError;
use offgrid_core::inspection::Missing;

/// What went wrong, typed so shells can react (e.g. show the missing items, ask for the right
/// checkpoint code) and with a reason they can show or log.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum OffgridError {
    /// The object was used after `close_database()`.
    #[error("{reason}")]
    Closed { reason: String },
    /// The file is not an Offgrid database; it was left untouched.
    #[error("{reason}")]
    NotADatabase { reason: String },
    /// The database is encrypted and no key was given (or the file is not a database); it was
    /// left untouched.
    #[error("{reason}")]
    KeyRequired { reason: String },
    /// The key does not open this database (or its first page is damaged); it was left
    /// untouched. A shell that holds an older and a newer key after an interrupted
    /// `rekey_store` tries the other one.
    #[error("{reason}")]
    WrongKey { reason: String },
    /// SQLite reported corruption; nothing was deleted or rewritten.
    #[error("{reason}")]
    Corrupt { reason: String },
    /// The database was written by a newer app version.
    #[error("{reason}")]
    SchemaTooNew {
        found: u32,
        supported: u32,
        reason: String,
    },
    #[error("{reason}")]
    NotFound { id: String, reason: String },
    /// A record may cite only a photo this device holds or one the record already carries:
    /// attach the photo first (`photos().add_captured`), then cite it by its SHA-256.
    #[error("{reason}")]
    PhotoNotHeld { sha256: String, reason: String },
    /// One record's stored bytes do not load; every other record stays usable.
    #[error("{reason}")]
    RecordUnreadable { id: String, reason: String },
    /// Changes received for a record were rejected; nothing was stored.
    #[error("{reason}")]
    BadChanges { id: String, reason: String },
    /// A template is malformed at `path` (a JSON path).
    #[error("{reason}")]
    InvalidTemplate { path: String, reason: String },
    /// An answer does not fit its item's type.
    #[error("{reason}")]
    InvalidAnswer { item: String, reason: String },
    /// The scanned checkpoint code is not the one printed at this point.
    #[error("{reason}")]
    CheckpointMismatch { item: String, reason: String },
    #[error("{reason}")]
    UnknownItem { item: String, reason: String },
    /// The action does not fit the record's state (e.g. answering a submitted inspection).
    #[error("{reason}")]
    InvalidState {
        action: String,
        state: String,
        reason: String,
    },
    /// Submission blocked: everything missing, by item.
    #[error("{reason}")]
    Incomplete {
        missing: Vec<Missing>,
        reason: String,
    },
    /// A lifecycle rule (e.g. the re-inspector must not be the rectifier).
    #[error("{reason}")]
    RuleViolation { reason: String },
    /// The current user's role on the project does not grant `permission`.
    #[error("{reason}")]
    Forbidden {
        permission: String,
        project: String,
        reason: String,
    },
    /// Writes need a current user: call `set_user` first.
    #[error("{reason}")]
    NoCurrentUser { reason: String },
    /// A draft's fields are wrong: each field with its problem, for the form to mark.
    #[error("{reason}")]
    InvalidFields {
        fields: Vec<FieldError>,
        reason: String,
    },
    /// A bad argument: an unknown path, a value of the wrong shape, malformed JSON.
    #[error("{reason}")]
    InvalidArgument { reason: String },
    /// Not a JPEG or PNG; `format` names what it is ("HEIC": ask the camera for JPEG).
    #[error("{reason}")]
    UnsupportedImage { format: String, reason: String },
    /// A damaged image (truncated, corrupt).
    #[error("{reason}")]
    ImageDecode { reason: String },
    /// More pixels than the pipeline accepts.
    #[error("{reason}")]
    ImageTooLarge {
        width: u32,
        height: u32,
        reason: String,
    },
    /// Sync needs one online login first.
    #[error("{reason}")]
    NotSignedIn { reason: String },
    /// Wrong password, or the token expired: log in again.
    #[error("{reason}")]
    Unauthorized { reason: String },
    /// The office revoked this device's token (reported lost or replaced). Nothing more was
    /// sent. An app that holds work data should close the store and call `wipe_store` (the
    /// organisation's policy decides; the records the server had are safe there).
    #[error("{reason}")]
    TokenRevoked { reason: String },
    /// The network failed after retries, or the server was unavailable. Nothing is lost:
    /// sync again later.
    #[error("{reason}")]
    Network { reason: String },
    /// The server refused the request; `status` is the HTTP status, `code` its error code.
    #[error("{reason}")]
    ServerRefused {
        status: u16,
        code: String,
        reason: String,
    },
    /// The sync was cancelled.
    #[error("{reason}")]
    Cancelled { reason: String },
    /// A document could not be made or written; nothing was left under its name.
    #[error("{reason}")]
    Document { reason: String },
    /// The database or the file system failed (disk full, permissions).
    #[error("{reason}")]
    Storage { reason: String },
    /// A bug: please report it with the logs.
    #[error("{reason}")]
    Internal { reason: String },
}

/// The base types' errors take the core's way into the one public error.
impl From<offgrid_common::Error> for OffgridError {
    fn from(e: offgrid_common::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<offgrid_domain::Error> for OffgridError {
    fn from(e: offgrid_domain::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<Error> for OffgridError {
    fn from(e: Error) -> Self {
        let reason = e.to_string();
        tracing::debug!(target: "offgrid_ffi", error = %reason, "call failed");
        match e {
            Error::NotADatabase { .. } | Error::StoreNotFound { .. } => {
                OffgridError::NotADatabase { reason }
            }
            Error::Corrupt(_) => OffgridError::Corrupt { reason },
            Error::KeyRequired { .. } => OffgridError::KeyRequired { reason },
            Error::WrongKey { .. } => OffgridError::WrongKey { reason },
            Error::SchemaTooNew { found, supported } => OffgridError::SchemaTooNew {
                found,
                supported,
                reason,
            },
            Error::NotFound(id) => OffgridError::NotFound { id: id.0, reason },
            Error::PhotoNotHeld { sha256 } => OffgridError::PhotoNotHeld { sha256, reason },
            Error::RecordUnreadable { id, .. } => {
                OffgridError::RecordUnreadable { id: id.0, reason }
            }
            Error::BadChanges { id, .. } => OffgridError::BadChanges { id: id.0, reason },
            Error::Template { path, .. } => OffgridError::InvalidTemplate { path, reason },
            Error::InvalidAnswer { item, .. } => OffgridError::InvalidAnswer { item, reason },
            Error::CheckpointMismatch { item } => OffgridError::CheckpointMismatch { item, reason },
            Error::UnknownItem { item } => OffgridError::UnknownItem { item, reason },
            Error::InvalidState { action, state } => OffgridError::InvalidState {
                action,
                state,
                reason,
            },
            Error::Incomplete { missing } => OffgridError::Incomplete { missing, reason },
            Error::RuleViolation(_) => OffgridError::RuleViolation { reason },
            Error::Forbidden {
                permission,
                project,
            } => OffgridError::Forbidden {
                permission,
                project,
                reason,
            },
            Error::NoCurrentUser => OffgridError::NoCurrentUser { reason },
            Error::InvalidFields { fields } => OffgridError::InvalidFields { fields, reason },
            Error::PathNotFound { .. }
            | Error::AlreadyExists { .. }
            | Error::InvalidValue { .. }
            | Error::InvalidArgument(_)
            | Error::Json(_) => OffgridError::InvalidArgument { reason },
            Error::UnsupportedImage { format } => OffgridError::UnsupportedImage { format, reason },
            Error::ImageDecode { .. } => OffgridError::ImageDecode { reason },
            Error::ImageTooLarge { width, height, .. } => OffgridError::ImageTooLarge {
                width,
                height,
                reason,
            },
            Error::NotSignedIn => OffgridError::NotSignedIn { reason },
            Error::Unauthorized(_) => OffgridError::Unauthorized { reason },
            Error::TokenRevoked => OffgridError::TokenRevoked { reason },
            Error::Network(_) => OffgridError::Network { reason },
            Error::Server { status, code, .. } => OffgridError::ServerRefused {
                status,
                code,
                reason,
            },
            Error::Cancelled => OffgridError::Cancelled { reason },
            Error::Document { .. } => OffgridError::Document { reason },
            Error::Sqlite(_) | Error::Io(_) => OffgridError::Storage { reason },
            Error::Automerge(_) => OffgridError::Internal { reason },
        }
    }
}
