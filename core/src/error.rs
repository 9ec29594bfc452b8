//! The one internal error type of the core. The FFI layer converts it to its public error in one
//! place. Messages name records by id and fields by path; they never carry user-entered text.

use std::path::PathBuf;

use crate::model::RecordId;

/// A result whose error is [`Error`] unless another is named.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the core refuses or fails at, with the record, item or path concerned. The FFI
/// layer maps it to the error the apps see.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file exists but is not a SQLite database (or belongs to another application).
    /// The file is left untouched.
    #[error("{path} is not an Offgrid database: {reason}")]
    NotADatabase {
        /// The file opened.
        path: PathBuf,
        /// Why it is not one (a directory, no SQLite header, another application's database).
        reason: String,
    },

    /// The store is encrypted (or the file is not a database) and no key was given. The file
    /// is left untouched.
    #[error("{path} is encrypted (or is not a database): open it with its key")]
    KeyRequired {
        /// The file opened.
        path: PathBuf,
    },

    /// The key does not open the store (or the store's first page is damaged: the two cannot be
    /// told apart). The file is left untouched.
    #[error("the key given does not open {path}")]
    WrongKey {
        /// The file opened.
        path: PathBuf,
    },

    /// SQLite reported corruption. Nothing is deleted or rewritten.
    #[error("database is corrupt: {0}")]
    Corrupt(String),

    /// No store at this path: the file is missing, or empty (a store is created with its schema
    /// in one transaction, so an empty file never is one). Refused by the opens that never create
    /// a store ([`crate::Store::open_existing`]); nothing was created or written.
    #[error("no Offgrid database at {path}: the file is missing or empty")]
    StoreNotFound {
        /// The path looked at.
        path: PathBuf,
    },

    /// A record may cite only a photo this device holds (attached or downloaded here) or one the
    /// record already carries: a hash with no photo behind it would be evidence that never
    /// existed. Attach the photo first (`add_photo`). Nothing was written.
    #[error("photo {sha256} is not held on this device: attach the photo first, then cite it")]
    PhotoNotHeld {
        /// The cited photo's hash (SHA-256 of its original bytes, hex).
        sha256: String,
    },

    /// The database was written by a newer version of Offgrid.
    #[error("database schema version {found} is newer than this version supports ({supported})")]
    SchemaTooNew {
        /// The schema version the file carries.
        found: u32,
        /// The newest schema version this build knows.
        supported: u32,
    },

    /// No record with this id in the store.
    #[error("record {0} not found")]
    NotFound(RecordId),

    /// The stored bytes of one record do not load. Every other record stays usable.
    #[error("record {id} cannot be loaded: {reason}")]
    RecordUnreadable {
        /// The record that does not load.
        id: RecordId,
        /// Why (automerge's or the store's words).
        reason: String,
    },

    /// Changes received for a record could not be parsed or applied. Nothing was stored.
    #[error("changes for record {id} rejected: {reason}")]
    BadChanges {
        /// The record the changes were for.
        id: RecordId,
        /// Why they were rejected.
        reason: String,
    },

    /// A write addressed a field whose parent map does not exist. Maps that several devices write
    /// into are created with the record (the genesis rule), never lazily.
    #[error("path {path} does not exist")]
    PathNotFound {
        /// The JSON pointer written to.
        path: String,
    },

    /// `insert` of a key that is already present.
    #[error("path {path} already exists")]
    AlreadyExists {
        /// What already exists: the JSON pointer of a key, or `record <id>`.
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

    /// The template has no such item.
    #[error("unknown item {item}")]
    UnknownItem {
        /// The item id asked for.
        item: String,
    },

    /// The action does not fit the record's current state (e.g. answering a submitted
    /// inspection, re-inspecting before rectification).
    #[error("cannot {action} while {state}")]
    InvalidState {
        /// What was attempted ("change the inspection").
        action: String,
        /// The record's state that refuses it (a status, e.g. "submitted").
        state: String,
    },

    /// Submitting with required answers or evidence missing: every missing thing, by item.
    #[error("{} thing(s) missing before submission{}", missing.len(), missing.first().map(|m| format!(", first: {}: {}", m.item, m.what.as_str())).unwrap_or_default())]
    Incomplete {
        /// Each item with what it lacks (an answer, photos, a signature, a failure's photo or
        /// note).
        missing: Vec<crate::inspection::Missing>,
    },

    /// A lifecycle rule: e.g. the re-inspector must not be who rectified.
    #[error("not allowed: {0}")]
    RuleViolation(String),

    /// The current user's roles on the project do not grant this permission.
    #[error("permission {permission} is missing on project {project}")]
    Forbidden {
        /// The permission's name.
        permission: String,
        /// The project (or what stands for it).
        project: String,
    },

    /// Writes are attributed to a user; set one with [`crate::Store::set_user`].
    #[error("no current user is set")]
    NoCurrentUser,

    /// A malformed argument (an id, a key, a record of another kind), with what is wrong.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A document could not be made or written (layout, export, file system). Nothing is left
    /// under the target name.
    #[error("document: {reason}")]
    Document {
        /// What failed.
        reason: String,
    },

    /// Not an image the pipeline takes (JPEG and PNG are). `format` names what it is instead:
    /// "HEIC" (ask the camera for JPEG), "WebP", "empty", "unknown".
    #[error("unsupported image: {format} (JPEG or PNG expected)")]
    UnsupportedImage {
        /// What the bytes are instead ("HEIC", "WebP", "empty", "unknown").
        format: String,
    },

    /// The image is damaged (truncated, corrupt) or could not be processed.
    #[error("cannot decode {format} image: {reason}")]
    ImageDecode {
        /// "jpeg" or "png".
        format: String,
        /// What the decoder or encoder said.
        reason: String,
    },

    /// More pixels than the pipeline accepts (decompression bombs, huge panoramas), or than an
    /// image of its kind can be decoded with in the memory budget (`PhotoLimits::
    /// max_decode_bytes`; a progressive JPEG needs far more than a baseline one). `max_pixels`
    /// is the limit that applies; `detail` is empty for the plain pixel limit, or says which
    /// kind and how much memory: " for a progressive JPEG (4:4:4): decoding it needs about
    /// 1.2 GB, more than the 150 MB memory budget". Refused from the headers, before decoding.
    #[error("image of {width}×{height} pixels exceeds the limit of {max_pixels} pixels{detail}")]
    ImageTooLarge {
        /// The image's width in pixels, from its headers.
        width: u32,
        /// The image's height in pixels, from its headers.
        height: u32,
        /// The pixel limit that applies.
        max_pixels: u64,
        /// Empty for the plain pixel limit; otherwise the kind of image and the memory it needs.
        detail: String,
    },

    /// Sync needs one online login first.
    #[error("not signed in to a sync server: log in once while online")]
    NotSignedIn,

    /// The server refused the password or the token (expired, or from another server).
    #[error("unauthorized: {0}")]
    Unauthorized(String),

    /// The office revoked this device's token (a lost or replaced device). Nothing more is
    /// sent; the app may wipe the device (`store::wipe`) — see the bindings' docs.
    #[error("this device's access was revoked: sign in again, or hand the device back")]
    TokenRevoked,

    /// The network failed, after retries, or the server was unavailable. Nothing is lost: the
    /// next sync carries on from what was acknowledged.
    #[error("network: {0}")]
    Network(String),

    /// A draft has fields that are empty, too long or name what is unknown; nothing was
    /// written.
    #[error("{}", describe_fields(fields))]
    InvalidFields {
        /// Each field and its problem.
        fields: Vec<crate::fields::FieldError>,
    },

    /// The server refused the request (a 4xx other than 401).
    #[error("server refused ({status} {code}): {message}")]
    Server {
        /// The HTTP status (e.g. 404, 409).
        status: u16,
        /// The server's error code (`error` in its JSON body), or "unknown" without one.
        code: String,
        /// The server's message, or "HTTP <status>" without a JSON body.
        message: String,
    },

    /// The caller cancelled the sync. What was acknowledged before stays acknowledged.
    #[error("sync cancelled")]
    Cancelled,

    /// SQLite failed, other than with corruption ([`Error::Corrupt`]).
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),

    /// Automerge refused an operation on a document.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    /// A file could not be read or written.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),

    /// JSON that does not parse, or does not have the expected shape.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// "title: required; deadline_ms: in the past" (field names and problems, never the values).
fn describe_fields(fields: &[crate::fields::FieldError]) -> String {
    let each: Vec<String> = fields
        .iter()
        .map(|f| format!("{}: {:?}", f.field, f.problem))
        .collect();
    format!("invalid fields: {}", each.join("; "))
}

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

impl From<offgrid_domain::Error> for Error {
    fn from(e: offgrid_domain::Error) -> Self {
        use offgrid_domain::Error as Domain;
        match e {
            Domain::InvalidValue { path, reason } => Error::InvalidValue { path, reason },
            Domain::Template { path, reason } => Error::Template { path, reason },
            Domain::InvalidAnswer { item, reason } => Error::InvalidAnswer { item, reason },
            Domain::CheckpointMismatch { item } => Error::CheckpointMismatch { item },
            Domain::RuleViolation(why) => Error::RuleViolation(why),
            Domain::Forbidden {
                permission,
                project,
            } => Error::Forbidden {
                permission,
                project,
            },
            Domain::InvalidFields { fields } => Error::InvalidFields { fields },
            Domain::InvalidArgument(what) => Error::InvalidArgument(what),
            Domain::Doc(e) => e.into(),
        }
    }
}

impl From<offgrid_domain::record::Refusal> for Error {
    /// As the domain words a refusal (a missing permission, a broken rule, a forgery).
    fn from(r: offgrid_domain::record::Refusal) -> Self {
        offgrid_domain::Error::from(r).into()
    }
}

impl From<offgrid_common::Error> for Error {
    /// Variant for variant, as the domain words it.
    fn from(e: offgrid_common::Error) -> Self {
        offgrid_domain::Error::from(e).into()
    }
}

#[cfg(feature = "documents")]
impl From<offgrid_documents::Error> for Error {
    /// Variant for variant: a document that cannot be made, or an argument that makes none.
    fn from(e: offgrid_documents::Error) -> Self {
        match e {
            offgrid_documents::Error::Document { reason } => Error::Document { reason },
            offgrid_documents::Error::InvalidArgument(what) => Error::InvalidArgument(what),
        }
    }
}

impl From<offgrid_photo::Error> for Error {
    /// Variant for variant: the photo pipeline's refusals keep their fields.
    fn from(e: offgrid_photo::Error) -> Self {
        use offgrid_photo::Error as P;
        match e {
            P::UnsupportedImage { format } => Error::UnsupportedImage { format },
            P::ImageDecode { format, reason } => Error::ImageDecode { format, reason },
            P::ImageTooLarge {
                width,
                height,
                max_pixels,
                detail,
            } => Error::ImageTooLarge {
                width,
                height,
                max_pixels,
                detail,
            },
            P::InvalidArgument(reason) => Error::InvalidArgument(reason),
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// Corruption is its own variant so callers can tell "your file is damaged" from a bug.
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match e.sqlite_error_code() {
            Some(DatabaseCorrupt) | Some(NotADatabase) => Error::Corrupt(e.to_string()),
            _ => Error::Sqlite(e),
        }
    }
}
