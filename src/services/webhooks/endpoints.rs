//! Webhook endpoints, which admins register: a URL already checked against the target
//! policy, the event types it receives and its audience. The secret is kept (the HMAC needs
//! it) and never returned again nor audited.

use entity::webhook::{self, Audience};
use entity::webhook_delivery::{self, DeliveryStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::version::Precondition;
use crate::services::audit::{self, Actor, Change};
use crate::webhooks::EventType;

/// What an admin registers; the URL already checked against the target policy.
#[derive(Debug, Clone)]
pub struct WebhookInput {
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub audience: Audience,
    pub active: bool,
}

/// An endpoint as the audit log records it: never its secret.
#[derive(Serialize)]
struct Audited<'a> {
    url: &'a str,
    description: &'a str,
    event_types: &'a Value,
    audience: Audience,
    active: bool,
}

fn audited(model: &webhook::Model) -> Audited<'_> {
    Audited {
        url: &model.url,
        description: &model.description,
        event_types: &model.event_types,
        audience: model.audience,
        active: model.active,
    }
}

/// The event types an endpoint receives.
pub fn event_types(model: &webhook::Model) -> Vec<EventType> {
    model
        .event_types
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().and_then(EventType::parse))
        .collect()
}

fn apply(active: &mut webhook::ActiveModel, input: WebhookInput) {
    active.url = Set(input.url);
    active.description = Set(input.description);
    active.event_types = Set(json!(
        input
            .event_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
    ));
    active.audience = Set(input.audience);
    active.active = Set(input.active);
    active.updated_at = Set(now());
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: WebhookInput,
    secret: String,
) -> Result<webhook::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let mut active = webhook::ActiveModel {
        secret: Set(secret),
        created_at: Set(now()),
        ..Default::default()
    };
    apply(&mut active, input);
    let created = active.insert(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::created("webhook", created.id, &audited(&created)),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<webhook::Model, ServiceError> {
    find_by_id::<webhook::Entity>(db, "webhook", id).await
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Listing<webhook::Model>, ServiceError> {
    page_of(
        webhook::Entity::find().order_by_asc(webhook::Column::Id),
        db,
        page,
    )
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: WebhookInput,
    precondition: &Precondition,
) -> Result<webhook::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<webhook::Entity>(&txn, "webhook", id).await?;
    precondition.check("webhook", &before)?;
    let mut active: webhook::ActiveModel = before.clone().into();
    apply(&mut active, input);
    let after = active.update(&txn).await?;
    if after.active != before.active {
        follow_endpoint(&txn, &after).await?;
    }
    audit::record(
        &txn,
        actor,
        Change::updated("webhook", id, &audited(&before), &audited(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Pauses the queued deliveries of an endpoint turned inactive, or queues again the paused
/// ones of an endpoint turned active (due as they were: at once when their time passed).
async fn follow_endpoint(
    db: &impl ConnectionTrait,
    endpoint: &webhook::Model,
) -> Result<(), ServiceError> {
    let (from, to) = if endpoint.active {
        (DeliveryStatus::Paused, DeliveryStatus::Queued)
    } else {
        (DeliveryStatus::Queued, DeliveryStatus::Paused)
    };
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(to))
        .filter(webhook_delivery::Column::WebhookId.eq(endpoint.id))
        .filter(webhook_delivery::Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<webhook::Entity>(&txn, "webhook", id).await?;
    precondition.check("webhook", &before)?;
    webhook::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::deleted("webhook", id, &audited(&before)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
