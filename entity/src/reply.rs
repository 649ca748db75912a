use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who entered a reply.
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
pub enum Provenance {
    /// The participant, through the invitation link.
    #[sea_orm(string_value = "participant")]
    Participant,
    /// Staff, from an answer that arrived by email.
    #[sea_orm(string_value = "staff")]
    Staff,
}

/// The current answers of one invitation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "replies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub invitation_id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    pub administration_id: i32,
    pub first_submitted_at: DateTimeUtc,
    pub last_submitted_at: DateTimeUtc,
    /// First submitted after the due date.
    pub late: bool,
    pub provenance: Provenance,
    /// 1 for the first submission, then one more per revision.
    pub revision: i32,
    /// The contact that preceded the first submission: `invitation`, `reminder_<n>`,
    /// `escalation`, `contact_attempt` or `feedback`; none for imported history.
    pub last_contact: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::invitation::Entity",
        from = "Column::InvitationId",
        to = "super::invitation::Column::Id"
    )]
    Invitation,
}

impl Related<super::invitation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invitation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
