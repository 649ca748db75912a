//! `/v1/rounds`: survey rounds, their rules and their life
//! `draft` -> `scheduled` -> `open` -> `closed`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::round::{self, RoundState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::clock::now;
use crate::base::listing::PageRequest;
use crate::domain::schedule::ScheduleRules;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{FiscalYear, TextInput, Validator, lenient};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::rounds::records::{self as service, RoundFilter, RoundInput};
use crate::services::rounds::schedule;
use crate::services::rounds::states::{self, Transition};
use crate::services::rounds::timeline::{self, Timeline, TimelineWarning};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_rounds)
        .service(create_round)
        .service(get_round)
        .service(replace_round)
        .service(delete_round)
        .service(schedule_round)
        .service(round_timeline)
        .service(open_round)
        .service(close_round);
}

/// A yearly survey round.
#[derive(Debug, Serialize, ToSchema)]
pub struct Round {
    pub id: i32,
    #[schema(example = "Survey 2020")]
    pub title: String,
    #[schema(example = 6)]
    pub round_number: i32,
    #[schema(example = "2019/20")]
    pub fiscal_year: String,
    pub questionnaire_id: i32,
    pub state: RoundState,
    /// Months after a workshop ends that its survey opens.
    pub open_offset_months: i32,
    /// Days from opening to the due date.
    pub reply_window_days: i32,
    /// Days before the due date at which reminders go out.
    pub reminder_offsets_days: Vec<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<round::Model> for Round {
    fn from(model: round::Model) -> Self {
        let rules = schedule::rules(&model);
        Self {
            id: model.id,
            title: model.title,
            round_number: model.round_number,
            fiscal_year: FiscalYear::from_start_year(model.fiscal_year).to_string(),
            questionnaire_id: model.questionnaire_id,
            state: model.state,
            open_offset_months: model.open_offset_months,
            reply_window_days: model.reply_window_days,
            reminder_offsets_days: rules.reminder_offsets_days,
            created_at: model.created_at,
            updated_at: model.updated_at,
            scheduled_at: model.scheduled_at,
            opened_at: model.opened_at,
            closed_at: model.closed_at,
        }
    }
}

/// A round to create, or the full new state of one. Rules left out take their defaults
/// (6 months, 21 days, reminders 7 and 2 days before the due date).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Survey 2020", "round_number": 6, "fiscal_year": "2019/20", "questionnaire_id": 1,
    "open_offset_months": 6, "reply_window_days": 21, "reminder_offsets_days": [7, 2]
}))]
pub struct RoundRequest {
    pub title: TextInput,
    #[serde(deserialize_with = "lenient::int")]
    #[schema(minimum = 1, maximum = 1000)]
    pub round_number: i32,
    #[schema(value_type = FiscalYear)]
    pub fiscal_year: String,
    #[serde(deserialize_with = "lenient::int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub questionnaire_id: i32,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 0, maximum = 36)]
    pub open_offset_months: Option<u32>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 365)]
    pub reply_window_days: Option<u32>,
    /// Each at least 1 and less than the reply window; distinct.
    #[serde(default, deserialize_with = "lenient::optional_int_list")]
    #[schema(max_items = 10, value_type = Option<Vec<u32>>)]
    pub reminder_offsets_days: Option<Vec<u32>>,
}

impl TryFrom<RoundRequest> for RoundInput {
    type Error = ApiError;

    fn try_from(request: RoundRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let title = v.check("title", request.title.parse());
        let fiscal_year = v.check("fiscal_year", FiscalYear::parse(&request.fiscal_year));
        if !(1..=1000).contains(&request.round_number) {
            v.fail("round_number", "must be between 1 and 1000");
        }
        if request.questionnaire_id < 1 {
            v.fail("questionnaire_id", "must be an id, from 1");
        }
        let defaults = ScheduleRules::default();
        let rules = ScheduleRules {
            open_offset_months: request
                .open_offset_months
                .unwrap_or(defaults.open_offset_months),
            reply_window_days: request
                .reply_window_days
                .unwrap_or(defaults.reply_window_days),
            reminder_offsets_days: request
                .reminder_offsets_days
                .unwrap_or(defaults.reminder_offsets_days),
        };
        if let Err((field, message)) = rules.check() {
            v.fail(field, message);
        }
        v.finish()?;
        match (title, fiscal_year) {
            (Some(title), Some(fiscal_year)) => Ok(Self {
                title,
                round_number: request.round_number,
                fiscal_year,
                questionnaire_id: request.questionnaire_id,
                rules,
            }),
            _ => unreachable!("the validator reported every missing field"),
        }
    }
}

/// Filters of the round list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    #[param(value_type = Option<FiscalYear>)]
    pub fiscal_year: Option<String>,
    pub state: Option<RoundState>,
}

/// List rounds, newest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "rounds",
    params(RoundQuery, PageParams),
    responses((status = 200, body = Page<Round>))
)]
#[get("/rounds")]
async fn list_rounds(
    state: web::Data<AppState>,
    Query(query): Query<RoundQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let fiscal_year = query
        .fiscal_year
        .as_deref()
        .map(FiscalYear::parse)
        .transpose()
        .map_err(|message| ApiError::bad_request("fiscal_year", message))?;
    let filter = RoundFilter {
        fiscal_year,
        state: query.state,
    };
    let listing = service::list(&state.db, filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, Round::from)))
}

/// Create a round (as a draft).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    request_body = RoundRequest,
    responses((status = 201, body = Round))
)]
#[post("/rounds")]
async fn create_round(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<RoundRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = service::create(&state.db, &caller.actor(), request.try_into()?).await?;
    Ok(responses::created(
        format!("/v1/rounds/{}", created.id),
        Round::from(created),
    ))
}

/// Read one round.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Round))
)]
#[get("/rounds/{id}")]
async fn get_round(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, *id).await?;
    Ok(tagged(found.entity_tag(), &Round::from(found)))
}

/// Replace a round. The questionnaire changes only in `draft`; the rules until the round
/// opens (invitation dates follow); a closed round does not change.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    request_body = RoundRequest,
    responses((status = 200, body = Round))
)]
#[put("/rounds/{id}")]
async fn replace_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
    Json(request): Json<RoundRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = request.try_into()?;
    let updated = service::update(&state.db, &caller.actor(), *id, input, &precondition).await?;
    Ok(tagged(updated.entity_tag(), &Round::from(updated)))
}

/// Delete a draft round.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/rounds/{id}")]
async fn delete_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, &caller.actor(), *id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn change_state(
    caller: Caller,
    state: web::Data<AppState>,
    id: i32,
    transition: Transition,
) -> Result<HttpResponse, ApiError> {
    let round = states::transition(&state.db, &caller.actor(), id, transition).await?;
    Ok(HttpResponse::Ok().json(Round::from(round)))
}

/// Options of scheduling.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// Change nothing; answer with the timeline scheduling would set (as
    /// `GET /v1/rounds/{id}/timeline` shows it afterwards), refused as scheduling would be.
    pub dry_run: Option<bool>,
}

/// A round just scheduled, with the problems of its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledRound {
    #[serde(flatten)]
    pub round: Round,
    /// Due dates already past, reminders that will be skipped, workshops with nobody to
    /// write to. Scheduling went ahead; see `GET /v1/rounds/{id}/timeline`.
    pub warnings: Vec<TimelineWarning>,
}

/// What scheduling answers: the scheduled round, or with `dry_run=true` the timeline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ScheduleOutcome {
    Scheduled(ScheduledRound),
    Preview(Timeline),
}

/// Schedule a draft round: every participant of every attached workshop is invited, with
/// opening and due times in their administration's time zone. Due dates already past are
/// allowed (history happens); the response's `warnings` name them. With `dry_run=true`
/// nothing changes and the answer is the timeline scheduling would set.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id"), ScheduleQuery),
    responses((status = 200, body = ScheduleOutcome))
)]
#[post("/rounds/{id}/schedule")]
async fn schedule_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<ScheduleQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.dry_run == Some(true) {
        let preview = timeline::preview_scheduling(&state.db, *id, now()).await?;
        return Ok(HttpResponse::Ok().json(ScheduleOutcome::Preview(preview)));
    }
    let round = states::transition(&state.db, &caller.actor(), *id, Transition::Schedule).await?;
    let warnings = timeline::of(&state.db, &round, now()).await?.warnings;
    Ok(
        HttpResponse::Ok().json(ScheduleOutcome::Scheduled(ScheduledRound {
            round: Round::from(round),
            warnings,
        })),
    )
}

/// What the round's schedule does: per attached workshop and administration, when
/// invitations go out, the due date and each reminder, in UTC and local time, with the
/// number of officers, and its problems (a due date already past, a reminder that would
/// fall before its invitation, a workshop without participants or with participants
/// lacking an email).
// Staff only: officers counted per administration and workshop, set beside the cross-tabs
// that name administrations, would single out one officer's answers.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Timeline))
)]
#[get("/rounds/{id}/timeline")]
async fn round_timeline(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(timeline::of_round(&state.db, *id, now()).await?))
}

/// Open a scheduled round.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Round))
)]
#[post("/rounds/{id}/open")]
async fn open_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    change_state(caller, state, *id, Transition::Open).await
}

/// Close a round: replies are frozen and its report is final.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = Round))
)]
#[post("/rounds/{id}/close")]
async fn close_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    change_state(caller, state, *id, Transition::Close).await
}
