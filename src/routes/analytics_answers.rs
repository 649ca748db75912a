//! How the analytics routes answer (`crate::routes::analytics`): caching headers by whether
//! the figures are final, JSON bodies, and a round's unknown questions as bad parameters.

use actix_web::HttpResponse;
use actix_web::body::MessageBody;
use actix_web::http::header;
use serde::Serialize;

use crate::base::error::ServiceError;
use crate::domain::InvalidInput;
use crate::error::ApiError;

/// Sends `body`. Every answer carries an ETag and answers `If-None-Match` with 304 (see
/// `crate::conditional`); final figures (of closed rounds) may also be kept by caches for a
/// day, while live ones must be revalidated.
pub fn conditional(
    body: impl MessageBody + 'static,
    content_type: &str,
    is_final: bool,
) -> HttpResponse {
    let caching = if is_final {
        "private, max-age=86400"
    } else {
        "private, no-cache"
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, caching))
        .body(body)
}

pub fn json(value: &impl Serialize, is_final: bool) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| anyhow::anyhow!("serializing: {e}"))?;
    Ok(conditional(body, "application/json", is_final))
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
