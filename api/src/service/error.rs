//! One error type for the service, rendered as RFC 9457 problem documents
//! (`application/problem+json`: `type`, `title`, `status`, `detail`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong, in the caller's terms.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("an API key is required: Authorization: Bearer KEY")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("the service could not complete the request")]
    Internal(String),
    /// The store cannot be reached (connection refused or lost, pool exhausted, database
    /// gone): a passing state the client may retry, not a fault of the request.
    #[error("the service's database cannot be reached; try again shortly")]
    Unavailable(String),
    /// A bounded resource (the parse pool) is full: 503 with `Retry-After`, the detail shown.
    #[error("{0}")]
    Busy(String),
}

/// An RFC 9457 problem document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::TooLarge(_) => "too-large",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Busy(_) => "busy",
        }
    }

    /// Logs what the client is not told: the detail of an internal or unavailable error.
    pub fn log(&self) {
        match self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::error!(%detail, "database unreachable"),
            _ => {}
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// A problem+json response for any status (used for the body-limit and timeout layers too).
pub fn problem_response(status: StatusCode, slug: &str, detail: String) -> Response {
    let p = Problem {
        kind: format!("https://eseal.invalid/problems/{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
    };
    let body = serde_json::to_vec(&p).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let mut resp = problem_response(status, self.slug(), self.to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            if let Ok(v) = "Bearer".parse() {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if store_unreachable(&e) {
            ApiError::Unavailable(format!("database: {e}"))
        } else if matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
            // A unique index caught what a check before the write could not (a race): the
            // request conflicts with a record that exists, it did not fail.
            ApiError::Conflict("the request conflicts with a record that exists already".into())
        } else {
            ApiError::Internal(format!("database: {e}"))
        }
    }
}

/// Errors that say the store cannot be reached rather than that a query failed: I/O and TLS,
/// an exhausted or closed pool, and PostgreSQL's connection exceptions (SQLSTATE class 08),
/// insufficient resources (53), operator intervention such as a shutdown (57P) and a
/// database that no longer exists (3D000).
fn store_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") || c == "3D000"
        }),
        _ => false,
    }
}

impl From<eseal_certs::Error> for ApiError {
    fn from(e: eseal_certs::Error) -> Self {
        ApiError::Internal(format!("PKI: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
