use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a round is in its life: `draft` -> `scheduled` -> `open` -> `closed`.
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
pub enum RoundState {
    /// Being prepared: workshops are attached, rules set; nobody is invited yet.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Invitations exist with their opening and due times.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    /// The first workshop's survey has opened.
    #[sea_orm(string_value = "open")]
    Open,
    /// Replies are frozen and the report is final.
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// One yearly survey.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "rounds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[sea_orm(unique)]
    pub round_number: i32,
    /// First calendar year of the fiscal year surveyed.
    pub fiscal_year: i32,
    pub questionnaire_id: i32,
    pub state: RoundState,
    pub open_offset_months: i32,
    pub reply_window_days: i32,
    /// Days before the due date at which reminders go out, as a JSON list.
    pub reminder_offsets_days: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub scheduled_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
