use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::reply::Provenance;

/// Every submission of a reply, with the answers as submitted.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "reply_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub reply_id: i32,
    pub revision: i32,
    pub submitted_at: DateTimeUtc,
    pub provenance: Provenance,
    /// `participant`, or the name of the staff key.
    pub submitted_by: String,
    pub answers: Json,
    /// The officer whose link submitted it; none when staff entered or imported it.
    pub participant_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::reply::Entity",
        from = "Column::ReplyId",
        to = "super::reply::Column::Id"
    )]
    Reply,
}

impl Related<super::reply::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reply.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
