//! Invitations as staff see them: who, which workshop and administration, the status
//! (a late reply shows as `late`), whether a link is active, and the dates.

use chrono::{DateTime, Utc};
use entity::invitation::{self, InvitationStatus};
use entity::{administration, participant, reply, round};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::base::records::find_by_id;
use crate::domain::AdministrationCode;

/// What staff see of an invitation.
#[derive(Debug, Clone, FromQueryResult)]
pub struct InvitationRow {
    pub id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    pub administration_code: String,
    pub participant_id: Option<i32>,
    pub participant_name: Option<String>,
    pub participant_email: Option<String>,
    pub status: InvitationStatus,
    pub link_active: bool,
    pub token_issued_at: Option<DateTime<Utc>>,
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reply_id: Option<i32>,
    pub late: Option<bool>,
}

/// The status shown to staff: a late reply shows as `late`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownStatus {
    Pending,
    Invited,
    Replied,
    Late,
}

impl InvitationRow {
    pub fn shown_status(&self) -> ShownStatus {
        match (self.status, self.late) {
            (_, Some(true)) => ShownStatus::Late,
            (InvitationStatus::Replied, _) => ShownStatus::Replied,
            (InvitationStatus::Invited, _) => ShownStatus::Invited,
            (InvitationStatus::Pending, _) => ShownStatus::Pending,
        }
    }
}

#[derive(Debug, Default)]
pub struct InvitationFilter {
    pub workshop_id: Option<i32>,
    pub administration: Option<AdministrationCode>,
    pub status: Option<ShownStatus>,
}

fn rows() -> Select<invitation::Entity> {
    invitation::Entity::find()
        .select_only()
        .columns([
            invitation::Column::Id,
            invitation::Column::RoundId,
            invitation::Column::WorkshopId,
            invitation::Column::ParticipantId,
            invitation::Column::Status,
            invitation::Column::TokenIssuedAt,
            invitation::Column::OpensAt,
            invitation::Column::DueAt,
        ])
        .column_as(administration::Column::Code, "administration_code")
        .column_as(participant::Column::Name, "participant_name")
        .column_as(participant::Column::Email, "participant_email")
        .column_as(reply::Column::Id, "reply_id")
        .column_as(reply::Column::Late, "late")
        .column_as(
            Expr::col((invitation::Entity, invitation::Column::TokenHash)).is_not_null(),
            "link_active",
        )
        .join(
            JoinType::InnerJoin,
            invitation::Relation::Administration.def(),
        )
        .join(JoinType::LeftJoin, invitation::Relation::Participant.def())
        .join(JoinType::LeftJoin, invitation::Relation::Reply.def())
}

pub async fn list(
    db: &DatabaseConnection,
    round_id: i32,
    filter: InvitationFilter,
    page: PageRequest,
) -> Result<Listing<InvitationRow>, ServiceError> {
    find_by_id::<round::Entity>(db, "round", round_id).await?;
    let mut query = rows().filter(invitation::Column::RoundId.eq(round_id));
    if let Some(workshop_id) = filter.workshop_id {
        query = query.filter(invitation::Column::WorkshopId.eq(workshop_id));
    }
    if let Some(code) = filter.administration {
        query = query.filter(administration::Column::Code.eq(code.as_str()));
    }
    query = match filter.status {
        None => query,
        Some(ShownStatus::Pending) => {
            query.filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        }
        Some(ShownStatus::Invited) => {
            query.filter(invitation::Column::Status.eq(InvitationStatus::Invited))
        }
        Some(ShownStatus::Replied) => query.filter(reply::Column::Late.eq(false)),
        Some(ShownStatus::Late) => query.filter(reply::Column::Late.eq(true)),
    };
    page_of(
        query
            .order_by_asc(invitation::Column::WorkshopId)
            .order_by_asc(administration::Column::Code)
            .order_by_asc(invitation::Column::Id)
            .into_model::<InvitationRow>(),
        db,
        page,
    )
    .await
}

/// The invitations of round `round_id` without a reply, by workshop, administration and
/// id.
pub async fn without_reply(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<InvitationRow>, ServiceError> {
    Ok(rows()
        .filter(invitation::Column::RoundId.eq(round_id))
        .filter(reply::Column::Id.is_null())
        .order_by_asc(invitation::Column::WorkshopId)
        .order_by_asc(administration::Column::Code)
        .order_by_asc(invitation::Column::Id)
        .into_model::<InvitationRow>()
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<InvitationRow, ServiceError> {
    rows()
        .filter(invitation::Column::Id.eq(id))
        .into_model::<InvitationRow>()
        .one(db)
        .await?
        .ok_or_else(|| NotFound::record("invitation", id).into())
}
