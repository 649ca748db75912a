//! Queued mail follows the invitation's officer: when the officer, or their address,
//! changes after the invitation went out, what was queued for the old address is withdrawn
//! and the current officer gets the invitation mail with the current link (mail following
//! the link itself is `links::follow_link`).

use entity::invitation;
use entity::mailing::{self, MailKind, MailStatus};
use entity::round::{self, RoundState};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::links::{follow_link, with_new_link};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::mail::{MailContext, compose};
use crate::services::audit::{self, Actor, Change};

/// After the invitation's officer or their address changed: withdraws queued mail that is
/// not addressed to the current officer at their current address and, when the
/// invitation mail had gone out and the link is live, queues it to them again.
pub async fn readdress(
    txn: &impl ConnectionTrait,
    mail: &MailContext,
    invitation: &invitation::Model,
) -> Result<(), ServiceError> {
    let officer = compose::officer_of(txn, invitation).await?;
    let mut elsewhere = Condition::any().add(mailing::Column::ParticipantId.is_null());
    if let Some(officer) = &officer {
        elsewhere = elsewhere
            .add(mailing::Column::ParticipantId.ne(officer.id))
            .add(mailing::Column::Recipient.ne(officer.email.as_str()));
    }
    mailing::Entity::update_many()
        .col_expr(mailing::Column::Status, Expr::value(MailStatus::Cancelled))
        .filter(mailing::Column::InvitationId.eq(invitation.id))
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .filter(elsewhere)
        .exec(txn)
        .await?;
    follow_link(txn, invitation).await?;
    let went_out = mailing::Entity::find()
        .filter(mailing::Column::InvitationId.eq(invitation.id))
        .filter(mailing::Column::Kind.eq(MailKind::Invitation))
        .count(txn)
        .await?
        > 0;
    if went_out && invitation.token_hash.is_some() {
        let key = format!(
            "invitation:{}:link:{}",
            invitation.id, invitation.token_generation
        );
        let letter = compose::Letter::new(MailKind::Invitation, key, invitation);
        compose::queue(txn, mail, letter, now()).await?;
    }
    Ok(())
}

/// A participant's address changed: each live link of theirs in a round still taking
/// replies is replaced (the old one went to the old address), and their mail readdressed.
pub async fn address_changed(
    txn: &impl ConnectionTrait,
    mail: &MailContext,
    actor: &Actor,
    participant_id: i32,
) -> Result<(), ServiceError> {
    let open_rounds = round::Entity::find()
        .filter(round::Column::State.ne(RoundState::Closed))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id);
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(participant_id))
        .filter(invitation::Column::RoundId.is_in(open_rounds))
        .all(txn)
        .await?;
    for before in invitations {
        let current = if before.token_hash.is_some() {
            let (active, _) = with_new_link(before.clone(), &mail.key);
            let after = sea_orm::ActiveModelTrait::update(active, txn).await?;
            let change = Change {
                action: "rotate_link",
                ..Change::updated("invitation", before.id, &before, &after)
            };
            audit::record(txn, actor, change).await?;
            after
        } else {
            before
        };
        readdress(txn, mail, &current).await?;
    }
    Ok(())
}
