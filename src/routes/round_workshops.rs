//! `/v1/rounds/{id}/workshops`: the workshops subjected to a round, with per-workshop
//! overrides of its schedule rules.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::NaiveDate;
use entity::workshop::Scope;
use entity::{round, round_workshop, workshop};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::lenient;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{Json, Query};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::rounds::attachments::{
    self as service, Overrides, OverridesChange, OverridesPatch,
};
use crate::services::rounds::records;
use crate::services::rounds::schedule;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_round_workshops)
        .service(attach_workshop)
        .service(get_round_workshop)
        .service(replace_round_workshop)
        .service(patch_round_workshop)
        .service(detach_workshop);
}

/// A workshop's overrides of the round's rules; absent fields follow the round.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOverrides {
    /// Opening date instead of end date plus the offset.
    pub opens_on: Option<NaiveDate>,
    pub open_offset_months: Option<u32>,
    pub reply_window_days: Option<u32>,
    pub reminder_offsets_days: Option<Vec<u32>>,
}

/// A workshop subjected to a round, with the dates that apply to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundWorkshop {
    pub round_id: i32,
    pub workshop_id: i32,
    pub title: String,
    pub scope: Scope,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The day invitations open (09:00 in each administration's time zone).
    pub opens_on: NaiveDate,
    /// The due date (09:00 local time); it drives reminders, it does not close the survey.
    pub due_on: NaiveDate,
    /// Days before the due date at which reminders go out.
    pub reminder_offsets_days: Vec<u32>,
    pub overrides: ScheduleOverrides,
}

impl From<Overrides> for ScheduleOverrides {
    fn from(overrides: Overrides) -> Self {
        Self {
            opens_on: overrides.opens_on,
            open_offset_months: overrides.open_offset_months,
            reply_window_days: overrides.reply_window_days,
            reminder_offsets_days: overrides.reminder_offsets_days,
        }
    }
}

fn view(
    round: &round::Model,
    attachment: round_workshop::Model,
    workshop: workshop::Model,
) -> RoundWorkshop {
    let rules = schedule::effective_rules(round, &attachment);
    let dates = schedule::dates(round, &attachment, &workshop);
    RoundWorkshop {
        round_id: attachment.round_id,
        workshop_id: workshop.id,
        title: workshop.title,
        scope: workshop.scope,
        start_date: workshop.start_date,
        end_date: workshop.end_date,
        opens_on: dates.opens_on,
        due_on: dates.due_on,
        reminder_offsets_days: rules.reminder_offsets_days,
        overrides: Overrides::of(&attachment).into(),
    }
}

/// A workshop to subject to a round, with optional overrides.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"workshop_id": 12, "reply_window_days": 28}))]
pub struct AttachRequest {
    #[serde(deserialize_with = "lenient::int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub workshop_id: i32,
    pub opens_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 0, maximum = 36)]
    pub open_offset_months: Option<u32>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 365)]
    pub reply_window_days: Option<u32>,
    #[serde(default, deserialize_with = "lenient::optional_int_list")]
    #[schema(max_items = 10, value_type = Option<Vec<u32>>)]
    pub reminder_offsets_days: Option<Vec<u32>>,
}

/// Every override of a workshop in a round (`PUT` replaces them all): fields left out or
/// `null` follow the round. To change one and keep the others, `PATCH` it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opens_on": "2020-07-01", "reminder_offsets_days": [10, 3]}))]
pub struct OverridesRequest {
    pub opens_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 0, maximum = 36)]
    pub open_offset_months: Option<u32>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 365)]
    pub reply_window_days: Option<u32>,
    #[serde(default, deserialize_with = "lenient::optional_int_list")]
    #[schema(max_items = 10, value_type = Option<Vec<u32>>)]
    pub reminder_offsets_days: Option<Vec<u32>>,
}

impl From<OverridesRequest> for Overrides {
    fn from(request: OverridesRequest) -> Self {
        Self {
            opens_on: request.opens_on,
            open_offset_months: request.open_offset_months,
            reply_window_days: request.reply_window_days,
            reminder_offsets_days: request.reminder_offsets_days,
        }
    }
}

/// Some overrides of a workshop in a round, as a JSON merge patch (RFC 7396): a field left
/// out keeps its override, `null` removes it (the round's rule applies again), a value
/// sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reply_window_days": 28, "opens_on": null}))]
pub struct OverridesMergePatch {
    #[serde(default, deserialize_with = "lenient::patch")]
    #[schema(value_type = Option<NaiveDate>)]
    pub opens_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "lenient::patch_int")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 36)]
    pub open_offset_months: Option<Option<u32>>,
    #[serde(default, deserialize_with = "lenient::patch_int")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 365)]
    pub reply_window_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "lenient::patch_int_list")]
    #[schema(max_items = 10, value_type = Option<Vec<u32>>)]
    pub reminder_offsets_days: Option<Option<Vec<u32>>>,
}

impl From<OverridesMergePatch> for OverridesPatch {
    fn from(request: OverridesMergePatch) -> Self {
        Self {
            opens_on: request.opens_on,
            open_offset_months: request.open_offset_months,
            reply_window_days: request.reply_window_days,
            reminder_offsets_days: request.reminder_offsets_days,
        }
    }
}

/// List the workshops of a round, by start date.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id"), PageParams),
    responses((status = 200, body = Page<RoundWorkshop>))
)]
#[get("/rounds/{id}/workshops")]
async fn list_round_workshops(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let round = records::get(&state.db, *id).await?;
    let all = service::of_round(&state.db, *id).await?;
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip((page.index() * page.per_page) as usize)
        .take(page.per_page as usize)
        .map(|(attachment, workshop)| view(&round, attachment, workshop))
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, total, page)))
}

/// Subject a workshop to a round. Excluded workshops (422) and workshops of another round
/// (409) are refused; in a scheduled or open round its participants are invited at once.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(("id" = i32, Path, description = "Round id")),
    request_body = AttachRequest,
    responses((status = 201, body = RoundWorkshop))
)]
#[post("/rounds/{id}/workshops")]
async fn attach_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Json(request): Json<AttachRequest>,
) -> Result<HttpResponse, ApiError> {
    let workshop_id = request.workshop_id;
    let overrides = Overrides::from(OverridesRequest {
        opens_on: request.opens_on,
        open_offset_months: request.open_offset_months,
        reply_window_days: request.reply_window_days,
        reminder_offsets_days: request.reminder_offsets_days,
    });
    let (attachment, workshop) =
        service::attach(&state.db, &caller.actor(), *id, workshop_id, overrides).await?;
    let round = records::get(&state.db, *id).await?;
    Ok(responses::created(
        format!("/v1/rounds/{}/workshops/{workshop_id}", round.id),
        view(&round, attachment, workshop),
    ))
}

/// Read one workshop of a round.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadRegistry))),
    tag = "rounds",
    params(
        ("id" = i32, Path, description = "Round id"),
        ("workshop_id" = i32, Path, description = "Workshop id"),
    ),
    responses((status = 200, body = RoundWorkshop))
)]
#[get("/rounds/{id}/workshops/{workshop_id}")]
async fn get_round_workshop(
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (round_id, workshop_id) = path.into_inner();
    let round = records::get(&state.db, round_id).await?;
    let (attachment, workshop) = service::get(&state.db, round_id, workshop_id).await?;
    Ok(HttpResponse::Ok().json(view(&round, attachment, workshop)))
}

/// Replace every override of a workshop (those left out follow the round again); its
/// invitations' dates follow. To change some and keep the rest, use `PATCH`.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(
        ("id" = i32, Path, description = "Round id"),
        ("workshop_id" = i32, Path, description = "Workshop id"),
    ),
    request_body = OverridesRequest,
    responses((status = 200, body = RoundWorkshop))
)]
#[put("/rounds/{id}/workshops/{workshop_id}")]
async fn replace_round_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
    Json(request): Json<OverridesRequest>,
) -> Result<HttpResponse, ApiError> {
    let change = OverridesChange::Replace(request.into());
    change_overrides(caller, state, path.into_inner(), change).await
}

/// Change some overrides of a workshop, as a JSON merge patch (RFC 7396, sent as
/// `application/merge-patch+json` or `application/json`): fields left out keep their
/// override, `null` removes one. Its invitations' dates follow.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(
        ("id" = i32, Path, description = "Round id"),
        ("workshop_id" = i32, Path, description = "Workshop id"),
    ),
    request_body(content = OverridesMergePatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = RoundWorkshop))
)]
#[patch("/rounds/{id}/workshops/{workshop_id}")]
async fn patch_round_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
    Json(request): Json<OverridesMergePatch>,
) -> Result<HttpResponse, ApiError> {
    let change = OverridesChange::Merge(request.into());
    change_overrides(caller, state, path.into_inner(), change).await
}

async fn change_overrides(
    caller: Caller,
    state: web::Data<AppState>,
    (round_id, workshop_id): (i32, i32),
    change: OverridesChange,
) -> Result<HttpResponse, ApiError> {
    let (attachment, workshop) =
        service::update_attachment(&state.db, &caller.actor(), round_id, workshop_id, change)
            .await?;
    let round = records::get(&state.db, round_id).await?;
    Ok(HttpResponse::Ok().json(view(&round, attachment, workshop)))
}

/// Take a workshop out of a round, with its invitations (409 once someone replied).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "rounds",
    params(
        ("id" = i32, Path, description = "Round id"),
        ("workshop_id" = i32, Path, description = "Workshop id"),
    ),
    responses((status = 204, description = "Taken out"))
)]
#[delete("/rounds/{id}/workshops/{workshop_id}")]
async fn detach_workshop(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (round_id, workshop_id) = path.into_inner();
    service::detach(&state.db, &caller.actor(), round_id, workshop_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
