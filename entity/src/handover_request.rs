use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a hand-over request stands.
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
pub enum HandoverStatus {
    /// Waiting for staff; the officer's link keeps working.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Staff handed the invitation over to the colleague named.
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// An officer saying, on the answering page, that the survey is not for them and naming a
/// colleague who should answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "handover_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub invitation_id: i32,
    pub colleague_name: String,
    /// Lower-cased.
    pub colleague_email: String,
    pub note: Option<String>,
    pub status: HandoverStatus,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    /// The API key's name that decided.
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
