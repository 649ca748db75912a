//! `/v1/handover-requests`: officers' "this survey is not for me", naming a colleague, for
//! staff to accept (the hand-over runs) or reject.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use entity::handover_request::{self, HandoverStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::Query;
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::handover_requests as service;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_handover_requests)
        .service(accept_handover_request)
        .service(reject_handover_request);
}

/// An officer's request that a colleague answer instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverRequest {
    pub id: i32,
    pub invitation_id: i32,
    pub colleague_name: String,
    pub colleague_email: String,
    pub note: Option<String>,
    pub status: HandoverStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
}

impl From<handover_request::Model> for HandoverRequest {
    fn from(model: handover_request::Model) -> Self {
        Self {
            id: model.id,
            invitation_id: model.invitation_id,
            colleague_name: model.colleague_name,
            colleague_email: model.colleague_email,
            note: model.note,
            status: model.status,
            created_at: model.created_at,
            decided_at: model.decided_at,
            decided_by: model.decided_by,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoverQuery {
    /// Only requests in this state; all when absent.
    pub status: Option<HandoverStatus>,
}

/// List the hand-over requests officers made on the answering page, newest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "follow-up",
    params(HandoverQuery, PageParams),
    responses((status = 200, body = Page<HandoverRequest>))
)]
#[get("/handover-requests")]
async fn list_handover_requests(
    state: web::Data<AppState>,
    Query(query): Query<HandoverQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, query.status, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, HandoverRequest::from)))
}

/// Accept a pending request: the invitation is handed over to the colleague named (found
/// among the workshop's participants by email, or added), who gets the invitation; the
/// officer's link stops working. Audited; `handover.accepted` is announced.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Hand-over request id")),
    responses((status = 200, body = HandoverRequest))
)]
#[post("/handover-requests/{id}/accept")]
async fn accept_handover_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let decided = service::decide(&state.db, &state.mail, &caller.actor(), *id, true).await?;
    Ok(HttpResponse::Ok().json(HandoverRequest::from(decided)))
}

/// Reject a pending request: the officer's link stays theirs. Audited;
/// `handover.rejected` is announced.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "follow-up",
    params(("id" = i32, Path, description = "Hand-over request id")),
    responses((status = 200, body = HandoverRequest))
)]
#[post("/handover-requests/{id}/reject")]
async fn reject_handover_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let decided = service::decide(&state.db, &state.mail, &caller.actor(), *id, false).await?;
    Ok(HttpResponse::Ok().json(HandoverRequest::from(decided)))
}
