use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One option chosen in a single- or multiple-choice answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "answer_choices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reply_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_code: String,
    /// The reply's round (kept here so analytics read one round through an index).
    pub round_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
