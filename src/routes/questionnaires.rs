//! `/v1/questionnaires`: versioned questionnaires. A version used by a round is immutable.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::questionnaire;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::questionnaire::{Question, QuestionInput, parse_questions};
use crate::domain::version::{EntityTag, Precondition, Versioned};
use crate::domain::{InvalidInput, LongTextInput, TextInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::questionnaires::{self as service, QuestionnaireInput};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_questionnaires)
        .service(create_questionnaire)
        .service(get_questionnaire)
        .service(replace_questionnaire);
}

/// A questionnaire version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Questionnaire {
    pub id: i32,
    /// 1 for the ROCB follow-up questionnaire; each new version counts up.
    pub version: i32,
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
    /// A version used by a round cannot change.
    pub in_use: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn view(state: &AppState, model: questionnaire::Model) -> Result<Questionnaire, ApiError> {
    let questions = service::questions(&model)?;
    let in_use = service::in_use(&state.db, model.id).await?;
    Ok(Questionnaire {
        id: model.id,
        version: model.version,
        title: model.title,
        description: model.description,
        questions,
        in_use,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// The tag of what is shown: `in_use` is not part of the stored version, yet changes what a
/// client holds when a round starts using the version (which then can no longer be edited,
/// so no `If-Match` needs to match it).
fn tag_of(version: EntityTag, shown: &Questionnaire) -> EntityTag {
    if shown.in_use {
        EntityTag::of_bytes(format!("{} in use", version.as_str()).as_bytes())
    } else {
        version
    }
}

/// A questionnaire version to publish, or the new content of an unused one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "ROCB A/P follow-up actions questionnaire",
    "description": "Follow-up actions taken after a WCO regional workshop.",
    "questions": [
        {"code": "follow_up_actions", "type": "multiple_choice", "label": "What follow-up actions did you take after the workshop?",
         "options": [
            {"code": "share_materials", "label": "Shared the training materials with colleagues"},
            {"code": "submit_report", "label": "Submitted a report to superiors"},
            {"code": "make_recommendations", "label": "Made recommendations to senior officials"},
            {"code": "organize_inhouse_workshop", "label": "Organized an in-house workshop"},
            {"code": "develop_manuals", "label": "Developed operational manuals"}
         ], "allow_other": true},
        {"code": "lessons_applied", "type": "text", "label": "How did you apply the lessons learnt?"},
        {"code": "direct_effects", "type": "yes_no", "label": "Have you realized direct effects?", "help": "Give examples in the comment."},
        {"code": "usefulness", "type": "scale", "label": "How useful was the workshop?", "scale_min": 1, "scale_max": 5}
    ]
}))]
pub struct QuestionnaireRequest {
    pub title: TextInput,
    pub description: Option<LongTextInput>,
    #[schema(min_items = 1, max_items = 100)]
    pub questions: Vec<QuestionInput>,
}

impl TryFrom<QuestionnaireRequest> for QuestionnaireInput {
    type Error = ApiError;

    fn try_from(request: QuestionnaireRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let title = v.check("title", request.title.parse());
        let description = v.check(
            "description",
            LongTextInput::parse_optional(request.description.as_ref()),
        );
        let questions = parse_questions(&request.questions);
        let mut errors = v.finish().err().map(|e| e.0).unwrap_or_default();
        if let Err(InvalidInput(more)) = &questions {
            errors.extend(more.iter().cloned());
        }
        match (title, description, questions) {
            (Some(title), Some(description), Ok(questions)) if errors.is_empty() => Ok(Self {
                title,
                description,
                questions,
            }),
            _ => Err(InvalidInput(errors).into()),
        }
    }
}

/// List questionnaire versions, oldest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "questionnaires",
    params(PageParams),
    responses((status = 200, body = Page<Questionnaire>))
)]
#[get("/questionnaires")]
async fn list_questionnaires(
    state: web::Data<AppState>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, page).await?;
    let mut items = Vec::with_capacity(listing.items.len());
    for model in listing.items {
        items.push(view(&state, model).await?);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, listing.total, page)))
}

/// Publish a new questionnaire version.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "questionnaires",
    request_body = QuestionnaireRequest,
    responses((status = 201, body = Questionnaire))
)]
#[post("/questionnaires")]
async fn create_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<QuestionnaireRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = service::create(&state.db, &caller.actor(), request.try_into()?).await?;
    let location = format!("/v1/questionnaires/{}", created.id);
    Ok(responses::created(location, view(&state, created).await?))
}

/// Read one questionnaire version.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "questionnaires",
    params(("id" = i32, Path, description = "Questionnaire id")),
    responses((status = 200, body = Questionnaire))
)]
#[get("/questionnaires/{id}")]
async fn get_questionnaire(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, *id).await?;
    let tag = found.entity_tag();
    let shown = view(&state, found).await?;
    Ok(tagged(tag_of(tag, &shown), &shown))
}

/// Replace the content of a version no round uses yet (409 otherwise).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "questionnaires",
    params(("id" = i32, Path, description = "Questionnaire id")),
    request_body = QuestionnaireRequest,
    responses((status = 200, body = Questionnaire))
)]
#[put("/questionnaires/{id}")]
async fn replace_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
    Json(request): Json<QuestionnaireRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = request.try_into()?;
    let updated = service::update(&state.db, &caller.actor(), *id, input, &precondition).await?;
    let tag = updated.entity_tag();
    let shown = view(&state, updated).await?;
    Ok(tagged(tag_of(tag, &shown), &shown))
}
