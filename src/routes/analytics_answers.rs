//! How the analytics routes answer (`crate::routes::analytics`): caching headers, JSON
//! bodies, and a round's unknown questions as bad parameters.

use actix_web::HttpResponse;
use actix_web::body::MessageBody;
use actix_web::http::header;
use serde::Serialize;

use crate::base::error::ServiceError;
use crate::domain::InvalidInput;
use crate::error::ApiError;

/// Sends `body`, to be revalidated by any cache before each use (`private, no-cache`): even
/// a closed round's figures change when staff edit what they print or withdraw a good
/// practice that named someone. Every answer carries a strong ETag, a digest of the body,
/// and answers `If-None-Match` with 304 and no body (`crate::http::conditional`).
pub fn conditional(body: impl MessageBody + 'static, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body)
}

pub fn json(value: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| anyhow::anyhow!("serializing: {e}"))?;
    Ok(conditional(body, "application/json"))
}

/// A question or option the round does not ask is a bad query parameter.
pub fn query_error(error: ServiceError) -> ApiError {
    match error {
        ServiceError::Invalid(InvalidInput(errors)) => ApiError::BadRequest {
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        },
        other => other.into(),
    }
}
