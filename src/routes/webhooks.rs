//! `/v1/webhooks`: endpoints that receive events, and the record of what was sent to them.
//! Admins only: a webhook's URL and payloads are the office's business.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use entity::webhook::{self, Audience};
use entity::webhook_attempt;
use entity::webhook_delivery::DeliveryStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::base::listing::PageRequest;
use crate::domain::version::{Precondition, Versioned};
use crate::domain::{TextInput, Validator};
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::conditional::tagged;
use crate::http::extract::{Json, Query};
use crate::http::idempotency::carrying_secret;
use crate::http::paging::{Page, PageParams};
use crate::http::policy::Access;
use crate::http::responses;
use crate::http::state::AppState;
use crate::services::webhooks::deliveries::{self, Delivery, DeliveryFilter};
use crate::services::webhooks::endpoints::{self as service, WebhookInput};
use crate::webhooks::{EventType, TargetPolicy, signature};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(replace_webhook)
        .service(delete_webhook)
        .service(list_deliveries)
        .service(redeliver);
}

/// An endpoint that receives events. Each request carries `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` per the Standard Webhooks scheme.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i32,
    #[schema(example = "https://partner.example.org/hooks/followup")]
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    /// `partner` payloads never carry names, emails, tokens or mail errors.
    pub audience: Audience,
    /// Inactive endpoints receive nothing.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook::Model> for Webhook {
    fn from(model: webhook::Model) -> Self {
        Self {
            id: model.id,
            event_types: service::event_types(&model),
            url: model.url,
            description: model.description,
            audience: model.audience,
            active: model.active,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// A newly registered endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of the signing key. Store it now: it is never shown again.
    pub secret: String,
}

/// An endpoint to register, or the full new state of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://partner.example.org/hooks/followup",
    "description": "Partner dashboard",
    "event_types": ["reply.submitted", "round.closed"],
    "audience": "partner"
}))]
pub struct WebhookRequest {
    /// http or https; the host must be allowed by the `webhook_allowed_hosts` setting.
    /// Redirects are never followed.
    #[schema(max_length = 2048)]
    pub url: String,
    pub description: Option<TextInput>,
    /// At least one, each once.
    #[schema(min_items = 1)]
    pub event_types: Vec<EventType>,
    /// Default `partner`.
    pub audience: Option<Audience>,
    /// Default true.
    pub active: Option<bool>,
    /// Only when registering: a secret of your own (`whsec_` and the base64 of 24 to 64
    /// bytes). Without one, the service generates one.
    pub secret: Option<String>,
}

impl WebhookRequest {
    /// The endpoint's settings and, when registering, the secret given.
    fn parse(
        self,
        policy: &TargetPolicy,
        registering: bool,
    ) -> Result<(WebhookInput, Option<String>), ApiError> {
        let mut v = Validator::default();
        let url = v.check("url", policy.check(&self.url));
        let description = v.check(
            "description",
            TextInput::parse_optional(self.description.as_ref()),
        );
        if self.event_types.is_empty() {
            v.fail("event_types", "name at least one event type");
        }
        for (index, event_type) in self.event_types.iter().enumerate() {
            if self.event_types[..index].contains(event_type) {
                v.fail(
                    &format!("event_types[{index}]"),
                    format!("{} is listed twice", event_type.as_str()),
                );
            }
        }
        match (&self.secret, registering) {
            (Some(_), false) => v.fail(
                "secret",
                "a secret cannot be changed; register a new endpoint and delete this one",
            ),
            (Some(secret), true) if !signature::is_valid_secret(secret) => v.fail(
                "secret",
                "must be whsec_ followed by the base64 of 24 to 64 random bytes",
            ),
            _ => {}
        }
        v.finish()?;
        let (Some(url), Some(description)) = (url, description) else {
            unreachable!("the validator reported every missing field")
        };
        Ok((
            WebhookInput {
                url: url.to_string(),
                description: description.unwrap_or_default(),
                event_types: self.event_types,
                audience: self.audience.unwrap_or(Audience::Partner),
                active: self.active.unwrap_or(true),
            },
            self.secret,
        ))
    }
}

/// List webhook endpoints.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(PageParams),
    responses((status = 200, body = Page<Webhook>))
)]
#[get("/webhooks")]
async fn list_webhooks(
    state: web::Data<AppState>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let listing = service::list(&state.db, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, Webhook::from)))
}

/// Register a webhook endpoint. The response shows its secret, once.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    request_body = WebhookRequest,
    responses((status = 201, body = CreatedWebhook))
)]
#[post("/webhooks")]
async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    Json(request): Json<WebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let (input, secret) = request.parse(&state.webhook_policy, true)?;
    let secret = secret.unwrap_or_else(signature::new_secret);
    let created = service::create(&state.db, &caller.actor(), input, secret).await?;
    let secret = created.secret.clone();
    Ok(carrying_secret(responses::created(
        format!("/v1/webhooks/{}", created.id),
        CreatedWebhook {
            webhook: Webhook::from(created),
            secret,
        },
    )))
}

/// Read one webhook endpoint (without its secret).
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(("id" = i32, Path, description = "Webhook id")),
    responses((status = 200, body = Webhook))
)]
#[get("/webhooks/{id}")]
async fn get_webhook(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let found = service::get(&state.db, *id).await?;
    Ok(tagged(found.entity_tag(), &Webhook::from(found)))
}

/// Replace a webhook endpoint's settings; its secret stays.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(("id" = i32, Path, description = "Webhook id")),
    request_body = WebhookRequest,
    responses((status = 200, body = Webhook))
)]
#[put("/webhooks/{id}")]
async fn replace_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
    Json(request): Json<WebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let (input, _) = request.parse(&state.webhook_policy, false)?;
    let updated = service::update(&state.db, &caller.actor(), *id, input, &precondition).await?;
    Ok(tagged(updated.entity_tag(), &Webhook::from(updated)))
}

/// Delete a webhook endpoint with its deliveries.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(("id" = i32, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/webhooks/{id}")]
async fn delete_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    precondition: Precondition,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, &caller.actor(), *id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One try at delivering an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    /// 1 for the first try.
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// The endpoint's HTTP status; absent when it could not be reached.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<webhook_attempt::Model> for DeliveryAttempt {
    fn from(model: webhook_attempt::Model) -> Self {
        Self {
            attempt: model.attempt,
            attempted_at: model.attempted_at,
            status_code: model.status_code,
            error: model.error,
            duration_ms: model.duration_ms,
        }
    }
}

/// One event for one endpoint, with every attempt so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i32,
    pub webhook_id: i32,
    /// The `webhook-id` header of every attempt: the same on retries and redeliveries, so
    /// a receiver can drop duplicates.
    #[schema(example = "evt_42")]
    pub message_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due, while queued.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body as sent.
    pub payload: Value,
    pub attempt_log: Vec<DeliveryAttempt>,
}

impl From<Delivery> for WebhookDelivery {
    fn from(delivery: Delivery) -> Self {
        let record = delivery.record;
        Self {
            id: record.id,
            webhook_id: record.webhook_id,
            message_id: format!("evt_{}", record.event_id),
            event_type: EventType::parse(&record.event_type)
                .expect("deliveries are only queued for known event types"),
            status: record.status,
            attempts: record.attempts,
            next_attempt_at: (record.status == DeliveryStatus::Queued)
                .then_some(record.next_attempt_at),
            last_status_code: record.last_status_code,
            last_error: record.last_error,
            created_at: record.created_at,
            delivered_at: record.delivered_at,
            payload: serde_json::from_str(&record.payload).unwrap_or(Value::Null),
            attempt_log: delivery
                .attempts
                .into_iter()
                .map(DeliveryAttempt::from)
                .collect(),
        }
    }
}

/// Filters of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<EventType>,
}

/// List an endpoint's deliveries, newest first, each with its attempts.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(("id" = i32, Path, description = "Webhook id"), DeliveryQuery, PageParams),
    responses((status = 200, body = Page<WebhookDelivery>))
)]
#[get("/webhooks/{id}/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    Query(query): Query<DeliveryQuery>,
    Query(page): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::try_from(page)?;
    let filter = DeliveryFilter {
        status: query.status,
        event_type: query.event_type,
    };
    let listing = deliveries::deliveries(&state.db, *id, filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_listing(listing, page, WebhookDelivery::from)))
}

/// Queue a delivery again now, whatever became of it. The endpoint receives the same
/// `webhook-id`.
#[utoipa::path(
    extensions(("x-access" = json!(Access::ManageWebhooks))),
    tag = "webhooks",
    params(
        ("id" = i32, Path, description = "Webhook id"),
        ("delivery_id" = i32, Path, description = "Delivery id"),
    ),
    responses((status = 202, body = WebhookDelivery))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (webhook_id, delivery_id) = *path;
    let queued = deliveries::redeliver(&state.db, &caller.actor(), webhook_id, delivery_id).await?;
    Ok(HttpResponse::Accepted().json(WebhookDelivery::from(queued)))
}
