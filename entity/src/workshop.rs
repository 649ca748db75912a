use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who a workshop was designed for; the report's subtotals group by it.
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
pub enum Scope {
    #[sea_orm(string_value = "regional")]
    Regional,
    #[sea_orm(string_value = "sub_regional")]
    SubRegional,
    #[sea_orm(string_value = "national")]
    National,
}

/// A regional or sub-regional workshop.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "workshops")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    /// Historical workshops often have none.
    pub topic: Option<String>,
    pub scope: Scope,
    pub start_date: Date,
    pub end_date: Date,
    pub venue: Option<String>,
    pub is_virtual: bool,
    pub excluded_from_survey: bool,
    /// First calendar year of the July-June fiscal year holding `start_date`.
    pub fiscal_year: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::participant::Entity")]
    Participant,
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
