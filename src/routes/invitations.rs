//! Invitations: `/v1/rounds/{id}/invitations` (list) and `/v1/invitations/{id}` (one, its
//! link, hand-over to another officer, staff-entered reply).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::services::deliverability::{self, Delivery};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::mailings::Mailing;
use super::replies::Reply;
use crate::base::listing::PageRequest;
use crate::domain::answers::{AnswerInput, answers_schema, without_nulls};
use crate::domain::{AdministrationCode, Email, TextInput, Token, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{Json, Query};
use crate::http::extract::{query_code, query_id};
use crate::http::idempotency::carrying_secret;
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::invitations::hand_over::{Officer, hand_over as hand_invitation_over};
use crate::services::invitations::links;
use crate::services::invitations::views::{self, InvitationFilter, InvitationRow, ShownStatus};
use crate::services::replies::submit;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_invitations)
        .service(get_invitation)
        .service(issue_link)
        .service(revoke_link)
        .service(hand_over)
        .service(resend_invitation)
        .service(enter_reply);
}

/// Where an invitation stands. `late`: replied after the due date.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Invited,
    Replied,
    Late,
}

impl From<ShownStatus> for InvitationStatus {
    fn from(status: ShownStatus) -> Self {
        match status {
            ShownStatus::Pending => Self::Pending,
            ShownStatus::Invited => Self::Invited,
            ShownStatus::Replied => Self::Replied,
            ShownStatus::Late => Self::Late,
        }
    }
}

impl From<InvitationStatus> for ShownStatus {
    fn from(status: InvitationStatus) -> Self {
        match status {
            InvitationStatus::Pending => Self::Pending,
            InvitationStatus::Invited => Self::Invited,
            InvitationStatus::Replied => Self::Replied,
            InvitationStatus::Late => Self::Late,
        }
    }
}

/// The officer an invitation is addressed to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Addressee {
    pub id: i32,
    pub name: String,
    pub email: String,
    /// How mail to the address fares, when anything came back about it.
    pub delivery: Option<Delivery>,
}

/// One participant asked to answer for one workshop in one round.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    /// The administration the reply is attributed to.
    pub administration: String,
    /// Absent for imported history, or once the officer was removed.
    pub participant: Option<Addressee>,
    pub status: InvitationStatus,
    /// Whether a link is currently valid.
    pub link_active: bool,
    pub link_issued_at: Option<DateTime<Utc>>,
    /// 09:00 on the opening day in the administration's time zone.
    pub opens_at: DateTime<Utc>,
    /// 09:00 on the due day in the administration's time zone.
    pub due_at: DateTime<Utc>,
    pub reply_id: Option<i32>,
}

impl From<InvitationRow> for Invitation {
    fn from(row: InvitationRow) -> Self {
        let status = row.shown_status().into();
        let participant = match (
            row.participant_id,
            row.participant_name,
            row.participant_email,
        ) {
            (Some(id), Some(name), Some(email)) => Some(Addressee {
                id,
                name,
                email,
                delivery: None,
            }),
            _ => None,
        };
        Self {
            id: row.id,
            round_id: row.round_id,
            workshop_id: row.workshop_id,
            administration: row.administration_code,
            participant,
            status,
            link_active: row.link_active,
            link_issued_at: row.token_issued_at,
            opens_at: row.opens_at,
            due_at: row.due_at,
            reply_id: row.reply_id,
        }
    }
}

impl Invitation {
    /// With the delivery of its officer's address, from `deliveries`.
    pub fn with_delivery(mut self, deliveries: &HashMap<String, Delivery>) -> Self {
        if let Some(addressee) = self.participant.as_mut() {
            addressee.delivery = deliveries.get(&addressee.email).cloned();
        }
        self
    }
}

/// The deliveries of the officers' addresses among `rows`: one read.
async fn deliveries_of(
    db: &sea_orm::DatabaseConnection,
    rows: &[InvitationRow],
) -> Result<HashMap<String, Delivery>, ApiError> {
    Ok(deliverability::deliveries(
        db,
        rows.iter().filter_map(|r| r.participant_email.as_deref()),
    )
    .await?)
}

/// A link just issued. The token is shown this once; only its digest is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedLink {
    pub invitation: Invitation,
    /// The secret part of the link.
    pub token: String,
    /// Where the participant answers: `GET`/`PUT /v1/respond/{token}`.
    pub respond_path: String,
}

fn issued(row: InvitationRow, token: Token) -> IssuedLink {
    IssuedLink {
        invitation: row.into(),
        respond_path: format!("/v1/respond/{}", token.as_str()),
        token: token.as_str().to_owned(),
    }
}

/// Filters of the invitation list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    #[param(minimum = 1, maximum = 2147483647)]
    pub workshop_id: Option<i32>,
    #[param(value_type = Option<AdministrationCode>)]
    pub administration: Option<String>,
    #[param(inline)]
    pub status: Option<InvitationStatus>,
}

/// List a round's invitations.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Round id"), InvitationQuery, PageParams),
    responses((status = 200, body = Page<Invitation>))
)]
#[get("/rounds/{id}/invitations")]
async fn list_invitations(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<InvitationQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = InvitationFilter {
        workshop_id: query_id("workshop_id", query.workshop_id)?,
        administration: query_code("administration", query.administration)?,
        status: query.status.map(Into::into),
    };
    let listing = views::list(&state.db, *id, filter, page).await?;
    let deliveries = deliveries_of(&state.db, &listing.items).await?;
    Ok(
        HttpResponse::Ok().json(Page::from_listing(listing, page, |row| {
            Invitation::from(row).with_delivery(&deliveries)
        })),
    )
}

/// Read one invitation.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    responses((status = 200, body = Invitation))
)]
#[get("/invitations/{id}")]
async fn get_invitation(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let row = views::get(&state.db, *id).await?;
    let deliveries = deliveries_of(&state.db, std::slice::from_ref(&row)).await?;
    Ok(HttpResponse::Ok().json(Invitation::from(row).with_delivery(&deliveries)))
}

/// Issue a new personal link; any earlier link stops working. The token is returned once.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    responses((status = 200, body = IssuedLink))
)]
#[post("/invitations/{id}/link")]
async fn issue_link(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let (row, token) = links::issue_link(&state.db, &caller.actor(), &state.mail.key, *id).await?;
    Ok(carrying_secret(HttpResponse::Ok().json(issued(row, token))))
}

/// Revoke the current link: it then opens nothing.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    responses((status = 200, body = Invitation))
)]
#[post("/invitations/{id}/link/revoke")]
async fn revoke_link(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let row = links::revoke_link(&state.db, &caller.actor(), *id).await?;
    Ok(HttpResponse::Ok().json(Invitation::from(row)))
}

/// Another officer of the same administration who is to answer instead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sione Tupou", "email": "sione@customs.gov.to", "position": "Head of AEO"}))]
pub struct HandOverRequest {
    pub name: TextInput,
    #[schema(value_type = Email)]
    pub email: String,
    pub position: Option<TextInput>,
}

/// Hand an invitation over to another officer of the same administration (found by email
/// among the workshop's participants, or added). The old link stops working; the new one
/// is returned once; a reply stays attributed to the administration.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    request_body = HandOverRequest,
    responses((status = 200, body = IssuedLink))
)]
#[post("/invitations/{id}/hand-over")]
async fn hand_over(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Json(request): Json<HandOverRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let name = v.check("name", request.name.parse());
    let email = v.check("email", Email::parse(&request.email));
    let position = v.check(
        "position",
        TextInput::parse_optional(request.position.as_ref()),
    );
    v.finish()?;
    let (Some(name), Some(email), Some(position)) = (name, email, position) else {
        unreachable!("the validator reported every missing field")
    };
    let officer = Officer {
        name,
        email,
        position,
    };
    let (row, token) =
        hand_invitation_over(&state.db, &state.mail, &caller.actor(), *id, officer).await?;
    Ok(carrying_secret(HttpResponse::Ok().json(issued(row, token))))
}

/// Send the invitation mail again, with the current link (a new one when none is valid).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    responses((status = 201, body = Mailing))
)]
#[post("/invitations/{id}/resend")]
async fn resend_invitation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let queued = links::resend(&state.db, &state.mail, &caller.actor(), *id).await?;
    Ok(responses::created(
        format!("/v1/mailings/{}", queued.id),
        Mailing::from(queued),
    ))
}

/// Answers that arrived by email, entered by staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "answers": {"direct_effects": {"yes": true, "comment": "Faster clearance"}, "new_projects": {"yes": false}},
    "received_at": "2020-07-01T02:00:00Z"
}))]
pub struct StaffReplyRequest {
    /// By question code; `null`, `{}` or an answer whose members are all `null` leaves
    /// the question out.
    #[serde(deserialize_with = "without_nulls")]
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, AnswerInput>,
    /// When the email arrived (decides `late`); now when absent. Not in the future.
    pub received_at: Option<DateTime<Utc>>,
}

/// Enter or revise the reply of an invitation from an emailed answer (provenance `staff`,
/// audited). Identical answers change nothing.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "invitations",
    params(("id" = i32, Path, description = "Invitation id")),
    request_body = StaffReplyRequest,
    responses((status = 200, body = Reply))
)]
#[put("/invitations/{id}/reply")]
async fn enter_reply(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Json(request): Json<StaffReplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let context = state.submit_context();
    let detail = submit::enter(
        &state.db,
        &context,
        &caller.actor(),
        *id,
        request.answers,
        request.received_at,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Reply::from(detail)))
}
