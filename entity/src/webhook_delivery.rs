use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a delivery is in its queue.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for (another) attempt.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Out of attempts.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Waiting while its endpoint is inactive: nothing is sent to a paused endpoint. The
    /// delivery is queued again, its attempts as they were, when the endpoint is active.
    #[sea_orm(string_value = "paused")]
    Paused,
}

/// One event for one endpoint, written in the transaction of the change that caused it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub webhook_id: i32,
    pub event_id: i32,
    pub event_type: String,
    /// The JSON body as sent, byte for byte, on every attempt.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the delivery until then; afterwards another may take it.
    pub leased_until: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
