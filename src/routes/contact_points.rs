//! `/v1/administrations/{code}/contact-points`: the people an administration names for
//! staff to reach its officers through. Personal data: never shown to partners.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::contact_point::{self, ContactRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::administrations::path_code;
use crate::base::listing::PageRequest;
use crate::domain::{AdministrationCode, Email, TextInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::contact_points::{self as service, ContactPointInput};
use crate::services::privacy;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_contact_points)
        .service(create_contact_point)
        .service(get_contact_point)
        .service(replace_contact_point)
        .service(delete_contact_point)
        .service(erase_contact_point);
}

/// A person an administration names for capacity building.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPoint {
    pub id: i32,
    #[schema(example = "Dorji Wangmo")]
    pub name: String,
    /// Lower-cased; empty once erased.
    #[schema(example = "capacity.building@customs.example.bt")]
    pub email: String,
    pub role: ContactRole,
    /// Only active contact points are suggested in the follow-up list.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the name and email were erased on request.
    pub erased_at: Option<DateTime<Utc>>,
}

impl From<contact_point::Model> for ContactPoint {
    fn from(model: contact_point::Model) -> Self {
        Self {
            id: model.id,
            name: model.name,
            email: model.email,
            role: model.role,
            active: model.active,
            created_at: model.created_at,
            updated_at: model.updated_at,
            erased_at: model.erased_at,
        }
    }
}

/// A contact point to add, or the full new state of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Dorji Wangmo",
    "email": "capacity.building@customs.example.bt",
    "role": "capacity_building"
}))]
pub struct ContactPointRequest {
    pub name: TextInput,
    #[schema(value_type = Email)]
    pub email: String,
    pub role: ContactRole,
    /// `true` when absent.
    pub active: Option<bool>,
}

impl TryFrom<ContactPointRequest> for ContactPointInput {
    type Error = ApiError;

    fn try_from(request: ContactPointRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let name = v.check("name", request.name.parse());
        let email = v.check("email", Email::parse(&request.email));
        v.finish()?;
        let (Some(name), Some(email)) = (name, email) else {
            unreachable!("the validator reported every missing field")
        };
        Ok(Self {
            name,
            email,
            role: request.role,
            active: request.active.unwrap_or(true),
        })
    }
}

/// List an administration's contact points, active first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "contact points",
    params(("code" = AdministrationCode, Path, description = "Administration code, e.g. MY"), PageParams),
    responses((status = 200, body = Page<ContactPoint>))
)]
#[get("/administrations/{code}/contact-points")]
async fn list_contact_points(
    state: web::Data<AppState>,
    code: web::Path<String>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, &path_code(&code)?, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, ContactPoint::from)))
}

/// Add a contact point (audited).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "contact points",
    params(("code" = AdministrationCode, Path, description = "Administration code, e.g. MY")),
    request_body = ContactPointRequest,
    responses((status = 201, body = ContactPoint))
)]
#[post("/administrations/{code}/contact-points")]
async fn create_contact_point(
    caller: Caller,
    state: web::Data<AppState>,
    code: web::Path<String>,
    Json(request): Json<ContactPointRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = path_code(&code)?;
    let created = service::create(&state.db, &caller.actor(), &code, request.try_into()?).await?;
    Ok(responses::created(
        format!(
            "/v1/administrations/{}/contact-points/{}",
            code.as_str(),
            created.id
        ),
        ContactPoint::from(created),
    ))
}

/// Read a contact point.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "contact points",
    params(
        ("code" = AdministrationCode, Path, description = "Administration code, e.g. MY"),
        ("id" = i32, Path, description = "Contact point id"),
    ),
    responses((status = 200, body = ContactPoint))
)]
#[get("/administrations/{code}/contact-points/{id}")]
async fn get_contact_point(
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let found = service::get(&state.db, &path_code(&code)?, id).await?;
    Ok(HttpResponse::Ok().json(ContactPoint::from(found)))
}

/// Replace a contact point (audited); `active: false` keeps it on record unsuggested.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "contact points",
    params(
        ("code" = AdministrationCode, Path, description = "Administration code, e.g. MY"),
        ("id" = i32, Path, description = "Contact point id"),
    ),
    request_body = ContactPointRequest,
    responses((status = 200, body = ContactPoint))
)]
#[put("/administrations/{code}/contact-points/{id}")]
async fn replace_contact_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    Json(request): Json<ContactPointRequest>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let input = request.try_into()?;
    let after = service::replace(&state.db, &caller.actor(), &path_code(&code)?, id, input).await?;
    Ok(HttpResponse::Ok().json(ContactPoint::from(after)))
}

/// Delete a contact point (audited).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "contact points",
    params(
        ("code" = AdministrationCode, Path, description = "Administration code, e.g. MY"),
        ("id" = i32, Path, description = "Contact point id"),
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/administrations/{code}/contact-points/{id}")]
async fn delete_contact_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    service::delete(&state.db, &caller.actor(), &path_code(&code)?, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Erase a contact point's name and email on request, here and in the audit log; the
/// contact point stays, inactive, as `[erased]`.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManagePersonalData))),
    tag = "contact points",
    params(
        ("code" = AdministrationCode, Path, description = "Administration code, e.g. MY"),
        ("id" = i32, Path, description = "Contact point id"),
    ),
    responses((status = 200, body = ContactPoint))
)]
#[post("/administrations/{code}/contact-points/{id}/erase")]
async fn erase_contact_point(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let erased =
        privacy::erase_contact_point(&state.db, &caller.actor(), &path_code(&code)?, id).await?;
    Ok(HttpResponse::Ok().json(ContactPoint::from(erased)))
}
