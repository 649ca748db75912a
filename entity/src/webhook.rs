use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who reads a webhook's payloads, which decides what they may carry.
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
pub enum Audience {
    /// The office's own systems: payloads may carry delivery errors of mail.
    #[sea_orm(string_value = "staff")]
    Staff,
    /// Partner systems: payloads never carry names, emails, tokens or mail errors.
    #[sea_orm(string_value = "partner")]
    Partner,
}

/// An endpoint that receives events, signed per the Standard Webhooks scheme.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub url: String,
    pub description: String,
    /// `whsec_` and the base64 of the signing key; shown once, at registration.
    pub secret: String,
    /// The event types it receives, e.g. `["reply.submitted"]`.
    pub event_types: Json,
    pub audience: Audience,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
