//! HTTP routes: handlers parse requests into domain types, call one use case and map
//! its result. Every handler here is documented in the OpenAPI document.

pub mod administrations;
pub mod api_keys;
pub mod audit_log;
pub mod meta;
pub mod participants;
pub mod workshops;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::TextInput;
use crate::error::ApiError;
use crate::openapi::RouteTable;

/// Registers every documented route.
pub fn configure(config: &mut ServiceConfig) {
    config.configure(meta::routes).service(
        scope::scope("/v1")
            .configure(administrations::routes)
            .configure(workshops::routes)
            .configure(participants::routes)
            .configure(api_keys::routes)
            .configure(audit_log::routes),
    );
}

/// What no route matched: 405 with `Allow` when the path exists with other methods,
/// else 404.
pub async fn fallback(
    request: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    let allow = routes.methods_for(request.path());
    Err(if allow.is_empty() {
        ApiError::NotFound("no route matches this path".into())
    } else {
        ApiError::MethodNotAllowed { allow }
    })
}

/// A free-text query parameter: trimmed, not blank, and no control characters
/// (PostgreSQL refuses NUL in text).
pub fn query_text(field: &str, value: Option<TextInput>) -> Result<Option<String>, ApiError> {
    TextInput::parse_optional(value.as_ref())
        .map_err(|message| ApiError::bad_request(field, message))
}

/// `201 Created` with the new resource's address.
pub fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
