//! `/v1/api-keys`: admins issue and revoke the keys staff and partners call with.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use entity::api_key::{self, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::{InvalidInput, TextInput};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{Json, Query};
use crate::http::idempotency::carrying_secret;
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::api_keys as service;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_api_keys)
        .service(create_api_key)
        .service(get_api_key)
        .service(revoke_api_key);
}

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i32,
    #[schema(example = "front end")]
    pub name: String,
    pub role: Role,
    /// The first characters of the secret, to tell keys apart.
    #[schema(example = "fu_Ab3dE")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Approximate (to the minute) time the key was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once the key is revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(model: api_key::Model) -> Self {
        Self {
            id: model.id,
            name: model.name,
            role: model.role,
            prefix: model.prefix,
            created_at: model.created_at,
            last_used_at: model.last_used_at,
            revoked_at: model.revoked_at,
        }
    }
}

/// A key to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "WCO partner dashboard", "role": "partner"}))]
pub struct ApiKeyRequest {
    /// Who or what will use the key.
    pub name: TextInput,
    pub role: Role,
}

/// A key just issued. The secret is shown this once and cannot be read again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    pub api_key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// List API keys, oldest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageKeys))),
    tag = "api-keys",
    params(PageParams),
    responses((status = 200, body = Page<ApiKey>))
)]
#[get("/api-keys")]
async fn list_api_keys(
    state: web::Data<AppState>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, ApiKey::from)))
}

/// Issue a key; the response holds its secret once.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageKeys))),
    tag = "api-keys",
    request_body = ApiKeyRequest,
    responses((status = 201, body = IssuedApiKey))
)]
#[post("/api-keys")]
async fn create_api_key(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<ApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = request
        .name
        .parse()
        .map_err(|m| InvalidInput::field("name", m))?;
    let issued = service::create(&state.db, &caller.actor(), name, request.role).await?;
    Ok(carrying_secret(responses::created(
        format!("/v1/api-keys/{}", issued.key.id),
        IssuedApiKey {
            api_key: issued.key.into(),
            secret: issued.secret,
        },
    )))
}

/// Read one key (without its secret).
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageKeys))),
    tag = "api-keys",
    params(("id" = i32, Path, description = "API key id")),
    responses((status = 200, body = ApiKey))
)]
#[get("/api-keys/{id}")]
async fn get_api_key(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let key = service::get(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(ApiKey::from(key)))
}

/// Revoke a key at once. Neither the key making the request nor the last active admin
/// key can be revoked (409). A revoked key stays listed.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageKeys))),
    tag = "api-keys",
    params(("id" = i32, Path, description = "API key id")),
    responses((status = 200, body = ApiKey))
)]
#[post("/api-keys/{id}/revoke")]
async fn revoke_api_key(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let key = service::revoke(&state.db, &caller.actor(), *id).await?;
    Ok(HttpResponse::Ok().json(ApiKey::from(key)))
}
