//! One error type for every HTTP response that is not a success: `application/problem+json`
//! (RFC 9457) with a stable `type`, and for validation a list of failing fields.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::base::error::ServiceError;
use crate::domain::refusal::Refusal;
use crate::domain::{FieldError, InvalidInput};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response (RFC 9457 problem details).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:followup:problem:validation",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "email: must be an email address, e.g. name@customs.gov",
    "errors": [{"field": "email", "message": "must be an email address, e.g. name@customs.gov"}]
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem; clients branch on it.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// For validation problems: each failing field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("{detail}")]
    Conflict {
        detail: String,
        field: Option<String>,
    },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// What the body must be instead, e.g. "JSON (Content-Type: application/json)".
    #[error("the request body must be {0}")]
    UnsupportedMediaType(&'static str),
    #[error("too many requests from this address; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A use case's own limit (a link's revisions in an hour), said in its words.
    #[error("{detail}")]
    Throttled {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::BadRequest {
            detail: format!("{}: {}", error.field, error.message),
            errors: vec![error],
        }
    }

    /// Stable `type` slug and title of each kind.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => ("bad-request", "The request is malformed"),
            Self::Invalid(_) => ("validation", "The request has invalid fields"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::Forbidden(_) => ("forbidden", "This key's role may not do this"),
            Self::NotFound(_) => ("not-found", "No such resource"),
            Self::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Self::Conflict { .. } => ("conflict", "The request conflicts with stored data"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "The request body is too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::TooManyRequests { .. } | Self::Throttled { .. } => {
                ("too-many-requests", "Too many requests")
            }
            Self::Unavailable(_) => ("unavailable", "The service is not ready"),
            Self::PreconditionFailed(_) => (
                "precondition-failed",
                "The resource has changed since it was read",
            ),
            Self::Unexpected(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Invalid(InvalidInput(errors)) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            // The cause goes to the log, never to the client.
            Self::Unexpected(_) => "the server failed to handle the request; it was logged".into(),
            other => other.to_string(),
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::BadRequest { errors, .. } => errors.clone(),
            Self::Invalid(InvalidInput(errors)) => errors.clone(),
            Self::Conflict {
                field: Some(field),
                detail,
            } => vec![FieldError::new(field.clone(), detail.clone())],
            _ => Vec::new(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } | Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unexpected(cause) = self {
            if database_unreachable(cause) {
                tracing::warn!(error = format!("{cause:#}"), "the database is unreachable");
                return Self::Unavailable("the database cannot be reached; retry shortly")
                    .error_response();
            }
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let (slug, title) = self.kind();
        let mut response = problem_response(
            self.status_code(),
            slug,
            title,
            self.detail(),
            self.field_errors(),
        );
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"followup\""),
                );
            }
            Self::TooManyRequests { retry_after_secs }
            | Self::Throttled {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(RETRY_UNAVAILABLE_SECS),
                );
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// How long a client should wait after a 503 before it retries.
const RETRY_UNAVAILABLE_SECS: u64 = 2;

/// Whether a failure is the database being out of reach (down, restarting, the pool
/// unable to connect) rather than a fault of the request or the service: such requests
/// are answered 503 with `Retry-After` at once, and succeed again when the pool reconnects.
pub fn database_unreachable(cause: &anyhow::Error) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    use sea_orm::{DbErr, RuntimeErr};
    /// Connection failures and server shutdown or start-up (SQLSTATE classes 08 and 57P).
    fn lost(error: &SqlxError) -> bool {
        match error {
            SqlxError::Io(_)
            | SqlxError::Tls(_)
            | SqlxError::PoolTimedOut
            | SqlxError::PoolClosed
            | SqlxError::WorkerCrashed => true,
            SqlxError::Database(database) => database
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        }
    }
    cause
        .chain()
        .any(|error| match error.downcast_ref::<DbErr>() {
            Some(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => true,
            Some(
                DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)),
            ) => lost(e),
            _ => error.downcast_ref::<SqlxError>().is_some_and(lost),
        })
}

/// The one place a use case's outcome becomes a problem type: a missing record is 404, an
/// invalid input 422, a refusal of the domain's rules 409 (naming its field when it has
/// one), a stale `If-Match` 412, anything else 500 with its cause in the log.
impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(missing) => Self::NotFound(missing.detail),
            ServiceError::Invalid(invalid) => Self::Invalid(invalid),
            ServiceError::Refused(
                refusal @ Refusal::RevisedTooOften {
                    retry_after_secs, ..
                },
            ) => Self::Throttled {
                detail: refusal.to_string(),
                retry_after_secs,
            },
            ServiceError::Refused(refusal) => Self::Conflict {
                field: refusal.field().map(str::to_owned),
                detail: refusal.to_string(),
            },
            ServiceError::PreconditionFailed(failed) => {
                Self::PreconditionFailed(failed.to_string())
            }
            ServiceError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

fn problem_response(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: String,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let problem = Problem {
        problem_type: format!("urn:followup:problem:{slug}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail,
        errors,
    };
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(problem)
}

/// Middleware hook: any error response that did not come from [`ApiError`] (actix's own
/// 404, 405, 413, a panic guard...) is rewritten as problem+json, so clients see one format.
pub fn problem_for_foreign_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Problems are already in shape; pages (HTML) are for people and stay as they are.
    let kept = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            let value = value.as_bytes();
            value.starts_with(PROBLEM_JSON.as_bytes()) || value.starts_with(b"text/html")
        });
    if kept {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let title = status.canonical_reason().unwrap_or("Error");
    let replacement = problem_response(
        status,
        &title.to_lowercase().replace(' ', "-"),
        title,
        title.to_owned(),
        Vec::new(),
    );
    let (request, _) = response.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
