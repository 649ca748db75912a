//! Everything the service holds about one participant, for them to see.

use entity::{audit_log, invitation, mailing, reply, reply_revision};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::holdings::{audit_of, invitations_of, mailings_of};
use crate::base::error::ServiceError;
use crate::services::participants::{self, Participant};

/// Everything held about one participant.
#[derive(Debug, Clone)]
pub struct PersonalData {
    pub participant: Participant,
    pub invitations: Vec<invitation::Model>,
    pub replies: Vec<(reply::Model, Vec<reply_revision::Model>)>,
    pub mailings: Vec<mailing::Model>,
    pub audit: Vec<audit_log::Model>,
}

/// What is held about a participant of `workshop_id`.
pub async fn export(
    db: &DatabaseConnection,
    workshop_id: i32,
    participant_id: i32,
) -> Result<PersonalData, ServiceError> {
    let participant = participants::get(db, workshop_id, participant_id).await?;
    let invitations = invitations_of(db, participant_id).await?;
    let invitation_ids: Vec<i32> = invitations.iter().map(|i| i.id).collect();
    // Revisions another officer sent (before a hand-over) are theirs, not this one's;
    // what this officer sent before handing over is theirs although the reply moved on.
    let sent_by_them = reply_revision::Entity::find()
        .filter(reply_revision::Column::ParticipantId.eq(participant_id))
        .all(db)
        .await?;
    let replies = reply::Entity::find()
        .filter(
            Condition::any()
                .add(reply::Column::InvitationId.is_in(invitation_ids.iter().copied()))
                .add(reply::Column::Id.is_in(sent_by_them.iter().map(|r| r.reply_id))),
        )
        .order_by_asc(reply::Column::Id)
        .all(db)
        .await?;
    let unattributed = replies
        .iter()
        .filter(|r| invitation_ids.contains(&r.invitation_id))
        .map(|r| r.id);
    let mut revisions = reply_revision::Entity::find()
        .filter(
            Condition::any()
                .add(reply_revision::Column::ParticipantId.eq(participant_id))
                .add(
                    Condition::all()
                        .add(reply_revision::Column::ParticipantId.is_null())
                        .add(reply_revision::Column::ReplyId.is_in(unattributed)),
                ),
        )
        .order_by_asc(reply_revision::Column::Revision)
        .all(db)
        .await?;
    let replies = replies
        .into_iter()
        .map(|reply| {
            let (mine, rest) = std::mem::take(&mut revisions)
                .into_iter()
                .partition(|r| r.reply_id == reply.id);
            revisions = rest;
            (reply, mine)
        })
        .collect();
    let emails = std::slice::from_ref(&participant.record.email);
    let mailings = mailings_of(db, participant_id, emails).await?;
    let audit = audit_of(db, participant_id, &invitation_ids).await?;
    Ok(PersonalData {
        participant,
        invitations,
        replies,
        mailings,
        audit,
    })
}
