use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One version of a questionnaire; its questions are a JSON list (see the service's
/// `domain::questionnaire`). A version used by a round never changes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "questionnaires")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub version: i32,
    pub title: String,
    pub description: Option<String>,
    pub questions: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
