//! `/v1/respond/{token}`: the participant's own page. The token in the path is the only
//! credential; an unknown or revoked token gets 404 like one that never existed. These
//! routes are rate-limited per client address.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::round::RoundState;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::replies::AnswersRequest;
use crate::domain::answers::Answer;
use crate::domain::questionnaire::Question;
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::replies::submit;
use crate::services::replies::views::{self, ReplyDetail, ResponseForm};

pub fn routes(config: &mut ServiceConfig) {
    config.service(get_response_form).service(submit_reply);
}

/// The workshop being asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopSummary {
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub venue: Option<String>,
}

/// The administration the answers count for.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdministrationSummary {
    pub code: String,
    pub name: String,
}

/// The questions to answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireSummary {
    pub version: i32,
    pub title: String,
    pub questions: Vec<Question>,
}

/// A reply as its author sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub first_submitted_at: DateTime<Utc>,
    pub last_submitted_at: DateTime<Utc>,
    /// First submitted after the due date (still welcome).
    pub late: bool,
    pub revision: i32,
    pub answers: BTreeMap<String, Answer>,
}

impl From<ReplyDetail> for Receipt {
    fn from(detail: ReplyDetail) -> Self {
        Self {
            first_submitted_at: detail.reply.first_submitted_at,
            last_submitted_at: detail.reply.last_submitted_at,
            late: detail.reply.late,
            revision: detail.reply.revision,
            answers: detail.answers,
        }
    }
}

/// Everything the answering page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsePage {
    pub round_title: String,
    pub workshop: WorkshopSummary,
    pub administration: AdministrationSummary,
    /// The officer invited.
    pub participant_name: Option<String>,
    /// Replies after it are marked late but still accepted until the round closes.
    pub due_at: DateTime<Utc>,
    /// False once the round is closed.
    pub accepting_replies: bool,
    pub questionnaire: QuestionnaireSummary,
    /// The current answers, once submitted.
    pub reply: Option<Receipt>,
}

impl From<ResponseForm> for ResponsePage {
    fn from(form: ResponseForm) -> Self {
        Self {
            round_title: form.round.title,
            workshop: WorkshopSummary {
                title: form.workshop.title,
                start_date: form.workshop.start_date,
                end_date: form.workshop.end_date,
                venue: form.workshop.venue,
            },
            administration: AdministrationSummary {
                code: form.administration.code,
                name: form.administration.name,
            },
            participant_name: form.participant_name,
            due_at: form.invitation.due_at,
            accepting_replies: form.round.state != RoundState::Closed,
            questionnaire: QuestionnaireSummary {
                version: form.questionnaire.version,
                title: form.questionnaire.title,
                questions: form.questions,
            },
            reply: form.reply.map(Receipt::from),
        }
    }
}

/// Show the workshop, the questionnaire and any current answers.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ParticipantToken))),
    tag = "respond",
    params(("token" = String, Path, description = "The token of the personal link")),
    responses((status = 200, body = ResponsePage))
)]
#[get("/{token}")]
async fn get_response_form(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let form = views::form(&state.db, &token).await?;
    Ok(HttpResponse::Ok().json(ResponsePage::from(form)))
}

/// Submit or revise the answers. Idempotent: the same answers again change nothing.
/// Accepted after the due date (marked late) until the round is closed (then 409).
#[utoipa::path(
    extensions(("x-access" = json!(Access::ParticipantToken))),
    tag = "respond",
    params(("token" = String, Path, description = "The token of the personal link")),
    request_body = AnswersRequest,
    responses((status = 200, body = Receipt))
)]
#[put("/{token}")]
async fn submit_reply(
    state: web::Data<AppState>,
    token: web::Path<String>,
    Json(request): Json<AnswersRequest>,
) -> Result<HttpResponse, ApiError> {
    let context = state.submit_context();
    let detail = submit::respond(&state.db, &context, &token, request.answers).await?;
    Ok(HttpResponse::Ok().json(Receipt::from(detail)))
}
