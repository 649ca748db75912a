use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The WCO Asia/Pacific grouping an administration belongs to.
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
pub enum SubRegion {
    #[sea_orm(string_value = "Sub-Continent")]
    #[serde(rename = "Sub-Continent")]
    SubContinent,
    #[sea_orm(string_value = "Far East")]
    #[serde(rename = "Far East")]
    FarEast,
    #[sea_orm(string_value = "ASEAN")]
    #[serde(rename = "ASEAN")]
    Asean,
    #[sea_orm(string_value = "Australasia/Oceania")]
    #[serde(rename = "Australasia/Oceania")]
    AustralasiaOceania,
}

/// A member customs administration of the WCO Asia/Pacific region.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "administrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub sub_region: SubRegion,
    pub time_zone: String,
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
