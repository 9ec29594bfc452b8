//! The server's one error type. Client mistakes map to a 4xx with a stable code and a message
//! that names ids, never user-entered text; everything else is a 500 whose details go to the
//! log only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use offgrid_protocol::ErrorBody;

/// A result whose error is the server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request or an operation failed. Client mistakes answer with a 4xx and their message;
/// database, I/O and internal failures with a 500, their details logged only.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Missing or unknown token; wrong password.
    #[error("{0}")]
    Unauthorized(String),
    /// The device's token was revoked (a lost or replaced device): 401 `token_revoked`, which
    /// the device may take as the order to wipe what it holds.
    #[error("this device's token was revoked")]
    TokenRevoked,
    /// The caller's roles do not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed: a bad id, body, header or value.
    #[error("{0}")]
    BadRequest(String),
    /// No such user, project, blob, tag key or endpoint (or none the caller may read).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is stored (an upload at the wrong offset, a name taken).
    #[error("{0}")]
    Conflict(String),
    /// A request body or blob past its limit.
    #[error("{0}")]
    TooLarge(String),
    /// Well-formed but wrong: a blob whose bytes do not match its hash.
    #[error("{0}")]
    Unprocessable(String),
    /// Too many failed logins for the account or from the address: wait this many seconds.
    #[error("too many failed logins: try again in {0} s")]
    TooManyRequests(u64),
    /// A `Range` outside a blob of this many bytes.
    #[error("the range is outside the {0} bytes of the blob")]
    RangeNotSatisfiable(u64),
    /// The SQLite database failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL database failed (displayed with the database's code and message).
    #[error("PostgreSQL: {}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    /// Reading or writing a file (the data folder, blobs) or a socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else the server cannot serve: a bug, an unusable database, no free connection.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status the error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized(_) | Error::TokenRevoked => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Sqlite(_) | Error::Postgres(_) | Error::Io(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The stable code in the error body (`internal` for every 500).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized(_) => "unauthorized",
            Error::TokenRevoked => "token_revoked",
            Error::Forbidden(_) => "forbidden",
            Error::BadRequest(_) => "bad_request",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::TooLarge(_) => "too_large",
            Error::Unprocessable(_) => "unprocessable",
            Error::RangeNotSatisfiable(_) => "range_not_satisfiable",
            Error::TooManyRequests(_) => "too_many_requests",
            _ => "internal",
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal server error (see the server log)".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            error: self.code().to_owned(),
            message,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if let Error::TooManyRequests(seconds) = self {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Error::RangeNotSatisfiable(total) = self {
            // RFC 9110 §15.5.17: the current length, for the client to ask again.
            if let Ok(v) = axum::http::HeaderValue::from_str(&format!("bytes */{total}")) {
                resp.headers_mut()
                    .insert(axum::http::header::CONTENT_RANGE, v);
            }
        }
        resp
    }
}

/// `postgres::Error` displays as "db error": add the server's code and message.
fn pg_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({}): {}", e, db.code().code(), db.message()),
        None => e.to_string(),
    }
}
