//! `/v1/workshops/{id}/participants`: who attended a workshop, for which administration.

use crate::services::deliverability::{self, Delivery};
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{AdministrationCode, Email, TextInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::{Json, Query};
use crate::http::extract::{query_code, query_text};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::participants::{self as service, ParticipantFilter, ParticipantInput};
use crate::services::privacy::removal;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_participants)
        .service(create_participant)
        .service(get_participant)
        .service(replace_participant)
        .service(delete_participant);
}

/// An officer who attended a workshop.
#[derive(Debug, Serialize, ToSchema)]
pub struct Participant {
    pub id: i32,
    pub workshop_id: i32,
    #[schema(example = "Aminah Binti Ahmad")]
    pub name: String,
    /// Lower-cased; unique within the workshop.
    #[schema(example = "aminah@customs.gov.my")]
    pub email: String,
    pub position: Option<String>,
    /// Code of the administration the officer represented.
    #[schema(example = "MY")]
    pub administration: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the name and email were erased on request.
    pub erased_at: Option<DateTime<Utc>>,
    /// How mail to the address fares, when anything came back about it (in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

impl From<service::Participant> for Participant {
    fn from(participant: service::Participant) -> Self {
        let record = participant.record;
        Self {
            id: record.id,
            workshop_id: record.workshop_id,
            name: record.name,
            email: record.email,
            position: record.position,
            administration: participant.administration_code,
            created_at: record.created_at,
            updated_at: record.updated_at,
            erased_at: record.erased_at,
            delivery: None,
        }
    }
}

/// A participant to add, or the full new state of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Aminah Binti Ahmad",
    "email": "aminah@customs.gov.my",
    "position": "Senior Officer, AEO Unit",
    "administration": "MY"
}))]
pub struct ParticipantRequest {
    pub name: TextInput,
    #[schema(value_type = Email)]
    pub email: String,
    pub position: Option<TextInput>,
    /// Code of an existing administration.
    #[schema(value_type = AdministrationCode)]
    pub administration: String,
}

impl TryFrom<ParticipantRequest> for ParticipantInput {
    type Error = ApiError;

    fn try_from(request: ParticipantRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let name = v.check("name", request.name.parse());
        let email = v.check("email", Email::parse(&request.email));
        let position = v.check(
            "position",
            TextInput::parse_optional(request.position.as_ref()),
        );
        let administration = v.check(
            "administration",
            AdministrationCode::parse(&request.administration),
        );
        v.finish()?;
        match (name, email, position, administration) {
            (Some(name), Some(email), Some(position), Some(administration)) => Ok(Self {
                name,
                email,
                position,
                administration,
            }),
            _ => unreachable!("the validator reported every missing field"),
        }
    }
}

/// Filters of the participant list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParticipantQuery {
    /// Only participants of this administration (code).
    #[param(value_type = Option<AdministrationCode>)]
    pub administration: Option<String>,
    /// Text contained in the name or email, ignoring case.
    pub q: Option<TextInput>,
}

impl TryFrom<ParticipantQuery> for ParticipantFilter {
    type Error = ApiError;

    fn try_from(query: ParticipantQuery) -> Result<Self, ApiError> {
        Ok(Self {
            administration: query_code("administration", query.administration)?,
            text: query_text("q", query.q)?,
        })
    }
}

/// List a workshop's participants, by administration then name.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "participants",
    params(("id" = i32, Path, description = "Workshop id"), ParticipantQuery, PageParams),
    responses((status = 200, body = Page<Participant>))
)]
#[get("/workshops/{id}/participants")]
async fn list_participants(
    state: web::Data<AppState>,
    workshop_id: web::Path<i32>,
    Query(query): Query<ParticipantQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, *workshop_id, query.try_into()?, page).await?;
    let deliveries = deliverability::deliveries(
        &state.db,
        listing.items.iter().map(|p| p.record.email.as_str()),
    )
    .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_listing(listing, page, |found| {
            let delivery = deliveries.get(&found.record.email).cloned();
            Participant {
                delivery,
                ..Participant::from(found)
            }
        })),
    )
}

/// Add a participant to a workshop.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "participants",
    params(("id" = i32, Path, description = "Workshop id")),
    request_body = ParticipantRequest,
    responses((status = 201, body = Participant))
)]
#[post("/workshops/{id}/participants")]
async fn create_participant(
    caller: Caller,
    state: web::Data<AppState>,
    workshop_id: web::Path<i32>,
    Json(request): Json<ParticipantRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = service::create(
        &state.db,
        &caller.actor(),
        *workshop_id,
        request.try_into()?,
    )
    .await?;
    Ok(responses::created(
        format!(
            "/v1/workshops/{}/participants/{}",
            created.record.workshop_id, created.record.id
        ),
        Participant::from(created),
    ))
}

/// Read one participant.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "participants",
    params(
        ("id" = i32, Path, description = "Workshop id"),
        ("participant_id" = i32, Path, description = "Participant id"),
    ),
    responses((status = 200, body = Participant))
)]
#[get("/workshops/{id}/participants/{participant_id}")]
async fn get_participant(
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (workshop_id, id) = path.into_inner();
    let found = service::get(&state.db, workshop_id, id).await?;
    Ok(tagged(found.record.entity_tag(), &Participant::from(found)))
}

/// Replace a participant.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "participants",
    params(
        ("id" = i32, Path, description = "Workshop id"),
        ("participant_id" = i32, Path, description = "Participant id"),
    ),
    request_body = ParticipantRequest,
    responses((status = 200, body = Participant))
)]
#[put("/workshops/{id}/participants/{participant_id}")]
async fn replace_participant(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
    precondition: Precondition,
    Json(request): Json<ParticipantRequest>,
) -> Result<HttpResponse, ApiError> {
    let (workshop_id, id) = path.into_inner();
    let updated = service::update(
        &state.db,
        &state.mail,
        &caller.actor(),
        workshop_id,
        id,
        request.try_into()?,
        &precondition,
    )
    .await?;
    Ok(tagged(
        updated.record.entity_tag(),
        &Participant::from(updated),
    ))
}

/// Remove a participant from a workshop.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "participants",
    params(
        ("id" = i32, Path, description = "Workshop id"),
        ("participant_id" = i32, Path, description = "Participant id"),
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/workshops/{id}/participants/{participant_id}")]
async fn delete_participant(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    let (workshop_id, id) = path.into_inner();
    removal::delete(&state.db, &caller.actor(), workshop_id, id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
