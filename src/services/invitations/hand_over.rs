//! Handing an invitation over to another officer of the same administration (the one who
//! attended left, say): the officer is found among the workshop's participants or added,
//! the link is replaced, and the new officer gets the invitation mail if it had gone out.

use anyhow::Context;
use entity::{administration, invitation, participant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use super::links::{round_accepting_links, with_new_link};
use super::officer_mail;
use super::views::{self, InvitationRow};
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::{InvalidInput, Token};
use crate::mail::MailContext;
use crate::services::audit::{self, Actor, Change};
use crate::services::participants;
pub use crate::services::participants::Officer;

/// Hands an invitation over to another officer of the same administration: the officer
/// is found by email among the workshop's participants or added; the old link stops
/// working and a new one is returned; any reply stays with the administration.
pub async fn hand_over(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    id: i32,
    officer: Officer,
) -> Result<(InvitationRow, Token), ServiceError> {
    let txn = db::begin(db).await?;
    let handed = hand_over_in(&txn, mail, actor, id, officer).await?;
    txn.commit().await?;
    Ok(handed)
}

/// [`hand_over`] inside the caller's transaction.
pub async fn hand_over_in(
    txn: &impl sea_orm::ConnectionTrait,
    mail: &MailContext,
    actor: &Actor,
    id: i32,
    officer: Officer,
) -> Result<(InvitationRow, Token), ServiceError> {
    let before = lock_by_id::<invitation::Entity>(txn, "invitation", id).await?;
    round_accepting_links(txn, &before).await?;
    let administration = administration::Entity::find_by_id(before.administration_id)
        .one(txn)
        .await?
        .context("the invitation's administration is missing")?;
    let existing = participant::Entity::find()
        .filter(participant::Column::WorkshopId.eq(before.workshop_id))
        .filter(participant::Column::Email.eq(officer.email.as_str()))
        .one(txn)
        .await?;
    let successor = match existing {
        Some(found) if found.administration_id != administration.id => {
            return Err(InvalidInput::field(
                "email",
                "this address belongs to a participant of another administration",
            )
            .into());
        }
        Some(found) => found,
        None => {
            participants::insert(txn, actor, before.workshop_id, &administration, officer)
                .await?
                .record
        }
    };
    if Some(successor.id) == before.participant_id {
        return Err(Refusal::AlreadyTheOfficers.into());
    }
    let taken = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(before.round_id))
        .filter(invitation::Column::ParticipantId.eq(successor.id))
        .count(txn)
        .await?;
    if taken > 0 {
        return Err(Refusal::OfficerHasOwnInvitation.into());
    }
    let (mut active, token) = with_new_link(before.clone(), &mail.key);
    active.participant_id = Set(Some(successor.id));
    let after = active.update(txn).await?;
    let change = Change {
        action: "hand_over",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(txn, actor, change).await?;
    officer_mail::readdress(txn, mail, &after).await?;
    let row = views::get(txn, id).await?;
    Ok((row, token))
}
