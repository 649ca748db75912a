//! HTTP routes: handlers parse requests into domain types, call one use case and map
//! its result. Every handler here is documented in the OpenAPI document.

pub mod administrations;
pub mod analytics;
pub mod api_keys;
pub mod audit_log;
pub mod good_practices;
pub mod invitations;
pub mod mail_templates;
pub mod mailings;
pub mod meta;
pub mod participants;
pub mod privacy;
pub mod questionnaires;
pub mod replies;
pub mod respond;
pub mod round_workshops;
pub mod rounds;
pub mod webhooks;
pub mod workshops;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::{AdministrationCode, TextInput};
use crate::error::ApiError;
use crate::openapi::RouteTable;

/// Registers every documented route.
pub fn configure(config: &mut ServiceConfig) {
    config.configure(meta::routes).service(
        // The participants' routes first: they take the most requests, and actix tries
        // routes in order.
        scope::scope("/v1")
            .service(
                scope::scope("/respond")
                    .wrap(from_fn(crate::rate_limit::limit))
                    .configure(respond::routes),
            )
            .configure(administrations::routes)
            .configure(workshops::routes)
            .configure(participants::routes)
            .configure(privacy::routes)
            .configure(questionnaires::routes)
            .configure(rounds::routes)
            .configure(round_workshops::routes)
            .configure(invitations::routes)
            .configure(replies::routes)
            .configure(good_practices::routes)
            .configure(analytics::routes)
            .configure(mailings::routes)
            .configure(mail_templates::routes)
            .configure(api_keys::routes)
            .configure(audit_log::routes)
            .configure(webhooks::routes),
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

/// An id in a query string: ids start at 1.
pub fn query_id(field: &str, value: Option<i32>) -> Result<Option<i32>, ApiError> {
    match value {
        Some(id) if id < 1 => Err(ApiError::bad_request(field, "must be at least 1")),
        other => Ok(other),
    }
}

/// An administration code in a query string.
pub fn query_code(
    field: &str,
    value: Option<String>,
) -> Result<Option<AdministrationCode>, ApiError> {
    value
        .as_deref()
        .map(AdministrationCode::parse)
        .transpose()
        .map_err(|message| ApiError::bad_request(field, message))
}

/// `201 Created` with the new resource's address.
pub fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
