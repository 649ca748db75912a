//! `/v1/administrations`: the member administrations, addressed by their code.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::administration::{self, SubRegion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{AdministrationCode, TextInput, TimeZone, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::query_text;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::administrations::{
    self as service, AdministrationFilter, AdministrationInput,
};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_administrations)
        .service(create_administration)
        .service(get_administration)
        .service(replace_administration)
        .service(delete_administration)
        .service(list_time_zones);
}

/// The time zone names the service knows, for a front end to offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeZones {
    /// IANA names, sorted.
    #[schema(example = json!(["Asia/Kuala_Lumpur", "Pacific/Tongatapu"]))]
    pub names: Vec<&'static str>,
}

/// List the IANA time zone names an administration's `time_zone` may take.
#[utoipa::path(
    extensions(("x-access" = json!(Access::Public))),
    tag = "administrations",
    responses((status = 200, body = TimeZones))
)]
#[get("/time-zones")]
async fn list_time_zones() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=86400",
        ))
        .json(TimeZones {
            names: TimeZone::names(),
        })
}

/// A member customs administration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Administration {
    pub id: i32,
    /// Two or three upper-case letters, as the report prints them.
    #[schema(example = "MY")]
    pub code: String,
    #[schema(example = "Malaysia")]
    pub name: String,
    pub sub_region: SubRegion,
    /// IANA time zone; invitations open at 09:00 in it.
    #[schema(example = "Asia/Kuala_Lumpur")]
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<administration::Model> for Administration {
    fn from(model: administration::Model) -> Self {
        Self {
            id: model.id,
            code: model.code,
            name: model.name,
            sub_region: model.sub_region,
            time_zone: model.time_zone,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// An administration to create, or the full new state of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "MY", "name": "Malaysia", "sub_region": "ASEAN", "time_zone": "Asia/Kuala_Lumpur"}))]
pub struct AdministrationRequest {
    #[schema(value_type = AdministrationCode)]
    pub code: String,
    pub name: TextInput,
    pub sub_region: SubRegion,
    #[schema(value_type = TimeZone)]
    pub time_zone: String,
}

impl TryFrom<AdministrationRequest> for AdministrationInput {
    type Error = ApiError;

    fn try_from(request: AdministrationRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let code = v.check("code", AdministrationCode::parse(&request.code));
        let name = v.check("name", request.name.parse());
        let time_zone = v.check("time_zone", TimeZone::parse(&request.time_zone));
        v.finish()?;
        match (code, name, time_zone) {
            (Some(code), Some(name), Some(time_zone)) => Ok(Self {
                code,
                name,
                sub_region: request.sub_region,
                time_zone,
            }),
            _ => unreachable!("the validator reported every missing field"),
        }
    }
}

/// Filters of the administration list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdministrationQuery {
    /// Only this sub-region.
    pub sub_region: Option<SubRegion>,
    /// Text contained in the code or name, ignoring case.
    pub q: Option<TextInput>,
}

pub(super) fn path_code(code: &str) -> Result<AdministrationCode, ApiError> {
    AdministrationCode::parse(code)
        .map_err(|_| ApiError::NotFound(format!("administration {code:?} does not exist")))
}

/// List administrations, ordered by code.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "administrations",
    params(AdministrationQuery, PageParams),
    responses((status = 200, body = Page<Administration>))
)]
#[get("/administrations")]
async fn list_administrations(
    state: web::Data<AppState>,
    Query(query): Query<AdministrationQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = AdministrationFilter {
        sub_region: query.sub_region,
        text: query_text("q", query.q)?,
    };
    let listing = service::list(&state.db, filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, Administration::from)))
}

/// Add an administration.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "administrations",
    request_body = AdministrationRequest,
    responses((status = 201, body = Administration))
)]
#[post("/administrations")]
async fn create_administration(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<AdministrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = AdministrationInput::try_from(request)?;
    let created = service::create(&state.db, &caller.actor(), input).await?;
    Ok(responses::created(
        format!("/v1/administrations/{}", created.code),
        Administration::from(created),
    ))
}

/// Read one administration.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "administrations",
    params(("code" = AdministrationCode, Path, description = "Administration code, e.g. MY")),
    responses((status = 200, body = Administration))
)]
#[get("/administrations/{code}")]
async fn get_administration(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, &path_code(&code)?).await?;
    Ok(tagged(found.entity_tag(), &Administration::from(found)))
}

/// Replace an administration (its code may change).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "administrations",
    params(("code" = AdministrationCode, Path, description = "Administration code, e.g. MY")),
    request_body = AdministrationRequest,
    responses((status = 200, body = Administration))
)]
#[put("/administrations/{code}")]
async fn replace_administration(
    caller: Caller,
    state: web::Data<AppState>,
    code: web::Path<String>,
    precondition: Precondition,
    Json(request): Json<AdministrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = path_code(&code)?;
    let input = AdministrationInput::try_from(request)?;
    let updated = service::update(&state.db, &caller.actor(), &code, input, &precondition).await?;
    Ok(tagged(updated.entity_tag(), &Administration::from(updated)))
}

/// Delete an administration no participant belongs to.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "administrations",
    params(("code" = AdministrationCode, Path, description = "Administration code, e.g. MY")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/administrations/{code}")]
async fn delete_administration(
    caller: Caller,
    state: web::Data<AppState>,
    code: web::Path<String>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    service::delete(
        &state.db,
        &caller.actor(),
        &path_code(&code)?,
        &precondition,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
