//! `/v1/workshops`: the events whose participants the survey asks.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::workshop::{self, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{FiscalYear, TextInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::query_text;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::workshops::{self as service, WorkshopFilter, WorkshopInput, WorkshopOrder};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_workshops)
        .service(create_workshop)
        .service(get_workshop)
        .service(replace_workshop)
        .service(delete_workshop);
}

/// A regional, sub-regional or national workshop.
#[derive(Debug, Serialize, ToSchema)]
pub struct Workshop {
    pub id: i32,
    #[schema(example = "WCO Regional Workshop on AEO")]
    pub title: String,
    #[schema(example = "Authorized Economic Operator")]
    pub topic: Option<String>,
    pub scope: Scope,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Where it took place; absent for a virtual workshop.
    pub venue: Option<String>,
    pub is_virtual: bool,
    /// Excluded workshops (e.g. accreditation workshops) are never surveyed.
    pub excluded_from_survey: bool,
    /// July-June fiscal year holding the start date.
    #[schema(example = "2019/20")]
    pub fiscal_year: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<workshop::Model> for Workshop {
    fn from(model: workshop::Model) -> Self {
        Self {
            id: model.id,
            title: model.title,
            topic: model.topic,
            scope: model.scope,
            start_date: model.start_date,
            end_date: model.end_date,
            venue: model.venue,
            is_virtual: model.is_virtual,
            excluded_from_survey: model.excluded_from_survey,
            fiscal_year: FiscalYear::from_start_year(model.fiscal_year).to_string(),
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// A workshop to create, or the full new state of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "WCO Regional Workshop on AEO",
    "topic": "Authorized Economic Operator",
    "scope": "regional",
    "start_date": "2019-12-10",
    "end_date": "2019-12-12",
    "venue": "Bangkok, Thailand",
    "is_virtual": false,
    "excluded_from_survey": false
}))]
pub struct WorkshopRequest {
    pub title: TextInput,
    /// Optional: the records of past workshops often lack one.
    pub topic: Option<TextInput>,
    pub scope: Scope,
    pub start_date: NaiveDate,
    /// On or after `start_date`.
    pub end_date: NaiveDate,
    /// Optional (virtual workshops have none; past records often lack one).
    pub venue: Option<TextInput>,
    #[serde(default)]
    pub is_virtual: bool,
    #[serde(default)]
    pub excluded_from_survey: bool,
}

impl TryFrom<WorkshopRequest> for WorkshopInput {
    type Error = ApiError;

    fn try_from(request: WorkshopRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let title = v.check("title", request.title.parse());
        let topic = v.check("topic", TextInput::parse_optional(request.topic.as_ref()));
        let venue = v.check("venue", TextInput::parse_optional(request.venue.as_ref()));
        if request.end_date < request.start_date {
            v.fail("end_date", "must be on or after start_date");
        }
        v.finish()?;
        match (title, topic, venue) {
            (Some(title), Some(topic), Some(venue)) => Ok(Self {
                title,
                topic,
                scope: request.scope,
                start_date: request.start_date,
                end_date: request.end_date,
                venue,
                is_virtual: request.is_virtual,
                excluded_from_survey: request.excluded_from_survey,
            }),
            _ => unreachable!("the validator reported every missing field"),
        }
    }
}

/// Sort order of the workshop list; a leading `-` sorts descending.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum WorkshopSort {
    #[serde(rename = "start_date")]
    StartDate,
    #[serde(rename = "-start_date")]
    StartDateDesc,
    #[serde(rename = "end_date")]
    EndDate,
    #[serde(rename = "-end_date")]
    EndDateDesc,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDesc,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

impl WorkshopSort {
    fn order(self) -> (WorkshopOrder, bool) {
        match self {
            Self::StartDate => (WorkshopOrder::StartDate, false),
            Self::StartDateDesc => (WorkshopOrder::StartDate, true),
            Self::EndDate => (WorkshopOrder::EndDate, false),
            Self::EndDateDesc => (WorkshopOrder::EndDate, true),
            Self::Title => (WorkshopOrder::Title, false),
            Self::TitleDesc => (WorkshopOrder::Title, true),
            Self::CreatedAt => (WorkshopOrder::CreatedAt, false),
            Self::CreatedAtDesc => (WorkshopOrder::CreatedAt, true),
        }
    }
}

/// Filters and order of the workshop list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkshopQuery {
    #[param(value_type = Option<FiscalYear>)]
    pub fiscal_year: Option<String>,
    pub scope: Option<Scope>,
    pub excluded_from_survey: Option<bool>,
    /// Text contained in the title, topic or venue, ignoring case.
    pub q: Option<TextInput>,
    /// Default `start_date`.
    #[param(inline)]
    pub sort: Option<WorkshopSort>,
}

impl TryFrom<WorkshopQuery> for WorkshopFilter {
    type Error = ApiError;

    fn try_from(query: WorkshopQuery) -> Result<Self, ApiError> {
        let fiscal_year = query
            .fiscal_year
            .as_deref()
            .map(FiscalYear::parse)
            .transpose()
            .map_err(|message| ApiError::bad_request("fiscal_year", message))?;
        let (order, descending) = query.sort.unwrap_or(WorkshopSort::StartDate).order();
        Ok(Self {
            fiscal_year,
            scope: query.scope,
            excluded_from_survey: query.excluded_from_survey,
            text: query_text("q", query.q)?,
            order,
            descending,
        })
    }
}

/// List workshops.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "workshops",
    params(WorkshopQuery, PageParams),
    responses((status = 200, body = Page<Workshop>))
)]
#[get("/workshops")]
async fn list_workshops(
    state: web::Data<AppState>,
    Query(query): Query<WorkshopQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, query.try_into()?, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, Workshop::from)))
}

/// Add a workshop.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "workshops",
    request_body = WorkshopRequest,
    responses((status = 201, body = Workshop))
)]
#[post("/workshops")]
async fn create_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<WorkshopRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = service::create(&state.db, &caller.actor(), request.try_into()?).await?;
    Ok(responses::created(
        format!("/v1/workshops/{}", created.id),
        Workshop::from(created),
    ))
}

/// Read one workshop.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "workshops",
    params(("id" = i32, Path, description = "Workshop id")),
    responses((status = 200, body = Workshop))
)]
#[get("/workshops/{id}")]
async fn get_workshop(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, *id).await?;
    Ok(tagged(found.entity_tag(), &Workshop::from(found)))
}

/// Replace a workshop.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "workshops",
    params(("id" = i32, Path, description = "Workshop id")),
    request_body = WorkshopRequest,
    responses((status = 200, body = Workshop))
)]
#[put("/workshops/{id}")]
async fn replace_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
    Json(request): Json<WorkshopRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = request.try_into()?;
    let updated = service::update(&state.db, &caller.actor(), *id, input, &precondition).await?;
    Ok(tagged(updated.entity_tag(), &Workshop::from(updated)))
}

/// Delete a workshop and its participants.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "workshops",
    params(("id" = i32, Path, description = "Workshop id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/workshops/{id}")]
async fn delete_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, &caller.actor(), *id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
