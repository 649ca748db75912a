//! Good practices: `/v1/rounds/{id}/good-practices` and `/v1/good-practices/{id}`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::good_practice::Category;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{AdministrationCode, LongTextInput, Validator, lenient};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::good_practices::{self as service, Curation, GoodPracticeFilter, Source};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_good_practices)
        .service(create_good_practice)
        .service(get_good_practice)
        .service(replace_good_practice)
        .service(delete_good_practice);
}

/// A quote from a reply, curated for the report and the feedback mailing.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoodPractice {
    pub id: i32,
    pub round_id: i32,
    pub reply_id: Option<i32>,
    pub question_code: Option<String>,
    /// The words as the reply gave them.
    pub quote: String,
    /// The words as published.
    pub text: String,
    pub category: Category,
    /// Attribution.
    pub administration: String,
    pub workshop_id: i32,
    pub workshop_title: String,
    pub approved_for_report: bool,
    pub approved_for_feedback: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<service::GoodPractice> for GoodPractice {
    fn from(practice: service::GoodPractice) -> Self {
        let record = practice.record;
        Self {
            id: record.id,
            round_id: record.round_id,
            reply_id: record.reply_id,
            question_code: record.question_code,
            quote: record.quote,
            text: record.text,
            category: record.category,
            administration: practice.administration_code,
            workshop_id: record.workshop_id,
            workshop_title: practice.workshop_title,
            approved_for_report: record.approved_for_report,
            approved_for_feedback: record.approved_for_feedback,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A quote to take from a reply of the round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reply_id": 7, "question_code": "direct_effects",
    "quote": "now advises AEOs as well as auditing them",
    "text": "The Compliance Division now advises AEOs for self-improvement, not only audits them.",
    "category": "direct_effect", "approved_for_report": true, "approved_for_feedback": true
}))]
pub struct CreateGoodPracticeRequest {
    #[serde(deserialize_with = "lenient::int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub reply_id: i32,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub question_code: String,
    /// Words of the answer's text, `other` text or comment.
    pub quote: LongTextInput,
    /// The edited text; the quote when absent.
    pub text: Option<LongTextInput>,
    pub category: Category,
    /// Attribution; the reply's administration when absent.
    #[schema(value_type = Option<AdministrationCode>)]
    pub administration: Option<String>,
    /// Attribution; the reply's workshop when absent.
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub workshop_id: Option<i32>,
    #[serde(default)]
    pub approved_for_report: bool,
    #[serde(default)]
    pub approved_for_feedback: bool,
}

/// The curated state of a good practice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Updated the risk register.", "category": "strategic_empowerment", "approved_for_report": true, "approved_for_feedback": false}))]
pub struct UpdateGoodPracticeRequest {
    pub text: LongTextInput,
    pub category: Category,
    #[schema(value_type = Option<AdministrationCode>)]
    pub administration: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub workshop_id: Option<i32>,
    #[serde(default)]
    pub approved_for_report: bool,
    #[serde(default)]
    pub approved_for_feedback: bool,
}

fn curation(
    v: &mut Validator,
    text: Option<String>,
    category: Category,
    administration: Option<&str>,
    workshop_id: Option<i32>,
    approvals: (bool, bool),
) -> Curation {
    let administration = administration
        .map(|code| v.check("administration", AdministrationCode::parse(code)))
        .unwrap_or_default();
    if workshop_id.is_some_and(|id| id < 1) {
        v.fail("workshop_id", "must be an id, from 1");
    }
    Curation {
        text,
        category,
        administration,
        workshop_id,
        approved_for_report: approvals.0,
        approved_for_feedback: approvals.1,
    }
}

/// Filters of the good-practice list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoodPracticeQuery {
    pub category: Option<Category>,
    pub approved_for_report: Option<bool>,
    pub approved_for_feedback: Option<bool>,
}

/// List a round's good practices, by category.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "good-practices",
    params(("id" = i32, Path, description = "Round id"), GoodPracticeQuery, PageParams),
    responses((status = 200, body = Page<GoodPractice>))
)]
#[get("/rounds/{id}/good-practices")]
async fn list_good_practices(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<GoodPracticeQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = GoodPracticeFilter {
        category: query.category,
        approved_for_report: query.approved_for_report,
        approved_for_feedback: query.approved_for_feedback,
    };
    let listing = service::list(&state.db, *id, filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, GoodPractice::from)))
}

/// Take a quote from a reply's text answer, `other` text or comment.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "good-practices",
    params(("id" = i32, Path, description = "Round id")),
    request_body = CreateGoodPracticeRequest,
    responses((status = 201, body = GoodPractice))
)]
#[post("/rounds/{id}/good-practices")]
async fn create_good_practice(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Json(request): Json<CreateGoodPracticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let quote = v.check("quote", request.quote.parse());
    let text = v.check("text", LongTextInput::parse_optional(request.text.as_ref()));
    let curation = curation(
        &mut v,
        text.flatten(),
        request.category,
        request.administration.as_deref(),
        request.workshop_id,
        (request.approved_for_report, request.approved_for_feedback),
    );
    v.finish()?;
    let source = Source {
        reply_id: request.reply_id,
        question_code: request.question_code,
        quote: quote.unwrap_or_default(),
    };
    let created = service::create(&state.db, &caller.actor(), *id, source, curation).await?;
    Ok(responses::created(
        format!("/v1/good-practices/{}", created.record.id),
        GoodPractice::from(created),
    ))
}

/// Read one good practice.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "good-practices",
    params(("id" = i32, Path, description = "Good practice id")),
    responses((status = 200, body = GoodPractice))
)]
#[get("/good-practices/{id}")]
async fn get_good_practice(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, *id).await?;
    Ok(tagged(
        found.record.entity_tag(),
        &GoodPractice::from(found),
    ))
}

/// Edit, classify, attribute and approve a good practice (audited).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "good-practices",
    params(("id" = i32, Path, description = "Good practice id")),
    request_body = UpdateGoodPracticeRequest,
    responses((status = 200, body = GoodPractice))
)]
#[put("/good-practices/{id}")]
async fn replace_good_practice(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
    Json(request): Json<UpdateGoodPracticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let text = v.check("text", request.text.parse());
    let curation = curation(
        &mut v,
        text,
        request.category,
        request.administration.as_deref(),
        request.workshop_id,
        (request.approved_for_report, request.approved_for_feedback),
    );
    v.finish()?;
    let updated = service::update(&state.db, &caller.actor(), *id, curation, &precondition).await?;
    Ok(tagged(
        updated.record.entity_tag(),
        &GoodPractice::from(updated),
    ))
}

/// Delete a good practice.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "good-practices",
    params(("id" = i32, Path, description = "Good practice id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/good-practices/{id}")]
async fn delete_good_practice(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, &caller.actor(), *id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
