use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::mailing::MailKind;

/// A template edited by staff; kinds without a row use the shipped default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "mail_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: MailKind,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
