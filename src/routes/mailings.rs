//! `/v1/mailings`: the mail outbox as staff see it; `/v1/rounds/{id}/feedback`: releasing
//! the feedback mailing.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use entity::delivery_event::{self, Finding, Source};
use entity::mailing::{self, MailKind, MailStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::{TextInput, lenient};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::extract::{JsonOrDefault, Query};
use crate::http::extract::{query_id, query_text};
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::state::AppState;
use crate::services::mailings::{self as service, MailingFilter};
use crate::services::{deliverability, feedback};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_mailings)
        .service(get_mailing)
        .service(resend_mailing)
        .service(release_feedback);
}

/// A mail in the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct Mailing {
    pub id: i32,
    pub kind: MailKind,
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub recipient: String,
    pub subject: String,
    /// Stable across retries and resends.
    pub message_id: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the mail was written as `suppressed` instead of sent.
    pub suppressed_reason: Option<String>,
    /// What came back about this mail (bounces, blocks, complaints, automatic replies),
    /// oldest first.
    pub returned: Vec<ReturnedNews>,
}

/// One thing that came back about a mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnedNews {
    pub finding: Finding,
    /// The RFC 3463 code, e.g. `5.1.1`.
    pub code: Option<String>,
    /// What the destination said, or the automatic reply's text, shortened.
    pub detail: Option<String>,
    pub source: Source,
    pub received_at: DateTime<Utc>,
}

impl From<delivery_event::Model> for ReturnedNews {
    fn from(event: delivery_event::Model) -> Self {
        Self {
            finding: event.finding,
            code: event.code,
            detail: event.detail,
            source: event.source,
            received_at: event.received_at,
        }
    }
}

impl Mailing {
    fn with_news(mut self, news: &mut HashMap<i32, Vec<delivery_event::Model>>) -> Self {
        self.returned = news
            .remove(&self.id)
            .unwrap_or_default()
            .into_iter()
            .map(ReturnedNews::from)
            .collect();
        self
    }
}

impl From<mailing::Model> for Mailing {
    fn from(model: mailing::Model) -> Self {
        Self {
            id: model.id,
            kind: model.kind,
            round_id: model.round_id,
            invitation_id: model.invitation_id,
            recipient: model.recipient,
            subject: model.subject,
            message_id: model.message_id,
            status: model.status,
            attempts: model.attempts,
            next_attempt_at: model.next_attempt_at,
            last_error: model.last_error,
            created_at: model.created_at,
            sent_at: model.sent_at,
            suppressed_reason: model.suppressed_reason,
            returned: Vec::new(),
        }
    }
}

/// A mail with its rendered parts.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailingDetail {
    #[serde(flatten)]
    pub mailing: Mailing,
    pub body_text: String,
    pub body_html: String,
}

/// Filters of the outbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailingQuery {
    #[param(minimum = 1, maximum = 2147483647)]
    pub round_id: Option<i32>,
    #[param(minimum = 1, maximum = 2147483647)]
    pub invitation_id: Option<i32>,
    pub kind: Option<MailKind>,
    pub status: Option<MailStatus>,
    /// Text contained in the recipient's address, ignoring case.
    pub recipient: Option<TextInput>,
}

/// List the outbox, newest first.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "mailings",
    params(MailingQuery, PageParams),
    responses((status = 200, body = Page<Mailing>))
)]
#[get("/mailings")]
async fn list_mailings(
    state: web::Data<AppState>,
    Query(query): Query<MailingQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = MailingFilter {
        round_id: query_id("round_id", query.round_id)?,
        invitation_id: query_id("invitation_id", query.invitation_id)?,
        kind: query.kind,
        status: query.status,
        recipient: query_text("recipient", query.recipient)?,
    };
    let listing = service::list(&state.db, filter, page).await?;
    let ids = listing.items.iter().map(|m| m.id).collect();
    let mut news = deliverability::news_of_mailings(&state.db, ids).await?;
    Ok(
        HttpResponse::Ok().json(Page::from_listing(listing, page, |model| {
            Mailing::from(model).with_news(&mut news)
        })),
    )
}

/// Read one mail with its text and HTML.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ReadPersonalData))),
    tag = "mailings",
    params(("id" = i32, Path, description = "Mailing id")),
    responses((status = 200, body = MailingDetail))
)]
#[get("/mailings/{id}")]
async fn get_mailing(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let model = service::get(&state.db, *id).await?;
    let (body_text, body_html) = (model.body_text.clone(), model.body_html.clone());
    let mut news = deliverability::news_of_mailings(&state.db, vec![model.id]).await?;
    Ok(HttpResponse::Ok().json(MailingDetail {
        mailing: Mailing::from(model).with_news(&mut news),
        body_text,
        body_html,
    }))
}

/// Send a mail again (the same message and Message-ID), whatever became of it (audited);
/// an invitation's mail only to its current officer at their current address, with the
/// current link (409 otherwise: resend the invitation instead).
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "mailings",
    params(("id" = i32, Path, description = "Mailing id")),
    responses((status = 200, body = Mailing))
)]
#[post("/mailings/{id}/resend")]
async fn resend_mailing(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let model = service::resend(&state.db, &caller.actor(), *id).await?;
    Ok(HttpResponse::Ok().json(Mailing::from(model)))
}

/// Which feedback to release.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"workshop_id": 12}))]
pub struct FeedbackRequest {
    /// One workshop of the round; the whole round when absent.
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub workshop_id: Option<i32>,
}

/// What a feedback release queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackSummary {
    pub queued: usize,
    /// Invitations that had their feedback already.
    pub already_queued: usize,
    /// Invitations with no officer to write to.
    pub without_officer: usize,
}

/// Release the feedback mailing of a round (or one workshop) after the due date, or once
/// the round is closed (closing ends the answering period early): one mail to every
/// invitation, replied or not, with the headline figures and the approved good practices.
/// Releasing again sends nothing twice. The body is optional: none means the whole round.
#[utoipa::path(
    extensions(("x-access" = json!(Access::WriteData))),
    tag = "mailings",
    params(("id" = i32, Path, description = "Round id")),
    request_body(content = Option<FeedbackRequest>, description = "Optional; none (or `{}`) releases the whole round"),
    responses((status = 200, body = FeedbackSummary))
)]
#[post("/rounds/{id}/feedback")]
async fn release_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    JsonOrDefault(request): JsonOrDefault<FeedbackRequest>,
) -> Result<HttpResponse, ApiError> {
    let summary = feedback::release(
        &state.db,
        &state.mail,
        state.analysis(),
        &caller.actor(),
        *id,
        request.workshop_id,
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(FeedbackSummary {
        queued: summary.queued,
        already_queued: summary.already_queued,
        without_officer: summary.without_officer,
    }))
}
