use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a contact point does for its administration.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// The administration's contact point for capacity building.
    #[sea_orm(string_value = "capacity_building")]
    CapacityBuilding,
    /// Its training unit.
    #[sea_orm(string_value = "training_unit")]
    TrainingUnit,
    #[sea_orm(string_value = "other")]
    Other,
}

/// A person an administration names for staff to reach its officers through.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "contact_points")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub administration_id: i32,
    pub name: String,
    /// Lower-cased; empty once erased.
    pub email: String,
    pub role: ContactRole,
    /// Only active contact points are suggested.
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the name and email were erased on request.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
