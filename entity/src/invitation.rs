use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Progress of an invitation. A late reply is `replied` with the reply's `late` flag set.
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
pub enum InvitationStatus {
    /// Created; no link has been issued yet.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A link has been issued (sent).
    #[sea_orm(string_value = "invited")]
    Invited,
    /// A reply has been received.
    #[sea_orm(string_value = "replied")]
    Replied,
}

/// One participant asked to answer for one workshop in one round.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    /// The administration the reply is attributed to, whoever answers.
    pub administration_id: i32,
    /// The officer asked; `None` for imported history or after erasure.
    pub participant_id: Option<i32>,
    /// SHA-256 of the current link token; `None` when no link is valid.
    #[serde(skip_serializing)]
    pub token_hash: Option<String>,
    pub token_issued_at: Option<DateTimeUtc>,
    /// Counts the links issued; the current link's token derives from it (with the
    /// server's key), so mail can carry the link again without storing it.
    pub token_generation: i32,
    pub status: InvitationStatus,
    pub opens_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::administration::Entity",
        from = "Column::AdministrationId",
        to = "super::administration::Column::Id"
    )]
    Administration,
    #[sea_orm(
        belongs_to = "super::participant::Entity",
        from = "Column::ParticipantId",
        to = "super::participant::Column::Id"
    )]
    Participant,
    #[sea_orm(has_one = "super::reply::Entity")]
    Reply,
    #[sea_orm(
        belongs_to = "super::round::Entity",
        from = "Column::RoundId",
        to = "super::round::Column::Id"
    )]
    Round,
}

impl Related<super::round::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Round.def()
    }
}

impl Related<super::administration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Administration.def()
    }
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::reply::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reply.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
