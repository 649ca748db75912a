use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An officer who attended a workshop on behalf of an administration.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "participants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workshop_id: i32,
    pub administration_id: i32,
    pub name: String,
    /// Stored lower-cased; unique per workshop.
    pub email: String,
    pub position: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the name and email were erased on request; replies stay with the
    /// administration.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::workshop::Entity",
        from = "Column::WorkshopId",
        to = "super::workshop::Column::Id"
    )]
    Workshop,
    #[sea_orm(
        belongs_to = "super::administration::Entity",
        from = "Column::AdministrationId",
        to = "super::administration::Column::Id"
    )]
    Administration,
}

impl Related<super::workshop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workshop.def()
    }
}

impl Related<super::administration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Administration.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
