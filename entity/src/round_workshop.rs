use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A workshop subjected to a round, with its own schedule overrides.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "round_workshops")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub round_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub workshop_id: i32,
    /// Opening date instead of end date + offset.
    pub opens_on: Option<Date>,
    pub open_offset_months: Option<i32>,
    pub reply_window_days: Option<i32>,
    pub reminder_offsets_days: Option<Json>,
    pub attached_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
