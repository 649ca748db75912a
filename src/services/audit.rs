//! The audit log: who changed what, when, with the record before and after. Every staff
//! change writes its entry inside the change's own transaction.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::Value;

use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};

/// Who is acting: an API key, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub key_id: Option<i32>,
    pub name: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn command_line() -> Self {
        Self {
            key_id: None,
            name: "command line".into(),
            request_id: None,
        }
    }
}

/// One change to record.
#[derive(Debug)]
pub struct Change {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn created(entity_type: &'static str, id: impl ToString, after: &impl Serialize) -> Self {
        Self::new("create", entity_type, id, None, Some(snapshot(after)))
    }

    pub fn updated(
        entity_type: &'static str,
        id: impl ToString,
        before: &impl Serialize,
        after: &impl Serialize,
    ) -> Self {
        Self::new(
            "update",
            entity_type,
            id,
            Some(snapshot(before)),
            Some(snapshot(after)),
        )
    }

    pub fn deleted(entity_type: &'static str, id: impl ToString, before: &impl Serialize) -> Self {
        Self::new("delete", entity_type, id, Some(snapshot(before)), None)
    }

    pub fn new(
        action: &'static str,
        entity_type: &'static str,
        id: impl ToString,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id: id.to_string(),
            before,
            after,
        }
    }
}

/// The stored form of a record. Our models serialize to plain objects, which cannot fail.
fn snapshot(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Writes `change` on `db`, which is the transaction of the change itself.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    change: Change,
) -> Result<(), ServiceError> {
    audit_log::ActiveModel {
        occurred_at: Set(Utc::now()),
        actor_key_id: Set(actor.key_id),
        actor_name: Set(actor.name.clone()),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        request_id: Set(actor.request_id.clone()),
        before: Set(change.before),
        after: Set(change.after),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters of the audit log listing.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_key_id: Option<i32>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list(
    db: &DatabaseConnection,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Listing<audit_log::Model>, ServiceError> {
    let mut query = audit_log::Entity::find();
    if let Some(entity_type) = filter.entity_type {
        query = query.filter(audit_log::Column::EntityType.eq(entity_type));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(audit_log::Column::EntityId.eq(entity_id));
    }
    if let Some(key_id) = filter.actor_key_id {
        query = query.filter(audit_log::Column::ActorKeyId.eq(key_id));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::Column::OccurredAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::Column::OccurredAt.lt(until));
    }
    page_of(query.order_by_desc(audit_log::Column::Id), db, page).await
}
