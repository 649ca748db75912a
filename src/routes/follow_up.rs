//! `/v1/rounds/{id}/follow-up`: the invitations without a reply and what to do about each;
//! `/v1/invitations/{id}/contact-attempts`: staff recording how they tried to reach an
//! officer.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use entity::contact_attempt::{self, Channel, Outcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::sheets::{self, Cell, Sheet};
use crate::domain::{InvalidInput, LongTextInput, Validator, wire_name};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{Json, JsonOrDefault, Query};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::contact_attempts::{self, AttemptInput};
use crate::services::escalations;
use crate::services::follow_up::{self, FollowUpRow};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(round_follow_up)
        .service(list_contact_attempts)
        .service(record_contact_attempt)
        .service(escalate_round);
}

/// The follow-up list of a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpList {
    pub round_id: i32,
    /// When the list was made (what "days after due" counts from).
    pub as_of: DateTime<Utc>,
    /// By workshop, administration and invitation.
    pub items: Vec<FollowUpRow>,
}

/// How to write the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FollowUpFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline)]
    pub format: Option<FollowUpFormat>,
}

/// The invitations of a round without a reply: the officer, the administration and
/// workshop, days before or after the due date, how mail to the officer fares, the
/// reminders sent, the last contact attempt, the administration's active contact points,
/// and a suggested next step. As JSON, CSV or `.xlsx`.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Round id"), FollowUpQuery),
    responses((status = 200, description = "The follow-up list", content(
        (FollowUpList = "application/json"),
        (String = "text/csv"),
        (inline(crate::http::responses::FileBytes) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
#[get("/rounds/{id}/follow-up")]
async fn round_follow_up(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<FollowUpQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = Utc::now();
    let items = follow_up::of_round(&state.db, *id, as_of).await?;
    let format = query.format.unwrap_or(FollowUpFormat::Json);
    if format == FollowUpFormat::Json {
        return Ok(HttpResponse::Ok().json(FollowUpList {
            round_id: *id,
            as_of,
            items,
        }));
    }
    let sheet = follow_up_sheet(&items);
    let (body, media, extension) = match format {
        FollowUpFormat::Xlsx => (sheets::xlsx(&[sheet])?, XLSX, "xlsx"),
        _ => (
            sheets::csv(&sheet).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"round-{}-follow-up.{extension}\"",
                *id
            ),
        ))
        .body(body))
}

/// The list as one sheet: a line per invitation.
fn follow_up_sheet(items: &[FollowUpRow]) -> Sheet {
    let header = [
        "invitation_id",
        "workshop",
        "administration",
        "officer",
        "email",
        "due_at",
        "days_after_due",
        "delivery",
        "reminders_sent",
        "last_contact",
        "contact_points",
        "next_step",
    ];
    let rows = items
        .iter()
        .map(|row| {
            let officer = row.officer.as_ref();
            let last = row.last_attempt.as_ref().map(|a| {
                format!(
                    "{} {}: {}",
                    a.attempted_at.format("%Y-%m-%d"),
                    wire_name(a.channel),
                    wire_name(a.outcome)
                )
            });
            let points: Vec<String> = row
                .contact_points
                .iter()
                .map(|p| format!("{} <{}>", p.name, p.email))
                .collect();
            vec![
                Cell::Count(u64::try_from(row.invitation_id).unwrap_or(0)),
                row.workshop.clone().into(),
                row.administration.clone().into(),
                officer.map(|o| o.name.clone()).unwrap_or_default().into(),
                officer.map(|o| o.email.clone()).unwrap_or_default().into(),
                row.due_at.format("%Y-%m-%d %H:%M UTC").to_string().into(),
                Cell::Whole(row.days_after_due),
                row.delivery
                    .as_ref()
                    .map(|d| wire_name(d.state))
                    .unwrap_or_else(|| "ok".into())
                    .into(),
                Cell::Count(row.reminders_sent),
                last.unwrap_or_default().into(),
                points.join("; ").into(),
                wire_name(row.next_step).into(),
            ]
        })
        .collect();
    Sheet {
        name: "Follow-up".into(),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// A contact attempt on an invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactAttempt {
    pub id: i32,
    pub invitation_id: i32,
    pub channel: Channel,
    pub outcome: Outcome,
    pub note: Option<String>,
    pub attempted_at: DateTime<Utc>,
    /// The API key's name that recorded it.
    pub recorded_by: String,
}

impl From<contact_attempt::Model> for ContactAttempt {
    fn from(model: contact_attempt::Model) -> Self {
        Self {
            id: model.id,
            invitation_id: model.invitation_id,
            channel: model.channel,
            outcome: model.outcome,
            note: model.note,
            attempted_at: model.attempted_at,
            recorded_by: model.recorded_by,
        }
    }
}

/// A contact attempt to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "channel": "phone",
    "outcome": "promised",
    "note": "Will answer by Friday"
}))]
pub struct ContactAttemptRequest {
    pub channel: Channel,
    pub outcome: Outcome,
    pub note: Option<LongTextInput>,
    /// When it was made; now when absent. Not in the future.
    pub attempted_at: Option<DateTime<Utc>>,
}

impl TryFrom<ContactAttemptRequest> for AttemptInput {
    type Error = ApiError;

    fn try_from(request: ContactAttemptRequest) -> Result<Self, ApiError> {
        let mut v = Validator::default();
        let note = v.check("note", LongTextInput::parse_optional(request.note.as_ref()));
        v.finish()?;
        if request.attempted_at.is_some_and(|at| at > Utc::now()) {
            return Err(InvalidInput::field("attempted_at", "must not be in the future").into());
        }
        Ok(Self {
            channel: request.channel,
            outcome: request.outcome,
            note: note.flatten(),
            attempted_at: request.attempted_at,
        })
    }
}

/// The contact attempts on an invitation, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactAttempts {
    pub items: Vec<ContactAttempt>,
}

/// List the contact attempts on an invitation, oldest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Invitation id")),
    responses((status = 200, body = ContactAttempts))
)]
#[get("/invitations/{id}/contact-attempts")]
async fn list_contact_attempts(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let items = contact_attempts::list(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(ContactAttempts {
        items: items.into_iter().map(ContactAttempt::from).collect(),
    }))
}

/// Record how staff tried to reach the officer of an invitation, and what came of it
/// (audited). The follow-up list shows the last one and suggests the next step by it.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Invitation id")),
    request_body = ContactAttemptRequest,
    responses((status = 201, body = ContactAttempt))
)]
#[post("/invitations/{id}/contact-attempts")]
async fn record_contact_attempt(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Json(request): Json<ContactAttemptRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = request.try_into()?;
    let created = contact_attempts::create(&state.db, &caller.actor(), *id, input).await?;
    Ok(responses::created(
        format!("/v1/invitations/{id}/contact-attempts"),
        ContactAttempt::from(created),
    ))
}

/// Whether to write again to administrations escalated to before.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRequest {
    /// Write again to administrations already escalated to in this round.
    #[serde(default)]
    pub repeat: bool,
}

/// What an escalation queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationSummary {
    /// Mails queued, one per active contact point.
    pub queued: usize,
    /// Codes of the administrations written to.
    pub administrations: Vec<String>,
    /// Administrations with unanswered invitations and no active contact point.
    pub without_contact_point: Vec<String>,
    /// Administrations escalated to before in this round, not written to again.
    pub already_escalated: Vec<String>,
}

/// Escalate a round's missing replies to the administrations: one mail per administration
/// with unanswered invitations, to each of its active contact points, naming the officers
/// who have not replied and their workshops (never links or answers). Once per round and
/// administration; `repeat: true` writes again. Audited.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Round id")),
    request_body(content = Option<EscalationRequest>, description = "Optional; none (or `{}`) writes only to administrations not escalated to yet"),
    responses((status = 200, body = EscalationSummary))
)]
#[post("/rounds/{id}/escalations")]
async fn escalate_round(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    JsonOrDefault(request): JsonOrDefault<EscalationRequest>,
) -> Result<HttpResponse, ApiError> {
    let done =
        escalations::escalate(&state.db, &state.mail, &caller.actor(), *id, request.repeat).await?;
    Ok(HttpResponse::Ok().json(EscalationSummary {
        queued: done.queued,
        administrations: done.administrations,
        without_contact_point: done.without_contact_point,
        already_escalated: done.already_escalated,
    }))
}
