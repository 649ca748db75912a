//! Deliveries of events to webhook endpoints: the fan-out of each event into one delivery
//! per subscribed endpoint (inside the transaction that recorded the event), the queue the
//! worker claims from, the record of every attempt, and redelivery by hand.

use chrono::{DateTime, Duration, Utc};
use entity::webhook::{self, Audience};
use entity::webhook_delivery::{self, DeliveryStatus};
use entity::{event, webhook_attempt};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::endpoints::{self, event_types};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::queue;
use crate::base::records::lock;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::services::audit::{self, Actor, Change};
use crate::webhooks::EventType;

/// The body an endpoint receives for an event. Partner endpoints get only what partners may
/// read: the payload without the `error` of a failed mail (a server's reply may quote the
/// address). No event names a person, an email address or a token in the first place.
pub fn body_for(audience: Audience, event: &event::Model) -> String {
    let mut data = event.payload.clone();
    if audience == Audience::Partner
        && let Some(fields) = data.as_object_mut()
    {
        for private in PARTNER_HIDDEN {
            fields.remove(*private);
        }
    }
    json!({
        "type": event.kind,
        "timestamp": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    })
    .to_string()
}

/// Payload fields partner endpoints never receive.
const PARTNER_HIDDEN: &[&str] = &["error", "recipient", "detail"];

/// Queues the event for every active endpoint subscribed to it, read in the caller's
/// transaction (the one that recorded the event), so an endpoint registered, paused or
/// deleted by any instance or by hand counts from the next event on.
pub async fn fan_out(db: &impl ConnectionTrait, event: &event::Model) -> Result<(), ServiceError> {
    let Some(kind) = EventType::parse(&event.kind) else {
        return Ok(());
    };
    let endpoints = webhook::Entity::find()
        .filter(webhook::Column::Active.eq(true))
        .all(db)
        .await?;
    let deliveries: Vec<webhook_delivery::ActiveModel> = endpoints
        .iter()
        .filter(|endpoint| event_types(endpoint).contains(&kind))
        .map(|endpoint| webhook_delivery::ActiveModel {
            webhook_id: Set(endpoint.id),
            event_id: Set(event.id),
            event_type: Set(event.kind.clone()),
            payload: Set(body_for(endpoint.audience, event)),
            status: Set(DeliveryStatus::Queued),
            attempts: Set(0),
            next_attempt_at: Set(event.occurred_at),
            leased_until: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            created_at: Set(event.occurred_at),
            delivered_at: Set(None),
            ..Default::default()
        })
        .collect();
    if !deliveries.is_empty() {
        webhook_delivery::Entity::insert_many(deliveries)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A delivery with its attempts, newest delivery first.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub record: webhook_delivery::Model,
    pub attempts: Vec<webhook_attempt::Model>,
}

#[derive(Debug, Default, Clone)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<EventType>,
}

pub async fn deliveries(
    db: &DatabaseConnection,
    webhook_id: i32,
    filter: DeliveryFilter,
    page: PageRequest,
) -> Result<Listing<Delivery>, ServiceError> {
    endpoints::get(db, webhook_id).await?;
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .order_by_desc(webhook_delivery::Column::Id);
    if let Some(status) = filter.status {
        query = query.filter(webhook_delivery::Column::Status.eq(status));
    }
    if let Some(kind) = filter.event_type {
        query = query.filter(webhook_delivery::Column::EventType.eq(kind.as_str()));
    }
    let listing = page_of(query, db, page).await?;
    let mut attempts = webhook_attempt::Entity::find()
        .filter(
            webhook_attempt::Column::DeliveryId
                .is_in(listing.items.iter().map(|d| d.id).collect::<Vec<_>>()),
        )
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(db)
        .await?;
    Ok(listing.map(|record| {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut attempts)
            .into_iter()
            .partition(|a| a.delivery_id == record.id);
        attempts = rest;
        Delivery {
            record,
            attempts: mine,
        }
    }))
}

/// Queues a delivered or failed delivery again at once, for one more attempt (a queued one
/// is still being tried: 409). The attempts so far stay on record and the endpoint
/// receives the same `webhook-id`.
pub async fn redeliver(
    db: &DatabaseConnection,
    actor: &Actor,
    webhook_id: i32,
    delivery_id: i32,
) -> Result<Delivery, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(
        webhook_delivery::Entity::find_by_id(delivery_id)
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id)),
        &txn,
    )
    .await?
    .ok_or_else(|| ServiceError::not_found("delivery", delivery_id))?;
    if before.status == DeliveryStatus::Queued {
        // Rolled back now rather than when the dropped transaction's connection goes back
        // to the pool: until then the row stays locked, and a worker claiming due deliveries
        // (`FOR UPDATE SKIP LOCKED`) would pass it over.
        txn.rollback().await?;
        return Err(Refusal::DeliveryStillQueued.into());
    }
    let mut active: webhook_delivery::ActiveModel = before.clone().into();
    active.status = Set(DeliveryStatus::Queued);
    active.next_attempt_at = Set(now());
    active.leased_until = Set(None);
    let after = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new(
            "redeliver",
            "webhook_delivery",
            delivery_id,
            Some(json!({"status": before.status})),
            Some(json!({"status": after.status})),
        ),
    )
    .await?;
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(Delivery {
        record: after,
        attempts,
    })
}

/// A claimed delivery whose endpoint turned out inactive (paused by hand in the database,
/// or while the delivery was claimed): paused, unsent, its claim and the attempt the claim
/// counted given back.
pub async fn pause(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
) -> Result<DeliveryStatus, ServiceError> {
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Paused),
        )
        .col_expr(
            webhook_delivery::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::value(delivery.attempts - 1),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(db)
        .await?;
    Ok(DeliveryStatus::Paused)
}

/// Claims up to `limit` due deliveries for `lease` (see `crate::base::queue`).
pub async fn claim_due(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, ServiceError> {
    Ok(queue::claim_due::<webhook_delivery::Entity>(db, at, lease, limit).await?)
}

/// What a delivery sends now: its endpoint as it is (`None` once deleted) and the body of
/// the event for the endpoint's current audience, so an endpoint changed to the partner
/// audience after the event no longer receives what only staff may read.
pub async fn sendable(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
) -> Result<Option<(webhook::Model, String)>, ServiceError> {
    let Some(endpoint) = webhook::Entity::find_by_id(delivery.webhook_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let body = match event::Entity::find_by_id(delivery.event_id).one(db).await? {
        Some(event) => body_for(endpoint.audience, &event),
        None => delivery.payload.clone(),
    };
    Ok(Some((endpoint, body)))
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s)) && self.error.is_none()
    }
}

/// Records an attempt and moves the delivery on: delivered, queued again at `retry_at`,
/// or (without one) failed.
pub async fn record_attempt(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    outcome: &AttemptOutcome,
    retry_at: Option<DateTime<Utc>>,
) -> Result<DeliveryStatus, ServiceError> {
    let txn = db::begin(db).await?;
    webhook_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        attempt: Set(delivery.attempts),
        attempted_at: Set(outcome.at),
        status_code: Set(outcome.status_code.map(i32::from)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(outcome.duration_ms),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let status = match (outcome.succeeded(), retry_at) {
        (true, _) => DeliveryStatus::Delivered,
        (false, Some(_)) => DeliveryStatus::Queued,
        (false, None) => DeliveryStatus::Failed,
    };
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(status))
        .col_expr(
            webhook_delivery::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::value(outcome.status_code.map(i32::from)),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(outcome.error.clone()),
        );
    if status == DeliveryStatus::Delivered {
        update = update.col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(Some(outcome.at)),
        );
    }
    if let Some(retry_at) = retry_at.filter(|_| status == DeliveryStatus::Queued) {
        update = update.col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(retry_at),
        );
    }
    update
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(status)
}
