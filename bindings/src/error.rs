//! The one public error of the FFI, converted from [`offgrid_core::Error`] in one place.
//!
//! Every variant carries `reason`: a readable sentence for error screens. Reasons name records
//! by id and fields by path; a few also quote a name an admin entered (a site, checkpoint or grid
//! cell that is unknown or taken), never answers, notes or passwords. Log the variant, not the
//! reason, where logs leave the device. Kotlin sees `OffgridException.<Variant>`, Swift `OffgridError.<variant>`,
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
    Closed {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The file is not an Offgrid database; it was left untouched.
    #[error("{reason}")]
    NotADatabase {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The database is encrypted and no key was given (or the file is not a database); it was
    /// left untouched.
    #[error("{reason}")]
    KeyRequired {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The key does not open this database (or its first page is damaged); it was left
    /// untouched. A shell that holds an older and a newer key after an interrupted
    /// `rekey_store` tries the other one.
    #[error("{reason}")]
    WrongKey {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// SQLite reported corruption; nothing was deleted or rewritten.
    #[error("{reason}")]
    Corrupt {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The database was written by a newer app version.
    #[error("{reason}")]
    SchemaTooNew {
        /// The schema version the file carries.
        found: u32,
        /// The newest schema version this build knows.
        supported: u32,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// No record with this id is held on this device.
    #[error("{reason}")]
    NotFound {
        /// The id asked for.
        id: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A record may cite only a photo this device holds or one the record already carries:
    /// attach the photo first (`photos().add_captured`), then cite it by its SHA-256.
    #[error("{reason}")]
    PhotoNotHeld {
        /// The cited photo's SHA-256 (of its original bytes, hex).
        sha256: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// One record's stored bytes do not load; every other record stays usable.
    #[error("{reason}")]
    RecordUnreadable {
        /// The id of the record that does not load.
        id: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Changes received for a record were rejected; nothing was stored.
    #[error("{reason}")]
    BadChanges {
        /// The id of the record the changes were for.
        id: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A template is malformed at `path` (a JSON path).
    #[error("{reason}")]
    InvalidTemplate {
        /// The JSON path of the offending value.
        path: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// An answer does not fit its item's type.
    #[error("{reason}")]
    InvalidAnswer {
        /// The id of the item answered.
        item: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The scanned checkpoint code is not the one printed at this point.
    #[error("{reason}")]
    CheckpointMismatch {
        /// The id of the checkpoint's item.
        item: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The record's checklist has no item with this id.
    #[error("{reason}")]
    UnknownItem {
        /// The item id asked for.
        item: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The action does not fit the record's state (e.g. answering a submitted inspection).
    #[error("{reason}")]
    InvalidState {
        /// What was attempted (e.g. "change the inspection").
        action: String,
        /// The state that refuses it: usually the record's status (e.g. "submitted"), sometimes
        /// a short description (e.g. "the checkpoint is retired").
        state: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Submission blocked: everything missing, by item.
    #[error("{reason}")]
    Incomplete {
        /// Each item with what it lacks (an answer, photos, a signature, a failure's photo or
        /// note).
        missing: Vec<Missing>,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A lifecycle rule (e.g. the re-inspector must not be the rectifier).
    #[error("{reason}")]
    RuleViolation {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The current user's role on the project does not grant `permission`.
    #[error("{reason}")]
    Forbidden {
        /// The permission's name (e.g. `manage_grid`, `patrol`).
        permission: String,
        /// The project it is missing on (`org` for the organisation's grid and sites), or what
        /// stands for one (e.g. "the run of <user id>" for another user's patrol run).
        project: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Writes need a current user: call `set_user` first.
    #[error("{reason}")]
    NoCurrentUser {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A draft's fields are wrong: each field with its problem, for the form to mark.
    #[error("{reason}")]
    InvalidFields {
        /// Each field and its problem.
        fields: Vec<FieldError>,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A bad argument: an unknown path, a value of the wrong shape, malformed JSON.
    #[error("{reason}")]
    InvalidArgument {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Not a JPEG or PNG; `format` names what it is ("HEIC": ask the camera for JPEG).
    #[error("{reason}")]
    UnsupportedImage {
        /// What the bytes are instead, e.g. "HEIC", "AVIF", "WebP", "GIF", "empty", "unknown".
        format: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A damaged image (truncated, corrupt).
    #[error("{reason}")]
    ImageDecode {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// More pixels than the pipeline accepts.
    #[error("{reason}")]
    ImageTooLarge {
        /// The image's width in pixels, from its headers.
        width: u32,
        /// The image's height in pixels, from its headers.
        height: u32,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Sync needs one online login first.
    #[error("{reason}")]
    NotSignedIn {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// Wrong password, or the token expired: log in again.
    #[error("{reason}")]
    Unauthorized {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The office revoked this device's token (reported lost or replaced). Nothing more was
    /// sent. An app that holds work data should close the store and call `wipe_store` (the
    /// organisation's policy decides; the records the server had are safe there).
    #[error("{reason}")]
    TokenRevoked {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The network failed after retries, or the server was unavailable. Nothing is lost:
    /// sync again later.
    #[error("{reason}")]
    Network {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The server refused the request; `status` is the HTTP status, `code` its error code.
    #[error("{reason}")]
    ServerRefused {
        /// The HTTP status (e.g. 404, 409).
        status: u16,
        /// The server's error code (`error` in its JSON body), or "unknown" without one.
        code: String,
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The sync was cancelled.
    #[error("{reason}")]
    Cancelled {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A document could not be made or written; nothing was left under its name.
    #[error("{reason}")]
    Document {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// The database or the file system failed (disk full, permissions).
    #[error("{reason}")]
    Storage {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
    /// A bug: please report it with the logs.
    #[error("{reason}")]
    Internal {
        /// A readable sentence for logs and error screens.
        reason: String,
    },
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
