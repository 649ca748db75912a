use sea_orm::entity::prelude::*;
use serde::Serialize;

/// The answer to one question of a reply, in columns analytics can aggregate. The options
/// chosen in choice questions are rows of `answer_choice`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reply_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_code: String,
    /// The reply's round (kept here so analytics read one round through an index).
    pub round_id: i32,
    pub yes_no: Option<bool>,
    pub scale_value: Option<i32>,
    pub text_value: Option<String>,
    /// The free text of an `other` choice.
    pub other_text: Option<String>,
    /// Examples or details given with the answer.
    pub comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
